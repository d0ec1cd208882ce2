"""Operating pressline: serve the flow on a schedule, and run a local Prefect server with its UI.

Prefect reads its settings (PREFECT_API_URL above all) once, when it is first imported, so this
module imports Prefect only inside `serve`: the CLI can call `api_url_if_ui_running` and set
PREFECT_API_URL before anything Prefect is loaded.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape

STATE_FILE = "pressline-ui.json"
LOG_FILE = "pressline-ui.log"
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}
console = Console()


class OpsError(RuntimeError):
    """Serving or the local server cannot go on: the message is one line for the user (the CLI exits 2)."""


def serve(cron: str, raw_dir: str | Path, staging_dir: str | Path, warehouse_dir: str | Path,
          expectations_dir: str | Path, name: str = "pressline") -> None:
    """Serve `pressline_flow` as deployment `pressline/<name>` on `cron` (UTC) until Ctrl-C.

    Needs a Prefect server (PREFECT_API_URL): the embedded API runs no scheduler, so no cron run would
    ever start. Paths are made absolute because scheduled runs start later, from the runner's folder.
    The schedule stays active on shutdown, so a restarted `serve` picks it up without a manual step.
    """
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.settings import get_current_settings
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron)
    except ValidationError:
        raise OpsError(f"'{cron}' is not a cron expression (five fields, e.g. '0 * * * *' for hourly)") from None
    settings = get_current_settings()
    if not settings.api.url:
        raise OpsError("serving on a schedule needs a Prefect server: the embedded API has no scheduler and no UI. "
                       "Start `pressline ui` in another terminal (or set PREFECT_API_URL to an existing server), "
                       "then serve again")
    try:
        from prefect.types.entrypoint import EntrypointType

        from flows.pipeline import pressline_flow

        deployment = f"{pressline_flow.name}/{name}"
        console.print(f"Serving [bold]{escape(deployment)}[/] on cron [bold]{escape(cron)}[/] (UTC).",
                      soft_wrap=True)
        console.print(f"Watch its runs in the Prefect UI: {escape(str(settings.ui_url or settings.api.url))}/runs",
                      soft_wrap=True)
        console.print("Ctrl-C stops serving; the schedule stays on the server for the next `pressline serve`.",
                      soft_wrap=True)
        pressline_flow.serve(
            name=name,
            cron=cron,
            parameters={
                "raw_dir": str(Path(raw_dir).resolve()),
                "staging_dir": str(Path(staging_dir).resolve()),
                "warehouse_dir": str(Path(warehouse_dir).resolve()),
                "expectations_dir": str(Path(expectations_dir).resolve()),
            },
            pause_on_shutdown=False,
            # The package is installed, so runs import the flow by module wherever they start.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    except KeyboardInterrupt:
        pass
    console.print("Stopped serving.")


@contextmanager
def shared_embedded_api(startup_timeout: float = 180.0,
                        while_starting: Callable[[], object] | None = None) -> Iterator[str | None]:
    """Prefect's embedded API (local SQLite), started up front so worker processes report to it too.

    Left to Prefect, the flow starts it on first use and every worker process of a process
    pool or local Dask cluster starts one of its own. With a server configured
    (PREFECT_API_URL, or `pressline ui` running) this does nothing and yields its URL.
    `while_starting` runs meanwhile (the server is a subprocess: the seconds it takes to come up
    are free for checks such as loading the suite); if it raises, the server is stopped.
    """
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        if while_starting:
            while_starting()
        yield get_current_settings().api.url
        return
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(server.start, timeout=startup_timeout)
        try:
            if while_starting:
                while_starting()
        except BaseException:
            with suppress(Exception):  # the check's error is the one to report
                starting.result()
            server.stop()
            raise
        starting.result()
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
            APILogWorker.drain_all(timeout=5)  # the run's last log lines reach the API before it stops
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()


def ui_url(host: str, port: int) -> str:
    """The address a browser on this machine opens (a wildcard bind is reached through 127.0.0.1)."""
    reach = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return f"http://[{reach}]:{port}" if ":" in reach else f"http://{reach}:{port}"


def start_ui(host: str = "127.0.0.1", port: int = 4200, *, home: Path,
             startup_timeout: float = 180.0) -> subprocess.Popen:
    """Start `prefect server start` (SQLite under `home`), wait until it answers, and record its API URL.

    Raises OpsError when the address is taken, or the server exits or does not answer in time.
    """
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    running = api_url_if_ui_running(home)
    if running:
        raise OpsError(f"a Prefect server for this project is already running at {running}")
    if _listening(host, port):
        raise OpsError(f"{host}:{port} is already in use; choose another port with --port")
    api_url = f"{ui_url(host, port)}/api"
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    # Without it the UI calls the API on port 4200; on a wildcard bind only the user knows the public name.
    env["PREFECT_UI_API_URL"] = (os.environ.get("PREFECT_UI_API_URL", api_url) if host in WILDCARD_HOSTS
                                 else api_url)
    log = home / LOG_FILE
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the server in order
        )
    deadline = time.monotonic() + startup_timeout
    try:
        while not _healthy(api_url):
            if process.poll() is not None:
                raise OpsError(f"the Prefect server exited (code {process.returncode}) before it answered: "
                               f"{_last_line(log)} (log: {log})")
            if time.monotonic() > deadline:
                raise OpsError(f"the Prefect server did not answer within {startup_timeout:.0f} s (log: {log})")
            time.sleep(0.5)
    except BaseException:  # Ctrl-C while waiting too: the server is in its own session, so stop it here
        _terminate(process)
        raise
    state = home / STATE_FILE
    partial = state.with_suffix(".tmp")
    partial.write_text(json.dumps({"api_url": api_url, "ui_url": ui_url(host, port), "pid": process.pid}),
                       encoding="utf-8")
    partial.replace(state)
    return process


def stop_ui(process: subprocess.Popen, home: Path) -> None:
    """Stop a server started by `start_ui` and forget it, so runs go back to the embedded API."""
    _terminate(process)
    state = home.resolve() / STATE_FILE
    try:
        recorded = json.loads(state.read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError):
        return
    if recorded == process.pid:
        state.unlink(missing_ok=True)


def run_ui(host: str = "127.0.0.1", port: int = 4200, *, home: Path, startup_timeout: float = 180.0) -> None:
    """`pressline ui`: serve the UI in the foreground until Ctrl-C or SIGTERM, which stop it cleanly."""
    console.print(f"Starting a Prefect server on {escape(host)}:{port} (state in {escape(str(home))})...",
                  soft_wrap=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    process = None
    try:
        process = start_ui(host, port, home=home, startup_timeout=startup_timeout)
        console.print(f"Prefect UI: [bold]{ui_url(host, port)}[/]  (API {ui_url(host, port)}/api)", soft_wrap=True)
        console.print("While it is up, `pressline run` and `pressline serve` report to it. Ctrl-C stops it.",
                      soft_wrap=True)
        code = process.wait()
        raise OpsError(f"the Prefect server stopped by itself (code {code}); see {home.resolve() / LOG_FILE}")
    except KeyboardInterrupt:
        console.print("Stopping the Prefect server...")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process is not None:
            stop_ui(process, home)


def api_url_if_ui_running(home: Path) -> str | None:
    """The API URL recorded by `start_ui` under `home`, only while that server answers (else None)."""
    try:
        recorded = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        api_url = recorded["api_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return api_url if isinstance(api_url, str) and _healthy(api_url) else None


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _listening(host: str, port: int) -> bool:
    reach = "127.0.0.1" if host in WILDCARD_HOSTS else host
    try:
        with socket.create_connection((reach, port), timeout=1):
            return True
    except OSError:
        return False


def _terminate(process: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the server's process group (uvicorn shuts down in order), SIGKILL it if it hangs."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
