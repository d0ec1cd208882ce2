"""One batch through every stage, and the key a finished batch is found by."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

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


# ---------------------------------------------------------------------------------------------
# A stage that raises on one document rejects that document only, in one plain sentence

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
# What a failing library may raise: several lines, a traceback-like tail, far too long for a row.
MESSY = "first line of the failure\n  File \"x.py\", line 3, in f\n\n" + "detail " * 2000


def _seed_documents() -> list[ingest.Document]:
    return pipeline.ingest_batch(ingest.discover(RAW), NOW).documents


def _one_plain_sentence(error: str, opening: str) -> None:
    assert error.startswith(opening), error
    assert error.endswith(").") and "\n" not in error and "  " not in error and len(error) < 400, error


def test_an_extractor_failure_rejects_that_document_and_keeps_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _seed_documents()
    cleaned = pipeline.clean_batch(documents)
    reference = pipeline.extract_batch(cleaned, "r1").articles.to_pylist()
    victim = cleaned.cleaned[1]
    real_extract = pipeline.extract

    def extract_failing_once(document):
        if document is victim:
            raise ValueError(MESSY)
        return real_extract(document)

    monkeypatch.setattr(pipeline, "extract", extract_failing_once)
    extracted = pipeline.extract_batch(cleaned, "r1")
    [rejection] = extracted.rejections
    assert (rejection.doc_id, rejection.source_path) == (documents[1].doc_id, documents[1].source_path)
    assert (rejection.sha256, rejection.size_bytes) == (documents[1].content_sha256, documents[1].size_bytes)
    _one_plain_sentence(rejection.error, "The field extractor failed on this document (ValueError: first line of "
                                         "the failure File \"x.py\", line 3")
    assert extracted.articles.to_pylist() == [row for row in reference if row["doc_id"] != documents[1].doc_id]
    [row] = pipeline.rejected_table(extracted.rejections, "r1").to_pylist()
    assert row["error"] == rejection.error and row["run_id"] == "r1"


def test_a_cleaner_failure_falls_back_to_one_document_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _seed_documents()
    victim = documents[2]
    real_clean = pipeline.clean

    def clean_many_failing(*_args, **_kwargs):
        raise MemoryError("the batch call failed\nwith a second line")

    def clean_failing_once(text: str):
        if text == victim.text:
            raise RuntimeError(MESSY)
        return real_clean(text)

    monkeypatch.setattr(pipeline, "clean_many", clean_many_failing)
    monkeypatch.setattr(pipeline, "clean", clean_failing_once)
    cleaned = pipeline.clean_batch(documents)
    assert cleaned.documents == [document for document in documents if document is not victim]
    assert len(cleaned.cleaned) == len(cleaned.documents)
    [rejection] = cleaned.rejections
    assert rejection.doc_id == victim.doc_id
    _one_plain_sentence(rejection.error, "The cleaner failed on this document (RuntimeError: first line of the failure")
    extracted = pipeline.extract_batch(cleaned, "r1")
    assert extracted.rejections == [rejection]
    assert sorted(extracted.articles.column("doc_id").to_pylist()) == sorted(
        document.doc_id for document in cleaned.documents)
    assert all(extracted.articles.column("body").to_pylist())


def test_a_failed_batch_clean_that_works_document_by_document_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _seed_documents()
    monkeypatch.setattr(pipeline, "clean_many", lambda *_args, **_kwargs: 1 / 0)
    cleaned = pipeline.clean_batch(documents)
    assert cleaned.documents == documents and not cleaned.rejections
    assert [c.body_lines for c in cleaned.cleaned] == [pipeline.clean(d.text).body_lines for d in documents]


def test_a_batch_takes_the_line_hashes_of_its_own_census_part_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The census part a batch's documents gave is labelled with them: the batch cleans with its line
    hashes, and a part of other documents (a file that changed between the census and its batch) is
    left alone, the lines hashed again."""
    from dataclasses import replace

    documents = _seed_documents()
    part = pipeline.census_batch(ingest.discover(RAW), NOW, ingest.IngestOptions())
    assert part.label == pipeline.documents_label(documents)
    given = []
    real_clean_many = pipeline.clean_many

    def recording(texts, **kwargs):
        given.append(kwargs["part"])
        return real_clean_many(texts, **kwargs)

    monkeypatch.setattr(pipeline, "clean_many", recording)
    reference = [doc.labels for doc in pipeline.clean_batch(documents).cleaned]
    assert [doc.labels for doc in pipeline.clean_batch(documents, part=part).cleaned] == reference
    changed = [replace(documents[0], content_sha256="0" * 64), *documents[1:]]
    assert [doc.labels for doc in pipeline.clean_batch(changed, part=part).cleaned] == reference
    assert given == [None, part, None]


def test_freed_batch_memory_goes_back_to_the_os() -> None:
    import psutil

    if pipeline._malloc_trim() is None:
        pytest.skip("not glibc: nothing to trim")
    process = psutil.Process()
    # Blocks under glibc's mmap threshold, so on the heap, each followed by a small one that stays:
    # the freed blocks are holes the heap cannot give back by shrinking from its top.
    blocks, pins = zip(*((bytearray(60_000), bytearray(600)) for _ in range(2_000)))
    held = process.memory_info().rss
    del blocks
    freed = process.memory_info().rss
    pipeline.release_freed_memory()
    assert held - process.memory_info().rss > 80_000_000 > held - freed
    assert len(pins) == 2_000
