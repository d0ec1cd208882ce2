"""Write a tiny warehouse with pressline's own schema-v2 code: the fixture the v2 -> v3 migration
test (tests/test_load.py) publishes onto with the current code.

Files that say `pressline_schema_version` 2 come in two shapes: v2 (30a7d57) added duplicate_of
and the inputs table; e411ee0 then added source_record, runs.duplicates and the signatures table
without bumping the version, and v3 (244ffc2) only bumped it. So both are kept, each written by
its commit's code (run from the repository root, with the current environment):

    git worktree add --detach /tmp/pressline-v2 30a7d57
    PYTHONPATH=/tmp/pressline-v2 .venv/bin/python tests/data/make_v2_warehouse.py tests/data/warehouse-v2-30a7d57
    git -C /tmp/pressline-v2 checkout --detach 3152527      # the last commit before v3
    PYTHONPATH=/tmp/pressline-v2 .venv/bin/python tests/data/make_v2_warehouse.py tests/data/warehouse-v2-3152527

Two runs (r1, r2): articles in three partitions, a near-copy (flagged by 3152527's dedup), a
quarantined and two rejected records, removed lines, the manifest and the run history.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from pressline import load, schema

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
SEEDS = ["\n\n".join(json.loads(line)["body_lines"])
         for line in (HERE / "seeds_gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def document(doc_id: str, run_id: str, publisher: str | None, day: date | None, body: str) -> dict:
    return {"doc_id": doc_id, "source_path": f"{doc_id}.txt", "content_sha256": doc_id[-1] * 64,
            "size_bytes": len(body), "encoding": "utf-8", "title": f"Headline of {doc_id}", "subtitle": None,
            "authors": ["Cao Yin"], "published_at": None, "published_date": day, "published_at_raw": None,
            "published_at_tz_assumed": None, "publisher": publisher, "section": "World", "print_edition": None,
            "language": "en", "related_links": ["A related story"], "body": body,
            "word_count": len(body.split()), "duplicate_of": None, "removed_line_count": 1,
            "run_id": run_id, "ingested_at": NOW}


def rejected(doc_id: str, run_id: str, error: str) -> dict:
    return {"doc_id": doc_id, "source_path": f"{doc_id}.txt", "sha256": None, "size_bytes": 0, "error": error,
            "run_id": run_id, "ingested_at": NOW}


def removed(doc_id: str, run_id: str, lines: list[str]) -> list[dict]:
    return [{"doc_id": doc_id, "line_no": number, "text": text, "reason": "share_widget", "run_id": run_id}
            for number, text in enumerate(lines, start=1)]


RUNS = {
    "r1": {
        "articles": [document("a-china", "r1", "China Daily USA", date(2015, 9, 22), SEEDS[0]),
                     document("a-review", "r1", "Beijing Review", date(2015, 8, 4), SEEDS[1]),
                     document("a-undated", "r1", None, None, SEEDS[2])],
        "quarantine": [document("q-short", "r1", "China Daily USA", date(2015, 9, 22), "A short note.")
                       | {"failed_expectations": ["body_min_words"]}],
        "rejected": [rejected("x-empty", "r1", "The file is empty.")],
        "removed_lines": removed("a-china", "r1", ["Share", "Tweet"]) + removed("a-review", "r1", ["Print"]),
    },
    "r2": {
        "articles": [document("a-mirror", "r2", "China Daily USA", date(2015, 9, 23),
                              SEEDS[0].rsplit("\n\n", 1)[0] + "\n\nThis story was republished with permission.")],
        "rejected": [rejected("x-binary", "r2", "The file is not text: it is a PNG image.")],
        "removed_lines": removed("a-mirror", "r2", ["Share this story"]),
    },
}


def publish_run(root: Path, warehouse: Path, run_id: str, tables: dict[str, list[dict]]) -> None:
    staging = load.RunStaging(root / "staging", run_id)
    for name, rows in tables.items():
        staging.write_batch(name, 0, pa.Table.from_pylist(rows, schema=schema.TABLES[name]))
    paths = sorted({row["source_path"] for rows in tables.values() for row in rows if "source_path" in row})
    staging.write_batch("inputs", 0, load.inputs_table(
        {path: load.Fingerprint(100, 1_700_000_000_000_000_000, "f" * 64) for path in paths}, run_id))
    counts = {name: len(tables.get(name, [])) for name in ("articles", "quarantine", "rejected", "removed_lines")}
    options = {}
    if "signatures" in schema.TABLES:  # e411ee0 on: deduplicated against the warehouse
        from pressline import dedup

        staging.write_batch("signatures", 0, dedup.signatures_table(staging.staged("articles")))
        decided = dedup.resolve(load.signatures_before(warehouse, pa.array(sorted(paths), pa.string())), staging.staged("signatures"))
        options["duplicates"] = decided
        counts["duplicates"] = sum(1 for kept in decided.values() if kept is not None)
    staging.write_batch("runs", 0, pa.Table.from_pylist([{
        "run_id": run_id, "started_at": NOW, "finished_at": NOW, "status": "completed", "files_read": len(paths),
        "quarantined": counts.pop("quarantine"), **counts, "raw_dir": "/raw", "pressline_version": "0.1.0"}],
        schema=schema.RUNS))
    load.publish(staging, warehouse, **options)


def main() -> None:
    if schema.SCHEMA_VERSION != 2:
        sys.exit("run with a schema-v2 checkout of pressline first on PYTHONPATH (see the docstring)")
    target = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        warehouse = Path(scratch) / "warehouse"
        for run_id, tables in RUNS.items():
            publish_run(Path(scratch), warehouse, run_id, tables)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(warehouse, target, symlinks=True)


if __name__ == "__main__":
    main()
