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
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State
from prefect.tasks import exponential_backoff

from pressline import __version__, dedup, ingest, load, pipeline, schema
from pressline.lock import LockBusy, WarehouseLock
from pressline.report import RunReport
from pressline.validate import ArticleValidator, BatchValidator

DEFAULT_BATCH_SIZE = 500
# Log records of finished batches carry (files done, files in all) under this key for progress bars.
PROGRESS_KEY = "pressline_progress"
# I/O tasks retry with exponential backoff and jitter; publish does not (it is not idempotent mid-way).
IO_RETRIES = {"retries": 3, "retry_delay_seconds": exponential_backoff(backoff_factor=1), "retry_jitter_factor": 0.5}


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


@task(name="ingest", task_run_name="ingest-{batch_no}", cache_policy=NO_CACHE, **IO_RETRIES)
def ingest_task(batch_no: int, sources: list[ingest.Source], ingested_at: datetime,
                options: ingest.IngestOptions) -> pipeline.IngestedBatch:
    return pipeline.ingest_batch(sources, ingested_at, options)


@task(name="clean", task_run_name="clean-{batch_no}", cache_policy=NO_CACHE)
def clean_task(batch_no: int, documents: list[ingest.Document]) -> pipeline.CleanedBatch:
    return pipeline.clean_batch(documents)


@task(name="extract", task_run_name="extract-{batch_no}", cache_policy=NO_CACHE)
def extract_task(batch_no: int, cleaned: pipeline.CleanedBatch, run_id: str) -> pipeline.ExtractedBatch:
    return pipeline.extract_batch(cleaned, run_id)


@task(name="validate", task_run_name="validate-{batch_no}", cache_policy=NO_CACHE)
def validate_task(batch_no: int, validator: ArticleValidator, articles: pa.Table,
                  now: datetime, run_id: str) -> tuple[pa.Table, pa.Table, dict]:
    outcome = validator.validate(articles, now, run_name=f"{run_id}-batch-{batch_no:06d}")
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


@task(name="stage", task_run_name="stage-{batch_no}", cache_policy=NO_CACHE, **IO_RETRIES)
def stage_task(batch_no: int, staging: load.RunStaging, tables: dict[str, pa.Table], validation: dict) -> None:
    for name, table in tables.items():
        staging.write_batch(name, batch_no, table)
    staging.write_validation(batch_no, validation)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(staging: load.RunStaging, warehouse: Path, full_refresh: bool,
                 duplicates: dict[str, str | None]) -> load.PublishResult:
    return load.publish(staging, warehouse, full_refresh=full_refresh, duplicates=duplicates)


@task(name="plan", cache_policy=NO_CACHE, **IO_RETRIES)
def plan_task(raw_dir: Path, warehouse: Path, full_refresh: bool) -> tuple[list[ingest.Source], dict, int]:
    """Discover inputs and keep those not loaded before in the same version (all on a full refresh)."""
    sources = ingest.discover(raw_dir)
    loaded = {} if full_refresh else load.loaded_inputs(warehouse)
    todo, fingerprints = load.changed_sources(sources, loaded)
    return todo, fingerprints, len(sources) - len(todo)


class BatchChecksFailed(RuntimeError):
    """The run published its data, but its batch-level expectations failed."""

    def __init__(self, message: str, summary: dict) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(slots=True)
class _Outcome:
    loaded: int
    unchanged: int
    report: RunReport
    duplicates: int = 0
    batch_failures: list[str] | None = None


@flow(name="pressline", flow_run_name="pressline-{raw_dir}", log_prints=False)
def pressline_flow(
    raw_dir: str = "raw",
    staging_dir: str = "staging",
    warehouse_dir: str = "warehouse",
    expectations_dir: str = "expectations",
    batch_size: int = DEFAULT_BATCH_SIZE,
    full_refresh: bool = False,
    wait_for_lock: float = 0.0,
    max_file_bytes: int = ingest.DEFAULT_MAX_BYTES,
    jsonl_text_field: str = "text",
    jsonl_id_field: str = "id",
    jsonl_url_field: str = "url",
) -> dict | State:
    """Ingest, clean, extract, validate and load every new or changed dump under `raw_dir`."""
    logger = get_run_logger()
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    run_id = load.new_run_id(started_at)
    raw, warehouse = Path(raw_dir), Path(warehouse_dir)
    options = ingest.IngestOptions(max_bytes=max_file_bytes, jsonl_text_field=jsonl_text_field,
                                   jsonl_id_field=jsonl_id_field, jsonl_url_field=jsonl_url_field)
    lock = WarehouseLock(warehouse, wait_seconds=wait_for_lock)
    try:
        lock.acquire()
    except LockBusy as busy:
        logger.error("%s", busy)
        return Failed(message=str(busy), data=busy)
    try:
        outcome = _load_changed_inputs(lock, run_id, raw, warehouse, Path(staging_dir), Path(expectations_dir),
                                       batch_size, started_at, full_refresh, options)
    finally:
        lock.release()
    rows = outcome.report.rows
    summary = RunSummary(
        run_id=run_id,
        files_read=outcome.loaded,
        files_unchanged=outcome.unchanged,
        articles=rows["articles"],
        quarantined=rows["quarantine"],
        rejected=rows["rejected"],
        removed_lines=rows["removed_lines"],
        duplicates=outcome.duplicates,
        seconds=round(time.perf_counter() - started, 2),
        warehouse=str(warehouse),
    )
    logger.info("Run %s finished: %s", run_id, json.dumps(summary.as_dict()))
    if outcome.batch_failures:
        message = "the data is published, but batch-level expectations failed: " + "; ".join(outcome.batch_failures)
        logger.error(message)
        return Failed(message=message, data=BatchChecksFailed(message, summary.as_dict()))
    return summary.as_dict()


def _load_changed_inputs(lock: WarehouseLock, run_id: str, raw: Path, warehouse: Path, staging_dir: Path,
                         expectations_dir: Path, batch_size: int, started_at: datetime,
                         full_refresh: bool, options: ingest.IngestOptions) -> _Outcome:
    """Under the lock: recover, plan, process, check and publish."""
    logger = get_run_logger()
    if lock.took_over_stale:
        logger.warning("Took over the warehouse lock of a run that died: %s", lock.previous_holder)
    dropped = load.recover(staging_dir, warehouse)
    if dropped:
        logger.warning("Removed what interrupted runs left behind: %s", ", ".join(dropped))
    sources, fingerprints, unchanged = plan_task(raw, warehouse, full_refresh)
    logger.info("Run %s: %d input files to load, %d unchanged since loaded, batches of %d",
                run_id, len(sources), unchanged, batch_size)
    outcome = _Outcome(len(sources), unchanged, RunReport())
    if not sources and not full_refresh:
        logger.info("Nothing new or changed under %s: the warehouse is left as it was", raw)
        return outcome
    staging = load.RunStaging(staging_dir, run_id)
    try:
        validator = ArticleValidator(expectations_dir)
        _process(sources, staging, validator, batch_size, started_at, options, outcome.report)
        duplicates = _timed(outcome.report, "dedup", dedup_task, staging, warehouse, set(fingerprints), full_refresh)
        outcome.duplicates = sum(1 for kept in duplicates.values() if kept is not None)
        outcome.batch_failures = BatchValidator(expectations_dir).failed(outcome.report.metrics(), run_name=run_id)
        docs_index = validator.build_data_docs(staging.directory / "docs")
        staging.write_batch("inputs", 0, load.inputs_table(fingerprints, run_id))
        staging.write_batch("runs", 0, _run_row(run_id, outcome, started_at, raw))
        _timed(outcome.report, "load", publish_task, staging, warehouse, full_refresh, duplicates)
    finally:
        staging.discard()
    _publish_artifacts(run_id, warehouse, outcome, warehouse / load.DOCS_DIR / run_id / docs_index.name)
    return outcome


def _process(sources: list[ingest.Source], staging: load.RunStaging, validator: ArticleValidator, batch_size: int,
             started_at: datetime, options: ingest.IngestOptions, report: RunReport) -> None:
    """Run the stages batch by batch into staging, adding what each batch wrote to `report`."""
    logger = get_run_logger()
    batches = -(-len(sources) // batch_size)
    for batch_no, first in enumerate(range(0, len(sources), batch_size)):
        ingested = _timed(report, "ingest", ingest_task, batch_no, sources[first:first + batch_size], started_at,
                          options)
        cleaned = _timed(report, "clean", clean_task, batch_no, ingested.documents)
        extracted = _timed(report, "extract", extract_task, batch_no, cleaned, staging.run_id)
        passed, quarantined, validation = _timed(report, "validate", validate_task, batch_no, validator,
                                                 extracted.articles, started_at, staging.run_id)
        tables = {
            "signatures": _timed(report, "dedup", signatures_task, batch_no, passed),
            "articles": passed,
            "quarantine": quarantined,
            "rejected": pipeline.rejected_table(ingested.rejections + extracted.rejections, staging.run_id),
            "removed_lines": extracted.removed_lines,
        }
        _timed(report, "load", stage_task, batch_no, staging, tables, validation)
        report.add_batch(tables)
        done = min(first + batch_size, len(sources))
        logger.info("Batch %d/%d done: %d of %d input files", batch_no + 1, batches, done, len(sources),
                    extra={PROGRESS_KEY: (done, len(sources))})


def _timed(report: RunReport, stage: str, task_function, *args):
    """Call a task and add its wall time (Prefect's bookkeeping included) to the stage."""
    started = time.perf_counter()
    result = task_function(*args)
    report.add_time(stage, time.perf_counter() - started)
    return result


def _publish_artifacts(run_id: str, warehouse: Path, outcome: _Outcome, docs_index: Path) -> None:
    """The run's counts and quality summary on the flow run's Artifacts tab (keys version them over runs)."""
    create_table_artifact(key="pressline-counts", table=outcome.report.counts_table(),
                          description=f"Rows written by run {run_id}, per table and per publisher")
    create_markdown_artifact(key="pressline-report",
                             markdown=outcome.report.markdown(run_id, warehouse, docs_index,
                                                              outcome.batch_failures or []),
                             description=f"Quality summary of run {run_id}")


def _run_row(run_id: str, outcome: _Outcome, started_at: datetime, raw: Path) -> pa.Table:
    rows = outcome.report.rows
    return pa.Table.from_pylist(
        [{
            "run_id": run_id,
            "started_at": started_at,
            "finished_at": datetime.now(timezone.utc),
            "status": "completed_with_failed_batch_checks" if outcome.batch_failures else "completed",
            "files_read": outcome.loaded,
            "articles": rows["articles"],
            "quarantined": rows["quarantine"],
            "rejected": rows["rejected"],
            "removed_lines": rows["removed_lines"],
            "duplicates": outcome.duplicates,
            "raw_dir": str(raw),
            "pressline_version": __version__,
        }],
        schema=schema.RUNS,
    )
