"""Write batches to staging, then publish them into the warehouse as one atomic snapshot.

A run only ever writes under `staging/<run_id>/`. Publishing builds the complete next
state of every table there (hard links to the unchanged files of the current snapshot,
new files for the run's rows, rewrites of files that held re-processed doc_ids), moves it
to `warehouse/_snapshots/<run_id>/`, and then commits by atomically replacing the
symlink `warehouse/_current`. The table paths readers use (`warehouse/articles`, ...) are
fixed symlinks through `_current`, so a reader sees the old state or the new one, never a
mix; a run killed at any point leaves `_current` on a complete snapshot, and the next run
deletes what the dead one left behind. The previous snapshot is kept, so a reader that
listed its files just before a commit can still read them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pressline import schema

EMPTY_FILE = "part-empty.parquet"
SNAPSHOTS = "_snapshots"
CURRENT = "_current"
SNAPSHOT_INFO = "_snapshot.json"
VALIDATION_DIR = "_validation"
_SLUG_INVALID = re.compile(r"[^a-z0-9]+")


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by start time, unique across machines."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def slugify(value: str | None, max_length: int = 64) -> str:
    """A partition-safe value: lowercase ascii, digits and dashes; never a path."""
    if not value:
        return schema.UNKNOWN_PARTITION
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_INVALID.sub("-", ascii_value.lower()).strip("-")[:max_length].strip("-")
    return slug or schema.UNKNOWN_PARTITION


def with_partition_keys(table: pa.Table) -> pa.Table:
    """Add the hive keys derived from publisher and published_date (`unknown` when missing)."""
    publishers = table.column("publisher").to_pylist()
    dates = table.column("published_date").to_pylist()
    keys = {
        "publisher_key": [slugify(publisher) for publisher in publishers],
        "year": [f"{day:%Y}" if day else schema.UNKNOWN_PARTITION for day in dates],
        "month": [f"{day:%m}" if day else schema.UNKNOWN_PARTITION for day in dates],
    }
    for name, values in keys.items():
        table = table.append_column(name, pa.array(values, pa.string()))
    return table


@dataclass(frozen=True, slots=True)
class RunStaging:
    """The staging area of one run."""

    root: Path
    run_id: str

    @property
    def directory(self) -> Path:
        return self.root / self.run_id

    def write_batch(self, table_name: str, batch_no: int, table: pa.Table) -> Path | None:
        """Persist one batch of one table; written under a temp name and renamed when complete."""
        if table.num_rows == 0:
            return None
        target = self.directory / "batches" / table_name / f"batch-{batch_no:06d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        pq.write_table(table.cast(schema.TABLES[table_name]), partial, compression="zstd")
        os.replace(partial, target)
        return target

    def write_validation(self, batch_no: int, result: dict) -> None:
        """Keep GX's validation result of a batch; published under `warehouse/_validation/<run_id>/`."""
        target = self.directory / "validation" / f"batch-{batch_no:06d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, default=str), encoding="utf-8")

    def staged(self, table_name: str) -> pa.Table:
        folder = self.directory / "batches" / table_name
        target_schema = schema.TABLES[table_name]
        if not folder.exists():
            return target_schema.empty_table()
        return ds.dataset(folder, schema=target_schema, format="parquet").to_table()


@dataclass(frozen=True, slots=True)
class PublishResult:
    snapshot: str
    rows: dict[str, int]
    files_written: int
    files_linked: int


def current_snapshot(warehouse: Path) -> Path | None:
    link = warehouse / CURRENT
    return link.resolve() if link.is_symlink() else None


def publish(staging: RunStaging, warehouse: Path, retain: int = 2) -> PublishResult:
    """Make the staged run the warehouse's new state: its rows replace earlier rows of the same doc_ids."""
    previous = current_snapshot(warehouse)
    snapshot = staging.directory / "snapshot"
    staged = {name: staging.staged(name) for name in schema.TABLES}
    replaced_ids = pa.concat_arrays(
        [staged[name].column("doc_id").combine_chunks() for name in schema.DOCUMENT_TABLES]
    ).unique()
    written = linked = 0
    for name, table in staged.items():
        table_dir = snapshot / name
        table_dir.mkdir(parents=True, exist_ok=True)
        for old_file in _data_files(previous / name) if previous else []:
            relative = old_file.relative_to(previous)
            remainder = _surviving_rows(old_file, replaced_ids) if name in schema.DOCUMENT_TABLES else None
            if remainder is None:
                _link_or_copy(old_file, snapshot / relative)
                linked += 1
            elif remainder.num_rows:
                _write_file(remainder, (snapshot / relative).with_name(f"{staging.run_id}-kept-{written}.parquet"))
                written += 1
        if table.num_rows:
            written += _write_new_rows(name, table, table_dir, staging.run_id)
        data_files = [path for path in _data_files(table_dir) if path.name != EMPTY_FILE]
        if data_files:
            (table_dir / EMPTY_FILE).unlink(missing_ok=True)
        else:
            _write_file(schema.TABLES[name].empty_table(), table_dir / EMPTY_FILE)
    rows = {name: table.num_rows for name, table in staged.items()}
    (snapshot / SNAPSHOT_INFO).write_text(json.dumps(
        {"run_id": staging.run_id, "parent": previous.name if previous else None, "staged_rows": rows}),
        encoding="utf-8")

    target = warehouse / SNAPSHOTS / staging.run_id
    target.parent.mkdir(parents=True, exist_ok=True)
    _move(snapshot, target)
    _commit(warehouse, target)
    _keep_results(staging, warehouse)
    shutil.rmtree(staging.directory, ignore_errors=True)
    prune_snapshots(warehouse, retain)
    return PublishResult(staging.run_id, rows, written, linked)


def _write_new_rows(name: str, table: pa.Table, table_dir: Path, run_id: str) -> int:
    keys = schema.PARTITION_KEYS.get(name)
    if not keys:
        _write_file(table, table_dir / f"{run_id}-0.parquet")
        return 1
    before = set(table_dir.rglob("*.parquet"))
    ds.write_dataset(
        with_partition_keys(table),
        table_dir,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([(key, pa.string()) for key in keys]), flavor="hive"),
        basename_template=f"{run_id}-{{i}}.parquet",
        existing_data_behavior="overwrite_or_ignore",
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
    )
    return len(set(table_dir.rglob("*.parquet")) - before)


def _write_file(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd")


def _data_files(table_dir: Path) -> list[Path]:
    if not table_dir.exists():
        return []
    return sorted(path for path in table_dir.rglob("*.parquet") if not path.name.startswith((".", "_")))


def _surviving_rows(path: Path, doc_ids: pa.Array) -> pa.Table | None:
    """None when the file holds none of `doc_ids` (reuse it); else the rows to keep."""
    if path.name == EMPTY_FILE:
        return None
    ids = pq.read_table(path, columns=["doc_id"]).column("doc_id")
    if not pc.any(pc.is_in(ids, value_set=doc_ids)).as_py():
        return None
    table = pq.read_table(path, partitioning=None)
    return table.filter(pc.invert(pc.is_in(table.column("doc_id"), value_set=doc_ids)))


def _link_or_copy(source: Path, target: Path) -> None:
    """Unchanged files are shared between snapshots by hard link (a copy across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError:
        shutil.copytree(source, target)
        shutil.rmtree(source)


def _commit(warehouse: Path, snapshot: Path) -> None:
    """The one atomic step: point `_current` at the new snapshot, then make sure table links exist."""
    pending = warehouse / f".{CURRENT}.{snapshot.name}"
    pending.unlink(missing_ok=True)
    os.symlink(Path(SNAPSHOTS) / snapshot.name, pending)
    os.replace(pending, warehouse / CURRENT)
    for name in schema.TABLES:
        link = warehouse / name
        if not link.is_symlink():
            os.symlink(Path(CURRENT) / name, link)


def _keep_results(staging: RunStaging, warehouse: Path) -> None:
    validation_dir = staging.directory / "validation"
    if validation_dir.exists():
        target = warehouse / VALIDATION_DIR / staging.run_id
        target.parent.mkdir(parents=True, exist_ok=True)
        _move(validation_dir, target)


def prune_snapshots(warehouse: Path, retain: int = 2) -> list[str]:
    """Delete snapshots older than the newest `retain` (the current one is always kept)."""
    folder = warehouse / SNAPSHOTS
    if not folder.exists():
        return []
    current = current_snapshot(warehouse)
    snapshots = sorted(path for path in folder.iterdir() if path.is_dir())
    keep = set(snapshots[-retain:]) | ({current} if current else set())
    doomed = [path for path in snapshots if path not in keep]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return [path.name for path in doomed]


def recover(staging_root: Path, warehouse: Path) -> list[str]:
    """Drop what killed runs left: their staging dirs, and snapshots that were never committed."""
    dropped = []
    if staging_root.exists():
        for run_dir in sorted(path for path in staging_root.iterdir() if path.is_dir()):
            shutil.rmtree(run_dir, ignore_errors=True)
            dropped.append(run_dir.name)
    current = current_snapshot(warehouse)
    folder = warehouse / SNAPSHOTS
    if folder.exists():
        uncommitted = [path for path in folder.iterdir()
                       if path.is_dir() and (current is None or path.name > current.name)]
        for path in uncommitted:
            shutil.rmtree(path, ignore_errors=True)
            dropped.append(path.name)
    for pending in warehouse.glob(f".{CURRENT}.*"):
        pending.unlink(missing_ok=True)
    return dropped
