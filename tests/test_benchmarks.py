"""The throughput benchmark's generator and its parsing of a run's Prefect records (fast: no flow run)."""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks.generate import MARKER, MAX_BYTES, MIN_BYTES, generate, make_page, seed_style_templates
from benchmarks.throughput import _interval_seconds, _stage_seconds
from pressline.report import RunReport


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


def test_stage_seconds_are_read_from_the_run_report() -> None:
    report = RunReport()
    report.add_time("clean", 1.5)
    report.add_time("extract", 2.25)
    markdown = report.markdown("run", Path("warehouse"), None, [])
    assert _stage_seconds(markdown) == {"clean": 1.5, "extract": 2.25}
    assert _stage_seconds("# a report without stage times\n") == {}


def test_prefect_run_time_offsets_become_seconds() -> None:
    assert _interval_seconds("1970-01-01 00:00:29.385241") == 29.385241
    assert _interval_seconds(None) == 0.0
