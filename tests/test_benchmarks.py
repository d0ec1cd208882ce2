"""The benchmarks' own parts: the throughput generator and its reading of `pressline run --json`
(no flow run), and the title weights `fields.toml` holds against the fit that sets them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import fit_title_weights
from benchmarks.generate import MARKER, MAX_BYTES, MIN_BYTES, generate, make_page, seed_style_templates
from benchmarks.throughput import run_details
from flows.pipeline import RunSummary


def test_dump_depends_only_on_seed_and_index() -> None:
    templates = seed_style_templates(0)
    assert make_page(7, 0, templates, ()) == make_page(7, 0, seed_style_templates(0), ())
    assert make_page(7, 0, templates, ()) != make_page(8, 0, templates, ())
    assert make_page(7, 0, templates, ()) != make_page(7, 1, seed_style_templates(1), ())


def test_generated_folder_is_sized_grouped_by_publisher_and_cached(tmp_path: Path) -> None:
    target = generate(60, seed=3, corpus=tmp_path / "no-corpus", cache=tmp_path, processes=1)
    files = sorted(target.rglob("*.txt"))
    assert len(files) == 60
    assert all(MIN_BYTES <= file.stat().st_size <= MAX_BYTES for file in files)
    assert all(file.parent.parent == target for file in files)
    assert len({file.parent.name for file in files}) > 3
    marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    assert marker["docs"] == 60 and marker["sources"] == "seeds"
    stamp = files[0].stat().st_mtime_ns
    assert generate(60, seed=3, corpus=tmp_path / "no-corpus", cache=tmp_path) == target
    assert files[0].stat().st_mtime_ns == stamp


def test_run_figures_come_from_the_json_summary() -> None:
    summary = RunSummary(run_id="r", files_read=10, files_unchanged=0, articles=9, quarantined=1, rejected=0,
                         removed_lines=40, duplicates=0, batches=4, batches_resumed=0, workers=2, seconds=20.0,
                         stage_seconds={"clean": 12.0, "extract": 16.0, "validate": 4.0},
                         orchestration_seconds=1.0, warehouse="w").as_dict()
    figures = run_details(summary, wall=25.0)
    assert figures["startup_s"] == 5.0
    assert figures["prefect_share_of_flow"] == 0.05 and figures["prefect_share_of_wall"] == 0.04
    assert figures["validate_share_of_wall"] == 0.08  # 4 CPU seconds on 2 workers over 25 s
    assert figures["stage_s"]["extract"] == 16.0 and figures["batches"] == 4


DEV_CORPUS = Path("/work/shared/corpus")  # the dev pages the weights are fitted on, when present


@pytest.mark.skipif(not (DEV_CORPUS / "dev" / "gold.jsonl").is_file(), reason="dev corpus not available here")
def test_the_shipped_title_weights_are_what_the_fit_gives() -> None:
    """`fields.toml` holds the fit's output, pasted by hand: a change to the title features, the
    cleaner or the made-up dumps that moves the fit shows here until it is re-run and pasted."""
    setup = fit_title_weights.problem(DEV_CORPUS)
    assert setup.fitted() == pytest.approx(dict(zip(setup.names, setup.shipped.tolist())), abs=1e-6)


def test_the_shipped_given_names_are_what_the_builder_writes() -> None:
    """names.toml is generated from Faker's person providers: a hand edit or a new Faker would drift."""
    from benchmarks import build_given_names

    names = build_given_names.given_names()
    assert build_given_names.OUT.read_text(encoding="utf-8") == build_given_names.render(names)
    assert {"lisa", "susan", "ahmed", "ольга"} <= set(names)
    assert not {"will", "may", "june", "monday", "page"} & set(names)


def test_the_tree_sampler_says_what_each_kind_of_process_held_at_the_peak() -> None:
    import subprocess
    import sys

    from benchmarks.throughput import TreeSampler

    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(80_000_000); x[::4096] = b'1' * len(x[::4096]); "
                              "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(1.5)'])"])
    sampler = TreeSampler(child.pid)
    child.wait()
    figures = sampler.stop()
    at_peak = figures["rss_mb_at_peak_by_kind"]
    assert at_peak["cli"] >= 80 and sum(at_peak.values()) == pytest.approx(figures["peak_rss_mb"], abs=0.5)
    assert set(at_peak) <= set(figures["peak_rss_mb_by_kind"])
