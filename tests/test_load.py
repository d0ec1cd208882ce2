"""Staging and publishing: replace-by-doc_id, partition layout, journal replay."""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressline import load, schema
from tests.conftest import ROOT

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def article(doc_id: str, publisher: str | None = "China Daily USA", day: date | None = date(2015, 9, 22),
            title: str = "A headline", run_id: str = "r1") -> dict:
    return {
        "doc_id": doc_id, "source_path": f"{doc_id}.txt", "content_sha256": "0" * 64, "size_bytes": 10,
        "encoding": "utf-8", "title": title, "subtitle": None, "authors": ["Cao Yin"], "published_at": None,
        "published_date": day, "published_at_raw": None, "published_at_tz_assumed": None,
        "publisher": publisher, "section": None, "print_edition": None, "language": "en",
        "related_links": [], "body": "Body text.", "word_count": 2, "removed_line_count": 0,
        "run_id": run_id, "ingested_at": NOW,
    }


def stage(tmp_path: Path, run_id: str, articles: list[dict]) -> load.RunStaging:
    staging = load.RunStaging(tmp_path / "staging", run_id)
    staging.write_batch("articles", 0, pa.Table.from_pylist(articles, schema=schema.ARTICLES))
    return staging


def read_articles(warehouse: Path) -> pd.DataFrame:
    return pd.read_parquet(warehouse / "articles").sort_values("doc_id").reset_index(drop=True)


def test_publish_writes_hive_partitions_with_unknown(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a"), article("b", publisher=None, day=None)]), warehouse)
    files = sorted(path.relative_to(warehouse).as_posix() for path in (warehouse / "articles").rglob("*.parquet"))
    assert files == [
        "articles/publisher_key=china-daily-usa/year=2015/month=09/r1-0.parquet",
        "articles/publisher_key=unknown/year=unknown/month=unknown/r1-0.parquet",
    ]
    frame = read_articles(warehouse)
    assert list(frame["doc_id"]) == ["a", "b"]
    assert {"publisher_key", "year", "month"} <= set(frame.columns)
    assert not (tmp_path / "staging" / "r1").exists()


def test_republishing_a_doc_replaces_its_row(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a"), article("b")]), warehouse)
    load.publish(stage(tmp_path, "r2", [article("a", title="New", publisher="Beijing Review", run_id="r2")]),
                 warehouse)
    frame = read_articles(warehouse)
    assert list(frame["doc_id"]) == ["a", "b"]
    assert list(frame["title"]) == ["New", "A headline"]
    assert list(frame["publisher_key"]) == ["beijing-review", "china-daily-usa"]


def test_empty_tables_stay_readable(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)
    quarantine = pd.read_parquet(warehouse / "quarantine")
    assert quarantine.empty and "failed_expectations" in quarantine.columns


@pytest.mark.parametrize("step", ["_move", "_commit"])
def test_a_publish_killed_before_commit_leaves_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             step: str) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(load, step, killed)
    with pytest.raises(KeyboardInterrupt):
        load.publish(stage(tmp_path, "r2", [article("b", run_id="r2")]), warehouse)
    monkeypatch.undo()
    assert list(read_articles(warehouse)["doc_id"]) == ["a"]
    assert snapshots_on_disk(warehouse) == ["r1"], "a publish that fails before its commit removes its snapshot"
    assert set(load.recover(tmp_path / "staging", warehouse)) >= {"r2"}
    assert sorted(path.name for path in (warehouse / "_snapshots").iterdir()) == ["r1"]
    load.publish(stage(tmp_path, "r3", [article("b", run_id="r3")]), warehouse)
    assert list(read_articles(warehouse)["doc_id"]) == ["a", "b"]


def snapshots_on_disk(warehouse: Path) -> list[str]:
    return sorted(path.name for path in (warehouse / load.SNAPSHOTS).iterdir())


def age(warehouse: Path, *names: str, seconds: float = load.RETAIN_SECONDS + 60) -> None:
    """Make snapshots look committed `seconds` ago (a snapshot's mtime is its commit time)."""
    for name in names:
        then = time.time() - seconds
        os.utime(warehouse / load.SNAPSHOTS / name, (then, then))


def test_old_snapshots_are_pruned_only_beyond_both_the_count_and_the_time(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    for number in range(1, 5):
        result = load.publish(stage(tmp_path, f"r{number}", [
            article(f"d{number}", publisher=f"Paper {number}", run_id=f"r{number}")]), warehouse)
    assert snapshots_on_disk(warehouse) == ["r1", "r2", "r3", "r4"], "replaced minutes ago: kept for pinned readers"
    assert result.files_linked >= 3
    age(warehouse, "r1", "r2")
    load.publish(stage(tmp_path, "r5", [article("d5", publisher="Paper 5", run_id="r5")]), warehouse)
    # r2 was replaced by r3 just now, so it stays although it is not among the newest two; r1 was
    # replaced when r2 was committed, long ago.
    assert snapshots_on_disk(warehouse) == ["r2", "r3", "r4", "r5"]
    age(warehouse, "r2", "r3", "r4", "r5")
    load.publish(stage(tmp_path, "r6", [article("d6", publisher="Paper 6", run_id="r6")]), warehouse)
    assert snapshots_on_disk(warehouse) == ["r5", "r6"]
    assert list(read_articles(warehouse)["doc_id"]) == ["d1", "d2", "d3", "d4", "d5", "d6"]


def rows(table: pa.Table) -> list[tuple]:
    return sorted((row["doc_id"], row["title"], row["run_id"]) for row in table.to_pylist())


def test_a_pinned_reader_reads_its_snapshot_through_two_more_publishes(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a"), article("b", publisher="Paper B")]), warehouse)
    pinned = Path(os.path.realpath(warehouse / "_current"))
    listed = ds.dataset(pinned / "articles", format="parquet", partitioning="hive")
    load.publish(stage(tmp_path, "r2", [article("a", title="New", run_id="r2")]), warehouse)
    load.publish(stage(tmp_path, "r3", [article("c", publisher="Paper C", run_id="r3")]), warehouse)
    old = [("a", "A headline", "r1"), ("b", "A headline", "r1")]
    assert rows(listed.to_table()) == old
    assert rows(pa.Table.from_pandas(pd.read_parquet(pinned / "articles"))) == old
    assert rows(ds.dataset(warehouse / "articles", format="parquet").to_table()) == [
        ("a", "New", "r2"), ("b", "A headline", "r1"), ("c", "A headline", "r3")]


@pytest.mark.parametrize(("change", "expected"), [
    ("rewrites a partition it listed", FileNotFoundError),
    ("adds a partition beside the ones it listed", "old rows"),
    ("full refresh", FileNotFoundError),
])
def test_an_unpinned_listing_reads_the_old_rows_or_fails_never_other_rows(
        tmp_path: Path, change: str, expected: object) -> None:
    """A file name is never reused for other rows, so a name listed before a commit is the same
    file after it, or gone."""
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a"), article("b", publisher="Paper B")]), warehouse)
    listed = ds.dataset(warehouse / "articles", format="parquet", partitioning="hive")
    old = rows(listed.to_table())
    new_rows = {"rewrites a partition it listed": [article("a", title="New", run_id="r2")],
                "adds a partition beside the ones it listed": [article("c", publisher="Paper C", run_id="r2")],
                "full refresh": [article("a", run_id="r2"), article("b", publisher="Paper B", run_id="r2")]}
    load.publish(stage(tmp_path, "r2", new_rows[change]), warehouse, full_refresh=change == "full refresh")
    try:
        outcome = rows(listed.to_table())
    except FileNotFoundError:
        outcome = FileNotFoundError
    assert outcome in (old, FileNotFoundError), "an unpinned reader read rows of neither state"
    assert outcome == (old if expected == "old rows" else expected)
    fresh = rows(ds.dataset(warehouse / "articles", format="parquet").to_table())
    assert fresh != old and {row[2] for row in fresh} >= {"r2"}, "a retry reads the new state"


# Points at which a child process publishing run r2 kills itself with SIGKILL.
KILL_POINTS = {
    "after the move, before the commit": "load._commit = die",
    "after _current is replaced, before the table links": "os.replace = replace_then_die",
    "after the commit, before the results are kept": "load._keep_results = die",
}


def publish_killed(tmp_path: Path, run_id: str, articles: list[dict], point: str) -> None:
    """Publish one checkpoint of `articles` (with a GX result and Data Docs) in a child that
    is SIGKILLed at `point`: the state on disk is what a real kill there leaves."""
    checkpoint_of(tmp_path, f"k-{run_id}", articles)
    docs = tmp_path / "staging" / run_id / "docs"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html>docs</html>", encoding="utf-8")
    script = f"""
import os, signal
from pathlib import Path
from pressline import load

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

real_replace = os.replace

def replace_then_die(source, target, *args, **kwargs):
    real_replace(source, target, *args, **kwargs)
    if Path(target).name == load.CURRENT:
        die()

{KILL_POINTS[point]}
root = Path({str(tmp_path)!r})
staging = load.RunStaging(root / "staging", {run_id!r}, [load.BatchCheckpoint(root / "staging", "k-{run_id}")])
load.publish(staging, root / "warehouse")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_publish_killed_after_its_move_is_rolled_back(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)
    publish_killed(tmp_path, "r2", [article("b", run_id="r2")], "after the move, before the commit")
    assert snapshots_on_disk(warehouse) == ["r1", "r2"] and list(read_articles(warehouse)["doc_id"]) == ["a"]
    assert load.recover(tmp_path / "staging", warehouse) == ["r2", "r2"]  # its staging folder, its snapshot
    assert snapshots_on_disk(warehouse) == ["r1"] and not (warehouse / load.VALIDATION_DIR / "r2").exists()
    assert list(read_articles(warehouse)["doc_id"]) == ["a"]


def test_a_first_commit_killed_before_its_table_links_is_finished_by_recover(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    publish_killed(tmp_path, "r1", [article("a")], "after _current is replaced, before the table links")
    assert (warehouse / "_current").is_symlink() and not (warehouse / "articles").exists()
    assert load.recover(tmp_path / "staging", warehouse) == ["r1 (committed; its results kept)"]
    assert list(read_articles(warehouse)["doc_id"]) == ["a"]
    assert all((warehouse / name).is_symlink() for name in schema.TABLES)
    assert (warehouse / load.DOCS_DIR / "r1" / "index.html").is_file()
    assert load.recover(tmp_path / "staging", warehouse) == []


def test_a_run_killed_after_its_commit_keeps_its_validation_results_and_docs(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)
    publish_killed(tmp_path, "r2", [article("b", run_id="r2")], "after the commit, before the results are kept")
    assert list(read_articles(warehouse)["doc_id"]) == ["a", "b"]
    assert not (warehouse / load.VALIDATION_DIR / "r2").exists()
    assert load.recover(tmp_path / "staging", warehouse) == ["r2 (committed; its results kept)"]
    assert [path.name for path in (warehouse / load.VALIDATION_DIR / "r2").iterdir()] == ["batch-000000.json"]
    assert (warehouse / load.DOCS_DIR / "r2" / "index.html").read_text(encoding="utf-8") == "<html>docs</html>"
    assert not (tmp_path / "staging" / "r2").exists() and snapshots_on_disk(warehouse) == ["r1", "r2"]


def test_recover_keeps_committed_snapshots_whatever_their_names(tmp_path: Path) -> None:
    """A run that waited for the lock commits after a run that started later: its id sorts
    first, but the snapshot it replaced is committed, not a leftover."""
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r2", [article("a", run_id="r2")]), warehouse)
    load.publish(stage(tmp_path, "r1", [article("b", run_id="r1")]), warehouse)
    assert load.committed_snapshots(warehouse) == ["r1", "r2"]
    assert load.recover(tmp_path / "staging", warehouse) == []
    assert snapshots_on_disk(warehouse) == ["r1", "r2"]


def test_recover_drops_staging_of_dead_runs(tmp_path: Path) -> None:
    staging = stage(tmp_path, "r1", [article("a")])
    assert load.recover(staging.root, tmp_path / "warehouse") == ["r1"]
    assert not staging.directory.exists()


def checkpoint_of(tmp_path: Path, key: str, articles: list[dict]) -> load.BatchCheckpoint:
    checkpoint = load.BatchCheckpoint(tmp_path / "staging", key)
    checkpoint.write({"articles": pa.Table.from_pylist(articles, schema=schema.ARTICLES)}, {"results": []},
                     {"rows": {"articles": len(articles)}})
    return checkpoint


def test_a_checkpoint_is_whole_or_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = checkpoint_of(tmp_path, "k1", [article("a")])
    assert checkpoint.done() and checkpoint.summary() == {"rows": {"articles": 1}}

    def killed(*args, **kwargs):
        raise OSError("killed mid-write")

    monkeypatch.setattr(load.os, "rename", killed)
    with pytest.raises(OSError):
        checkpoint_of(tmp_path, "k2", [article("b")])
    assert not load.BatchCheckpoint(tmp_path / "staging", "k2").done()
    assert sorted(path.name for path in (tmp_path / "staging" / load.CHECKPOINTS).iterdir()) == ["k1"]


def test_recover_keeps_finished_checkpoints_and_drops_partial_ones(tmp_path: Path) -> None:
    checkpoint_of(tmp_path, "k1", [article("a")])
    partial = tmp_path / "staging" / load.CHECKPOINTS / f"k2{load.PARTIAL_SUFFIX}1234"
    partial.mkdir()
    stage(tmp_path, "r1", [article("b")])
    assert load.recover(tmp_path / "staging", tmp_path / "warehouse") == ["r1", partial.name]
    assert sorted(path.name for path in (tmp_path / "staging" / load.CHECKPOINTS).iterdir()) == ["k1"]


def test_publishing_checkpoints_stamps_the_run_and_clears_them(tmp_path: Path) -> None:
    staging = load.RunStaging(tmp_path / "staging", "r2",
                              [checkpoint_of(tmp_path, "k1", [article("a", run_id="r-failed")]),
                               checkpoint_of(tmp_path, "k2", [article("b", run_id="r-failed")])])
    load.publish(staging, tmp_path / "warehouse")
    frame = read_articles(tmp_path / "warehouse")
    assert list(frame["doc_id"]) == ["a", "b"] and set(frame["run_id"]) == {"r2"}
    assert len(list((tmp_path / "warehouse" / load.VALIDATION_DIR / "r2").glob("*.json"))) == 2
    assert not (tmp_path / "staging" / load.CHECKPOINTS).exists()


def test_partition_dataset_reads_typed_with_pyarrow(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)
    table = ds.dataset(warehouse / "articles", format="parquet", partitioning="hive").to_table()
    assert table.schema.field("published_date").type == pa.date32()
    assert table.schema.field("authors").type == pa.list_(pa.string())


@given(st.text(max_size=80))
def test_slugify_never_makes_a_path(value: str) -> None:
    slug = load.slugify(value)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)


def test_slugify_hostile_values() -> None:
    assert load.slugify("../../etc") == "etc"
    assert load.slugify("publisher=x/year=1") == "publisher-x-year-1"
    assert load.slugify("") == "unknown"


def test_small_batches_of_a_partition_are_compacted_into_one_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    for number in range(1, 4):
        load.publish(stage(tmp_path, f"r{number}", [article(f"d{number}", run_id=f"r{number}")]), warehouse)
    files = list((warehouse / "articles").rglob("*.parquet"))
    assert [path.name for path in files] == ["r3-0.parquet"]
    assert list(read_articles(warehouse)["doc_id"]) == ["d1", "d2", "d3"]


def test_reloading_a_file_drops_records_it_no_longer_yields(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    first = [article("a#1"), article("a#2")]
    for row in first:
        row["source_path"] = "a.jsonl"
    load.publish(stage(tmp_path, "r1", first), warehouse)
    again = article("a#1", title="Changed", run_id="r2")
    again["source_path"] = "a.jsonl"
    load.publish(stage(tmp_path, "r2", [again]), warehouse)
    frame = read_articles(warehouse)
    assert list(frame["doc_id"]) == ["a#1"] and list(frame["title"]) == ["Changed"]


def test_files_carry_schema_and_pressline_versions(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)
    for path in (warehouse / "_current").rglob("*.parquet"):
        metadata = pq.read_schema(path).metadata
        assert metadata[b"pressline_schema_version"] == str(schema.SCHEMA_VERSION).encode()
        assert metadata[b"pressline_version"]


def test_a_warehouse_written_by_schema_v1_is_migrated(tmp_path: Path) -> None:
    """v1 had no duplicate_of column and no version metadata; its files are lifted on the next publish."""
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("old", publisher="Old Paper")]), warehouse)
    v1_schema = pa.schema([field for field in schema.ARTICLES if field.name != "duplicate_of"])
    for path in (warehouse / "_current" / "articles").rglob("r1-*.parquet"):
        table = pq.read_table(path, partitioning=None).select(v1_schema.names).replace_schema_metadata(None)
        path.unlink()
        pq.write_table(table, path)
    load.publish(stage(tmp_path, "r2", [article("new", run_id="r2")]), warehouse)
    frame = read_articles(warehouse)
    assert list(frame["doc_id"]) == ["new", "old"]
    assert frame["duplicate_of"].isna().all()
    for path in (warehouse / "_current" / "articles").rglob("*.parquet"):
        assert schema.file_version(pq.read_schema(path)) == schema.SCHEMA_VERSION


def test_publishing_streams_so_memory_does_not_grow_with_the_run(tmp_path: Path) -> None:
    """40 MB of staged article text is published without holding it all in Arrow's memory at once.

    Publishing holds at most load.PUBLISH_BUFFER_BYTES (16 MB) of rows, spilling the rest, plus a row
    group: it peaks near 17 MB here; loading every staged table first, as publishing once did, peaked
    at 96 MB."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        from datetime import date
        from pathlib import Path
        import pyarrow as pa
        from pressline import load, schema
        from tests.test_load import article

        root = Path({str(tmp_path)!r})
        checkpoints = []
        for batch in range(20):
            rows = [article(f"b{{batch:02d}}-{{row:03d}}", publisher=("A", "B")[row % 2],
                            day=date(2015, 1 + row % 3, 1)) | {{"body": "word " * 800}} for row in range(500)]
            checkpoint = load.BatchCheckpoint(root / "staging", f"k{{batch}}")
            checkpoint.write({{"articles": pa.Table.from_pylist(rows, schema=schema.ARTICLES)}}, {{}}, {{}})
            checkpoints.append(checkpoint)
        pool = pa.default_memory_pool()
        before = pool.max_memory()
        load.publish(load.RunStaging(root / "staging", "r1", checkpoints), root / "warehouse")
        print(pool.max_memory() - before)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    staged_bytes = 20 * 500 * 4000
    assert int(done.stdout.split()[-1]) < staged_bytes * 0.75
    assert len(read_articles(tmp_path / "warehouse")) == 10_000


def test_publishing_does_not_turn_every_removed_line_into_python_objects(tmp_path: Path) -> None:
    """400,000 removed lines of 2,000 documents: the run's replaced ids are gathered file by file as
    distinct values (the old whole-column to_pylist took 30 MB of Python strings here)."""
    import tracemalloc

    checkpoints = []
    for batch in range(20):
        doc_ids = [f"batch{batch:02d}-document-{row:04d}" for row in range(100)]
        removed = pa.table({"doc_id": [doc_id for doc_id in doc_ids for _ in range(200)],
                            "line_no": pa.array(list(range(1, 201)) * 100, pa.int32()),
                            "text": ["Share this story"] * 20_000, "reason": ["share_widget"] * 20_000,
                            "run_id": ["r1"] * 20_000}, schema=schema.REMOVED_LINES)
        articles = pa.Table.from_pylist([article(doc_id) for doc_id in doc_ids], schema=schema.ARTICLES)
        checkpoint = load.BatchCheckpoint(tmp_path / "staging", f"k{batch}")
        checkpoint.write({"articles": articles, "removed_lines": removed}, {}, {})
        checkpoints.append(checkpoint)
    tracemalloc.start()
    load.publish(load.RunStaging(tmp_path / "staging", "r1", checkpoints), tmp_path / "warehouse")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10_000_000
    removed_lines = ds.dataset(tmp_path / "warehouse" / "_current" / "removed_lines", format="parquet")
    assert removed_lines.count_rows() == 400_000


V2_WAREHOUSES = sorted((ROOT / "tests" / "data").glob("warehouse-v2-*"))
# The column a table's rows are told apart by, to find each old row after the migration.
ROW_KEYS = {"removed_lines": ("doc_id", "line_no"), "runs": ("run_id",), "inputs": ("source_path",)}


def rows_by_key(snapshot: Path, name: str) -> dict[tuple, dict]:
    """Every row of a table's files in a snapshot, as stored (no hive keys), by the table's row key."""
    rows = {}
    for path in sorted((snapshot / name).rglob("*.parquet")):
        for row in pq.read_table(path, partitioning=None).to_pylist():
            rows[tuple(row[key] for key in ROW_KEYS.get(name, ("doc_id",)))] = row
    return rows


@pytest.mark.parametrize("fixture", V2_WAREHOUSES, ids=lambda path: path.name)
def test_a_warehouse_written_by_schema_v2_is_migrated_to_the_current_version(tmp_path: Path, fixture: Path) -> None:
    """tests/data/warehouse-v2-*: written by the v2 code itself (tests/data/make_v2_warehouse.py), in the two
    shapes v2 files have (without source_record and signatures, and with them). One publish by the current
    code lifts every file to the current version (v4): source_record and the update stamp's columns null
    for the old rows, every old value kept, nothing lost."""
    from pressline import dedup

    warehouse = tmp_path / "warehouse"
    shutil.copytree(fixture, warehouse, symlinks=True)
    old_snapshot = load.current_snapshot(warehouse)
    assert {schema.file_version(pq.read_schema(path)) for path in old_snapshot.rglob("*.parquet")} == {2}
    old = {name: rows_by_key(old_snapshot, name) for name in schema.TABLES}
    assert len(old["articles"]) == 4 and old["quarantine"] and len(old["rejected"]) == 2

    staging = load.RunStaging(tmp_path / "staging", "r3")
    new = pa.Table.from_pylist([article("a-new", day=date(2015, 9, 24), run_id="r3")
                                | {"body": old["articles"][("a-china",)]["body"], "source_record": "line 1"}],
                               schema=schema.ARTICLES)
    staging.write_batch("articles", 0, new)
    staging.write_batch("signatures", 0, dedup.signatures_table(new))
    decided = dedup.resolve(load.signatures_before(warehouse, pa.array(["a-new.txt"])), staging.staged("signatures"))
    load.publish(staging, warehouse, duplicates=decided)

    current = load.current_snapshot(warehouse)
    for path in current.rglob("*.parquet"):
        file_schema = pq.read_schema(path)
        assert schema.file_version(file_schema) == schema.SCHEMA_VERSION == 4, path
        assert file_schema.names == schema.TABLES[path.relative_to(current).parts[0]].names, path
    for name in schema.TABLES:
        migrated = rows_by_key(current, name)
        for key, row in old[name].items():
            lifted = {column: row.get(column) for column in schema.TABLES[name].names}
            assert migrated.pop(key) == lifted, (name, key)
        assert set(migrated) == ({("a-new",)} if name in ("articles", "signatures") else set()), name
    # the first v2 files have no source_record column; those written from e411ee0 on hold it, null
    assert ("source_record" in old["articles"][("a-china",)]) == bool(old["signatures"])
    articles = rows_by_key(current, "articles")
    assert articles[("a-china",)]["source_record"] is None and articles[("a-new",)]["source_record"] == "line 1"
    assert all(row[column] is None for row in articles.values() for column in ("updated_at", "updated_date"))
    if old["signatures"]:  # the warehouse knew its articles' signatures: the new exact copy is found
        assert decided == {"a-new": "a-china"}
        assert old["articles"][("a-mirror",)]["duplicate_of"] == "a-china"


def staged_articles(tmp_path: Path, batches: int, rows: int, publishers: tuple[str, ...] = ("A", "B"),
                    body=lambda number: "Body text.") -> load.RunStaging:
    """A run of `batches` checkpoints of `rows` articles each, spread over the publishers' partitions."""
    checkpoints = [checkpoint_of(tmp_path, f"k{batch}", [
        article(f"b{batch:02d}-{row:04d}", publisher=publishers[row % len(publishers)])
        | {"body": body(batch * rows + row)} for row in range(rows)]) for batch in range(batches)]
    return load.RunStaging(tmp_path / "staging", "r1", checkpoints)


def article_files(warehouse: Path) -> list[Path]:
    return sorted((warehouse / "_current" / "articles").rglob("*.parquet"))


@pytest.mark.parametrize("held_bytes", [None, 40_000], ids=["held", "spilled"])
def test_row_groups_span_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held_bytes: int | None) -> None:
    """3,000 small articles in 15 staged batches over two partitions: a file and a row group each
    (with min_rows_per_group=64 a group was each batch's share of a partition: 15 groups of 100),
    the same when most rows went through spill files first."""
    if held_bytes:
        monkeypatch.setattr(load, "PUBLISH_BUFFER_BYTES", held_bytes)
        spills = []
        monkeypatch.setattr(load, "_spill", lambda path, *args, real=load._spill: spills.append(path) or real(path, *args))
    load.publish(staged_articles(tmp_path, 15, 200), tmp_path / "warehouse")
    if held_bytes:
        assert len(spills) > 5
    files = article_files(tmp_path / "warehouse")
    assert len(files) == 2
    for path in files:
        metadata = pq.read_metadata(path)
        assert (metadata.num_row_groups, metadata.num_rows) == (1, 1500)
        doc_ids = pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist()
        assert doc_ids == sorted(doc_ids)  # load order: batch by batch, row by row


def test_row_groups_are_cut_at_the_byte_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "ROW_GROUP_BYTES", 100_000)
    staging = staged_articles(tmp_path, 15, 200)
    row_bytes = staging.read(staging.files("articles")[0], "articles").nbytes / 200
    load.publish(staging, tmp_path / "warehouse")
    for path in article_files(tmp_path / "warehouse"):
        metadata = pq.read_metadata(path)
        sizes = [metadata.row_group(number).num_rows for number in range(metadata.num_row_groups)]
        assert sum(sizes) == 1500 and len(sizes) > 3
        assert sizes[-1] <= max(sizes) and max(sizes[:-1]) - min(sizes[:-1]) <= 2
        assert all(abs(size * row_bytes - 100_000) < 5_000 for size in sizes[:-1])


def test_narrow_tables_get_row_groups_of_many_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "ROW_GROUP_MAX_ROWS", 25_000)
    staging = load.RunStaging(tmp_path / "staging", "r1")
    for batch in range(10):
        staging.write_batch("removed_lines", batch, pa.table({
            "doc_id": [f"d{batch}-{row // 50}" for row in range(6_000)], "line_no": pa.array(
                [row % 50 + 1 for row in range(6_000)], pa.int32()), "text": ["Share"] * 6_000,
            "reason": ["share_widget"] * 6_000, "run_id": ["r1"] * 6_000}, schema=schema.REMOVED_LINES))
    load.publish(staging, tmp_path / "warehouse")
    (path,) = (tmp_path / "warehouse" / "_current" / "removed_lines").rglob("*.parquet")
    metadata = pq.read_metadata(path)
    assert [metadata.row_group(number).num_rows for number in range(metadata.num_row_groups)] == [25_000] * 2 + [10_000]


def test_every_file_is_zstd_compressed(tmp_path: Path) -> None:
    load.publish(staged_articles(tmp_path, 3, 100), tmp_path / "warehouse")
    load.publish(stage(tmp_path, "r2", [article("late", run_id="r2")]), tmp_path / "warehouse")
    current = tmp_path / "warehouse" / "_current"
    files = list(current.rglob("*.parquet"))
    assert {path.relative_to(current).parts[0] for path in files} == set(schema.TABLES)
    for path in files:
        metadata = pq.read_metadata(path)
        codecs = {metadata.row_group(group).column(column).compression
                  for group in range(metadata.num_row_groups) for column in range(metadata.num_columns)}
        assert codecs <= {"ZSTD"}, path


def test_files_are_cut_at_the_byte_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a 200 kB cap: several files in one partition, each holding at most 200 kB of row groups
    (the footer comes on top), all but the last near the cap, every row kept in load order."""
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 200_000)
    monkeypatch.setattr(load, "ROW_GROUP_BYTES", 30_000)
    words = [f"w{number:x}q" for number in range(4_000)]

    def body(number: int) -> str:
        rng = random.Random(number)
        return " ".join(rng.choice(words) for _ in range(150))

    load.publish(staged_articles(tmp_path, 4, 500, publishers=("A",), body=body), tmp_path / "warehouse")
    files = sorted(article_files(tmp_path / "warehouse"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    assert len(files) >= 3
    for number, path in enumerate(files):
        metadata = pq.read_metadata(path)
        data = sum(metadata.row_group(group).column(column).total_compressed_size
                   for group in range(metadata.num_row_groups) for column in range(metadata.num_columns))
        assert data <= 200_000, path
        if number < len(files) - 1:
            assert data >= 200_000 * 0.7, path
    doc_ids = [doc_id for path in files for doc_id in pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist()]
    assert doc_ids == sorted(doc_ids) and len(doc_ids) == 2000


def test_a_checkpoint_half_deleted_by_a_killed_run_is_dropped_and_can_be_written_again(tmp_path: Path) -> None:
    """An rmtree killed part-way (older versions deleted checkpoints in place) can leave a
    checkpoint without its summary.json: the batch could never be written again."""
    checkpoint_of(tmp_path, "k1", [article("a")])
    (checkpoint_of(tmp_path, "k2", [article("b")]).directory / load.CHECKPOINT_SUMMARY).unlink()
    with pytest.raises(OSError):
        checkpoint_of(tmp_path, "k2", [article("b")])
    assert load.recover(tmp_path / "staging", tmp_path / "warehouse") == ["k2"]
    assert checkpoint_of(tmp_path, "k2", [article("b")]).done()


def test_checkpoints_and_snapshots_are_renamed_away_before_they_are_deleted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill during the delete leaves a hidden leftover, never half a folder under its own name."""
    warehouse = tmp_path / "warehouse"
    load.publish(stage(tmp_path, "r1", [article("a")]), warehouse)
    load.publish(stage(tmp_path, "r2", [article("b", publisher="Paper B", run_id="r2")]), warehouse)
    age(warehouse, "r2")
    checkpoint_of(tmp_path, "k1", [article("c", run_id="r3")])
    monkeypatch.setattr(load.shutil, "rmtree", lambda *args, **kwargs: None)  # killed before deleting a file
    load.publish(stage(tmp_path, "r3", [article("d", publisher="Paper D", run_id="r3")]), warehouse)
    monkeypatch.undo()
    assert not (tmp_path / "staging" / load.CHECKPOINTS).exists()
    assert [name for name in snapshots_on_disk(warehouse) if not name.startswith(".")] == ["r2", "r3"]
    assert load.committed_snapshots(warehouse) == ["r3", "r2"]
    dropped = load.recover(tmp_path / "staging", warehouse)
    assert any(name.startswith(f"._batches{load.DELETING_SUFFIX}") for name in dropped), dropped
    assert any(name.startswith(f".r1{load.DELETING_SUFFIX}") for name in dropped), dropped
    assert snapshots_on_disk(warehouse) == ["r2", "r3"] and not any((tmp_path / "staging").iterdir())


def test_the_input_plan_keeps_changed_files_in_order_with_their_fingerprints(tmp_path: Path) -> None:
    from pressline.ingest import Source, discover

    raw = tmp_path / "raw"
    (raw / "site").mkdir(parents=True)
    for name, text in [("b.txt", "bee"), ("a.txt", "ay"), ("site/c.txt", "sea"), ("touched.txt", "same")]:
        (raw / name).write_text(text, encoding="utf-8")
    sources = discover(raw) + [Source(str(raw / "gone-\udcff.txt"), "gone-%FF.txt", "the file vanished")]
    touched = load.fingerprint(raw / "touched.txt")
    os.utime(raw / "touched.txt", ns=(touched.mtime_ns + 10**9, touched.mtime_ns + 10**9))
    loaded = {"a.txt": load.fingerprint(raw / "a.txt"), "touched.txt": touched}
    plan = load.changed_sources(sources, loaded)
    expected = [source for source in sources if source.relative_path not in loaded]
    assert len(plan) == 3 and plan.sources(0, 3) == expected
    assert plan.sources(1, 3) == expected[1:]
    assert plan.fingerprints(0, 3) == {source.relative_path: load.fingerprint(source.path) for source in expected}
    assert plan.fingerprints(2, 3) == {"gone-%FF.txt": load.Fingerprint(0, 0, None)}
    assert plan.source_paths().to_pylist() == ["b.txt", "site/c.txt", "gone-%FF.txt"]
    manifest = plan.inputs_table("r1")
    assert manifest.schema == schema.INPUTS
    assert manifest.column("source_path").to_pylist() == ["b.txt", "gone-%FF.txt", "site/c.txt"]
    assert manifest.to_pylist()[0] == {"source_path": "b.txt", "size_bytes": 3, "run_id": "r1",
                                       "mtime_ns": (raw / "b.txt").stat().st_mtime_ns,
                                       "sha256": load.fingerprint(raw / "b.txt").sha256}
    assert len(load.changed_sources([], {})) == 0 and load.changed_sources([], {}).inputs_table("r").num_rows == 0
