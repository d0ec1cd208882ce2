"""Shared fixtures: the seed dumps shipped in raw/ and their hand-labelled gold."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
SEEDS_GOLD = Path(__file__).parent / "data" / "seeds_gold.jsonl"


def load_seed_gold() -> list[dict]:
    return [json.loads(line) for line in SEEDS_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_text(gold: dict) -> str:
    return (ROOT / gold["file"]).read_text(encoding="utf-8")


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
