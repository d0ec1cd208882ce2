"""notebooks/explore.ipynb runs top to bottom against a warehouse built from the seeds, so it cannot rot."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest
from nbclient import NotebookClient

from pressline import dedup, ingest, load, pipeline
from pressline.validate import ArticleValidator
from tests.conftest import RAW, ROOT

SHORT_PAGE = "A short note\nThe meeting was moved to Friday, organisers said in a statement today.\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built with the engine's stage functions directly (the flow test covers Prefect)."""
    root = tmp_path_factory.mktemp("notebook")
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    (raw / "short.txt").write_text(SHORT_PAGE, encoding="utf-8")
    now = datetime.now(timezone.utc)
    staging = load.RunStaging(root / "staging", load.new_run_id(now))
    ingested = pipeline.ingest_batch(ingest.discover(raw), now)
    extracted = pipeline.extract_batch(pipeline.clean_batch(ingested.documents), staging.run_id)
    outcome = ArticleValidator(ROOT / "expectations").validate(extracted.articles, now)
    passed, quarantined = pipeline.split_quarantine(extracted.articles, outcome)
    for name, table in {"articles": passed, "quarantine": quarantined, "removed_lines": extracted.removed_lines,
                        "signatures": dedup.signatures_table(passed)}.items():
        staging.write_batch(name, 0, table)
    load.publish(staging, root / "warehouse")
    return root / "warehouse"


def test_the_notebook_runs_and_shows_the_chart_and_tables(warehouse: Path, monkeypatch) -> None:
    notebook = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    monkeypatch.setenv("PRESSLINE_WAREHOUSE", str(warehouse))
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert any("image/png" in output.get("data", {}) for output in outputs), "no chart was drawn"
    text = "\n".join(str(output.get("data", {}).get("text/plain", "")) + output.get("text", "") for output in outputs)
    assert "China Daily USA" in text and "body_min_words" in text and "share_widget" in text
    assert f"reading snapshot {load.current_snapshot(warehouse).name}" in text, "the notebook pins one snapshot"


def test_plain_readers_agree_on_the_tables(warehouse: Path) -> None:
    import duckdb

    pandas_rows = len(pd.read_parquet(warehouse / "articles"))
    arrow_rows = ds.dataset(warehouse / "articles", format="parquet", partitioning="hive").count_rows()
    duck = duckdb.sql(f"select count(*), count(distinct doc_id) from read_parquet("
                      f"'{warehouse}/articles/**/*.parquet', hive_partitioning=true)").fetchall()[0]
    polars_frame = pl.read_parquet(f"{warehouse}/articles/**/*.parquet", hive_partitioning=True)
    assert pandas_rows == arrow_rows == duck[0] == duck[1] == polars_frame.height == 5
    assert str(polars_frame.schema["published_at"]) == "Datetime(time_unit='us', time_zone='UTC')"
    described = duckdb.sql(f"describe select * from read_parquet('{warehouse}/articles/**/*.parquet', "
                           "hive_partitioning=true)").fetchall()
    duck_types = {row[0]: row[1] for row in described}
    assert {name: duck_types[name] for name in ("published_at", "published_date", "authors", "word_count")} == {
        "published_at": "TIMESTAMP WITH TIME ZONE", "published_date": "DATE", "authors": "VARCHAR[]",
        "word_count": "INTEGER"}
    assert len(duck_types) == len(described)  # no partition key shares a name with a column
    assert set(os.listdir(warehouse / "articles")) == {"publisher_key=beijing-review", "publisher_key=china-daily-usa",
                                                      "publisher_key=unknown"}
