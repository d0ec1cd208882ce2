"""Batches on other runners give the same warehouse: a local process pool, a Dask cluster, file:// paths."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.pipeline import pressline_flow, task_runner
from pressline.cli import app
from tests.conftest import RAW, ROOT, comparable_tables
from tests.synthetic import STYLES, make_dump

TABLES = ("articles", "quarantine", "rejected", "removed_lines", "signatures")
BATCH_SIZE = 4


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scaleout") / "raw"
    shutil.copytree(RAW, root)
    rng = random.Random(8)
    for number in range(15):
        text, _expected = make_dump(STYLES[number % len(STYLES)], rng)
        folder = root / f"site-{number % 3}"
        folder.mkdir(exist_ok=True)
        (folder / f"page-{number:02d}.txt").write_text(text, encoding="utf-8")
    return root


def run_with(runner, raw: Path, workdir: Path) -> dict:
    flow = pressline_flow.with_options(task_runner=runner)
    return flow(raw_dir=str(raw), staging_dir=str(workdir / "staging"), warehouse_dir=str(workdir / "warehouse"),
                expectations_dir=str(ROOT / "expectations"), batch_size=BATCH_SIZE)


def assert_same_warehouse(expected: Path, actual: Path) -> None:
    left, right = comparable_tables(expected, TABLES), comparable_tables(actual, TABLES)
    for name in TABLES:
        pd.testing.assert_frame_equal(left[name], right[name], check_like=True, obj=name)


@pytest.fixture(scope="module")
def reference(harness, raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("reference")
    summary = run_with(task_runner("process", workers=1), raw, workdir)
    assert summary["batches"] == 5 and summary["workers"] == 1
    return workdir / "warehouse"


def test_a_process_pool_gives_the_same_warehouse(reference: Path, raw: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers are the flow's own process and one pool process, both running batches."""
    import multiprocessing

    from pressline import load, pipeline

    children_at_publish, children_in_flow_lane = [], []
    publish, process_batch = load.publish, pipeline.process_batch

    def counting_publish(*args, **kwargs):
        children_at_publish.append(len(multiprocessing.active_children()))
        return publish(*args, **kwargs)

    def counting_process_batch(*args, **kwargs):
        children_in_flow_lane.append(len(multiprocessing.active_children()))
        return process_batch(*args, **kwargs)

    monkeypatch.setattr(load, "publish", counting_publish)
    monkeypatch.setattr(pipeline, "process_batch", counting_process_batch)
    summary = run_with(task_runner("process", workers=2), raw, tmp_path)
    assert summary["batches"] == 5 and summary["workers"] == 2
    assert children_in_flow_lane and set(children_in_flow_lane) == {1}, "a lane here, one pool process"
    assert len(children_in_flow_lane) < 5, "the pool process ran batches too"
    assert children_at_publish == [0], "the pool's workers are stopped before publishing"
    assert_same_warehouse(reference, tmp_path / "warehouse")


def test_a_dask_cluster_gives_the_same_warehouse(reference: Path, raw: Path, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        summary = run_with(task_runner("dask", dask_address=cluster.scheduler_address), raw, tmp_path)
        validators = client.run(lambda: __import__("flows.pipeline").pipeline._validator.cache_info().currsize)
    assert summary["batches"] == 5
    assert sum(validators.values()) >= 1, "batches ran on the cluster's workers"
    assert_same_warehouse(reference, tmp_path / "warehouse")


def test_the_cli_takes_file_urls(reference: Path, raw: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "run", "--raw-dir", raw.as_uri(), "--staging-dir", (tmp_path / "staging").as_uri(),
        "--warehouse-dir", (tmp_path / "warehouse").as_uri(), "--expectations-dir", (ROOT / "expectations").as_uri(),
        "--batch-size", str(BATCH_SIZE), "--workers", "1", "--prefect-home", str(tmp_path / "prefect"), "--json"])
    assert result.exit_code == 0, result.output
    assert_same_warehouse(reference, tmp_path / "warehouse")


def test_other_url_schemes_are_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--raw-dir", "s3://bucket/raw", "--prefect-home", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: 's3://bucket/raw': only local paths and file:// URLs are supported")
