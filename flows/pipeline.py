"""The pressline Prefect flow: one flow run per `pressline run`, one task run per batch.

A batch task takes a list of input files (hundreds of documents) through every engine stage
in `pressline/` (each stage a nested task run: ingest, clean, extract, validate, signatures,
load) and leaves its tables in a checkpoint under staging; only a small report travels back.
So batches run side by side on any task runner (threads, a local process
pool, a Dask cluster) without documents crossing processes, Prefect's per-task bookkeeping
stays a small share of the run, and a run that re-does a failed one's work finds the
finished batches: the task's cache key is the batch's input hash (see `pipeline.batch_key`).
"""
from __future__ import annotations

import json
import os
import queue
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache, partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterator, Self

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.states import Failed, State
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import Task, exponential_backoff
from prefect.utilities.annotations import quote

from pressline import __version__, dedup, ingest, load, pipeline, schema
from pressline.linefeatures import CensusPart, LineCensus
from pressline.lock import LockBusy, WarehouseLock
from pressline.report import RunReport
from pressline.validate import ArticleValidator, BatchValidator, check_suite

# GX's validation of a batch costs about 0.2 s whatever its size (0.55 ms a document at 500,
# 0.25 ms at 1,000, 0.21 ms at 2,000) and a task run 10-20 ms of Prefect: 1,000 keeps both small
# while 100,000 dumps still make 100 batches to spread over the workers.
DEFAULT_BATCH_SIZE = 1000
TASK_RUNNERS = ("process", "dask")
# Log records of finished census and batch tasks carry (what, files done, files in all) under this
# key for progress bars.
PROGRESS_KEY = "pressline_progress"
# Batches a census task counts: each task run costs Prefect a submission to a worker and its state
# changes (about 0.2 s on 2 busy cores) where counting a batch takes 0.1-0.2 s, so spans of five keep
# that small while 10,000 inputs still make one span per worker of a 2-core machine.
CENSUS_SPAN = 5
# A finished batch's report is cached this long: a failed run re-done within it resumes.
BATCH_CACHE_EXPIRATION = timedelta(days=7)


def _is_io_error(task, task_run, state) -> bool:
    """Retry what a second try can fix (a flaky disk or share), not a bad suite or a bug."""
    return isinstance(state.result(raise_on_failure=False), OSError)


# I/O tasks retry with exponential backoff and jitter; publish does not (it is not idempotent mid-way).
IO_RETRIES = {"retries": 3, "retry_delay_seconds": exponential_backoff(backoff_factor=1), "retry_jitter_factor": 0.5,
              "retry_condition_fn": _is_io_error}


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
    batches: int
    batches_resumed: int
    workers: int
    seconds: float
    stage_seconds: dict
    orchestration_seconds: float
    warehouse: str

    def as_dict(self) -> dict:
        return asdict(self)


class LanePool(ProcessPoolTaskRunner):
    """`workers` lanes of batches: one in the flow's own process and `workers - 1` pool processes.

    The flow's process is idle while the batches run, and each pool process holds about 500 MB
    that does not shrink (Prefect, GX, the models), so the flow's process takes a lane of its own
    and the pool is one process smaller. A submission goes to the flow's lane when that lane is
    free, else to the pool: the flow keeps at most `window` submissions unfinished, so the lane
    is free again when its batch ends and the next submission finds it. The pool's workers are
    started with the flow (a pool spawns them on demand): their start-up (spawn, imports, models,
    the suite's GX context: 6-7 s of CPU on 2 cores) runs while the flow's process plans the run.
    """

    def __init__(self, workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        if workers < 2:
            raise ValueError(f"a lane pool needs 2 workers or more, not {workers}")
        super().__init__(max_workers=workers - 1, initializer=initializer, initargs=initargs)
        self.workers = workers
        # Made on entering: the flow is pickled for the pool's workers with its runner, not entered.
        self._lane: ThreadPoolTaskRunner | None = None
        self._lane_busy: threading.Event | None = None

    @property
    def window(self) -> int:
        """Unfinished submissions the flow keeps: the flow's lane and two for each pool process
        (its batch and the next, so it never waits for the flow to submit)."""
        return 1 + 2 * (self.workers - 1)

    def duplicate(self) -> Self:
        return type(self)(self.workers, self._initializer, self._initargs)

    def start_workers(self) -> None:
        for _ in range(self._max_workers):
            self._executor.submit(int)  # a no-op, not a task run: each one spawns a worker now

    def submit(self, task, parameters, wait_for=None, dependencies=None):
        if self._lane_busy.is_set():
            return super().submit(task, parameters, wait_for, dependencies)
        self._lane_busy.set()
        future = self._lane.submit(task, parameters, wait_for, dependencies)
        future.add_done_callback(lambda _future: self._lane_busy.clear())
        return future

    def __enter__(self) -> Self:
        super().__enter__()
        self._lane, self._lane_busy = ThreadPoolTaskRunner(max_workers=1).__enter__(), threading.Event()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self._lane.__exit__(exc_type, exc_value, traceback)
        self._lane = self._lane_busy = None
        super().__exit__(exc_type, exc_value, traceback)


def _start_pool_workers() -> None:
    """Only the flow's own runner: task runs in the workers enter copies of it, which must not spawn."""
    runner = FlowRunContext.get().task_runner
    if isinstance(runner, LanePool):
        runner.start_workers()


def _start_worker(suite: Path | None) -> None:
    """Each pool worker's initializer: the models, and the suite's GX context when the suite is known.
    A suite that fails to load here fails again, and is reported, in the batch task that needs it."""
    pipeline.load_models()
    if suite is not None:
        with suppress(OSError, ValueError):
            suite_validator(suite)


def task_runner(kind: str = "process", workers: int = 1, dask_address: str | None = None,
                suite: Path | None = None) -> TaskRunner:
    """The runner batches go to: a local process pool (threads for one worker) or a Dask cluster.
    `suite`: the expectation suite a pool's workers load when they start."""
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    if kind != "process":
        raise ValueError(f"unknown task runner {kind!r} (known: {', '.join(TASK_RUNNERS)})")
    if workers <= 1:
        return ThreadPoolTaskRunner(max_workers=1)
    return LanePool(workers, initializer=_start_worker, initargs=(suite,))


class SuiteUnusable(Exception):
    """The expectation suite cannot be loaded: nothing was run."""


def run_pipeline(runner: str = "process", workers: int = 1, dask_address: str | None = None,
                 **parameters) -> State:
    """One run as `pressline run` makes it: batches on the chosen runner, all processes reporting
    to one Prefect API. Returns the flow run's final state.

    The suite is loaded while the embedded API starts, so a broken suite fails the run before
    it begins (SuiteUnusable); a local run, which runs a lane of batches in this process, has its
    GX context and models ready. When only a Dask cluster validates the batches, the suite is
    loaded in a short-lived process instead: GX and its context (about 135 MB) would otherwise sit
    in this one through all the batches.
    """
    from flows.ops import shared_embedded_api

    suite = Path(parameters.get("expectations_dir", "expectations")) / "articles.json"
    validates_here = runner == "process"

    def check() -> None:
        try:
            if validates_here:
                suite_validator(suite)
                pipeline.load_models()
            else:
                with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                    pool.submit(check_suite, suite.parent, suite.stem).result()
        except (OSError, ValueError) as problem:
            raise SuiteUnusable(str(problem)) from problem

    with shared_embedded_api(while_starting=check):
        flow_with_runner = pressline_flow.with_options(task_runner=task_runner(runner, workers, dask_address, suite))
        return flow_with_runner(**parameters, return_state=True)


def suite_validator(suite: Path) -> ArticleValidator:
    """One GX context per process and suite version (built on a worker's first batch)."""
    status = suite.stat()
    return _validator(suite.resolve(), status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=4)
def _validator(suite: Path, size: int, mtime_ns: int) -> ArticleValidator:
    return ArticleValidator(suite.parent, suite.stem)


def _release_pool_workers() -> None:
    """Every batch is done: stop the process pool's workers now rather than when the flow ends, so
    their memory (about 450 MB each: Prefect, GX, the models) is not held through dedup and publish,
    which run in this process (N = 10,000 on two workers: the tree held 0.85 GB while publishing)."""
    runner = FlowRunContext.get().task_runner
    if isinstance(runner, ProcessPoolTaskRunner):
        runner.cancel_all()


class Opaque:
    """A task argument Prefect hands over without walking it. Before each task run Prefect walks its
    arguments twice, looking for futures (a batch's 1,000 sources: about 50 ms a task run, in the
    flow's process and the worker's); `quote` stops that too, but it is a tuple, which Dask's
    argument packing takes apart."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _batch_cache_key(context, parameters: dict) -> str:
    return parameters["key"]


@task(name="batch", task_run_name="batch-{batch_no}", cache_key_fn=_batch_cache_key,
      cache_expiration=BATCH_CACHE_EXPIRATION, persist_result=True, result_serializer="json", **IO_RETRIES)
def batch_task(batch_no: int, key: str, sources: Opaque, staging_root: Path, run_id: str,
               ingested_at: datetime, options: ingest.IngestOptions, suite: Path, census: Path | None) -> dict:
    """Ingest, clean, extract, validate and stage one batch (`sources`: its list of sources), unless its
    checkpoint is already there."""
    checkpoint = load.BatchCheckpoint(staging_root, key)
    if checkpoint.done():
        return {"report": checkpoint.summary(), "worker": _worker(), "resumed": True}
    report = pipeline.process_batch(sources.value, ingested_at, options, suite_validator(suite),
                                    checkpoint, run_id, run_name=f"{run_id}-batch-{batch_no:06d}",
                                    run_stage=partial(_run_stage_task, batch_no),
                                    census=_run_census(census) if census else None,
                                    part=_census_part(census, batch_no))
    pipeline.release_freed_memory()
    return {"report": report.to_json(), "worker": _worker(), "resumed": False}


def _part_path(census: Path, batch_no: int) -> Path:
    """Where the census task puts batch `batch_no`'s part of the run's census (`census`: its folder)."""
    return census.parent / f"batch-{batch_no:06d}.npz"


def _census_part(census: Path | None, batch_no: int) -> CensusPart | None:
    """The batch's own part of the census, kept until the batch is done: its line hashes need not be
    computed again (None: a run of one batch, or the part is gone)."""
    if census is None:
        return None
    with suppress(FileNotFoundError):
        return CensusPart.load(_part_path(census, batch_no))
    return None


@task(name="census", task_run_name="census-{batch_no}", cache_policy=NO_CACHE, **IO_RETRIES)
def census_task(batch_no: int, batches: Opaque, parts: list[Path], ingested_at: datetime,
                options: ingest.IngestOptions) -> dict:
    """Count the lines of a span of batches (lists of sources) for the run's census, one part a batch
    (see `_take_census`)."""
    started = time.perf_counter()
    for sources, part in zip(batches.value, parts, strict=True):
        pipeline.census_batch(sources, ingested_at, options).save(part)
    return {"worker": _worker(), "seconds": time.perf_counter() - started}


@lru_cache(maxsize=1)
def _run_census(folder: Path) -> LineCensus:
    """The run's census, memory-mapped once per worker process."""
    return LineCensus.load(folder)


def _stage(batch_no: int, function: Callable[..., Any], arguments: tuple) -> Opaque:
    """The stage's result is wrapped: Prefect links each item of a task's result to its state in
    the flow run's context (1,000 documents a stage), which in the flow's own lane would pile up
    over the run."""
    return Opaque(function(*arguments))


# Each stage of a batch is a task run of its own inside the batch's (ingest-3, clean-3, ...), so the
# UI shows where a batch spends its time. They run in the batch's process and hand their results on
# in memory: nothing cached or persisted, and the documents are quoted so Prefect does not walk them.
STAGE_TASKS = {stage: task(_stage, name=stage, task_run_name=f"{stage}-{{batch_no}}", cache_policy=NO_CACHE,
                           persist_result=False)
               for stage in pipeline.STAGES}


def _run_stage_task(batch_no: int, stage: str, function: Callable[..., Any], *arguments: Any) -> Any:
    return STAGE_TASKS[stage](batch_no, function, quote(arguments)).value


def _worker() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(staging: load.RunStaging, warehouse: Path, reloaded_paths: pa.Array,
               full_refresh: bool) -> dict[str, str | None]:
    """Cluster this run's articles with each other and with the published ones."""
    existing = (schema.SIGNATURES.empty_table() if full_refresh
                else load.signatures_before(warehouse, reloaded_paths))
    return dedup.resolve(existing, staging.staged("signatures"))


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(staging: load.RunStaging, warehouse: Path, full_refresh: bool,
                 duplicates: dict[str, str | None]) -> load.PublishResult:
    return load.publish(staging, warehouse, full_refresh=full_refresh, duplicates=duplicates)


@task(name="plan", cache_policy=NO_CACHE, **IO_RETRIES)
def plan_task(raw_dir: Path, warehouse: Path, full_refresh: bool) -> tuple[load.InputPlan, int]:
    """Discover inputs and keep those not loaded before in the same version (all on a full refresh)."""
    sources = ingest.discover(raw_dir)
    loaded = {} if full_refresh else load.loaded_inputs(warehouse)
    plan = load.changed_sources(sources, loaded)
    return plan, len(sources) - len(plan)


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
    batches: int = 0
    batches_resumed: int = 0
    workers: int = 0
    # Stage time on the critical path: the flow's own stages plus the busiest worker's batches.
    critical_seconds: float = 0.0


@flow(name="pressline", flow_run_name="pressline-{raw_dir}", log_prints=False,
      task_runner=ThreadPoolTaskRunner(max_workers=1))
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
    """Ingest, clean, extract, validate and load every new or changed dump under `raw_dir`.

    Batches go to the flow's task runner (`pressline_flow.with_options(task_runner=task_runner(...))`).
    """
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
    seconds = time.perf_counter() - started
    summary = RunSummary(
        run_id=run_id,
        files_read=outcome.loaded,
        files_unchanged=outcome.unchanged,
        articles=rows["articles"],
        quarantined=rows["quarantine"],
        rejected=rows["rejected"],
        removed_lines=rows["removed_lines"],
        duplicates=outcome.duplicates,
        batches=outcome.batches,
        batches_resumed=outcome.batches_resumed,
        workers=outcome.workers,
        seconds=round(seconds, 2),
        stage_seconds={stage: round(value, 3) for stage, value in sorted(outcome.report.stage_seconds.items())},
        orchestration_seconds=round(max(0.0, seconds - outcome.critical_seconds), 3),
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
        logger.warning("Recovered from interrupted runs (finished or rolled back, leftovers removed): %s",
                       ", ".join(dropped))
    _start_pool_workers()
    flow_stages = RunReport()
    with flow_stages.timing("plan"):
        plan, unchanged = plan_task(raw, warehouse, full_refresh)
    logger.info("Run %s: %d input files to load, %d unchanged since loaded, batches of %d",
                run_id, len(plan), unchanged, batch_size)
    outcome = _Outcome(len(plan), unchanged, RunReport())
    staging = load.RunStaging(staging_dir, run_id)
    if not len(plan) and not full_refresh:
        # Every input is published as it is now, so a checkpoint left by a run killed after its
        # commit (or one whose inputs changed since) can never be used: it goes.
        staging.discard_checkpoints()
        logger.info("Nothing new or changed under %s: the warehouse is left as it was", raw)
        return outcome
    try:
        suite = expectations_dir / "articles.json"
        _process(plan, staging, suite, batch_size, started_at, options, outcome)
        with flow_stages.timing("dedup"):
            duplicates = dedup_task(staging, warehouse, plan.source_paths(), full_refresh)
            pipeline.release_freed_memory()  # the signatures are gone: publish starts from less
        outcome.duplicates = sum(1 for kept in duplicates.values() if kept is not None)
        with flow_stages.timing("validate"):
            outcome.batch_failures = BatchValidator(expectations_dir).failed(outcome.report.metrics(), run_name=run_id)
            docs_index = suite_validator(suite).build_data_docs(staging.directory / "docs",
                                                                staging.validation_results())
        staging.write_batch("inputs", 0, plan.inputs_table(run_id))
        staging.write_batch("runs", 0, _run_row(run_id, outcome, started_at, raw))
        with flow_stages.timing("load"):
            publish_task(staging, warehouse, full_refresh, duplicates)
    finally:
        staging.discard()
    outcome.report.merge(flow_stages)
    outcome.critical_seconds += sum(flow_stages.stage_seconds.values())
    _publish_artifacts(run_id, warehouse, outcome, warehouse / load.DOCS_DIR / run_id / docs_index.name)
    return outcome


def _process(plan: load.InputPlan, staging: load.RunStaging, suite: Path, batch_size: int, started_at: datetime,
             options: ingest.IngestOptions, outcome: _Outcome) -> None:
    """Run every batch into its checkpoint and adopt the checkpoints into the run's staging.

    One batch runs inline (no worker to start); more go to the flow's task runner. Prefect's
    cache answers only for batches whose checkpoint is still in staging (a failed run's work);
    the others are run afresh, since a published batch's checkpoint is gone.
    """
    logger = get_run_logger()
    batches = [range(first, min(first + batch_size, len(plan))) for first in range(0, len(plan), batch_size)]
    lanes: dict[str, float] = {}
    census, digest = _take_census(plan, batches, staging, started_at, options, outcome, lanes) if len(batches) > 1 \
        else (None, "")
    keys = [pipeline.batch_key(plan.sources(batch.start, batch.stop), plan.fingerprints(batch.start, batch.stop),
                               options, suite, digest) for batch in batches]
    fresh = batch_task.with_options(refresh_cache=True)
    tasks = [batch_task if load.BatchCheckpoint(staging.root, key).done() else fresh for key in keys]

    def arguments(number: int) -> dict:
        """A batch's task arguments, its Sources made only now (see `load.InputPlan`)."""
        batch = batches[number]
        return dict(batch_no=number, key=keys[number], sources=Opaque(plan.sources(batch.start, batch.stop)),
                    staging_root=staging.root, run_id=staging.run_id, ingested_at=started_at, options=options,
                    suite=suite, census=census)

    results: dict[int, dict] = {}
    if len(batches) == 1:
        results[0] = _batch_result(tasks[0](**arguments(0), return_state=True))
    else:
        calls = [partial(_submit, tasks[number], arguments, number) for number in range(len(batches))]
        for number, future in _completed_in_window(calls):
            results[number] = _batch_result(future.state)
            _part_path(census, number).unlink(missing_ok=True)
            done = sum(len(batches[number]) for number in results)
            logger.info("Batch %d/%d done: %d of %d input files", len(results), len(batches), done, len(plan),
                        extra={PROGRESS_KEY: ("input files", done, len(plan))})
        _release_pool_workers()
    missing = [number for number, key in enumerate(keys) if not load.BatchCheckpoint(staging.root, key).done()]
    if missing:
        raise RuntimeError(f"the checkpoints of batches {missing} disappeared from {staging.root} during the run")
    for number, key in enumerate(keys):
        result = results[number]
        report = RunReport.from_json(result["report"])
        if result["resumed"]:
            outcome.batches_resumed += 1
            report.stage_seconds.clear()
        lanes[result["worker"]] = lanes.get(result["worker"], 0.0) + sum(report.stage_seconds.values())
        outcome.report.merge(report)
        staging.checkpoints.append(load.BatchCheckpoint(staging.root, key))
    outcome.batches, outcome.workers = len(batches), len(lanes)
    outcome.critical_seconds += max(lanes.values(), default=0.0)
    if outcome.batches_resumed:
        logger.info("Resumed %d of %d batches from an earlier run's checkpoints", outcome.batches_resumed,
                    len(batches))


def _take_census(plan: load.InputPlan, batches: list[range], staging: load.RunStaging, started_at: datetime,
                 options: ingest.IngestOptions, outcome: _Outcome, lanes: dict[str, float]) -> tuple[Path, str]:
    """Count in how many of the run's documents each line occurs, before any batch is cleaned:
    the folder of the census and its digest (part of every batch key).

    The batches hash their lines side by side; the parts are merged here in batch order, a text
    that several inputs hold counted once (bounded: see `LineCensus.of_parts`), and saved where
    every batch reads it, so whether a line is site template does not depend on which batch its
    pages fell in. Each part stays until its batch is done, which takes its line hashes from it.
    """
    folder = staging.directory / "census"
    parts = [_part_path(folder / "run", number) for number in range(len(batches))]
    spans = [range(first, min(first + CENSUS_SPAN, len(batches))) for first in range(0, len(batches), CENSUS_SPAN)]

    def arguments(span: range) -> dict:
        """A span of batches to count, their Sources made only now (see `load.InputPlan`)."""
        return dict(batch_no=span.start, batches=Opaque([plan.sources(batch.start, batch.stop)
                                                          for batch in batches[span.start:span.stop]]),
                    parts=parts[span.start:span.stop], ingested_at=started_at, options=options)

    calls = [partial(_submit, census_task, arguments, span) for span in spans]
    files, done, counted = len(plan), 0, 0
    for index, future in _completed_in_window(calls):
        result = future.result()
        lanes[result["worker"]] = lanes.get(result["worker"], 0.0) + result["seconds"]
        outcome.report.add_time("census", result["seconds"])
        counted += len(spans[index])
        done += sum(len(batches[number]) for number in spans[index])
        get_run_logger().info("Census %d/%d counted: %d of %d input files", counted, len(batches), done, files,
                              extra={PROGRESS_KEY: ("line census", done, files)})
    merging = time.perf_counter()
    census = LineCensus.of_parts(CensusPart.load(part) for part in parts)
    census.save(folder / "run")
    outcome.critical_seconds += time.perf_counter() - merging
    return folder / "run", census.digest()


def _submit(task_: Task, arguments: Callable[[Any], dict], which: Any) -> PrefectFuture:
    return task_.submit(**arguments(which))


def _completed_in_window(calls: list[Callable[[], PrefectFuture]]) -> Iterator[tuple[int, PrefectFuture]]:
    """Submit the calls and yield (index, future) as each one finishes, keeping no more unfinished
    than the runner's `window` (a `LanePool` puts each submission on a free lane; other runners
    take them all at once). The next call is submitted before a finished one is handed on."""
    window = getattr(FlowRunContext.get().task_runner, "window", None) or len(calls)
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
    futures: dict[int, PrefectFuture] = {}

    def submit(index: int) -> None:
        futures[index] = calls[index]()
        futures[index].add_done_callback(lambda _future: finished.put(index))

    next_call = min(window, len(calls))
    for index in range(next_call):
        submit(index)
    for _ in calls:
        index = finished.get()
        if next_call < len(calls):
            submit(next_call)
            next_call += 1
        future = futures.pop(index)
        future.wait()
        yield index, future


def _batch_result(state: State) -> dict:
    """A batch task's report; a result Prefect served from its cache counts as resumed."""
    result = dict(state.result())
    result["resumed"] = result["resumed"] or state.name == "Cached"
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
