"""The pressline Prefect flow: one flow run per `pressline run`, one task run per stage and batch.

Tasks are thin: they hand a batch (hundreds of documents) to the engine in `pressline/`
and return its result, so Prefect's per-task bookkeeping stays a small share of the run.
Big in-memory objects pass between tasks, so caching by inputs is off (NO_CACHE).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from pressline import __version__, dedup, ingest, load, pipeline, schema
from pressline.lock import LockBusy, WarehouseLock
from pressline.validate import ArticleValidator

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    files_read: int
    files_unchanged: int
    articles: int
    quarantined: int
    rejected: int
    removed_lines: int
    duplicates: int
    seconds: float
    warehouse: str

    def as_dict(self) -> dict:
        return asdict(self)


@task(name="ingest", task_run_name="ingest-{batch_no}", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def ingest_task(batch_no: int, sources: list[ingest.Source], ingested_at: datetime) -> pipeline.IngestedBatch:
    return pipeline.ingest_batch(sources, ingested_at)


@task(name="clean", task_run_name="clean-{batch_no}", cache_policy=NO_CACHE)
def clean_task(batch_no: int, documents: list[ingest.Document]) -> pipeline.CleanedBatch:
    return pipeline.clean_batch(documents)


@task(name="extract", task_run_name="extract-{batch_no}", cache_policy=NO_CACHE)
def extract_task(batch_no: int, cleaned: pipeline.CleanedBatch, run_id: str) -> pipeline.ExtractedBatch:
    return pipeline.extract_batch(cleaned, run_id)


@task(name="validate", task_run_name="validate-{batch_no}", cache_policy=NO_CACHE)
def validate_task(batch_no: int, validator: ArticleValidator, articles: pa.Table,
                  now: datetime) -> tuple[pa.Table, pa.Table, dict]:
    outcome = validator.validate(articles, now)
    passed, quarantined = pipeline.split_quarantine(articles, outcome)
    return passed, quarantined, outcome.results_json


@task(name="signatures", task_run_name="signatures-{batch_no}", cache_policy=NO_CACHE)
def signatures_task(batch_no: int, articles: pa.Table) -> pa.Table:
    return dedup.signatures_table(articles)


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(staging: load.RunStaging, warehouse: Path, reloaded_paths: set[str],
               full_refresh: bool) -> dict[str, str | None]:
    """Cluster this run's articles with each other and with the published ones."""
    existing = (schema.SIGNATURES.empty_table() if full_refresh
                else load.signatures_before(warehouse, reloaded_paths, set()))
    return dedup.resolve(existing, staging.staged("signatures"))


@task(name="stage", task_run_name="stage-{batch_no}", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def stage_task(batch_no: int, staging: load.RunStaging, tables: dict[str, pa.Table], validation: dict) -> None:
    for name, table in tables.items():
        staging.write_batch(name, batch_no, table)
    staging.write_validation(batch_no, validation)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(staging: load.RunStaging, warehouse: Path, full_refresh: bool,
                 duplicates: dict[str, str | None]) -> load.PublishResult:
    return load.publish(staging, warehouse, full_refresh=full_refresh, duplicates=duplicates)


@task(name="plan", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def plan_task(raw_dir: Path, warehouse: Path, full_refresh: bool) -> tuple[list[ingest.Source], dict, int]:
    """Discover inputs and keep those not loaded before in the same version (all on a full refresh)."""
    sources = ingest.discover(raw_dir)
    loaded = {} if full_refresh else load.loaded_inputs(warehouse)
    todo, fingerprints = load.changed_sources(sources, loaded)
    return todo, fingerprints, len(sources) - len(todo)


@flow(name="pressline", flow_run_name="pressline-{raw_dir}", log_prints=False)
def pressline_flow(
    raw_dir: str = "raw",
    staging_dir: str = "staging",
    warehouse_dir: str = "warehouse",
    expectations_dir: str = "expectations",
    batch_size: int = DEFAULT_BATCH_SIZE,
    full_refresh: bool = False,
    wait_for_lock: float = 0.0,
) -> dict | State:
    """Ingest, clean, extract, validate and load every new or changed dump under `raw_dir`."""
    logger = get_run_logger()
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    run_id = load.new_run_id(started_at)
    raw, warehouse = Path(raw_dir), Path(warehouse_dir)
    lock = WarehouseLock(warehouse, wait_seconds=wait_for_lock)
    try:
        lock.acquire()
    except LockBusy as busy:
        logger.error("%s", busy)
        return Failed(message=str(busy), data=busy)
    try:
        loaded, unchanged, counts = _load_changed_inputs(
            lock, run_id, raw, warehouse, Path(staging_dir), Path(expectations_dir), batch_size, started_at,
            full_refresh)
    finally:
        lock.release()
    summary = RunSummary(
        run_id=run_id,
        files_read=loaded,
        files_unchanged=unchanged,
        articles=counts["articles"],
        quarantined=counts["quarantine"],
        rejected=counts["rejected"],
        removed_lines=counts["removed_lines"],
        duplicates=counts["duplicates"],
        seconds=round(time.perf_counter() - started, 2),
        warehouse=str(warehouse),
    )
    logger.info("Run %s finished: %s", run_id, json.dumps(summary.as_dict()))
    return summary.as_dict()


def _load_changed_inputs(lock: WarehouseLock, run_id: str, raw: Path, warehouse: Path, staging_dir: Path,
                         expectations_dir: Path, batch_size: int, started_at: datetime,
                         full_refresh: bool) -> tuple[int, int, dict[str, int]]:
    """Under the lock: recover, plan, process and publish; (files loaded, files unchanged, rows per table)."""
    logger = get_run_logger()
    if lock.took_over_stale:
        logger.warning("Took over the warehouse lock of a run that died: %s", lock.previous_holder)
    dropped = load.recover(staging_dir, warehouse)
    if dropped:
        logger.warning("Removed what interrupted runs left behind: %s", ", ".join(dropped))
    sources, fingerprints, unchanged = plan_task(raw, warehouse, full_refresh)
    logger.info("Run %s: %d input files to load, %d unchanged since loaded, batches of %d",
                run_id, len(sources), unchanged, batch_size)
    counts = {"articles": 0, "quarantine": 0, "rejected": 0, "removed_lines": 0, "signatures": 0, "duplicates": 0}
    if not sources and not full_refresh:
        logger.info("Nothing new or changed under %s: the warehouse is left as it was", raw)
        return 0, unchanged, counts
    staging = load.RunStaging(staging_dir, run_id)
    try:
        _process(sources, staging, expectations_dir, batch_size, started_at, counts)
        duplicates = dedup_task(staging, warehouse, set(fingerprints), full_refresh)
        counts["duplicates"] = sum(1 for kept in duplicates.values() if kept is not None)
        staging.write_batch("inputs", 0, load.inputs_table(fingerprints, run_id))
        staging.write_batch("runs", 0, _run_row(run_id, len(sources), counts, started_at, raw))
        publish_task(staging, warehouse, full_refresh, duplicates)
    finally:
        staging.discard()
    return len(sources), unchanged, counts


def _process(sources: list[ingest.Source], staging: load.RunStaging, expectations_dir: Path, batch_size: int,
             started_at: datetime, counts: dict[str, int]) -> None:
    """Run the stages batch by batch into staging, adding the rows written to `counts`."""
    validator = ArticleValidator(expectations_dir)
    for batch_no, first in enumerate(range(0, len(sources), batch_size)):
        ingested = ingest_task(batch_no, sources[first:first + batch_size], started_at)
        cleaned = clean_task(batch_no, ingested.documents)
        extracted = extract_task(batch_no, cleaned, staging.run_id)
        passed, quarantined, validation = validate_task(batch_no, validator, extracted.articles, started_at)
        tables = {
            "signatures": signatures_task(batch_no, passed),
            "articles": passed,
            "quarantine": quarantined,
            "rejected": pipeline.rejected_table(ingested.rejections + extracted.rejections, staging.run_id),
            "removed_lines": extracted.removed_lines,
        }
        stage_task(batch_no, staging, tables, validation)
        for name, table in tables.items():
            counts[name] += table.num_rows


def _run_row(run_id: str, files_read: int, counts: dict[str, int], started_at: datetime, raw: Path) -> pa.Table:
    return pa.Table.from_pylist(
        [{
            "run_id": run_id,
            "started_at": started_at,
            "finished_at": datetime.now(timezone.utc),
            "status": "completed",
            "files_read": files_read,
            "articles": counts["articles"],
            "quarantined": counts["quarantine"],
            "rejected": counts["rejected"],
            "removed_lines": counts["removed_lines"],
            "duplicates": counts["duplicates"],
            "raw_dir": str(raw),
            "pressline_version": __version__,
        }],
        schema=schema.RUNS,
    )
