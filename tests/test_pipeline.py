"""One batch through every stage, and the key a finished batch is found by."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pressline import ingest, load, pipeline
from pressline.validate import ArticleValidator
from tests.conftest import RAW, ROOT


def test_a_batch_key_follows_content_options_and_suite(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("one", encoding="utf-8")
    suite = tmp_path / "articles.json"
    suite.write_text("{}", encoding="utf-8")
    sources = ingest.discover(raw)

    def key(options: ingest.IngestOptions = ingest.IngestOptions()) -> str:
        prints = {source.relative_path: load.fingerprint(source.path) for source in sources}
        return pipeline.batch_key(sources, prints, options, suite)

    first = key()
    assert key() == first
    assert key(ingest.IngestOptions(max_bytes=10)) != first
    suite.write_text('{"changed": true}', encoding="utf-8")
    second = key()
    assert second != first
    (raw / "a.txt").write_text("two", encoding="utf-8")
    assert key() != second


def test_a_batch_leaves_a_checkpoint_and_reports_its_rows(tmp_path: Path) -> None:
    checkpoint = load.BatchCheckpoint(tmp_path, "seeds")
    report = pipeline.process_batch(ingest.discover(RAW), datetime(2026, 1, 1, tzinfo=timezone.utc),
                                    ingest.IngestOptions(), ArticleValidator(ROOT / "expectations"), checkpoint,
                                    "r1", run_name="r1-batch-000000")
    assert report.rows["articles"] == 5 and report.rows["signatures"] == 5
    assert set(report.stage_seconds) == set(pipeline.STAGES)
    assert checkpoint.done() and checkpoint.summary()["rows"]["articles"] == 5
    assert (checkpoint.directory / "articles.parquet").is_file()
