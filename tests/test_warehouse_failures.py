"""The warehouse under SIGKILL, a full disk and concurrent writers: the real CLI in subprocesses over ~2,000 dumps.

All runs talk to one Prefect server started for this module (the embedded API would cost
~20 s of start-up per run). Each killed run is a --full-refresh over a complete warehouse,
killed in a chosen phase (reading, writing batch checkpoints, publishing) that the test
sees on the file system; nothing in the production code helps it.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

from pressline import load
from pressline.lock import LOCK_FILE
from tests.conftest import ROOT, comparable_tables
from tests.synthetic import iter_dumps

DOCS = 2000
BATCH_SIZE = 250
BATCHES = DOCS // BATCH_SIZE
# The phase each of the 10 kills aims at, in order: reading (the run holds the lock, no batch
# of its own is written yet), writing (new batch checkpoints exist), building the snapshot in
# staging, and the commit (the new snapshot folder has appeared under _snapshots/). Read and
# write kills come first, while killed runs have left fewer checkpoints than there are batches
# (a resumed batch is not read again).
KILL_PLAN = ("read", "write", "read", "write", "read", "write", "build", "commit", "build", "commit")
POLL_SECONDS = 0.01
TABLES = ("articles", "quarantine", "rejected", "removed_lines", "inputs")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-home")),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                os.killpg(server.pid, signal.SIGKILL)
                raise RuntimeError("the Prefect server for the failure tests did not start") from None
            time.sleep(0.5)
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("crawl") / "raw"
    for name, text, expected in iter_dumps(DOCS, seed=11):
        folder = raw / name.split("_", 1)[1].rsplit("_", 1)[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return raw


def cli(prefect_api: str, raw: Path, workdir: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    # Console log levels left in this process's environment by CLI commands other tests ran in it
    # (`pressline serve` sets INFO) would decide what the child prints: it gets the CLI's own.
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_LOGGING_")}
    env = {**inherited, "PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(workdir / ".prefect"), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "pressline.cli", "run", "--raw-dir", str(raw), "--staging-dir",
         str(workdir / "staging"), "--warehouse-dir", str(workdir / "warehouse"), "--expectations-dir",
         str(ROOT / "expectations"), "--batch-size", str(BATCH_SIZE), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=600)
    return process.returncode, out + err


def tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    return comparable_tables(warehouse, TABLES)


def documents_in(warehouse: Path) -> int:
    return sum(ds.dataset(warehouse / name, format="parquet").count_rows()
               for name in ("articles", "quarantine", "rejected"))


@pytest.fixture(scope="module")
def reference(prefect_api: str, raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("reference")
    code, output = finish(cli(prefect_api, raw_dir, workdir))
    assert code == 0, output
    return workdir / "warehouse"


def copy_warehouse(source: Path, workdir: Path) -> Path:
    """A complete warehouse to start from (its symlinks kept as links)."""
    shutil.copytree(source, workdir / "warehouse", symlinks=True)
    return workdir / "warehouse"


def reader_state(warehouse: Path) -> tuple[dict[str, pd.DataFrame], set[str]]:
    """What a reader pinned to the current snapshot sees: the tables without bookkeeping, and
    the run_ids of the articles rows."""
    snapshot = Path(os.path.realpath(warehouse / load.CURRENT))
    run_ids = set(ds.dataset(snapshot / "articles", format="parquet").to_table(columns=["run_id"])
                  .column("run_id").to_pylist())
    return comparable_tables(snapshot, TABLES), run_ids


def assert_same_rows(expected: dict[str, pd.DataFrame], actual: dict[str, pd.DataFrame], when: str) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(expected[name], actual[name], check_like=True, obj=f"{name} {when}")


class KilledRun:
    """One --full-refresh run, SIGKILLed when the file system shows it in the planned phase."""

    def __init__(self, workdir: Path, start) -> None:
        self.workdir = workdir
        self.checkpoints_before = self.checkpoints()
        self.snapshots_before = self.snapshots()
        self.process: subprocess.Popen = start()

    def checkpoints(self) -> int:
        folder = self.workdir / "staging" / load.CHECKPOINTS
        return sum(1 for path in folder.glob("*") if (path / load.CHECKPOINT_SUMMARY).is_file()) \
            if folder.is_dir() else 0

    def snapshots(self) -> set[str]:
        return {path.name for path in (self.workdir / "warehouse" / load.SNAPSHOTS).iterdir()}

    def holds_lock(self) -> bool:
        try:
            holder = json.loads((self.workdir / "warehouse" / LOCK_FILE).read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return False
        return isinstance(holder, dict) and holder.get("pid") == self.process.pid

    def phase(self) -> str:
        """The phase the run is in, from what it has left on disk so far."""
        if self.snapshots() - self.snapshots_before:
            return "commit"
        if list((self.workdir / "staging").glob("*/snapshot")):
            return "build"
        return "write" if self.checkpoints() > self.checkpoints_before else "read"

    def wait_until(self, ready, what: str, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            assert self.process.poll() is None, f"the run ended before {what}: {finish(self.process)}"
            assert time.monotonic() < deadline, f"no {what} within {timeout:.0f} s"
            time.sleep(POLL_SECONDS)

    def kill_in(self, planned: str, rng: random.Random) -> str:
        if planned == "read":
            self.wait_until(self.holds_lock, "taking the lock")
            time.sleep(rng.uniform(0.0, 1.5))
        elif planned == "write":
            wanted = min(BATCHES, self.checkpoints_before + rng.randint(1, 2))
            self.wait_until(lambda: self.checkpoints() >= wanted, f"{wanted} batch checkpoints")
        else:
            self.wait_until(lambda: self.phase() == planned, f"the {planned} phase")
        phase = self.phase()
        assert self.process.poll() is None, "the run ended before it could be killed"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return phase


def test_kill_9_in_every_phase_then_rerun_equals_one_clean_run(
        prefect_api: str, raw_dir: Path, reference: Path, tmp_path: Path) -> None:
    assert documents_in(reference) == DOCS
    clean = tables(reference)
    warehouse = copy_warehouse(reference, tmp_path)
    rng = random.Random(20261202)
    killed = []
    before, _ = reader_state(warehouse)
    for planned in KILL_PLAN:
        started = time.monotonic()
        run = KilledRun(tmp_path, lambda: cli(prefect_api, raw_dir, tmp_path, "--full-refresh"))
        phase = run.kill_in(planned, rng)
        committed = load.current_snapshot(warehouse).name not in run.snapshots_before
        killed.append(f"{planned}->{phase}{' (committed)' if committed else ''}")
        print(f"kill {len(killed)}: {killed[-1]} after {time.monotonic() - started:.1f} s, "
              f"{run.checkpoints_before} -> {run.checkpoints()} checkpoints")
        after, run_ids = reader_state(warehouse)
        assert len(run_ids) == 1, f"articles of several runs after kill {killed[-1]}: {run_ids}"
        assert_same_rows(before, after, f"after kill {killed[-1]}")
        pd.testing.assert_frame_equal(after["articles"], comparable_tables(warehouse, ("articles",))["articles"],
                                      check_like=True, obj="articles through the table links")
        before = after  # nothing runs between two killed runs
    assert [entry.split("->")[0] for entry in killed] == [entry.split("->")[1].split()[0] for entry in killed], killed
    code, output = finish(cli(prefect_api, raw_dir, tmp_path, "--full-refresh"))
    assert code == 0, output
    assert_same_rows(clean, tables(warehouse), "after the re-run")
    assert not any((tmp_path / "staging").iterdir())
    committed = load.committed_snapshots(warehouse)
    assert sorted(committed) == sorted(path.name for path in (warehouse / load.SNAPSHOTS).iterdir()), "orphans"
    for name in committed:  # a run killed right after its commit still has its results kept
        assert (warehouse / load.VALIDATION_DIR / name).is_dir() and (warehouse / load.DOCS_DIR / name).is_dir()


# Put on the child's PYTHONPATH: the disk fills up once a publish has written the first table
# (articles) of the snapshot it builds in staging, whichever pyarrow writer it opens files with.
NO_SPACE_LEFT = """
import errno, os
import pyarrow, pyarrow.dataset, pyarrow.parquet


def _no_space_left(path):
    path = str(path)
    if "/snapshot/" in path and "/snapshot/articles" not in path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


_write_dataset = pyarrow.dataset.write_dataset
_writer_init = pyarrow.parquet.ParquetWriter.__init__
_os_file = pyarrow.OSFile


def write_dataset(data, base_dir, *args, **kwargs):
    _no_space_left(base_dir)
    return _write_dataset(data, base_dir, *args, **kwargs)


def writer_init(self, where, *args, **kwargs):
    if isinstance(where, (str, os.PathLike)):
        _no_space_left(where)
    _writer_init(self, where, *args, **kwargs)


def os_file(path, mode="r", *args, **kwargs):
    if "w" in mode or "a" in mode:
        _no_space_left(path)
    return _os_file(path, mode, *args, **kwargs)


pyarrow.dataset.write_dataset = write_dataset
pyarrow.parquet.ParquetWriter.__init__ = writer_init
pyarrow.OSFile = os_file
"""


def contents(warehouse: Path) -> dict[str, str]:
    """Every file's sha256 and every link's target under the warehouse, links not followed."""
    found = {}
    for folder, names, files in os.walk(warehouse):
        for name in names + files:
            path = Path(folder) / name
            key = path.relative_to(warehouse).as_posix()
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_file():
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_a_full_disk_while_publishing_fails_cleanly_and_changes_nothing(
        prefect_api: str, raw_dir: Path, reference: Path, tmp_path: Path) -> None:
    """One changed dump to load: the publish hard-links the unchanged files of the current
    snapshot into staging, and the disk fills up while it writes the rewritten partitions."""
    warehouse = copy_warehouse(reference, tmp_path)
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)  # sizes and mtimes kept: unchanged for the manifest
    changed = sorted(raw.rglob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA closing line added later.\n", encoding="utf-8")
    before = contents(warehouse)
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(NO_SPACE_LEFT, encoding="utf-8")
    python_path = os.pathsep.join(filter(None, [str(inject), os.environ.get("PYTHONPATH")]))
    code, output = finish(cli(prefect_api, raw, tmp_path, env={"PYTHONPATH": python_path}))
    assert code == 1, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert errors == ["error: the run failed and published nothing: OSError: [Errno 28] No space left on device"], output
    assert contents(warehouse) == before
    assert [path.name for path in (tmp_path / "staging").iterdir()] == [load.CHECKPOINTS], "only checkpoints stay"


def test_two_runs_at_once_never_interleave(prefect_api: str, raw_dir: Path, tmp_path: Path) -> None:
    first = cli(prefect_api, raw_dir, tmp_path, "--full-refresh")
    second = cli(prefect_api, raw_dir, tmp_path, "--full-refresh")
    results = sorted([finish(first), finish(second)])
    assert [code for code, _ in results] == [0, 3], results
    assert "another pressline run" in results[1][1] and "Traceback" not in results[1][1]
    assert documents_in(tmp_path / "warehouse") == DOCS
