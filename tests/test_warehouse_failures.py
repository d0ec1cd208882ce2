"""The warehouse under SIGKILL and concurrent writers: the real CLI in subprocesses over ~2,000 dumps.

All runs talk to one Prefect server started for this module (the embedded API would cost
~20 s of start-up per run). Each killed run is a --full-refresh, so every kill lands in the
middle of real work: reading, writing staging, or publishing.
"""
from __future__ import annotations

import os
import random
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

from tests.conftest import ROOT, comparable_tables
from tests.synthetic import iter_dumps

DOCS = 2000
KILLS = 10
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


def cli(prefect_api: str, raw: Path, workdir: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(workdir / ".prefect")}
    return subprocess.Popen(
        [sys.executable, "-m", "pressline.cli", "run", "--raw-dir", str(raw), "--staging-dir",
         str(workdir / "staging"), "--warehouse-dir", str(workdir / "warehouse"), "--expectations-dir",
         str(ROOT / "expectations"), "--batch-size", "250", *extra],
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
def reference(prefect_api: str, raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    workdir = tmp_path_factory.mktemp("reference")
    started = time.monotonic()
    code, output = finish(cli(prefect_api, raw_dir, workdir))
    assert code == 0, output
    return workdir / "warehouse", time.monotonic() - started


def test_kill_9_at_random_points_then_rerun_equals_one_clean_run(
        prefect_api: str, raw_dir: Path, reference: tuple[Path, float], tmp_path: Path) -> None:
    reference_warehouse, seconds = reference
    assert documents_in(reference_warehouse) == DOCS
    rng = random.Random(20261202)
    for _ in range(KILLS):
        process = cli(prefect_api, raw_dir, tmp_path, "--full-refresh")
        time.sleep(rng.uniform(1.0, seconds))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if (tmp_path / "warehouse" / "_current").exists():
            assert documents_in(tmp_path / "warehouse") == DOCS, "a reader saw a partial warehouse"
    code, output = finish(cli(prefect_api, raw_dir, tmp_path))
    assert code == 0, output
    expected, actual = tables(reference_warehouse), tables(tmp_path / "warehouse")
    for name in TABLES:
        pd.testing.assert_frame_equal(expected[name], actual[name], check_like=True, obj=name)
    assert not any((tmp_path / "staging").iterdir())
    snapshots = list((tmp_path / "warehouse" / "_snapshots").iterdir())
    assert len(snapshots) <= 2


def test_two_runs_at_once_never_interleave(prefect_api: str, raw_dir: Path, tmp_path: Path) -> None:
    first = cli(prefect_api, raw_dir, tmp_path, "--full-refresh")
    second = cli(prefect_api, raw_dir, tmp_path, "--full-refresh")
    results = sorted([finish(first), finish(second)])
    assert [code for code, _ in results] == [0, 3], results
    assert "another pressline run" in results[1][1] and "Traceback" not in results[1][1]
    assert documents_in(tmp_path / "warehouse") == DOCS
