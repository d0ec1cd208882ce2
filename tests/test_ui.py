"""A real local Prefect server, started once for the module as `pressline ui` starts it: `pressline run` reports
to it, `serve` deploys to it and its runs complete, the UI page shows the run, and Ctrl-C stops it all cleanly.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterName
from prefect.client.schemas.objects import FlowRun, State
from prefect.client.schemas.responses import DeploymentResponse
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.ops import STATE_FILE, OpsError, api_url_if_ui_running, serve, start_ui
from flows.pipeline import CENSUS_SPAN
from pressline.pipeline import STAGES
from tests.conftest import RAW, ROOT

CHROMIUM = Path("/usr/bin/chromium")
BATCH_SIZE = 2
T = TypeVar("T")


@dataclass(frozen=True)
class Child:
    """A Python subprocess whose output goes to a file, so a chatty child never blocks on a full pipe."""
    process: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, args: list[str], cwd: Path, env: dict[str, str]) -> Child:
        log = cwd / "child.log"
        with log.open("w") as out:
            return cls(subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, text=True,
                                        stdout=out, stderr=subprocess.STDOUT), log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def ctrl_c(self) -> str:
        """SIGINT, as Ctrl-C in a terminal sends; the whole output once the child has exited."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        return self.output()


@dataclass(frozen=True)
class Server:
    ui: Child
    api_url: str
    ui_url: str
    home: Path


@dataclass(frozen=True)
class Served:
    child: Child
    root: Path
    cron: str
    name: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workspace(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(RAW, root / "raw")
    return root


def child_env(server: Server, home: Path, **extra: str) -> dict[str, str]:
    """A client of `server` with its own PREFECT_HOME: the API, not a shared database file, links them."""
    return {**os.environ, "PREFECT_API_URL": server.api_url, "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(ROOT), **extra}


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, child: Child) -> T:
    """Poll `probe` until it returns something; fail at once, with its output, if `child` dies meanwhile."""
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        if child.process.poll() is not None:
            pytest.fail(f"exited with code {child.process.returncode} while waiting for {what}:\n{child.output()}")
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.5)
    return found


def deployment_named(client: SyncPrefectClient, name: str) -> DeploymentResponse | None:
    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        return None


def final_state(client: SyncPrefectClient, run_id: UUID) -> State | None:
    state = client.read_flow_run(run_id).state
    return state if state is not None and state.is_final() else None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`run_ui` in a subprocess, as `pressline ui` runs it; the module's last test stops it with Ctrl-C."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    ui = Child.start(["-c", f"from pathlib import Path; from flows.ops import run_ui; "
                            f"run_ui('127.0.0.1', {port}, home=Path({str(home)!r}))"],
                     tmp_path_factory.mktemp("ui"), {**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        api_url = wait_for(lambda: api_url_if_ui_running(home), 150, "pressline ui to answer", ui)
        yield Server(ui, api_url, f"http://127.0.0.1:{port}", home)
    finally:
        if ui.process.poll() is None:
            ui.ctrl_c()


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[SyncPrefectClient]:
    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as api:
        yield api


@pytest.fixture(scope="module")
def cli_run(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Child, Path]]:
    """`pressline run` in a subprocess of the project whose `pressline ui` is up, with no PREFECT_API_URL:
    the CLI finds the server by itself (else the run goes to an embedded API and `flow_run` finds nothing)."""
    root = workspace(tmp_path_factory.mktemp("cli-run") / "w")
    environment = child_env(server, root / ".prefect")
    del environment["PREFECT_API_URL"], environment["PREFECT_HOME"]
    child = Child.start(
        ["-m", "pressline.cli", "run", "--raw-dir", str(root / "raw"), "--staging-dir", str(root / "staging"),
         "--warehouse-dir", str(root / "warehouse"), "--expectations-dir", str(ROOT / "expectations"),
         "--batch-size", str(BATCH_SIZE), "--prefect-home", str(server.home)],
        root, environment)
    try:
        yield child, root
    finally:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()


@pytest.fixture(scope="module")
def served(server: Server, cli_run: tuple[Child, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`serve` with relative paths in a subprocess, started beside the CLI run to keep the module short."""
    root = workspace(tmp_path_factory.mktemp("serve") / "w")
    cron, name = "*/5 * * * *", "every-five-minutes"
    child = Child.start(
        ["-c", f"from flows.ops import serve; "
               f"serve({cron!r}, 'raw', 'staging', 'warehouse', {str(ROOT / 'expectations')!r}, name={name!r})"],
        root, child_env(server, root / ".prefect", PREFECT_RUNNER_POLL_FREQUENCY="1"))
    try:
        yield Served(child, root, cron, name)
    finally:
        if child.process.poll() is None:
            child.ctrl_c()


@pytest.fixture(scope="module")
def flow_run(cli_run: tuple[Child, Path], client: SyncPrefectClient) -> FlowRun:
    child, root = cli_run
    assert child.process.wait(180) == 0, child.output()
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"pressline-{root / 'raw'}"])))
    assert len(runs) == 1
    return runs[0]


def test_serve_deploys_on_the_cron_runs_it_and_stops_cleanly_on_ctrl_c(
        server: Server, client: SyncPrefectClient, served: Served) -> None:
    deployment = wait_for(lambda: deployment_named(client, f"pressline/{served.name}"), 90, "the deployment",
                          served.child)
    assert [schedule.schedule.cron for schedule in deployment.schedules] == [served.cron]
    assert deployment.parameters["raw_dir"] == str(served.root / "raw")
    run = client.create_flow_run_from_deployment(deployment.id)
    final = wait_for(lambda: final_state(client, run.id), 120, "the served flow run", served.child)
    assert final.is_completed(), final.message
    assert (served.root / "warehouse" / "articles").is_dir()
    output = served.child.ctrl_c()
    assert served.child.process.returncode == 0, output
    assert "Traceback" not in output, output
    assert f"{server.ui_url}/runs" in output
    assert all(schedule.active for schedule in client.read_deployment(deployment.id).schedules)


def test_the_run_is_completed_on_the_server_with_every_task(flow_run: FlowRun,
                                                            client: SyncPrefectClient) -> None:
    assert flow_run.state is not None and flow_run.state.is_completed()
    assert client.read_flow(flow_run.flow_id).name == "pressline"
    tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
    assert all(task.state is not None and task.state.is_completed() for task in tasks)
    batches = -(-sum(path.is_file() for path in RAW.rglob("*")) // BATCH_SIZE)
    assert batches > 1
    expected = {"batch": batches, "census": -(-batches // CENSUS_SPAN), "plan": 1, "dedup": 1, "publish": 1} | {
        stage: batches for stage in STAGES}
    counts = Counter(task.name.split("-")[0] for task in tasks)
    assert {name: counts[name] for name in expected} == expected
    assert {task.name for task in tasks if task.name.startswith("batch-")} == {
        f"batch-{batch}" for batch in range(batches)}
    assert {task.name for task in tasks if task.name.startswith("clean-")} == {
        f"clean-{batch}" for batch in range(batches)}


def test_a_run_without_a_terminal_prints_a_line_per_census_and_batch_task(flow_run: FlowRun, cli_run: tuple[Child, Path]) -> None:
    output = cli_run[0].output()
    batches = -(-sum(path.is_file() for path in RAW.rglob("*")) // BATCH_SIZE)
    assert [line.split(":")[0] for line in output.splitlines() if line.startswith("Batch ")] == [
        f"Batch {done}/{batches} done" for done in range(1, batches + 1)]
    assert [line.split(":")[0] for line in output.splitlines() if line.startswith("Census ")] == [
        f"Census {min(done, batches)}/{batches} counted" for done in range(CENSUS_SPAN, batches + CENSUS_SPAN, CENSUS_SPAN)]


def test_api_url_is_found_while_the_server_answers_not_from_a_stale_file(server: Server, tmp_path: Path) -> None:
    assert api_url_if_ui_running(server.home) == server.api_url
    assert api_url_if_ui_running(tmp_path) is None
    (tmp_path / STATE_FILE).write_text(json.dumps({"api_url": f"http://127.0.0.1:{free_port()}/api", "pid": 1}))
    assert api_url_if_ui_running(tmp_path) is None
    (tmp_path / STATE_FILE).write_text("{not json")
    assert api_url_if_ui_running(tmp_path) is None


def test_start_ui_refuses_a_second_server_for_the_same_project(server: Server) -> None:
    with pytest.raises(OpsError, match="already running at " + server.api_url):
        start_ui("127.0.0.1", free_port(), home=server.home)


def test_start_ui_refuses_a_port_in_use(server: Server, tmp_path: Path) -> None:
    with pytest.raises(OpsError, match="already in use"):
        start_ui("127.0.0.1", int(server.ui_url.rsplit(":", 1)[1]), home=tmp_path)
    assert not (tmp_path / STATE_FILE).exists()


def test_ctrl_c_while_pressline_ui_starts_leaves_no_server_behind(tmp_path: Path) -> None:
    """The server runs in its own session (Ctrl-C reaches only pressline), so run_ui must stop it itself."""
    home = tmp_path / "prefect"
    ui = Child.start(["-c", f"from pathlib import Path; from flows.ops import run_ui; "
                            f"run_ui('127.0.0.1', {free_port()}, home=Path({str(home)!r}))"],
                     tmp_path, {**os.environ, "PYTHONPATH": str(ROOT)})
    children = Path(f"/proc/{ui.process.pid}/task/{ui.process.pid}/children")
    server_pid = wait_for(lambda: int(pids[0]) if (pids := children.read_text().split()) else None, 30,
                          "the server process", ui)
    output = ui.ctrl_c()
    assert ui.process.returncode == 0, output
    assert "Traceback" not in output, output
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)


def test_serve_without_a_server_says_to_start_one(tmp_path: Path) -> None:
    """The embedded API runs no scheduler, so serving on it would never start a cron run."""
    with temporary_settings(restore_defaults={PREFECT_API_URL}), pytest.raises(OpsError, match="pressline ui"):
        serve("0 * * * *", tmp_path, tmp_path, tmp_path, tmp_path)


def test_serve_rejects_a_bad_cron_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(OpsError, match="'every hour' is not a cron expression"):
        serve("every hour", tmp_path, tmp_path, tmp_path, tmp_path)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium: install it with "
                                                  "`apt-get install -y chromium` (Debian) to run this test")
def test_the_flow_run_page_shows_the_run_in_chromium(server: Server, flow_run: FlowRun, tmp_path: Path) -> None:
    page = f"{server.ui_url}/runs/flow-run/{flow_run.id}"
    png = tmp_path / "flow-run.png"

    def chromium(profile: str, *action: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / profile}", "--window-size=1400,900", "--virtual-time-budget=15000",
             *action, page],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    shot, dump = chromium("shot", f"--screenshot={png}"), chromium("dump", "--dump-dom")
    dom, _ = dump.communicate(timeout=120)
    shot.communicate(timeout=120)
    assert dump.returncode == 0 and shot.returncode == 0
    assert flow_run.name in dom
    assert "Can't connect to Server API" not in dom
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_ctrl_c_stops_pressline_ui_and_forgets_it(server: Server) -> None:
    """Last in the module on purpose: it stops the module's server, as Ctrl-C on `pressline ui` does."""
    output = server.ui.ctrl_c()
    assert server.ui.process.returncode == 0, output
    assert "Traceback" not in output, output
    assert server.ui_url in output
    assert not (server.home / STATE_FILE).exists()
    assert api_url_if_ui_running(server.home) is None
