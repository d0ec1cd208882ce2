"""Write batches to staging, then publish them into the warehouse as one atomic snapshot.

A run only ever writes under `staging/`: each batch into a checkpoint folder
(`staging/_batches/<key>/`, kept across a failure so a re-run resumes), the rest under
`staging/<run_id>/`. Publishing builds the complete next state of every table there (hard
links to the unchanged files of the current snapshot, new files for the run's rows, rewrites
of files that held re-processed doc_ids), moves it to `warehouse/_snapshots/<run_id>/`, and
commits by atomically replacing the symlink `warehouse/_current`; only then are the run's GX
results and Data Docs moved from its staging folder beside the tables.

Readers: the table paths (`warehouse/articles`, ...) are fixed symlinks through `_current`,
so every path is resolved again each time a reader opens it. A reader that lists and reads
between two commits sees that one state. A reader whose listing and reading span a commit
sees the old rows, the new rows, or a FileNotFoundError (a file name is never reused for
other rows, so a name it listed is either the same file or gone; a retry reads the new
state), and a recursive listing that itself spans a commit can combine partitions of both
states. To read exactly one state, pin it: resolve `warehouse/_current` once
(`os.path.realpath`, or `current_snapshot`) and read `<snapshot>/<table>`. A pinned snapshot
stays on disk while it is among the newest RETAIN_SNAPSHOTS committed ones or was current
less than RETAIN_SECONDS ago (`prune_snapshots`).

Recovery (`recover`, at the start of every run): the staging folder of a run is its journal.
If `_current` names that run, the run was killed after its commit and recovery finishes it
(keeps its results, re-creates missing table links); otherwise the commit never happened and
its snapshot is deleted. Every snapshot not on the committed chain (`committed_snapshots`:
`_current`, then the snapshot each one replaced) is an uncommitted leftover and goes too.
Folders are deleted by renaming them to a hidden name first (`_delete`), so a kill during a
delete never leaves half a checkpoint or snapshot under its own name.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import time
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pressline import __version__, schema
from pressline.ingest import Source

EMPTY_FILE = "part-empty.parquet"
SNAPSHOTS = "_snapshots"
CURRENT = "_current"
SNAPSHOT_INFO = "_snapshot.json"
VALIDATION_DIR = "_validation"
DOCS_DIR = "_docs"
# A run's GX results and Data Docs: the folder under `staging/<run_id>/` -> where they are kept.
STAGED_RESULTS = {"validation": VALIDATION_DIR, "docs": DOCS_DIR}
# Finished batches waiting to be published, under the staging root; see BatchCheckpoint.
CHECKPOINTS = "_batches"
CHECKPOINT_SUMMARY = "summary.json"
PARTIAL_SUFFIX = ".partial-"
# A folder being deleted is first renamed to a hidden `.<name>.deleting-<id>` (see _delete).
DELETING_SUFFIX = ".deleting-"
# A touched partition's files below this size are merged into one; larger ones are kept.
COMPACT_BELOW_BYTES = 128 * 1024 * 1024
# A file is closed before its next row group would take its row groups past this many bytes on disk
# (the group's compressed size estimated from the groups written so far; the footer comes on top):
# files of 128-256 MB at scale, one file for a partition under that.
MAX_FILE_BYTES = 256 * 1024 * 1024
# A row group holds about this much Arrow data (uncompressed; some 13,000 articles of 5 KB) or at
# most ROW_GROUP_MAX_ROWS rows (narrow tables such as removed_lines), and the file's last group what
# is left: groups sized for scans, whatever the size of the batches the rows came in.
ROW_GROUP_BYTES = 64 * 1024 * 1024
ROW_GROUP_MAX_ROWS = 1_000_000
# Rows of the partitioned tables arrive in load order, every batch spread over many partitions.
# They are held per partition up to this many bytes in all; past it, what is held is spilled into an
# uncompressed Arrow IPC file in staging (partition by partition) and the next rows are held. At the
# end each partition is written on its own from its spilled and held rows, one row group at a time:
# memory is this buffer plus a row group, whatever the size of the run.
PUBLISH_BUFFER_BYTES = 16 * 1024 * 1024
# Snapshots kept for readers that pinned one: the newest RETAIN_SNAPSHOTS committed ones, and
# every one that was still current less than RETAIN_SECONDS ago; older ones are pruned only
# when they are beyond both.
RETAIN_SNAPSHOTS = 2
RETAIN_SECONDS = 30 * 60
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
class BatchCheckpoint:
    """A processed batch's tables and validation result, kept until a run publishes them.

    Named by the batch's key (a hash of its inputs, options and code), so a run that
    re-does the work of a failed one finds the batches that were finished and resumes
    instead of redoing them. Written into a temp folder renamed into place when complete:
    the folder exists only when the whole batch does.
    """

    root: Path
    key: str

    @property
    def directory(self) -> Path:
        return self.root / CHECKPOINTS / self.key

    def done(self) -> bool:
        return (self.directory / CHECKPOINT_SUMMARY).is_file()

    def summary(self) -> dict:
        return json.loads((self.directory / CHECKPOINT_SUMMARY).read_text(encoding="utf-8"))

    def write(self, tables: dict[str, pa.Table], validation: dict, summary: dict) -> None:
        partial = self.root / CHECKPOINTS / f"{self.key}{PARTIAL_SUFFIX}{uuid.uuid4().hex[:8]}"
        partial.mkdir(parents=True)
        try:
            for name, table in tables.items():
                if table.num_rows:
                    pq.write_table(table.cast(schema.TABLES[name]), partial / f"{name}.parquet", compression="zstd")
            (partial / "validation.json").write_text(json.dumps(validation, default=str), encoding="utf-8")
            (partial / CHECKPOINT_SUMMARY).write_text(json.dumps(summary), encoding="utf-8")
            try:
                os.rename(partial, self.directory)
            except OSError:
                if not self.done():  # another worker finishing the same batch first is fine
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)


@dataclass(slots=True)
class RunStaging:
    """The staging area of one run: its own folder plus the batch checkpoints it publishes."""

    root: Path
    run_id: str
    checkpoints: list[BatchCheckpoint] = field(default_factory=list)

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

    def discard(self) -> None:
        """Remove this run's own folder; finished batch checkpoints stay for a run that resumes."""
        shutil.rmtree(self.directory, ignore_errors=True)

    def discard_checkpoints(self) -> None:
        """After a publish every checkpoint is either published or stale (its inputs changed)."""
        _delete(self.root / CHECKPOINTS)

    def validation_results(self) -> list[dict]:
        """GX results of the run's batches, in batch order."""
        return [json.loads((checkpoint.directory / "validation.json").read_text(encoding="utf-8"))
                for checkpoint in self.checkpoints]

    def files(self, table_name: str) -> list[Path]:
        """The staged files of one table: the checkpoints' in batch order, then the run's own."""
        files = [checkpoint.directory / f"{table_name}.parquet" for checkpoint in self.checkpoints]
        files = [path for path in files if path.is_file()]
        return files + sorted((self.directory / "batches" / table_name).glob("*.parquet"))

    def read(self, path: Path, table_name: str) -> pa.Table:
        """One staged file, stamped with this run's id (a checkpoint may come from a failed run)."""
        table = pq.read_table(path, schema=schema.TABLES[table_name])
        if "run_id" in table.column_names:
            index = table.schema.get_field_index("run_id")
            table = table.set_column(index, table.schema.field(index),
                                     pa.array([self.run_id] * table.num_rows, pa.string()))
        return table

    def staged(self, table_name: str, columns: list[str] | None = None) -> pa.Table:
        """Everything staged for one table (or some of its columns): for the small tables and columns."""
        files = self.files(table_name)
        if not files:
            table = schema.TABLES[table_name].empty_table()
            return table.select(columns) if columns else table
        return ds.dataset([str(path) for path in files], schema=schema.TABLES[table_name],
                          format="parquet").to_table(columns=columns)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the manifest remembers of an input file, to skip it when it has not changed."""

    size_bytes: int
    mtime_ns: int
    sha256: str | None


def fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """Size, mtime and content hash; a symlink or unreadable file is never read here."""
    try:
        status = os.lstat(path)
    except OSError:
        return Fingerprint(0, 0, None)
    if not stat.S_ISREG(status.st_mode):
        return Fingerprint(status.st_size, status.st_mtime_ns, None)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return Fingerprint(status.st_size, status.st_mtime_ns, None)
    return Fingerprint(status.st_size, status.st_mtime_ns, digest.hexdigest())


def loaded_inputs(warehouse: Path) -> dict[str, Fingerprint]:
    """The manifest of the current snapshot: every input file loaded so far, as last loaded."""
    current = current_snapshot(warehouse)
    if current is None or not (current / "inputs").exists():
        return {}
    table = ds.dataset(current / "inputs", format="parquet").to_table()
    return {
        row["source_path"]: Fingerprint(row["size_bytes"], row["mtime_ns"], row["sha256"])
        for row in table.to_pylist()
    }


@dataclass(frozen=True, slots=True)
class InputPlan:
    """The inputs a run (re)loads, with their fingerprints, as Arrow columns in discovery order.

    Why columns: the flow's process holds the plan through the whole run, and at 100,000 inputs
    a Source and a Fingerprint object each (with their strings) took about 130 MB of it, growing
    with the crawl; the columns take about 20 MB. A batch's Sources are made when it is submitted.
    """

    table: pa.Table

    # `path` is the name `os` opens, as bytes: it may hold bytes no encoding decodes (`Source`).
    COLUMNS = pa.schema([("path", pa.binary()), ("source_path", pa.string()), ("problem", pa.string()),
                         ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()), ("sha256", pa.string())])

    def __len__(self) -> int:
        return self.table.num_rows

    def _rows(self, start: int, stop: int, names: tuple[str, ...]) -> Iterator[tuple]:
        part = self.table.slice(start, stop - start)
        return zip(*(part.column(name).to_pylist() for name in names))

    def sources(self, start: int, stop: int) -> list[Source]:
        return [Source(os.fsdecode(path), *rest)
                for path, *rest in self._rows(start, stop, ("path", "source_path", "problem"))]

    def fingerprints(self, start: int, stop: int) -> dict[str, Fingerprint]:
        return {path: Fingerprint(*values) for path, *values
                in self._rows(start, stop, ("source_path", "size_bytes", "mtime_ns", "sha256"))}

    def source_paths(self) -> pa.Array:
        return self.table.column("source_path").combine_chunks()

    def inputs_table(self, run_id: str) -> pa.Table:
        """The manifest rows of this run's inputs, sorted by path."""
        rows = self.table.select(["source_path", "size_bytes", "mtime_ns", "sha256"]).sort_by("source_path")
        return rows.append_column("run_id", pa.array([run_id] * rows.num_rows, pa.string())).cast(schema.INPUTS)


def changed_sources(sources: Iterable[Source], loaded: dict[str, Fingerprint]) -> InputPlan:
    """The sources to (re)load, with their fingerprints; unchanged ones are skipped without reading.

    Same size and mtime as loaded: unchanged. Otherwise the content hash decides, so a file
    that was only touched is skipped too, and a file changed in place is re-loaded.
    """
    columns: dict[str, list] = {name: [] for name in InputPlan.COLUMNS.names}
    for source in sources:
        known = loaded.get(source.relative_path)
        try:
            status = os.lstat(source.path)
        except OSError:
            status = None
        if known and status and (status.st_size, status.st_mtime_ns) == (known.size_bytes, known.mtime_ns):
            continue
        current = fingerprint(source.path)
        if known and current.sha256 is not None and current.sha256 == known.sha256:
            continue
        for name, value in zip(InputPlan.COLUMNS.names, (os.fsencode(source.path), source.relative_path, source.problem,
                                                          current.size_bytes, current.mtime_ns, current.sha256)):
            columns[name].append(value)
    return InputPlan(pa.table(columns, schema=InputPlan.COLUMNS))


@dataclass(frozen=True, slots=True)
class PublishResult:
    snapshot: str
    rows: dict[str, int]
    files_written: int
    files_linked: int


def current_snapshot(warehouse: Path) -> Path | None:
    link = warehouse / CURRENT
    return link.resolve() if link.is_symlink() else None


def publish(staging: RunStaging, warehouse: Path, *, full_refresh: bool = False,
            duplicates: dict[str, str | None] | None = None, retain: int = RETAIN_SNAPSHOTS,
            retain_seconds: float = RETAIN_SECONDS) -> PublishResult:
    """Make the staged run the warehouse's new state.

    Rows from re-loaded input files replace all earlier rows from those files. Every
    partition the run touches is rewritten into one file (compacting earlier small batches);
    partitions it does not touch are shared with the previous snapshot by hard link.
    `full_refresh` starts from an empty warehouse instead of the current snapshot.
    `duplicates` sets duplicate_of of the articles it names, staged or already published.
    An error before the commit removes the new snapshot and leaves the warehouse as it was.
    """
    current = current_snapshot(warehouse)
    previous = None if full_refresh else current
    snapshot = staging.directory / "snapshot"
    replaced_paths = _staged_values(staging, "source_path")
    replaced_ids = _distinct([_staged_values(staging, "doc_id"), doc_ids_of(previous, replaced_paths)])
    written = linked = 0
    rows = {}
    for name in schema.TABLES:
        key, dropped = ("doc_id", replaced_ids) if name in schema.KEYED_BY_DOC_ID else ("source_path", replaced_paths)
        if name not in schema.DOCUMENT_TABLES:
            dropped = pa.array([], pa.string())
        patch = (duplicates or {}) if name in schema.DEDUPLICATED_TABLES else {}
        new_files = staging.files(name)
        base = current if name == "runs" else previous  # the run history survives a full refresh
        rewrite, link = _plan_partitions(name, base, _partitions_of(name, new_files), key, dropped, patch)
        table_dir = snapshot / name
        for path in link:
            _link_or_copy(path, table_dir / path.relative_to(base / name))
        pieces = _rows_to_write(name, staging, rewrite, new_files, key, dropped, patch)
        rows[name] = sum(pq.read_metadata(path).num_rows for path in new_files)
        files = _write_rows(name, pieces, table_dir, staging.run_id)
        written, linked = written + files, linked + len(link)
        table_dir.mkdir(parents=True, exist_ok=True)
        if not _data_files(table_dir):
            _write_file(schema.TABLES[name].empty_table(), table_dir / EMPTY_FILE)
    # `parent` is the snapshot the tables were built from (none on a full refresh), `previous` the
    # one this commit replaces: the chain committed_snapshots() follows.
    (snapshot / SNAPSHOT_INFO).write_text(json.dumps(
        {"run_id": staging.run_id, "parent": previous.name if previous else None,
         "previous": current.name if current else None, "staged_rows": rows,
         "schema_version": schema.SCHEMA_VERSION, "pressline_version": __version__}), encoding="utf-8")
    _stage_results(staging)

    target = warehouse / SNAPSHOTS / staging.run_id
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _move(snapshot, target)
        _commit(warehouse, target)
    except BaseException:
        if getattr(current_snapshot(warehouse), "name", None) != target.name:
            _delete(target)  # never committed: nothing of it stays
        raise
    _keep_results(staging.directory, warehouse)
    staging.discard()
    staging.discard_checkpoints()
    prune_snapshots(warehouse, retain, retain_seconds)
    return PublishResult(staging.run_id, rows, written, linked)


def signatures_before(warehouse: Path, replaced_paths: pa.Array) -> pa.Table:
    """Published signatures, less those of the documents this run re-loads (from `replaced_paths`)."""
    current = current_snapshot(warehouse)
    if current is None or not _data_files(current / "signatures"):
        return schema.SIGNATURES.empty_table()
    table = schema.conform(ds.dataset(current / "signatures", format="parquet").to_table(), "signatures")
    gone = doc_ids_of(current, replaced_paths)
    return table.filter(pc.invert(pc.is_in(table.column("doc_id"), value_set=gone)))


def _staged_values(staging: RunStaging, column: str) -> pa.Array:
    """The distinct values of a column over the staged document tables, read one file at a time and
    kept as Arrow strings: the removed_lines table holds a row per removed line (4.8 million at 100,000
    dumps), and a Python set of a run's doc_ids grew the publishing process by a megabyte per
    thousand documents."""
    return _distinct([pc.unique(pq.read_table(path, columns=[column]).column(column).combine_chunks())
                      for name in schema.DOCUMENT_TABLES if column in schema.TABLES[name].names
                      for path in staging.files(name)])


def _distinct(arrays: list[pa.Array]) -> pa.Array:
    return pc.unique(pa.chunked_array(arrays, pa.string()))


def doc_ids_of(previous: Path | None, source_paths: pa.Array) -> pa.Array:
    """doc_ids a snapshot holds for the given input files (a re-loaded file may now yield fewer records)."""
    if previous is None or not len(source_paths):
        return pa.array([], pa.string())
    found = []
    for name in ("articles", "quarantine", "rejected"):
        for path in _data_files(previous / name):
            table = pq.read_table(path, columns=["doc_id", "source_path"])
            found.append(table.filter(pc.is_in(table.column("source_path"), value_set=source_paths))
                         .column("doc_id").combine_chunks())
    return _distinct(found)


def _partitions_of(name: str, files: list[Path]) -> set[str]:
    """The hive partition directories new rows go to ('' for a flat table), from the key columns only."""
    keys = schema.PARTITION_KEYS.get(name)
    if not keys:
        return {""} if any(pq.read_metadata(path).num_rows for path in files) else set()
    found: set[str] = set()
    for path in files:
        keyed = with_partition_keys(pq.read_table(path, columns=["publisher", "published_date"]))
        found.update("/".join(f"{key}={value}" for key, value in zip(keys, values))
                     for values in zip(*(keyed.column(key).to_pylist() for key in keys)))
    return found


def _files_by_partition(table_dir: Path) -> dict[str, list[Path]]:
    parts: dict[str, list[Path]] = {}
    for path in _data_files(table_dir):
        if path.name != EMPTY_FILE:
            relative = path.parent.relative_to(table_dir).as_posix()
            parts.setdefault("" if relative == "." else relative, []).append(path)
    return parts


def _apply_duplicates(table: pa.Table, patch: dict[str, str | None]) -> pa.Table:
    """The table with duplicate_of set for the doc_ids in `patch`."""
    if not patch or table.num_rows == 0:
        return table
    doc_ids = table.column("doc_id").to_pylist()
    if not any(doc_id in patch for doc_id in doc_ids):
        return table
    values = [patch[doc_id] if doc_id in patch else old
              for doc_id, old in zip(doc_ids, table.column("duplicate_of").to_pylist())]
    index = table.schema.get_field_index("duplicate_of")
    return table.set_column(index, table.schema.field(index), pa.array(values, pa.string()))


def _holds_any(path: Path, column: str, values: pa.Array) -> bool:
    return len(values) > 0 and pc.any(pc.is_in(pq.read_table(path, columns=[column]).column(column),
                                               value_set=values)).as_py()


def _plan_partitions(name: str, base: Path | None, touched: set[str], key: str, dropped: pa.Array,
                     patch: dict[str, str | None]) -> tuple[list[Path], list[Path]]:
    """Which published files of a table are rewritten into the next snapshot, and which are linked.

    A file is rewritten when it holds rows the run replaces or re-flags, was written by an
    older schema, or is small and in a partition the run adds rows to (compaction).
    """
    patched_array = pa.array(sorted(patch), pa.string())
    rewrite, link = [], []
    for partition, files in (_files_by_partition(base / name) if base else {}).items():
        for path in files:
            current = schema.file_version(pq.read_schema(path)) == schema.SCHEMA_VERSION
            changed = _holds_any(path, key, dropped) or _holds_any(path, "doc_id", patched_array)
            small = path.stat().st_size < COMPACT_BELOW_BYTES
            (rewrite if changed or not current or (partition in touched and small) else link).append(path)
    return rewrite, link


def _rows_to_write(name: str, staging: RunStaging, rewrite: list[Path], new_files: list[Path], key: str,
                   dropped: pa.Array, patch: dict[str, str | None]) -> Iterator[pa.Table]:
    """The rows of the next snapshot that are not linked: kept rows of rewritten files, then the run's."""
    for path in rewrite:
        table = _apply_duplicates(schema.conform(pq.read_table(path, partitioning=None), name), patch)
        yield table.filter(pc.invert(pc.is_in(table.column(key), value_set=dropped))) if len(dropped) else table
    for path in new_files:
        yield _apply_duplicates(staging.read(path, name), patch)


def _write_rows(name: str, pieces: Iterator[pa.Table], table_dir: Path, run_id: str) -> int:
    """Stream rows into the table's partitions, one file per partition (more past MAX_FILE_BYTES),
    row groups of ROW_GROUP_BYTES; returns the files written. Rows keep their order in each partition."""
    keys = schema.PARTITION_KEYS.get(name, [])
    file_schema = schema.with_version(schema.TABLES[name], __version__)
    ratio = _CompressionRatio()
    if not keys:
        writer = _PartitionWriter(table_dir, file_schema, run_id, ratio)
        for piece in pieces:
            for batch in piece.cast(file_schema).to_batches():
                writer.add(batch)
        return writer.close()
    spill = table_dir.parent / f".spill-{name}"
    held: dict[str, list[pa.RecordBatch]] = {}
    held_bytes = 0
    spilled: dict[str, list[tuple[int, int]]] = {}
    sources: list[pa.NativeFile] = []
    try:
        for piece in pieces:
            for partition, batch in _split_by_partition(piece.cast(file_schema), keys):
                held.setdefault(partition, []).append(batch)
                held_bytes += batch.nbytes
            if held_bytes > PUBLISH_BUFFER_BYTES:
                _spill(spill / f"{len(sources)}.arrow", held, spilled, len(sources), file_schema)
                sources.append(pa.OSFile(str(spill / f"{len(sources)}.arrow")))
                held, held_bytes = {}, 0
        readers = [pa.ipc.open_file(source) for source in sources]
        files = 0
        for partition in sorted(set(held) | set(spilled)):
            writer = _PartitionWriter(table_dir / partition, file_schema, run_id, ratio)
            for number, batch_no in spilled.get(partition, []):
                writer.add(readers[number].get_batch(batch_no))
            for batch in held.pop(partition, []):
                writer.add(batch)
            files += writer.close()
        return files
    finally:
        for source in sources:
            source.close()
        shutil.rmtree(spill, ignore_errors=True)


def _split_by_partition(table: pa.Table, keys: list[str]) -> Iterator[tuple[str, pa.RecordBatch]]:
    """The table's rows by hive partition ('publisher_key=.../year=.../month=...'), each partition's
    rows in their order, as slices of one sorted copy (so the table itself can be freed)."""
    if table.num_rows == 0:
        return
    keyed = with_partition_keys(table)
    partitions = ["/".join(f"{key}={value}" for key, value in zip(keys, values))
                  for values in zip(*(keyed.column(key).to_pylist() for key in keys))]
    order = sorted(range(len(partitions)), key=partitions.__getitem__)
    ordered = table.take(pa.array(order, pa.int64())).combine_chunks()
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or partitions[order[end]] != partitions[order[start]]:
            yield from ((partitions[order[start]], batch) for batch in ordered.slice(start, end - start).to_batches())
            start = end


def _spill(path: Path, held: dict[str, list[pa.RecordBatch]], spilled: dict[str, list[tuple[int, int]]],
           number: int, file_schema: pa.Schema) -> None:
    """Write the held rows into one IPC file, noting where each partition's batches are in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    batch_no = 0
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, file_schema) as writer:
        for partition, batches in held.items():
            for batch in batches:
                writer.write_batch(batch)
                spilled.setdefault(partition, []).append((number, batch_no))
                batch_no += 1


@dataclass(slots=True)
class _CompressionRatio:
    """Bytes on disk per byte of Arrow data, over the row groups a table's writers have written."""

    arrow_bytes: int = 0
    disk_bytes: int = 0

    def estimate(self, arrow_bytes: int) -> float:
        return arrow_bytes * (self.disk_bytes / self.arrow_bytes if self.arrow_bytes else 1.0)


class _PartitionWriter:
    """One partition's rows (or a flat table's) into Parquet files of whole row groups: a group once
    ROW_GROUP_BYTES of rows (or ROW_GROUP_MAX_ROWS) are buffered, a new file when the next group
    would take the current one past MAX_FILE_BYTES. Holds one row group's rows at a time."""

    def __init__(self, directory: Path, file_schema: pa.Schema, run_id: str, ratio: _CompressionRatio) -> None:
        self.directory, self.schema, self.run_id, self.ratio = directory, file_schema, run_id, ratio
        self.buffer: list[pa.RecordBatch] = []
        self.buffered_bytes = self.buffered_rows = self.files = 0
        self.sink: pa.NativeFile | None = None
        self.writer: pq.ParquetWriter | None = None

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        row_bytes = batch.nbytes / batch.num_rows
        start = 0
        while start < batch.num_rows:
            room = min(ROW_GROUP_MAX_ROWS - self.buffered_rows,
                       max(1, int((ROW_GROUP_BYTES - self.buffered_bytes) / max(row_bytes, 1.0))))
            part = batch.slice(start, room)
            self.buffer.append(part)
            self.buffered_rows += part.num_rows
            self.buffered_bytes += int(part.num_rows * row_bytes)
            start += part.num_rows
            if self.buffered_rows >= ROW_GROUP_MAX_ROWS or self.buffered_bytes >= ROW_GROUP_BYTES:
                self._write_group()

    def _write_group(self) -> None:
        if not self.buffer:
            return
        group = pa.Table.from_batches(self.buffer)
        if not group.schema.equals(self.schema):
            group = group.cast(self.schema)
        if self.writer is not None and self.sink.tell() + self.ratio.estimate(self.buffered_bytes) > MAX_FILE_BYTES:
            self._close_file()
        if self.writer is None:
            os.makedirs(self.directory, exist_ok=True)
            self.sink = pa.OSFile(str(self.directory / f"{self.run_id}-{self.files}.parquet"), "wb")
            self.writer = pq.ParquetWriter(self.sink, self.schema, compression="zstd")
            self.files += 1
        before = self.sink.tell()
        self.writer.write_table(group, row_group_size=group.num_rows)
        self.ratio.arrow_bytes += self.buffered_bytes
        self.ratio.disk_bytes += self.sink.tell() - before
        self.buffer, self.buffered_bytes, self.buffered_rows = [], 0, 0

    def _close_file(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.sink.close()
            self.writer = self.sink = None

    def close(self) -> int:
        """Write what is buffered as the last group and close the file; returns the files written."""
        self._write_group()
        self._close_file()
        return self.files


def _write_file(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    versioned = table.replace_schema_metadata(schema.with_version(table.schema, __version__).metadata)
    pq.write_table(versioned, target, compression="zstd", row_group_size=ROW_GROUP_MAX_ROWS)


def _data_files(table_dir: Path) -> list[Path]:
    if not table_dir.exists():
        return []
    return sorted(path for path in table_dir.rglob("*.parquet") if not path.name.startswith((".", "_")))


def _link_or_copy(source: Path, target: Path) -> None:
    """Unchanged files are shared between snapshots by hard link (a copy across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _delete(path: Path) -> None:
    """Remove a folder so that a kill part-way never leaves half of it under its own name: a
    checkpoint that lost its summary.json to an interrupted rmtree could never be written
    again, one that kept only its summary.json would publish without its rows. The folder is
    renamed to a hidden sibling first; recover() removes what is left of those."""
    doomed = path
    if DELETING_SUFFIX not in path.name:
        doomed = path.with_name(f".{path.name}{DELETING_SUFFIX}{uuid.uuid4().hex[:8]}")
        try:
            os.rename(path, doomed)
        except FileNotFoundError:
            return
    shutil.rmtree(doomed, ignore_errors=True)


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
    os.utime(snapshot)  # its mtime says when it was committed (see prune_snapshots)
    _link_tables(warehouse)


def _link_tables(warehouse: Path) -> None:
    """The fixed table paths readers use, `warehouse/<table>` -> `_current/<table>`."""
    for name in schema.TABLES:
        link = warehouse / name
        if not link.is_symlink():
            os.symlink(Path(CURRENT) / name, link)


def _stage_results(staging: RunStaging) -> None:
    """GX's results of the run's batches into its staging folder, before the commit: the batch
    checkpoints they come from are deleted after it, and a run killed in between still has them."""
    results = staging.directory / "validation"
    for number, result in enumerate(staging.validation_results()):
        results.mkdir(parents=True, exist_ok=True)
        (results / f"batch-{number:06d}.json").write_text(json.dumps(result), encoding="utf-8")


def _keep_results(run_dir: Path, warehouse: Path) -> None:
    """A committed run's GX results and Data Docs (`staging/<run_id>/validation`, `.../docs`),
    moved to `warehouse/_validation/<run_id>/` and `warehouse/_docs/<run_id>/` (outside the snapshots)."""
    for staged, kept in STAGED_RESULTS.items():
        source = run_dir / staged
        if source.exists():
            target = warehouse / kept / run_dir.name
            shutil.rmtree(target, ignore_errors=True)  # what a move killed half-way copied
            target.parent.mkdir(parents=True, exist_ok=True)
            _move(source, target)


def _snapshot_info(snapshot: Path) -> dict:
    try:
        info = json.loads((snapshot / SNAPSHOT_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def committed_snapshots(warehouse: Path) -> list[str]:
    """The committed snapshots on disk, newest first: the current one, then the one each replaced.

    Each snapshot's `_snapshot.json` names the one it replaced (`previous`); for a snapshot
    without that key (written before it existed, or half deleted) the one before it by name is
    taken. A snapshot not on this chain was never committed.
    """
    folder = warehouse / SNAPSHOTS
    names = sorted(path.name for path in folder.iterdir()
                   if path.is_dir() and not path.name.startswith(".")) if folder.is_dir() else []
    current = current_snapshot(warehouse)
    chain: list[str] = []
    name = current.name if current else None
    while name is not None and name not in chain:
        chain.append(name)
        info = _snapshot_info(folder / name)
        if "previous" in info:
            name = info["previous"] if info["previous"] in names else None
        else:
            older = [other for other in names if other < name]
            name = older[-1] if older else None
    return chain


def _committed_at(snapshot: Path) -> float:
    try:
        return snapshot.stat().st_mtime
    except OSError:
        return 0.0


def prune_snapshots(warehouse: Path, retain: int = RETAIN_SNAPSHOTS, retain_seconds: float = RETAIN_SECONDS,
                    now: float | None = None) -> list[str]:
    """Delete the committed snapshots a pinned reader can no longer be using: those beyond the
    newest `retain` that were replaced more than `retain_seconds` ago (the current one is
    always kept). A snapshot was replaced when the next one on the chain was committed."""
    folder = warehouse / SNAPSHOTS
    chain = committed_snapshots(warehouse)
    now = time.time() if now is None else now
    doomed: list[str] = []
    for position in range(max(retain, 1), len(chain)):
        if now - _committed_at(folder / chain[position - 1]) >= retain_seconds:
            doomed = chain[position:]  # the older ones were replaced earlier still
            break
    for name in doomed:
        _delete(folder / name)
    return doomed


def recover(staging_root: Path, warehouse: Path) -> list[str]:
    """Finish or roll back what killed runs left, and drop their leftovers; returns what it did.

    A run's staging folder is the journal of its publish. If `_current` names the run, it
    was killed after its commit: its GX results and Data Docs are moved beside the tables
    and its folder removed. Otherwise its folder goes, and so does every snapshot that is not
    on the committed chain (a publish killed before or during its commit). Half-written
    checkpoints go; finished ones stay, for the next run to resume from. Missing table links
    (a first commit killed before it made them) are re-created.
    """
    done = []
    current = current_snapshot(warehouse)
    if current is not None:
        _link_tables(warehouse)
    if staging_root.exists():
        for run_dir in sorted(path for path in staging_root.iterdir() if path.is_dir() and path.name != CHECKPOINTS):
            committed = current is not None and run_dir.name == current.name
            if committed:
                _keep_results(run_dir, warehouse)
            shutil.rmtree(run_dir, ignore_errors=True)
            done.append(f"{run_dir.name} (committed; its results kept)" if committed else run_dir.name)
        # A checkpoint folder holds a summary.json from the moment it has its name: one without is
        # half written (`<key>.partial-<id>`) or was left by an older version's interrupted delete.
        for unfinished in sorted(path for path in (staging_root / CHECKPOINTS).glob("*")
                                 if not (path / CHECKPOINT_SUMMARY).is_file()):
            shutil.rmtree(unfinished, ignore_errors=True)
            done.append(unfinished.name)
    folder = warehouse / SNAPSHOTS
    if folder.exists():
        committed_names = set(committed_snapshots(warehouse))
        for path in sorted(folder.iterdir()):
            if path.is_dir() and path.name not in committed_names:  # hidden `.deleting-` ones too
                _delete(path)
                done.append(path.name)
    for pending in warehouse.glob(f".{CURRENT}.*"):
        pending.unlink(missing_ok=True)
    return done
