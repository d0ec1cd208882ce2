"""A run's report is the sum of its batches' reports, which travel between processes as JSON."""
from __future__ import annotations

import json

import pyarrow as pa

from pressline import schema
from pressline.report import RunReport


def batch_tables(publisher: str, removed_reason: str) -> dict[str, pa.Table]:
    articles = schema.ARTICLES.empty_table().to_pylist() + [{
        field.name: None for field in schema.ARTICLES}]
    articles[0].update(doc_id="d1", source_path="a.txt", content_sha256="0" * 64, size_bytes=1, encoding="utf-8",
                       authors=[], related_links=[], body="b", word_count=1, removed_line_count=1, run_id="r",
                       publisher=publisher, ingested_at=__import__("datetime").datetime(2026, 1, 1))
    removed = [{"doc_id": "d1", "line_no": 1, "text": "x", "reason": removed_reason, "run_id": "r"}]
    return {
        "articles": pa.Table.from_pylist(articles, schema=schema.ARTICLES),
        "quarantine": schema.QUARANTINE.empty_table(),
        "rejected": schema.REJECTED.empty_table(),
        "removed_lines": pa.Table.from_pylist(removed, schema=schema.REMOVED_LINES),
    }


def test_reports_merge_after_a_json_round_trip() -> None:
    first, second = RunReport(), RunReport()
    first.add_batch(batch_tables("Beijing Review", "byline"))
    second.add_batch(batch_tables("Beijing Review", "copyright"))
    with second.timing("clean"):
        pass
    total = RunReport()
    for report in (first, second):
        total.merge(RunReport.from_json(json.loads(json.dumps(report.to_json()))))
    assert total.rows["articles"] == 2 and total.publishers["Beijing Review"] == 2
    assert total.removed_reasons == {"byline": 1, "copyright": 1}
    assert set(total.stage_seconds) == {"clean"} and total.dated_articles == 0
