"""Throughput and memory of `pressline run` against the machine's floor and datatrove (issue 8).

Usage: python benchmarks/throughput.py [--docs N] [--workers 1,all] [--skip-datatrove] [--out DIR]
                                       [--seed 0] [--corpus ../shared/corpus] [--cache DIR]

On the same N generated dumps (`benchmarks/generate.py`, cached) it measures, in one run:
- the floor: read, decode and split every file into lines, in one process and on all cores;
- `pressline run` through the real CLI in a subprocess, on a fresh warehouse and Prefect home,
  once per `--workers` value when the CLI has that option (else once, as it is): docs/s and
  MB/s over the CLI's wall time, peak RSS of the whole process tree (sampled every 0.2 s),
  seconds per stage and Prefect's share (from `pressline run --json`, see `run_details`);
- datatrove's C4QualityFilter + GopherQualityFilter (LocalPipelineExecutor, all cores) on the
  first 5,000 dumps (the same for every N), when the `bench` group is installed.
It prints one table with the ratios and writes it as JSON to `--out` (benchmarks/results/).
Needs `uv sync --frozen --group bench` for datatrove; the rest runs on the default install.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

import psutil  # in the dev group's environment (through ipykernel) and in the bench group

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import DEFAULT_CACHE, DEFAULT_CORPUS, generate  # noqa: E402

PRESSLINE = Path(sys.executable).with_name("pressline")
RESULTS = ROOT / "benchmarks" / "results"
DATATROVE_SAMPLE = 5_000
RSS_INTERVAL = 0.2
# Task names of the flow, by the stage `flows.pipeline._timed` books them under.
STAGES = ("ingest", "clean", "extract", "validate", "signatures", "dedup", "load")


# ---------------------------------------------------------------------------------------------
# The floor


def _read_lines(paths: Sequence[Path]) -> tuple[int, int]:
    """(bytes, lines) of `paths`: the least any pipeline does with a dump."""
    size = lines = 0
    for path in paths:
        data = path.read_bytes()
        size += len(data)
        lines += len(data.decode("utf-8", "replace").splitlines())
    return size, lines


def floor(paths: Sequence[Path], processes: int, repeats: int = 3) -> dict:
    """Docs/s of `_read_lines` over `paths` in this process (1) or spread over a pool that is
    already started; the best of `repeats`, as the floor is what the machine does least disturbed."""
    if processes == 1:
        size, seconds = _best_of(repeats, lambda: _read_lines(paths)[0])
    else:
        chunks = [paths[start:start + 250] for start in range(0, len(paths), 250)]
        with get_context("fork").Pool(processes) as pool:
            size, seconds = _best_of(repeats, lambda: sum(part for part, _ in pool.imap_unordered(_read_lines, chunks)))
    return {**_rates(len(paths), size, seconds), "processes": processes}


def _best_of(repeats: int, measure: Callable[[], int]) -> tuple[int, float]:
    """(what `measure` returns, its shortest wall time over `repeats` calls)."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        value = measure()
        timings.append(time.perf_counter() - started)
    return value, min(timings)


def _rates(docs: int, size: int, seconds: float) -> dict:
    return {"docs": docs, "wall_s": round(seconds, 3), "docs_per_s": round(docs / seconds, 1),
            "mb_per_s": round(size / 1e6 / seconds, 2)}


# ---------------------------------------------------------------------------------------------
# pressline run


class TreeSampler:
    """Samples a process and all its descendants every 0.2 s until stopped, by kind of process
    (the CLI, Prefect's embedded server, others such as batch workers): the peak of their summed
    RSS, when it came and what each kind held then, each kind's own peak RSS, and CPU seconds per
    kind. Also the peak of the
    summed PSS, which counts pages the processes share (libraries) once instead of once each."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.started = time.perf_counter()
        self.peak_rss, self.peak_at, self.peak_pss = 0, 0.0, 0
        self._at_peak: Counter = Counter()
        self._kind_peak: Counter = Counter()
        self._cpu: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(RSS_INTERVAL):
            self._sample()

    def _sample(self) -> None:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        rss: Counter = Counter()
        pss = 0
        for process in processes:
            try:
                with process.oneshot():
                    kind = self._cpu.get(process.pid, (None,))[0] or self._kind(process)
                    memory = process.memory_full_info()
                    rss[kind] += memory.rss
                    pss += memory.pss
                    times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            self._cpu[process.pid] = (kind, times.user + times.system)
        for kind, value in rss.items():
            self._kind_peak[kind] = max(self._kind_peak[kind], value)
        if rss.total() > self.peak_rss:
            self.peak_rss, self.peak_at = rss.total(), time.perf_counter() - self.started
            self._at_peak = rss
        self.peak_pss = max(self.peak_pss, pss)

    def _kind(self, process: psutil.Process) -> str:
        if process.pid == self.root.pid:
            return "cli"
        return "prefect_server" if "prefect.server" in " ".join(process.cmdline()) else "other"

    def stop(self) -> dict:
        """The figures, as last sampled."""
        self._stop.set()
        self._thread.join()
        cpu: Counter = Counter()
        for kind, seconds in self._cpu.values():
            cpu[kind] += seconds
        return {"peak_rss_mb": round(self.peak_rss / 1e6, 1), "peak_rss_at_s": round(self.peak_at, 1),
                "peak_pss_mb": round(self.peak_pss / 1e6, 1),
                "peak_rss_mb_by_kind": {kind: round(value / 1e6, 1) for kind, value in sorted(self._kind_peak.items())},
                "rss_mb_at_peak_by_kind": {kind: round(value / 1e6, 1) for kind, value in sorted(self._at_peak.items())},
                "cpu_s": {kind: round(seconds, 1) for kind, seconds in sorted(cpu.items())}}


def workers_option_supported() -> bool:
    """Whether this checkout's `pressline run` takes `--workers` (parallel batches)."""
    help_text = subprocess.run([str(PRESSLINE), "run", "--help"], capture_output=True, text=True,
                               env={**os.environ, "COLUMNS": "200"}, check=True).stdout
    return "--workers" in help_text


def pressline_run(raw: Path, docs: int, size: int, scratch: Path, workers: int | None) -> dict:
    """One `pressline run` on a fresh warehouse and Prefect home; rates over the CLI's wall time."""
    scratch.mkdir(parents=True)
    home = scratch / "prefect"
    command = [str(PRESSLINE), "run", "--json", "--raw-dir", str(raw), "--warehouse-dir", str(scratch / "warehouse"),
               "--staging-dir", str(scratch / "staging"), "--prefect-home", str(home)]
    if workers is not None:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    with open(scratch / "cli.json", "wb") as out, open(scratch / "cli.log", "wb") as log:
        process = subprocess.Popen(command, stdout=out, stderr=log, cwd=ROOT,
                                   env={**os.environ, "PREFECT_HOME": str(home), "COLUMNS": "200"})
        sampler = TreeSampler(process.pid)
        returncode = process.wait()
        process_tree = sampler.stop()
    wall = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(f"pressline run exited {returncode}: see {scratch / 'cli.log'}\n"
                           + (scratch / "cli.log").read_text(errors="replace")[-2000:])
    summary = json.loads((scratch / "cli.json").read_text(encoding="utf-8"))
    return {**_rates(docs, size, wall), "workers": workers, **process_tree, **_runs_row(scratch / "warehouse"),
            **run_details(summary, wall)}


def _runs_row(warehouse: Path) -> dict:
    import pyarrow.parquet as pq

    row = pq.read_table(warehouse / "runs").to_pylist()[0]
    return {key: row[key] for key in ("articles", "quarantined", "rejected", "removed_lines", "duplicates")}


def run_details(summary: dict, wall: float) -> dict:
    """Stage seconds and Prefect's share, from the summary `pressline run --json` prints.

    `stage_seconds` adds up the stage functions' time over all workers (CPU-bound, so CPU seconds);
    `orchestration_seconds` is the flow's wall time outside the busiest worker's stage functions
    (task submission, state changes, result passing, waiting); start-up = CLI wall - flow seconds
    (imports, Prefect's embedded server, flow run creation, exit).
    """
    flow_seconds = summary["seconds"]
    stages = summary["stage_seconds"]
    orchestration = summary["orchestration_seconds"]
    return {
        "flow_s": round(flow_seconds, 2),
        "stage_s": {stage: round(seconds, 2) for stage, seconds in stages.items()},
        "batches": summary["batches"],
        "workers_used": summary["workers"],
        "prefect_orchestration_s": round(orchestration, 2),
        "startup_s": round(wall - flow_seconds, 2),
        "prefect_share_of_flow": round(orchestration / flow_seconds, 4) if flow_seconds else None,
        "prefect_share_of_wall": round(orchestration / wall, 4),
        "validate_share_of_wall": round(stages.get("validate", 0.0) / summary["workers"] / wall, 4),
    }


# ---------------------------------------------------------------------------------------------
# datatrove


def datatrove_reference(paths: Sequence[Path], processes: int, scratch: Path) -> dict:
    """C4QualityFilter + GopherQualityFilter over `paths` with datatrove's LocalPipelineExecutor."""
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter

    def read(data, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for path in paths[rank::world_size]:
            yield Document(text=path.read_bytes().decode("utf-8", "replace"), id=path.name)

    executor = LocalPipelineExecutor(pipeline=[read, C4QualityFilter(), GopherQualityFilter()],
                                     tasks=processes, workers=processes, logging_dir=str(scratch / "datatrove"),
                                     skip_completed=False, start_method="fork")
    started = time.perf_counter()
    stats = executor.run()
    wall = time.perf_counter() - started
    kept = stats.stats[-1].stats["forwarded"].total if "forwarded" in stats.stats[-1].stats else None
    return {**_rates(len(paths), sum(path.stat().st_size for path in paths), wall), "workers": processes,
            "kept": kept}


# ---------------------------------------------------------------------------------------------
# Report


def _files(raw: Path) -> Iterator[Path]:
    return (Path(folder) / name for folder, _, names in os.walk(raw) for name in names if name.endswith(".txt"))


def _ratio(numerator: dict | None, denominator: dict | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator["docs_per_s"] / denominator["docs_per_s"], 4)


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short=10", "HEAD") + ("-dirty" if git("status", "--porcelain", "--", "pressline",
                                                                      "flows") else "")


def _by_kind(megabytes: dict[str, float]) -> str:
    return ", ".join(f"{kind} {mb:.0f}" for kind, mb in megabytes.items()) or "n/a"


def summarise(result: dict) -> str:
    """The one table: every measurement, its rates, and the ratios."""
    rows = [("floor, 1 process", result["floor"]["one_process"]), ("floor, all cores", result["floor"]["all_cores"])]
    rows += [(f"pressline run, workers={run['workers'] or 'default'}", run) for run in result["pressline"]]
    if result["datatrove"]:
        rows.append((f"datatrove C4+Gopher, {result['datatrove']['workers']} workers, "
                     f"{result['datatrove']['docs']} docs", result["datatrove"]))
    lines = [f"pressline throughput, {result['docs']} docs ({result['mb']:.0f} MB), commit {result['commit']}, "
             f"{result['cpus']} cores, load average {result['load_average']} at start",
             "",
             f"{'measurement':<48} {'docs/s':>9} {'MB/s':>8} {'wall s':>8} {'peak RSS MB':>12}",
             "-" * 89]
    for label, row in rows:
        rss = f"{row['peak_rss_mb']:.0f}" if "peak_rss_mb" in row else ""
        lines.append(f"{label:<48} {row['docs_per_s']:>9.1f} {row['mb_per_s']:>8.2f} {row['wall_s']:>8.1f} {rss:>12}")
    for run in result["pressline"]:
        stages = ", ".join(f"{stage} {run['stage_s'].get(stage, 0):.1f}" for stage in STAGES)
        lines += ["", f"workers={run['workers'] or 'default'}: flow {run['flow_s']:.1f} s; stage CPU s {stages}; "
                      f"start-up {run['startup_s']:.1f} s; Prefect orchestration {run['prefect_orchestration_s']:.1f} s "
                      f"({run['prefect_share_of_flow']:.1%} of the flow, {run['prefect_share_of_wall']:.1%} of wall, "
                      f"{run['batches']} batches on {run['workers_used']} workers); "
                      f"validate {run['validate_share_of_wall']:.1%} of wall; CPU s "
                      + ", ".join(f"{kind} {seconds:.0f}" for kind, seconds in run["cpu_s"].items())
                      + f"; peak PSS {run['peak_pss_mb']:.0f} MB; peak RSS at {run['peak_rss_at_s']:.0f} s, "
                      + "made of (MB) " + _by_kind(run.get("rss_mb_at_peak_by_kind", {}))
                      + "; each kind's own peak (MB) " + _by_kind(run["peak_rss_mb_by_kind"])]
    lines += ["", "ratios: " + ", ".join(f"{name} {value if value is not None else 'n/a'}"
                                         for name, value in result["ratios"].items())]
    lines += [f"note: {note}" for note in result["notes"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--workers", default="1,all",
                        help="comma-separated `pressline run --workers` values ('all' = every core)")
    parser.add_argument("--skip-datatrove", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the JSON results")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="holds dev/ (optional)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where generated dumps are kept")
    args = parser.parse_args(argv)
    cpus = os.cpu_count() or 1
    notes = []
    if not (args.corpus / "dev" / "gold.jsonl").is_file():
        notes.append(f"no dev corpus under {args.corpus}: the dumps are in the five seed styles only, "
                     "so the figures do not compare with runs on seeds+dev dumps (pass --corpus)")
        print(f"note: {notes[-1]}", file=sys.stderr)
    raw = generate(args.docs, args.seed, args.corpus, args.cache)
    paths = sorted(_files(raw), key=lambda path: path.name)  # names are generation indices
    size = sum(path.stat().st_size for path in paths)
    result = {"docs": len(paths), "mb": round(size / 1e6, 1), "seed": args.seed, "raw": str(raw),
              "commit": _commit(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": cpus,
              "load_average": " ".join(f"{load:.2f}" for load in os.getloadavg()), "python": sys.version.split()[0]}
    _read_lines(paths)  # page cache warm for every measurement alike
    result["floor"] = {"one_process": floor(paths, 1), "all_cores": floor(paths, cpus)}
    if workers_option_supported():
        counts: list[int | None] = [cpus if value == "all" else int(value) for value in args.workers.split(",")]
    else:
        counts = [None]
        notes.append("`pressline run` has no --workers option in this checkout: one run with its defaults, "
                     "no speedup measured")
    with tempfile.TemporaryDirectory(prefix="pressline-throughput-") as scratch:
        result["pressline"] = [pressline_run(raw, len(paths), size, Path(scratch) / f"run-{index}", workers)
                               for index, workers in enumerate(counts)]
        result["datatrove"] = None
        if args.skip_datatrove:
            notes.append("datatrove skipped (--skip-datatrove)")
        else:
            try:
                result["datatrove"] = datatrove_reference(paths[:DATATROVE_SAMPLE], cpus, Path(scratch))
            except ImportError as err:
                notes.append(f"datatrove not run ({err}); install it with `uv sync --frozen --group bench`")
    best = max(result["pressline"], key=lambda run: run["docs_per_s"])
    by_workers = {run["workers"]: run for run in result["pressline"]}
    result["ratios"] = {
        "pressline/floor_all_cores": _ratio(best, result["floor"]["all_cores"]),
        "pressline/datatrove": _ratio(best, result["datatrove"]),
        "speedup_all_cores_vs_1": _ratio(by_workers.get(cpus), by_workers.get(1)) if cpus != 1 else None,
    }
    notes.append("the machine is shared: other jobs' load makes every figure contended")
    result["notes"] = notes
    table = summarise(result)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"throughput-n{len(paths)}-{result['date'][:10]}-{result['commit']}.json"
    target.write_text(json.dumps({**result, "table": table}, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten to {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
