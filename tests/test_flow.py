"""End to end: the real Prefect flow (Prefect's test API, PREFECT_HOME a temp folder: see conftest) on temp
copies of the seeds."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

from flows.pipeline import pressline_flow
from pressline import ingest, load
from pressline.lock import LockBusy, WarehouseLock
from tests.conftest import RAW, ROOT, load_seed_gold

SHORT_PAGE = "A short note\nThe meeting was moved to Friday, organisers said in a statement today.\n"
PARAGRAPH = ("Delegates from both cities agreed on Friday to extend the rail link by another forty kilometres, "
             "a project officials said would cut travel times for commuters by half.")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(RAW, root / "raw")
    (root / "raw" / "bad").mkdir()
    (root / "raw" / "bad" / "empty.txt").write_bytes(b"")
    (root / "raw" / "bad" / "cut.txt.gz").write_bytes(gzip.compress(b"x" * 1000)[:20])
    (root / "raw" / "short.txt").write_text(SHORT_PAGE, encoding="utf-8")
    seed_003 = (RAW / "003_fab993e3a5618873.txt").read_text(encoding="utf-8")
    (root / "raw" / "mirror").mkdir()
    (root / "raw" / "mirror" / "003_copy.txt").write_text(seed_003.replace("- China slams", "- Beijing slams"),
                                                          encoding="utf-8")
    return root


def run(workspace: Path) -> dict:
    return pressline_flow(
        raw_dir=str(workspace / "raw"),
        staging_dir=str(workspace / "staging"),
        warehouse_dir=str(workspace / "warehouse"),
        expectations_dir=str(ROOT / "expectations"),
        batch_size=3,
    )


def table(workspace: Path, name: str) -> pd.DataFrame:
    frame = ds.dataset(workspace / "warehouse" / name, format="parquet", partitioning="hive").to_table().to_pandas()
    return frame.sort_values(list(frame.columns[:1])).reset_index(drop=True)


@pytest.fixture(scope="module")
def first_run(harness, workspace: Path) -> dict:
    return run(workspace)


def test_summary_counts_every_input(first_run: dict) -> None:
    assert first_run["files_read"] == 9
    assert (first_run["articles"], first_run["quarantined"], first_run["rejected"]) == (6, 1, 2)
    short_page_title, mirror_lines = 1, 8
    assert first_run["removed_lines"] == (sum(len(gold["removed"]) for gold in load_seed_gold())
                                          + short_page_title + mirror_lines)
    assert first_run["duplicates"] == 1


def test_nothing_lost_each_input_in_exactly_one_table(first_run: dict, workspace: Path) -> None:
    paths = [set(table(workspace, name)["source_path"]) for name in ("articles", "quarantine", "rejected")]
    assert sum(len(group) for group in paths) == 9
    assert set().union(*paths) == {path.relative_to(workspace / "raw").as_posix()
                                    for path in (workspace / "raw").rglob("*.txt*")}


def test_seed_articles_match_gold(first_run: dict, workspace: Path) -> None:
    articles = table(workspace, "articles").set_index("source_path")
    for gold in load_seed_gold():
        row = articles.loc[gold["file"].removeprefix("raw/")]
        assert row["body"].split("\n\n") == gold["body_lines"]
        for name in ("title", "subtitle", "publisher", "section", "print_edition", "language"):
            value = row[name]
            assert (None if pd.isna(value) else value) == gold[name], name
        assert list(row["authors"]) == gold["authors"]
        assert list(row["related_links"]) == gold["related_links"]
        expected = gold["published_at"]
        if expected and "T" in expected:
            assert row["published_at"] == pd.Timestamp(datetime.fromisoformat(expected))
        elif expected:
            assert pd.isna(row["published_at"]) and row["published_date"] == date.fromisoformat(expected)
        else:
            assert pd.isna(row["published_at"]) and pd.isna(row["published_date"])


def test_quarantine_and_rejected_say_why(first_run: dict, workspace: Path) -> None:
    quarantine = table(workspace, "quarantine")
    assert list(quarantine["source_path"]) == ["short.txt"]
    assert "body_min_words" in list(quarantine["failed_expectations"][0])
    errors = dict(zip(table(workspace, "rejected")["source_path"], table(workspace, "rejected")["error"]))
    assert set(errors) == {"bad/empty.txt", "bad/cut.txt.gz"}
    assert all(error.endswith(".") and "Traceback" not in error for error in errors.values())


def test_a_mirrored_copy_is_flagged_not_dropped(first_run: dict, workspace: Path) -> None:
    articles = table(workspace, "articles").set_index("source_path")
    pair = articles.loc[["003_fab993e3a5618873.txt", "mirror/003_copy.txt"]]
    kept = pair["doc_id"].min()
    assert sorted(pair["duplicate_of"].fillna("kept")) == sorted(["kept", kept])
    assert articles["duplicate_of"].notna().sum() == 1


def test_removed_lines_audit_has_reasons(first_run: dict, workspace: Path) -> None:
    removed = table(workspace, "removed_lines")
    assert removed["reason"].notna().all()
    assert {"byline", "share_widget", "copyright", "related_links"} <= set(removed["reason"])


def test_partition_keys_do_not_shadow_columns(first_run: dict, workspace: Path) -> None:
    frame = pd.read_parquet(workspace / "warehouse" / "articles")
    assert {"publisher_key", "year", "month"} <= set(frame.columns)
    assert frame["published_date"].notna().sum() == 3
    assert (workspace / "warehouse" / "articles" / "publisher_key=china-daily-usa" / "year=2015").is_dir()
    assert (workspace / "warehouse" / "articles" / "publisher_key=unknown" / "year=unknown").is_dir()


def test_validation_results_are_kept(first_run: dict, workspace: Path) -> None:
    results = list((workspace / "warehouse" / "_validation" / first_run["run_id"]).glob("*.json"))
    assert results


def _parquet_contents(workspace: Path) -> dict[str, bytes]:
    current = workspace / "warehouse" / "_current"
    return {path.relative_to(current).as_posix(): path.read_bytes() for path in current.rglob("*.parquet")}


def test_rerun_on_the_same_inputs_changes_nothing(first_run: dict, workspace: Path) -> None:
    before = _parquet_contents(workspace)
    second = run(workspace)
    assert (second["files_read"], second["files_unchanged"], second["articles"]) == (0, 9, 0)
    assert _parquet_contents(workspace) == before
    assert len(table(workspace, "runs")) == 1
    assert not any((workspace / "staging").iterdir())


def test_a_run_with_nothing_new_clears_checkpoints_left_by_a_killed_run(first_run: dict, workspace: Path) -> None:
    """A run killed after its commit but before cleaning up leaves finished checkpoints of inputs
    that are published by now; the next run has nothing to load and removes them."""
    leftover = workspace / "staging" / load.CHECKPOINTS / "0123abcd"
    leftover.mkdir(parents=True)
    (leftover / load.CHECKPOINT_SUMMARY).write_text("{}", encoding="utf-8")
    before = _parquet_contents(workspace)
    again = run(workspace)
    assert again["files_read"] == 0
    assert _parquet_contents(workspace) == before
    assert not any((workspace / "staging").iterdir())


def test_a_changed_input_replaces_its_row(first_run: dict, workspace: Path) -> None:
    short = workspace / "raw" / "short.txt"
    grown = SHORT_PAGE + "\n".join([PARAGRAPH] * 3) + "\n"
    short.write_text(grown, encoding="utf-8")
    third = run(workspace)
    assert (third["files_read"], third["articles"], third["quarantined"]) == (1, 1, 0)
    articles = table(workspace, "articles")
    assert len(articles) == 7 and articles["source_path"].is_unique
    assert "short.txt" not in set(table(workspace, "quarantine")["source_path"])
    assert len(table(workspace, "inputs")) == 9


def test_full_refresh_rebuilds_the_same_rows(first_run: dict, workspace: Path) -> None:
    bookkeeping = ["run_id", "ingested_at"]
    before = {name: table(workspace, name).drop(columns=bookkeeping, errors="ignore")
              for name in ("articles", "quarantine", "rejected", "removed_lines")}
    runs_before = len(table(workspace, "runs"))
    refreshed = pressline_flow(raw_dir=str(workspace / "raw"), staging_dir=str(workspace / "staging"),
                               warehouse_dir=str(workspace / "warehouse"),
                               expectations_dir=str(ROOT / "expectations"), batch_size=3, full_refresh=True)
    assert refreshed["files_read"] == 9
    for name, frame in before.items():
        after = table(workspace, name).drop(columns=bookkeeping, errors="ignore")
        keys = list(frame.columns[:3])
        pd.testing.assert_frame_equal(frame.sort_values(keys).reset_index(drop=True),
                                      after.sort_values(keys).reset_index(drop=True))
    assert len(table(workspace, "runs")) == runs_before + 1


def test_a_second_writer_gets_a_clear_lock_error(first_run: dict, workspace: Path) -> None:
    with WarehouseLock(workspace / "warehouse"):
        state = pressline_flow(raw_dir=str(workspace / "raw"), warehouse_dir=str(workspace / "warehouse"),
                               staging_dir=str(workspace / "staging"), return_state=True)
    assert state.is_failed() and "another pressline run" in state.message
    assert isinstance(state.result(raise_on_failure=False), LockBusy)


def test_a_write_error_fails_cleanly_and_leaves_the_warehouse(first_run: dict, workspace: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    before = _parquet_contents(workspace)
    monkeypatch.setattr(load, "_write_rows", disk_full)
    state = pressline_flow(raw_dir=str(workspace / "raw"), staging_dir=str(workspace / "staging"),
                           warehouse_dir=str(workspace / "warehouse"), expectations_dir=str(ROOT / "expectations"),
                           batch_size=3, full_refresh=True, return_state=True)
    assert state.is_failed()
    assert _parquet_contents(workspace) == before
    assert [path.name for path in (workspace / "staging").iterdir()] == [load.CHECKPOINTS]
    finished = list((workspace / "staging" / load.CHECKPOINTS).iterdir())
    assert len(finished) == 3 and all((path / load.CHECKPOINT_SUMMARY).is_file() for path in finished)


def test_a_rerun_after_a_failure_resumes_from_the_finished_batches(first_run: dict, workspace: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client

    bookkeeping = ["run_id", "ingested_at"]
    before = table(workspace, "articles").drop(columns=bookkeeping)
    resumed = pressline_flow(raw_dir=str(workspace / "raw"), staging_dir=str(workspace / "staging"),
                             warehouse_dir=str(workspace / "warehouse"), expectations_dir=str(ROOT / "expectations"),
                             batch_size=3, full_refresh=True)
    assert resumed["batches"] == resumed["batches_resumed"] == 3
    after = table(workspace, "articles")
    pd.testing.assert_frame_equal(before, after.drop(columns=bookkeeping))
    assert set(after["run_id"]) == {resumed["run_id"]}, "resumed rows belong to the run that published them"
    assert not any((workspace / "staging").iterdir())

    async def batch_states() -> list[str]:
        async with get_client() as client:
            return [run.state_name for run in await client.read_task_runs() if run.name.startswith("batch-")]

    assert asyncio.run(batch_states()).count("Cached") >= 3, "Prefect's task cache served the finished batches"


def test_failed_batch_checks_end_the_run_failed_but_publish_the_data(harness, tmp_path: Path) -> None:
    from flows.pipeline import BatchChecksFailed
    from tests.synthetic import make_dump

    rng = __import__("random").Random(5)
    (tmp_path / "raw").mkdir()
    for number in range(25):
        text, _expected = make_dump("wire_no_header", rng)
        (tmp_path / "raw" / f"wire-{number:02d}.txt").write_text(text, encoding="utf-8")
    state = pressline_flow(raw_dir=str(tmp_path / "raw"), staging_dir=str(tmp_path / "staging"),
                           warehouse_dir=str(tmp_path / "warehouse"), expectations_dir=str(ROOT / "expectations"),
                           return_state=True)
    assert state.is_failed() and "most_articles_dated" in state.message
    failure = state.result(raise_on_failure=False)
    assert isinstance(failure, BatchChecksFailed) and failure.summary["articles"] == 25
    assert len(table(tmp_path, "articles")) == 25
    assert list(table(tmp_path, "runs")["status"]) == ["completed_with_failed_batch_checks"]


def test_the_run_leaves_artifacts_and_data_docs(first_run: dict, workspace: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client

    async def artifacts() -> list:
        async with get_client() as client:
            found = await client.read_artifacts()
        return found

    found = asyncio.run(artifacts())
    assert {"pressline-counts", "pressline-report"} <= {artifact.key for artifact in found}
    report = next(artifact.data for artifact in found
                  if artifact.key == "pressline-report" and first_run["run_id"] in artifact.data)
    assert "Removed lines by reason" in report and "body_min_words" in report and "Slowest stage" in report
    counts = next(json.loads(artifact.data) for artifact in found
                  if artifact.key == "pressline-counts" and first_run["run_id"] in (artifact.description or ""))
    rows = {row["what"]: row["rows"] for row in counts}
    assert {name: rows[f"table {name}"] for name in ("articles", "quarantine", "rejected")} == {
        "articles": 6, "quarantine": 1, "rejected": 2}
    assert rows["publisher China Daily USA"] == 2 and rows["publisher Beijing Review"] == 1
    docs = workspace / "warehouse" / "_docs" / first_run["run_id"] / "index.html"
    assert docs.is_file() and f"[{docs}]({docs.resolve().as_uri()})" in report


def test_only_io_errors_are_retried() -> None:
    from prefect.states import Failed

    from flows.pipeline import _is_io_error, batch_task, plan_task

    assert batch_task.retries == plan_task.retries == 3
    assert batch_task.retry_delay_seconds == plan_task.retry_delay_seconds == [1, 2, 4]
    assert batch_task.retry_jitter_factor == plan_task.retry_jitter_factor == 0.5
    assert _is_io_error(batch_task, None, Failed(data=OSError(5, "Input/output error")))
    assert not _is_io_error(batch_task, None, Failed(data=ValueError("expectation suite is not valid JSON")))


def test_a_batch_that_hits_an_io_error_once_is_retried_and_the_run_completes(harness, tmp_path: Path,
                                                                            monkeypatch) -> None:
    from pressline import pipeline

    shutil.copytree(RAW, tmp_path / "raw")
    # Content no other test has, so no cached batch result stands in for the retried one.
    (tmp_path / "raw" / "unique.txt").write_text(f"{SHORT_PAGE}{PARAGRAPH} ({tmp_path.name})\n", encoding="utf-8")
    process_batch, calls = pipeline.process_batch, []

    def flaky_once(*args, **kwargs):
        calls.append(len(args[0]))
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        return process_batch(*args, **kwargs)

    monkeypatch.setattr(pipeline, "process_batch", flaky_once)
    summary = pressline_flow(raw_dir=str(tmp_path / "raw"), staging_dir=str(tmp_path / "staging"),
                             warehouse_dir=str(tmp_path / "warehouse"), expectations_dir=str(ROOT / "expectations"))
    assert calls == [6, 6]
    assert summary["articles"] + summary["quarantined"] + summary["rejected"] == 6
    assert len(table(tmp_path, "articles")) == summary["articles"]


def test_the_tables_do_not_depend_on_the_batch_size(harness, tmp_path: Path) -> None:
    """The line census is taken over the whole run before any batch is cleaned: lines that pages
    in different batches share are template whichever batches the pages fall in."""
    from tests.conftest import comparable_tables

    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    paragraphs = [PARAGRAPH, "The talks, which lasted three days, ended with a joint statement on data protection.",
                  "Analysts said the agreement could ease tensions that have built up over the past two years."]
    footer = "Sign up for our daily newsletter to get the best of our journalism delivered to you every morning."
    for number in range(8):
        (raw / f"site-{number}.txt").write_text(
            "\n".join([f"Story {number} of the day", *paragraphs[number % 3:], footer]) + "\n", encoding="utf-8")
    tables = []
    for size in (2, 100):
        root = tmp_path / f"batches-of-{size}"
        pressline_flow(raw_dir=str(raw), staging_dir=str(root / "staging"), warehouse_dir=str(root / "warehouse"),
                       expectations_dir=str(ROOT / "expectations"), batch_size=size)
        tables.append(comparable_tables(root / "warehouse", ("articles", "quarantine", "removed_lines")))
    for name in tables[0]:
        pd.testing.assert_frame_equal(tables[0][name], tables[1][name])
    removed = tables[0]["removed_lines"]
    assert set(removed[removed["text"] == footer]["reason"]) == {"site_template"}  # alone in a batch: body


def test_outputs_are_created_with_the_users_umask(harness, tmp_path: Path) -> None:
    """A run under umask 027 leaves nothing in the warehouse or staging that the group may write
    or others may read: every file is rw-r----- and every folder rwxr-x---, as the umask says."""
    shutil.copytree(RAW, tmp_path / "raw")
    previous = os.umask(0o027)
    try:
        summary = run(tmp_path)
        run(tmp_path)  # a second run links unchanged files and prunes: still nothing wider
    finally:
        os.umask(previous)
    assert summary["articles"] > 0
    modes = {}
    for top in ("warehouse", "staging"):
        for folder, dirnames, filenames in os.walk(tmp_path / top):
            for name in [*dirnames, *filenames]:
                status = os.lstat(os.path.join(folder, name))
                if not stat.S_ISLNK(status.st_mode):
                    modes[os.path.relpath(os.path.join(folder, name), tmp_path)] = status.st_mode
    assert any(stat.S_ISREG(mode) for mode in modes.values()) and any(stat.S_ISDIR(mode) for mode in modes.values())
    wrong = {path: oct(stat.S_IMODE(mode)) for path, mode in modes.items()
             if stat.S_IMODE(mode) != (0o750 if stat.S_ISDIR(mode) else 0o640)}
    assert not wrong, wrong


def test_batch_inputs_reach_the_task_unwalked() -> None:
    """A batch's sources travel as one `Opaque` value: Prefect's search for futures in task arguments
    does not descend into it (it did into every source), and the task gets the same list back."""
    from prefect.utilities.engine import collect_task_run_inputs_sync, resolve_inputs_sync

    from flows.pipeline import Opaque

    sources = [ingest.Source(f"/raw/{number}.txt", f"{number}.txt", None) for number in range(3)]
    wrapped = Opaque(sources)
    assert resolve_inputs_sync({"sources": wrapped}, return_data=True, max_depth=-1)["sources"] is wrapped
    assert collect_task_run_inputs_sync(wrapped) == set()
