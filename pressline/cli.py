"""The `pressline` command: a thin layer over the engine and the Prefect flow."""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Arrow's default allocator (mimalloc) keeps the memory a batch or the publish step freed, so a
# process only grows; the system allocator hands it back. Publishing 4,000 articles took 197 MB
# with mimalloc, 69 MB with it. Arrow reads the choice once, when it loads, so it is set before
# any command imports pyarrow, and worker processes started by the run inherit it.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

app = typer.Typer(
    help="Turn raw text dumps of news pages into clean, validated, partitioned Parquet tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


class UsageProblem(Exception):
    """A configuration or usage error: shown as one line, exit code 2."""


def _fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def _prefect_environment(home: Path, verbose: bool) -> None:
    """Embedded Prefect by default: state under the project, no telemetry, quiet console.

    When `pressline ui` runs a server for this project, runs report to it instead. Prefect
    reads its settings on first import, so this must run before anything imports it.
    """
    from flows.ops import api_url_if_ui_running

    os.environ["PREFECT_HOME"] = str(home.resolve())  # the option (or PREFECT_HOME, its default)
    if "PREFECT_API_URL" not in os.environ and (url := api_url_if_ui_running(home.resolve())):
        os.environ["PREFECT_API_URL"] = url
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The embedded API starts a local server; on a busy 2-core machine that can take over 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # Without --verbose Prefect prints nothing (in the workers too, which inherit the setting): a
    # failed run is the CLI's one error line, not Prefect's ERROR records and their tracebacks, and
    # the flow's warnings are echoed one line each (_WarningEcho). The API records everything.
    level = "INFO" if verbose else "CRITICAL"
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", level)
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", level)
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", level)


class _ProgressHandler(logging.Handler):
    """Turns the flow's 'batch done' log records into a progress bar (TTY) or plain lines (logs, CI)."""

    def __init__(self, on_progress) -> None:
        super().__init__(logging.INFO)
        self.on_progress = on_progress

    def emit(self, record: logging.LogRecord) -> None:
        from flows.pipeline import PROGRESS_KEY

        progress = getattr(record, PROGRESS_KEY, None)
        if progress is not None:
            self.on_progress(*progress, record.getMessage())


class _WarningEcho(logging.Handler):
    """The flow's warnings (a dead run's lock taken over, an interrupted run recovered), one line each."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            errors.print(f"[bold yellow]warning:[/] {escape(record.getMessage())}", soft_wrap=True)


@contextmanager
def _progress_display(enabled: bool = True):
    if not enabled:
        yield
    elif console.is_terminal:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("starting Prefect's embedded API ...", total=None)

            def show(what: str, done: int, total: int, message: str) -> None:
                bar.update(task, description=what, completed=done, total=total)

            with _attached(_ProgressHandler(show)):
                yield
    else:
        with _attached(_ProgressHandler(lambda what, done, total, message: console.print(message, highlight=False))):
            yield


@contextmanager
def _attached(handler: logging.Handler):
    logger = logging.getLogger("prefect.flow_runs")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _one_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0] if lines else 'no message'}"


def _local_path(value: str) -> Path:
    """A path or a file:// URL. Other URL schemes are refused: publishing needs atomic renames and
    symlinks, which object stores do not have (a shared POSIX file system, such as NFS, works)."""
    if "://" not in value:
        return Path(value)
    parsed = urllib.parse.urlparse(value)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        raise UsageProblem(f"'{value}': only local paths and file:// URLs are supported "
                           "(a shared file system such as NFS works across machines)")
    return Path(urllib.parse.unquote(parsed.path))


def _check_directories(raw_dir: Path, staging_dir: Path, warehouse_dir: Path, expectations_dir: Path) -> None:
    if not raw_dir.exists():
        raise UsageProblem(f"raw dir '{raw_dir}' does not exist")
    if not raw_dir.is_dir():
        raise UsageProblem(f"raw dir '{raw_dir}' is not a directory")
    suite = expectations_dir / "articles.json"
    if not suite.is_file():
        raise UsageProblem(f"expectation suite '{suite}' not found (set --expectations-dir)")
    for label, directory in (("staging", staging_dir), ("warehouse", warehouse_dir)):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):  # a private name: runs started together never share it
                pass
        except OSError as err:
            raise UsageProblem(f"{label} dir '{directory}' is not writable ({err.strerror or err})") from None


@app.command()
def run(
    raw_dir: str = typer.Option("raw", "--raw-dir", metavar="PATH",
                                 help="Folder of dumps, read recursively: .txt, .jsonl, .warc, .wet (each also .gz). "
                                      "A path or a file:// URL, as for the other folders."),
    staging_dir: str = typer.Option("staging", "--staging-dir", metavar="PATH",
                                     help="Scratch space of runs, and checkpoints of finished batches that a "
                                          "re-run after a failure resumes from."),
    warehouse_dir: str = typer.Option("warehouse", "--warehouse-dir", metavar="PATH",
                                       help="Where the Parquet tables are published."),
    expectations_dir: str = typer.Option("expectations", "--expectations-dir", metavar="PATH",
                                          help="Folder holding the Great Expectations suite articles.json."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1,
                                   help="Input files per task run: each batch pays about 0.2 s of GX validation "
                                        "and 10-20 ms of Prefect whatever its size."),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", min=1,
                                help="Batches processed at once: one in this process, the others each in a pool "
                                     "process of their own (default: all cores)."),
    task_runner_kind: str = typer.Option("process", "--task-runner", metavar="[process|dask]",
                                         help="Where batches run: a local process pool, or a Dask cluster "
                                              "(a local one with --workers processes unless --dask-address)."),
    dask_address: str | None = typer.Option(None, "--dask-address", metavar="tcp://HOST:PORT",
                                            help="Scheduler of an existing Dask cluster (implies --task-runner dask)."),
    full_refresh: bool = typer.Option(False, "--full-refresh",
                                      help="Re-load every input and rebuild the tables from scratch "
                                           "(by default unchanged inputs are skipped)."),
    wait_for_lock: float = typer.Option(0.0, "--wait-for-lock", min=0, metavar="SECONDS",
                                        help="When another run is writing the warehouse, wait this long "
                                             "for it instead of exiting."),
    max_file_bytes: int = typer.Option(20 * 1024 * 1024, "--max-file-bytes", min=1,
                                       help="Inputs (a file, a JSONL line, a WARC record) larger than this are "
                                            "rejected without being read."),
    jsonl_text_field: str = typer.Option("text", "--jsonl-text-field", help="JSONL field holding the dump text."),
    jsonl_id_field: str = typer.Option("id", "--jsonl-id-field", help="JSONL field with a record id (optional)."),
    jsonl_url_field: str = typer.Option("url", "--jsonl-url-field", help="JSONL field with the page URL (optional)."),
    strict: bool = typer.Option(False, "--strict",
                                help="Exit 4 when a batch-level expectation fails (the data is published "
                                     "either way; by default that is a warning and the exit code is 0)."),
    prefect_home: Path = typer.Option(Path(".prefect"), "--prefect-home", envvar="PREFECT_HOME",
                                      help="Prefect's state folder (embedded SQLite API)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's flow and task log lines."),
    as_json: bool = typer.Option(False, "--json", help="Print the run's summary as one JSON object "
                                                       "(with seconds per stage) instead of a table."),
) -> None:
    """Run the pipeline once: ingest, clean, extract, validate, and publish to the warehouse."""
    started = time.perf_counter()
    if dask_address:
        task_runner_kind = "dask"
    try:
        if task_runner_kind not in ("process", "dask"):
            raise UsageProblem(f"--task-runner must be 'process' or 'dask', not '{task_runner_kind}'")
        # Absolute, so that Dask workers on other machines (or in other folders) find the same files.
        raw_dir, staging_dir, warehouse_dir, expectations_dir = (
            _local_path(value).resolve() for value in (raw_dir, staging_dir, warehouse_dir, expectations_dir))
        _check_directories(raw_dir, staging_dir, warehouse_dir, expectations_dir)
    except UsageProblem as problem:
        _fail(str(problem))
    _prefect_environment(prefect_home, verbose)
    from flows.pipeline import BatchChecksFailed, SuiteUnusable, run_pipeline
    from pressline.lock import LockBusy

    with _progress_display(enabled=not as_json), nullcontext() if verbose else _attached(_WarningEcho()):
        try:
            state = run_pipeline(
                task_runner_kind,
                workers,
                dask_address,
                raw_dir=str(raw_dir),
                staging_dir=str(staging_dir),
                warehouse_dir=str(warehouse_dir),
                expectations_dir=str(expectations_dir),
                batch_size=batch_size,
                full_refresh=full_refresh,
                wait_for_lock=wait_for_lock,
                max_file_bytes=max_file_bytes,
                jsonl_text_field=jsonl_text_field,
                jsonl_id_field=jsonl_id_field,
                jsonl_url_field=jsonl_url_field,
            )
            outcome = state.result(raise_on_failure=False)
        except Exception as err:  # noqa: BLE001 - the user gets one line; Prefect keeps the details
            outcome = err
    if isinstance(outcome, SuiteUnusable):
        _fail(str(outcome))
    if isinstance(outcome, LockBusy):
        errors.print(f"[bold red]error:[/] {escape(str(outcome))}", soft_wrap=True)
        raise typer.Exit(3)
    if isinstance(outcome, BatchChecksFailed):
        _print_summary({**outcome.summary, "wall_seconds": round(time.perf_counter() - started, 1)}, as_json)
        errors.print(f"[bold yellow]warning:[/] {escape(str(outcome))}", soft_wrap=True)
        raise typer.Exit(4 if strict else 0)
    if isinstance(outcome, BaseException):
        errors.print(f"[bold red]error:[/] the run failed and published nothing: {escape(_one_line(outcome))}",
                     soft_wrap=True)
        raise typer.Exit(1)
    _print_summary({**outcome, "wall_seconds": round(time.perf_counter() - started, 1)}, as_json)


def _print_summary(summary: dict, as_json: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table(title=f"pressline run {summary['run_id']}", show_header=False)
    summary = {**summary, "batches_resumed_label": f"{summary['batches']} ({summary['batches_resumed']})"}
    for label, key in (("files read", "files_read"), ("files unchanged (skipped)", "files_unchanged"),
                       ("articles written", "articles"),
                       ("quarantined", "quarantined"), ("rejected", "rejected"),
                       ("removed lines", "removed_lines"), ("duplicates flagged", "duplicates"),
                       ("batches (resumed from checkpoints)", "batches_resumed_label"),
                       ("processes that ran batches", "workers"),
                       ("seconds in the flow", "seconds"),
                       ("seconds in all (with Prefect start-up)", "wall_seconds")):
        table.add_row(label, str(summary[key]))
    console.print(table)
    console.print(f"Tables are in {escape(summary['warehouse'])}/ (articles, quarantine, rejected, "
                  "removed_lines, runs, inputs).")


@app.command()
def serve(
    cron: str = typer.Option("0 * * * *", "--cron", help="Five-field cron schedule, evaluated in UTC."),
    raw_dir: str = typer.Option("raw", "--raw-dir", metavar="PATH",
                                help="Folder of dumps the scheduled runs read (a path or a file:// URL, as for "
                                     "the other folders)."),
    staging_dir: str = typer.Option("staging", "--staging-dir", metavar="PATH", help="Scratch space of the runs."),
    warehouse_dir: str = typer.Option("warehouse", "--warehouse-dir", metavar="PATH", help="Where the runs publish."),
    expectations_dir: str = typer.Option("expectations", "--expectations-dir", metavar="PATH",
                                         help="Folder holding the Great Expectations suites."),
    name: str = typer.Option("pressline", "--name", help="Deployment name."),
    prefect_home: Path = typer.Option(Path(".prefect"), "--prefect-home", envvar="PREFECT_HOME",
                                      help="Prefect's state folder (where `pressline ui` records its server)."),
) -> None:
    """Serve the flow as a Prefect deployment on a cron schedule (needs `pressline ui` or PREFECT_API_URL)."""
    try:
        raw_dir, staging_dir, warehouse_dir, expectations_dir = (
            _local_path(value) for value in (raw_dir, staging_dir, warehouse_dir, expectations_dir))
        _check_directories(raw_dir, staging_dir, warehouse_dir, expectations_dir)
    except UsageProblem as problem:
        _fail(str(problem))
    _prefect_environment(prefect_home, verbose=True)
    from flows.ops import OpsError
    from flows.ops import serve as serve_flow

    try:
        serve_flow(cron, raw_dir, staging_dir, warehouse_dir, expectations_dir, name=name)
    except OpsError as err:
        _fail(str(err))


@app.command()
def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; 127.0.0.1 keeps it to this machine."),
    port: int = typer.Option(4200, "--port", min=1, max=65535, help="Port of the API and UI."),
    prefect_home: Path = typer.Option(Path(".prefect"), "--prefect-home", envvar="PREFECT_HOME",
                                      help="Prefect's state folder (SQLite database of the server)."),
) -> None:
    """Start a local Prefect server with its UI; `pressline run` reports to it while it is up."""
    from flows.ops import OpsError, run_ui

    try:
        run_ui(host, port, home=prefect_home.resolve())
    except OpsError as err:
        _fail(str(err))


@app.command("clean")
def clean_command(
    file: Path = typer.Argument(..., help="One dump (.txt or .txt.gz; the first record of a JSONL/WARC file)."),
) -> None:
    """Show one dump with every line marked kept or removed, and the reason for each removal."""
    from pressline.clean import clean

    width = 16
    for label in clean(_read_one(file)).labels:
        if label.kept:
            console.print(f"[green]{'keep':<{width}}[/]  {label.line_no:>4}  {escape(label.text)}", soft_wrap=True)
        else:
            console.print(f"[red]{label.reason:<{width}}[/]  {label.line_no:>4}  [dim]{escape(label.text)}[/]",
                          soft_wrap=True)


@app.command("extract")
def extract_command(
    file: Path = typer.Argument(..., help="One dump (.txt or .txt.gz; the first record of a JSONL/WARC file)."),
    as_json: bool = typer.Option(False, "--json", help="Print the fields as one JSON object, the body included."),
) -> None:
    """Show the fields extracted from one dump (title, authors, dates, publisher, ...), as a run of it alone writes them."""
    from dataclasses import asdict

    from pressline.clean import clean
    from pressline.extract import extract

    fields = asdict(extract(clean(_read_one(file))))
    if as_json:
        typer.echo(json.dumps(fields, default=lambda stamp: stamp.isoformat(), ensure_ascii=False))
        return
    body = fields.pop("body")
    table = Table(show_header=False, box=None)
    for name, value in fields.items():
        if value in (None, []):
            table.add_row(name, "[dim]none[/]")
        else:
            table.add_row(name, escape("; ".join(value) if isinstance(value, list)
                                       else value.isoformat() if hasattr(value, "isoformat") else str(value)))
    table.add_row("body", escape(body[:BODY_PREVIEW] + ("..." if len(body) > BODY_PREVIEW else "")))
    console.print(table)


# Characters of the body `pressline extract` shows (all of it with --json).
BODY_PREVIEW = 300


def _read_one(file: Path) -> str:
    """The decoded text of one dump, or a one-line error and exit 2."""
    from pressline.ingest import Document, Source, read_source

    if not file.is_file():
        _fail(f"'{file}' is not a file")
    outcome = read_source(Source(str(file), file.name), datetime.now(timezone.utc))
    if not isinstance(outcome, Document):
        _fail(f"'{file}': {outcome.error}")
    return outcome.text


@app.command("schema")
def schema_command() -> None:
    """Print the warehouse tables, column by column (Markdown)."""
    from pressline import schema

    typer.echo(schema.markdown())


def main(argv: list[str] | None = None) -> None:
    """The console entry point: a usage error is one line with a pointer to --help, exit 2,
    not Click's boxed usage screen. With no arguments at all, the help screen."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = app(args=args, prog_name="pressline", standalone_mode=not args)
    except typer.TyperException as problem:
        context = getattr(problem, "ctx", None)
        where = context.command_path if context is not None else "pressline"
        errors.print(f"[bold red]error:[/] {escape(problem.format_message())} (see '{where} --help')",
                     soft_wrap=True, highlight=False)
        code = problem.exit_code
    except typer.Abort:
        errors.print("aborted")
        code = 1
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
