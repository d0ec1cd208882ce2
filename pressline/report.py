"""What a run did, gathered batch by batch: counts, reasons, time per stage.

The flow turns this into Prefect artifacts and feeds its shares to the batch-level suite;
it is plain Python so the figures can be tested without Prefect.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

TOP_REASONS = 10


@dataclass(slots=True)
class RunReport:
    rows: Counter = field(default_factory=Counter)
    publishers: Counter = field(default_factory=Counter)
    removed_reasons: Counter = field(default_factory=Counter)
    quarantine_reasons: Counter = field(default_factory=Counter)
    stage_seconds: Counter = field(default_factory=Counter)
    dated_articles: int = 0

    def add_batch(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            self.rows[name] += table.num_rows
        articles = tables["articles"]
        self.publishers.update(_value_counts(articles.column("publisher"), missing="(not named)"))
        self.dated_articles += articles.num_rows - articles.column("published_date").null_count
        self.removed_reasons.update(_value_counts(tables["removed_lines"].column("reason")))
        quarantine = tables["quarantine"]
        if quarantine.num_rows:
            self.quarantine_reasons.update(_value_counts(pc.list_flatten(quarantine.column("failed_expectations"))))

    def add_time(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] += seconds

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add_time(stage, time.perf_counter() - started)

    def merge(self, other: RunReport) -> None:
        """Add another batch's report (batches may run in other processes and come back as JSON)."""
        for counter in ("rows", "publishers", "removed_reasons", "quarantine_reasons", "stage_seconds"):
            getattr(self, counter).update(getattr(other, counter))
        self.dated_articles += other.dated_articles

    def to_json(self) -> dict:
        return {item.name: dict(value) if isinstance(value := getattr(self, item.name), Counter) else value
                for item in fields(self)}

    @classmethod
    def from_json(cls, data: dict) -> RunReport:
        return cls(**{key: Counter(value) if isinstance(value, dict) else value for key, value in data.items()})

    def metrics(self) -> dict[str, float]:
        """The shares the batch-level suite checks (an empty run counts as healthy)."""
        records = self.rows["articles"] + self.rows["quarantine"]
        inputs = records + self.rows["rejected"]
        return {
            "articles": self.rows["articles"],
            "quarantined": self.rows["quarantine"],
            "share_dated": self.dated_articles / self.rows["articles"] if self.rows["articles"] else 1.0,
            "share_quarantined": self.rows["quarantine"] / records if records else 0.0,
            "share_rejected": self.rows["rejected"] / inputs if inputs else 0.0,
        }

    def counts_table(self) -> list[dict]:
        """Rows per table, then articles per publisher: the run's table artifact."""
        return ([{"what": f"table {name}", "rows": count} for name, count in sorted(self.rows.items())]
                + [{"what": f"publisher {name}", "rows": count} for name, count in self.publishers.most_common()])

    def markdown(self, run_id: str, warehouse: Path, docs_index: Path | None, batch_failures: list[str]) -> str:
        slowest = self.stage_seconds.most_common(1)
        lines = [f"# pressline run {run_id}", ""]
        lines += [f"**Batch-level expectations failed:** {'; '.join(batch_failures)}", ""] if batch_failures else [
            "All batch-level expectations passed.", ""]
        lines += ["## Removed lines by reason", "", "| reason | lines |", "|---|---|"]
        lines += [f"| {reason} | {count} |" for reason, count in self.removed_reasons.most_common()]
        lines += ["", f"## Quarantine reasons (top {TOP_REASONS})", "", "| expectation | records |", "|---|---|"]
        lines += [f"| {reason} | {count} |" for reason, count in self.quarantine_reasons.most_common(TOP_REASONS)]
        lines += ["", "## Time per stage", "", "| stage | seconds |", "|---|---|"]
        lines += [f"| {stage} | {seconds:.2f} |" for stage, seconds in self.stage_seconds.most_common()]
        if slowest:
            lines += ["", f"Slowest stage: **{slowest[0][0]}** ({slowest[0][1]:.2f} s)."]
        lines += ["", "## Outputs", "", f"- warehouse: `{warehouse}`"]
        if docs_index is not None:
            lines += [f"- Great Expectations Data Docs: [{docs_index}]({docs_index.resolve().as_uri()})"]
        return "\n".join(lines) + "\n"


def _value_counts(values: pa.ChunkedArray | pa.Array, missing: str | None = None) -> dict[str, int]:
    counts = {}
    for item in pc.value_counts(values).to_pylist():
        key = item["values"] if item["values"] is not None else missing
        if key is not None:
            counts[key] = counts.get(key, 0) + item["counts"]
    return counts
