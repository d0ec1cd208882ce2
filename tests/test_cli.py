"""The CLI: clear one-line errors, helpful --help, the clean debugging view, and a real run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressline.cli import app
from tests.conftest import RAW, ROOT

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


def test_serve_without_a_server_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = runner.invoke(app, ["serve", "--raw-dir", str(RAW), "--staging-dir", str(tmp_path / "s"),
                                 "--warehouse-dir", str(tmp_path / "w"), "--expectations-dir",
                                 str(ROOT / "expectations"), "--prefect-home", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "pressline ui" in result.output and "Traceback" not in result.output


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


def test_a_broken_suite_stops_the_run_before_it_starts(tmp_path: Path, monkeypatch) -> None:
    """The suite is loaded while the embedded API comes up; a broken one is one line, exit 2, nothing written."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    expectations = tmp_path / "expectations"
    expectations.mkdir()
    (expectations / "articles.json").write_text('{"name": "articles", "expectations": [{"type": "expect_', "utf-8")
    result = runner.invoke(app, ["run", "--raw-dir", str(RAW), "--staging-dir", str(tmp_path / "s"),
                                 "--warehouse-dir", str(tmp_path / "w"), "--expectations-dir", str(expectations),
                                 "--prefect-home", str(tmp_path / "p")])
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


def test_clean_on_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["clean", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "not a file" in result.output


def test_pressline_run_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    shutil.copytree(RAW, tmp_path / "raw")
    shutil.copytree(ROOT / "expectations", tmp_path / "expectations")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect")}
    env.pop("PREFECT_API_URL", None)
    result = subprocess.run([sys.executable, "-m", "pressline.cli", "run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "articles written" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert "database is locked" not in result.stderr
    assert list((tmp_path / "warehouse" / "articles").rglob("*.parquet"))


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
