"""The CLI: clear one-line errors, helpful --help, the clean and extract views of one dump, and a real run."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from pressline.cli import app, main
from tests.conftest import RAW, ROOT, load_seed_gold

runner = CliRunner()


def test_help_explains_every_run_option() -> None:
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--raw-dir", "--staging-dir", "--warehouse-dir", "--expectations-dir"):
        assert option in result.output
    assert runner.invoke(app, ["--help"]).exit_code == 0


def test_serve_and_ui_explain_their_options() -> None:
    serve_help = runner.invoke(app, ["serve", "--help"])
    assert serve_help.exit_code == 0 and "--cron" in serve_help.output
    ui_help = runner.invoke(app, ["ui", "--help"])
    assert ui_help.exit_code == 0 and "--host" in ui_help.output and "127.0.0.1" in ui_help.output


@pytest.mark.parametrize(("options", "host", "port"), [
    ([], "127.0.0.1", 4200),
    (["--host", "0.0.0.0", "--port", "8080"], "0.0.0.0", 8080),
])
def test_ui_binds_to_127_0_0_1_unless_told_otherwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     options: list[str], host: str, port: int) -> None:
    import flows.ops

    calls = []
    monkeypatch.setattr(flows.ops, "run_ui", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ui", *options])
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = calls
    assert args == (host, port) and kwargs == {"home": (tmp_path / ".prefect").resolve()}


def test_serve_without_a_server_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = runner.invoke(app, ["serve", "--raw-dir", str(RAW), "--staging-dir", str(tmp_path / "s"),
                                 "--warehouse-dir", str(tmp_path / "w"), "--expectations-dir",
                                 str(ROOT / "expectations"), "--prefect-home", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "pressline ui" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("argv", [["run", "--batch-size", "0"], ["run", "--bogus"], ["clean"], ["frob"]])
def test_usage_errors_are_one_line_pointing_to_help(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "--help" in lines[0], lines


def test_run_hands_the_flow_absolute_folders_and_the_chosen_runner(tmp_path: Path, monkeypatch) -> None:
    """Relative folders become absolute (a Dask worker elsewhere must find the same files)."""
    import flows.pipeline

    calls = []

    def capture(*args, **kwargs):
        calls.append((args, kwargs))
        raise OSError(5, "stopped by the test")

    monkeypatch.setattr(flows.pipeline, "run_pipeline", capture)
    shutil.copytree(RAW, tmp_path / "raw")
    shutil.copytree(ROOT / "expectations", tmp_path / "expectations")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    for flags, runner_arguments in ((["--task-runner", "dask", "--workers", "2"], ("dask", 2, None)),
                                    (["--dask-address", "tcp://10.0.0.5:8786"], ("dask", os.cpu_count() or 1,
                                                                                 "tcp://10.0.0.5:8786")),
                                    (["--workers", "1"], ("process", 1, None))):
        assert runner.invoke(app, ["run", *flags]).exit_code == 1
        arguments, parameters = calls.pop()
        assert arguments == runner_arguments
        root = tmp_path.resolve()
        assert {name: parameters[name] for name in ("raw_dir", "staging_dir", "warehouse_dir", "expectations_dir")} \
            == {f"{folder}_dir": str(root / folder) for folder in ("raw", "staging", "warehouse", "expectations")}


def test_serve_hands_its_schedule_and_folders_to_prefect(tmp_path: Path, monkeypatch) -> None:
    import flows.ops

    calls = []
    monkeypatch.setattr(flows.ops, "serve", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    folders = [tmp_path / name for name in ("s", "w")]
    common = ["--raw-dir", str(RAW), "--staging-dir", str(folders[0]), "--warehouse-dir", str(folders[1]),
              "--expectations-dir", str(ROOT / "expectations")]
    assert runner.invoke(app, ["serve", *common]).exit_code == 0
    assert runner.invoke(app, ["serve", *common, "--cron", "*/10 * * * *", "--name", "ten"]).exit_code == 0
    as_urls = ["--raw-dir", RAW.as_uri(), "--staging-dir", folders[0].as_uri(), "--warehouse-dir",
               folders[1].as_uri(), "--expectations-dir", (ROOT / "expectations").as_uri()]
    assert runner.invoke(app, ["serve", *as_urls]).exit_code == 0
    assert calls == [(("0 * * * *", RAW, *folders, ROOT / "expectations"), {"name": "pressline"}),
                     (("*/10 * * * *", RAW, *folders, ROOT / "expectations"), {"name": "ten"}),
                     (("0 * * * *", RAW, *folders, ROOT / "expectations"), {"name": "pressline"})]
    refused = runner.invoke(app, ["serve", "--raw-dir", "s3://bucket/raw"])
    assert refused.exit_code == 2 and "file:// URLs" in refused.output


@pytest.mark.filterwarnings("ignore:Logger 'prefect.flow_runs' attempted to send logs")
def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(monkeypatch) -> None:
    import io
    import logging

    from rich.console import Console

    import pressline.cli
    from flows.pipeline import PROGRESS_KEY

    def shown(terminal: bool) -> str:
        screen = io.StringIO()
        monkeypatch.setattr(pressline.cli, "console", Console(file=screen, force_terminal=terminal, width=100))
        with pressline.cli._progress_display():
            logging.getLogger("prefect.flow_runs").info("Batch 1/3 done: 400 of 1200 input files",
                                                        extra={PROGRESS_KEY: ("input files", 400, 1200)})
        return screen.getvalue()

    assert "400/1200" in shown(terminal=True) and "input files" in shown(terminal=True)
    assert "\x1b[" in shown(terminal=True)
    assert shown(terminal=False) == "Batch 1/3 done: 400 of 1200 input files\n"


def test_missing_raw_dir_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--raw-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_unwritable_warehouse_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["run", "--raw-dir", str(RAW), "--warehouse-dir", str(blocker / "wh"),
                                 "--expectations-dir", str(ROOT / "expectations")])
    assert result.exit_code == 2
    assert "not writable" in result.output and "Traceback" not in result.output


def test_a_failing_run_is_one_line_and_exit_1(tmp_path: Path, monkeypatch) -> None:
    import flows.pipeline

    def broken_flow(*args, **kwargs):
        raise OSError(28, "No space left on device\nsecond line of detail")

    monkeypatch.setattr(flows.pipeline, "run_pipeline", broken_flow)
    result = runner.invoke(app, ["run", "--raw-dir", str(RAW), "--staging-dir", str(tmp_path / "s"),
                                 "--warehouse-dir", str(tmp_path / "w"), "--expectations-dir",
                                 str(ROOT / "expectations"), "--prefect-home", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: the run failed and published nothing: OSError: [Errno 28] No space left on device"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_broken_suite_stops_the_run_before_it_starts(tmp_path: Path, monkeypatch, workers: str) -> None:
    """The suite is loaded while the embedded API comes up (in this process for one worker, in a
    short-lived one for more); a broken one is one line, exit 2, nothing written."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    expectations = tmp_path / "expectations"
    expectations.mkdir()
    (expectations / "articles.json").write_text('{"name": "articles", "expectations": [{"type": "expect_', "utf-8")
    result = runner.invoke(app, ["run", "--raw-dir", str(RAW), "--staging-dir", str(tmp_path / "s"),
                                 "--warehouse-dir", str(tmp_path / "w"), "--expectations-dir", str(expectations),
                                 "--prefect-home", str(tmp_path / "p"), "--workers", workers])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "articles.json" in lines[0]
    assert not (tmp_path / "w" / "_current").exists()
    assert "PREFECT_API_URL" not in os.environ


@pytest.mark.parametrize(("flags", "code"), [([], 0), (["--strict"], 4)])
def test_failed_batch_checks_warn_and_exit_0_unless_strict(tmp_path: Path, monkeypatch, flags, code) -> None:
    import flows.pipeline

    summary = {"run_id": "r1", "files_read": 30, "files_unchanged": 0, "articles": 30, "quarantined": 0,
               "rejected": 0, "removed_lines": 10, "duplicates": 0, "batches": 1, "batches_resumed": 0,
               "workers": 1, "seconds": 1.0, "warehouse": "w"}

    class FailedState:
        def result(self, raise_on_failure: bool = True):
            return flows.pipeline.BatchChecksFailed("batch-level expectations failed: most_articles_dated", summary)

    monkeypatch.setattr(flows.pipeline, "run_pipeline", lambda *args, **kwargs: FailedState())
    result = runner.invoke(app, ["run", "--raw-dir", str(RAW), "--staging-dir", str(tmp_path / "s"),
                                 "--warehouse-dir", str(tmp_path / "w"), "--expectations-dir",
                                 str(ROOT / "expectations"), "--prefect-home", str(tmp_path / "p"), *flags])
    assert result.exit_code == code
    assert "articles written" in result.output and "most_articles_dated" in result.output


def test_clean_marks_every_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["clean", str(RAW / "000_6182cfd0a0125c9f.txt")])
    assert result.exit_code == 0
    assert "share_widget" in result.output and "keep" in result.output and "view_counter" in result.output


def test_extract_shows_the_fields_of_one_dump() -> None:
    result = runner.invoke(app, ["extract", str(RAW / "000_6182cfd0a0125c9f.txt")])
    assert result.exit_code == 0
    assert "Cao Yin" in result.output and "2015-09-22T05:12:00+00:00" in result.output
    assert "China Daily USA 09/22/2015 page16" in result.output


def test_extract_as_json_is_the_record_with_its_body() -> None:
    result = runner.invoke(app, ["extract", "--json", str(RAW / "000_6182cfd0a0125c9f.txt")])
    fields = json.loads(result.output)
    assert fields["title"] == "Experts: Cooperation best option to quell cyber disputes"
    assert (fields["published_at"], fields["published_date"], fields["updated_date"]) == (
        "2015-09-22T05:12:00+00:00", "2015-09-22", None)
    assert fields["authors"] == ["Cao Yin"] and fields["body"].startswith("Consensus and cooperation")


@pytest.mark.parametrize("command", ["clean", "extract"])
def test_one_dump_commands_on_a_missing_file(tmp_path: Path, command: str) -> None:
    result = runner.invoke(app, [command, str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "not a file" in result.output



def test_pressline_run_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    shutil.copytree(RAW, tmp_path / "raw")
    shutil.copytree(ROOT / "expectations", tmp_path / "expectations")
    env = {name: value for name, value in os.environ.items() if name not in ("PREFECT_HOME", "PREFECT_API_URL")}
    result = subprocess.run([sys.executable, "-m", "pressline.cli", "run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "articles written" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert "database is locked" not in result.stderr
    articles = ds.dataset(tmp_path / "warehouse" / "articles", format="parquet", partitioning="hive").to_table()
    rows = {row["source_path"]: row for row in articles.to_pylist()}
    gold = load_seed_gold()
    assert set(rows) == {seed["file"].removeprefix("raw/") for seed in gold}
    for seed in gold:
        row = rows[seed["file"].removeprefix("raw/")]
        assert row["body"].split("\n\n") == seed["body_lines"]
        assert (row["title"], row["publisher"], row["authors"] or []) == (
            seed["title"], seed["publisher"], seed["authors"] or [])
    assert (tmp_path / ".prefect" / "prefect.db").is_file()  # the embedded API's SQLite, inside the project


def test_without_verbose_prefect_prints_nothing_and_the_flow_warnings_are_one_line_each(
        tmp_path: Path, monkeypatch) -> None:
    """Prefect's console handler (also in the workers, through the environment) is silenced; a
    failing run's ERROR records and tracebacks never reach the terminal (the CLI run in
    tests/test_warehouse_failures.py checks it on a real failure)."""
    import logging

    from pressline import cli

    for name in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_SERVER_ANALYTICS_ENABLED",
                 "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL",
                 "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL"):
        monkeypatch.setenv(name, "")  # so that monkeypatch restores what _prefect_environment sets
        monkeypatch.delenv(name)
    cli._prefect_environment(tmp_path / "prefect", verbose=False)
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "CRITICAL"
    printed = []
    monkeypatch.setattr(cli.errors, "print", lambda text, **kwargs: printed.append(text))
    echo = cli._WarningEcho()
    for level, message in ((logging.WARNING, "Took over the warehouse lock"), (logging.ERROR, "Traceback ...")):
        echo.handle(logging.LogRecord("prefect.flow_runs", level, __file__, 1, message, None, None))
    assert printed == ["[bold yellow]warning:[/] Took over the warehouse lock"]
