"""Shared fixtures: the seed dumps shipped in raw/ and their hand-labelled gold."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
SEEDS_GOLD = Path(__file__).parent / "data" / "seeds_gold.jsonl"
# Prefect keeps its database and task results under PREFECT_HOME (set before anything imports Prefect):
# a fresh one per test session, so the tests write nothing outside the checkout and a cached batch
# result never outlives the session.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="pressline-tests-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)


def load_seed_gold() -> list[dict]:
    return [json.loads(line) for line in SEEDS_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_text(gold: dict) -> str:
    return (ROOT / gold["file"]).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _restore_prefect_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pressline run --prefect-home` sets PREFECT_HOME for the process; undo that after each test."""
    monkeypatch.setenv("PREFECT_HOME", os.environ["PREFECT_HOME"])


@pytest.fixture(scope="session")
def seed_gold() -> list[dict]:
    return load_seed_gold()


# Columns that say which run wrote a row and when: they differ between otherwise equal runs.
BOOKKEEPING = ["run_id", "ingested_at"]


def comparable_tables(warehouse: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Tables read back without bookkeeping columns, in a stable row order, to compare two runs."""
    out = {}
    for name in names:
        frame = ds.dataset(warehouse / name, format="parquet", partitioning="hive").to_table().to_pandas()
        frame = frame.drop(columns=BOOKKEEPING, errors="ignore")
        keys = [column for column in ("source_path", "doc_id", "line_no") if column in frame.columns]
        frame = frame.astype({column: str for column in frame.columns if column in ("publisher_key", "year", "month")})
        out[name] = frame.sort_values(keys).reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def harness():
    """Prefect's test server, one per test module (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
