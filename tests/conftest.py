"""Shared fixtures: the seed dumps shipped in raw/ and their hand-labelled gold."""
from __future__ import annotations

import json
from pathlib import Path

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
