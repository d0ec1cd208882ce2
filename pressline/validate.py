"""Validate article records with the Great Expectations suite kept in `expectations/`.

The GX context, suite and validation definition are built once per run; each batch is
validated on a pandas frame with result_format COMPLETE and `doc_id` as the index column,
so every failing record can be sent to quarantine with the names of what it failed.

Only the scalar columns the suite names are handed to GX (plus doc_id). The list columns
(authors, related_links) stay out: pandas holds them as object arrays of numpy arrays that
GX's map metrics cannot compare, and no row-level rule on them is worth a helper column yet.
Column types reach GX as pyarrow -> pandas 3 makes them: timestamps as datetime64[us, UTC]
(GX compares them vectorised), dates as objects holding `datetime.date` (compared one by one).
GX's pydantic models turn a bound written in the suite into a `date` ("1990-01-01") or a
`datetime` ("1990-01-01T00:00:00Z"), so each bound must be written in its column's kind, and
timestamp bounds with a zone: a naive bound against the UTC column makes GX raise, and
then every record is quarantined. The per-run maxima are passed as `datetime` / `date`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from pressline import schema

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    from great_expectations.core.validation_definition import ValidationDefinition
    from great_expectations.expectations.expectation import Expectation

# How far past the run's clock a publication stamp may lie (clock skew, zones ahead of UTC).
FUTURE_TOLERANCE = timedelta(days=1)
# The suite parameters validate() supplies; a suite asking for any other cannot be run.
SUITE_PARAMETERS = ("published_at_max", "published_date_max")
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["doc_id"]}
# Shares over a handful of records say nothing: smaller runs (say, one changed file) skip the batch suite.
MIN_RECORDS_FOR_BATCH_CHECKS = 20
# What the batch-level suite can check: shares and counts over one run.
RUN_METRICS = ("articles", "share_dated", "share_quarantined", "share_rejected")
_SCALAR_COLUMNS = frozenset(field.name for field in schema.ARTICLES if not pa.types.is_list(field.type))


@dataclass(frozen=True)
class ValidationOutcome:
    """What one batch's validation says: who failed what, plus GX's own result for the audit trail."""

    failures: dict[str, list[str]]   # doc_id -> sorted names of failed expectations (only failing docs present)
    success: bool                    # GX's overall success
    evaluated: int                   # number of records validated
    statistics: dict                 # GX's statistics dict (evaluated_expectations, successful_expectations, ...)
    results_json: dict               # the GX validation result, JSON-serialisable (for saving as an audit file)


class _Suite:
    """One suite file with its GX ephemeral context and validation definition, built once per run."""

    def __init__(self, expectations_dir: Path, suite_name: str, columns: frozenset[str],
                 parameters: tuple[str, ...]) -> None:
        # GX logs at INFO/WARNING (from its import on) and draws tqdm bars on stderr; the CLI
        # owns the terminal. Failures reach the caller through the outcome, not GX's log.
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        # GX takes seconds to import, and pipeline.py imports this module for ValidationOutcome,
        # so GX is imported here, only by the code that validates.
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # This module sets its own logger to INFO, overriding the level above.
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.ERROR)

        self.suite_path = Path(expectations_dir) / f"{suite_name}.json"
        self.suite_name = suite_name
        expectations = _load_expectations(self.suite_path, columns)
        columns = dict.fromkeys(["doc_id"] + [expectation.column for expectation in expectations])
        self._columns = list(columns)

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
        unknown = sorted(set(suite.suite_parameter_options) - set(parameters))
        if unknown:
            raise ValueError(f"expectation suite {self.suite_path} uses unknown suite parameters "
                             f"{', '.join(unknown)} (known: {', '.join(parameters) or 'none'})")
        batch_definition = (context.data_sources.add_pandas(f"{suite_name}_records")
                            .add_dataframe_asset(f"{suite_name}_batch")
                            .add_batch_definition_whole_dataframe("whole_batch"))
        self._definition: ValidationDefinition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch_definition, suite=suite))
        self._context = context
        self._results_store = context.validation_results_store

    def _run(self, frame: pd.DataFrame, parameters: dict, run_name: str | None) -> ExpectationSuiteValidationResult:
        from great_expectations.core.run_identifier import RunIdentifier

        result = self._definition.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            result_format=RESULT_FORMAT,
            # Without a run_time GX parses run_name with dateutil: "20261203T080739Z-8689a18a" reads as an
            # offset of -86:89 hours and fails the run; give it the time so our run ids are never parsed.
            run_id=RunIdentifier(run_name=run_name, run_time=datetime.now(timezone.utc)) if run_name else None,
        )
        self._clear_results()  # GX keeps every result in memory; ours are kept by the caller
        return result

    def _clear_results(self) -> None:
        for key in self._results_store.list_keys():
            self._results_store.remove_key(key)

    def build_data_docs(self, site_dir: Path, results: list[dict]) -> Path:
        """Render validation results (as `results_json` of the batches) as GX Data Docs; returns the index page.

        The results come back as JSON because the batches may have been validated in other
        processes or machines, or by an earlier run this one resumed.
        """
        from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        site_name = f"{self.suite_name}_site"
        if site_name in self._context.get_site_names():  # a long-lived validator renders each run's site anew
            self._context.delete_data_docs_site(site_name)
        self._context.add_data_docs_site(site_name, {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(site_dir.resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        suite_id = ExpectationSuiteIdentifier(name=self.suite_name)
        for number, result_json in enumerate(results):
            if not result_json.get("results"):
                continue  # an empty batch: GX did not run, there is nothing to render
            result = expectationSuiteValidationResultSchema.load(result_json)
            run = result.meta.get("run_id") or {}
            result.meta["run_id"] = RunIdentifier(run_name=run.get("run_name"), run_time=run.get("run_time"))
            key = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=result.meta["run_id"],
                                             batch_identifier=f"batch-{number:06d}")
            self._results_store.set(key, result)
        self._context.build_data_docs(site_names=[site_name])
        self._clear_results()
        return site_dir / "index.html"


class ArticleValidator(_Suite):
    """The row-level suite: which records go to quarantine, and why."""

    def __init__(self, expectations_dir: Path, suite_name: str = "articles") -> None:
        super().__init__(expectations_dir, suite_name, _SCALAR_COLUMNS, SUITE_PARAMETERS)


    def validate(self, records: pa.Table, now: datetime, run_name: str | None = None) -> ValidationOutcome:
        """Run the suite on one batch; `now` (tz-aware) fixes the latest acceptable publication time."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("validate() needs a timezone-aware 'now' to compare with UTC timestamps")
        if records.num_rows == 0:
            return self._empty_outcome()
        doc_ids = records.column("doc_id").to_pylist()
        if None in doc_ids:
            # Failures are keyed by doc_id: a record without one could not be attributed.
            raise ValueError(f"{doc_ids.count(None)} record(s) have a null doc_id; every record needs one")
        latest = now.astimezone(timezone.utc) + FUTURE_TOLERANCE
        frame = records.select(self._columns).to_pandas()
        result = self._run(frame, {"published_at_max": latest, "published_date_max": latest.date()}, run_name)

        failures: dict[str, set[str]] = {}
        for item in result.results:
            if not item.success:
                name = item.expectation_config.meta["name"]
                for doc_id in _failing_doc_ids(item, doc_ids):
                    failures.setdefault(doc_id, set()).add(name)
        return ValidationOutcome(
            failures={doc_id: sorted(names) for doc_id, names in failures.items()},
            success=bool(result.success),
            evaluated=records.num_rows,
            statistics=dict(result.statistics),
            results_json=result.to_json_dict(),
        )

    def _empty_outcome(self) -> ValidationOutcome:
        """What an empty batch yields: nothing failed, nothing was evaluated, GX is not called."""
        statistics = {"evaluated_expectations": 0, "successful_expectations": 0,
                      "unsuccessful_expectations": 0, "success_percent": None}
        results_json = {"suite_name": self.suite_name, "success": True, "statistics": statistics,
                        "results": [], "meta": {"note": "empty batch: no records, GX not run"}}
        return ValidationOutcome({}, True, 0, statistics, results_json)


def check_suite(expectations_dir: Path, suite_name: str = "articles") -> None:
    """Build the suite's context and drop it: raises what `ArticleValidator` would (OSError, ValueError).
    Meant for a short-lived process, so the one that checks need not hold GX afterwards."""
    ArticleValidator(expectations_dir, suite_name)


def _failing_doc_ids(item: ExpectationValidationResult, doc_ids: list[str]) -> list[str]:
    """The doc_ids GX lists as unexpected; every record when a failed check names none.

    A check that raised (say, a type GX cannot compare) fails with an empty result; its
    records are not known to be good, so all of them go to quarantine.
    """
    rows = (item.result or {}).get("unexpected_index_list")
    if not rows or not all(isinstance(row, dict) and "doc_id" in row for row in rows):
        return doc_ids
    return [row["doc_id"] for row in rows]


class BatchValidator(_Suite):
    """The batch-level suite: shares over a whole run (dated articles, quarantined records ...).

    A failure does not hold back any data; it marks the run as needing attention.
    """

    def __init__(self, expectations_dir: Path, suite_name: str = "batch") -> None:
        super().__init__(expectations_dir, suite_name, frozenset(RUN_METRICS), ())

    def failed(self, metrics: dict[str, float], run_name: str | None = None) -> list[str]:
        """'name: why' of every expectation the run's metrics fail (none for runs too small to judge)."""
        import pandas as pd

        if metrics["articles"] + metrics.get("quarantined", 0) < MIN_RECORDS_FOR_BATCH_CHECKS:
            return []
        frame = pd.DataFrame([{"doc_id": "run", **{name: metrics[name] for name in RUN_METRICS}}])
        result = self._run(frame, {}, run_name)
        return [f"{item.expectation_config.meta['name']}: {item.expectation_config.meta.get('why', '')}".strip()
                for item in result.results if not item.success]


def _load_expectations(path: Path, columns: frozenset[str]) -> list[Expectation]:
    """The suite file's expectations as GX objects; any problem is a one-line ValueError naming the file.

    GX's own ExpectationSuite(**dict) logs and drops an expectation it cannot build, which
    would silently weaken the suite, so each one is built here and a bad one stops the run.
    """
    from great_expectations.expectations.expectation import ColumnMapExpectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"expectation suite {path} not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"expectation suite {path} could not be read ({err})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"expectation suite {path} is not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(config, dict) or not isinstance(config.get("expectations"), list) \
            or not config["expectations"]:
        raise ValueError(f"expectation suite {path} has no non-empty 'expectations' list")
    if config.get("name", path.stem) != path.stem:
        raise ValueError(f"expectation suite {path} is named {config['name']!r}, not {path.stem!r}")

    expectations: list[Expectation] = []
    names: set[str] = set()
    for number, entry in enumerate(config["expectations"], start=1):
        where = f"expectation suite {path}, expectation {number}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} is not a JSON object")
        meta: Any = entry.get("meta")
        name = meta.get("name") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where} has no meta.name")
        if name in names:
            raise ValueError(f"{where} repeats the name {name!r}")
        names.add(name)
        try:
            expectation = ExpectationConfiguration(**entry).to_domain_obj()
        except Exception as err:  # noqa: BLE001 - GX raises many types (pydantic, its own, KeyError) for a bad entry
            reason = " ".join(str(err).split()) or type(err).__name__
            raise ValueError(f"{where} ({name}) is not a valid GX expectation: {reason}") from None
        if not isinstance(expectation, ColumnMapExpectation):
            raise ValueError(f"{where} ({name}) is not a row-level column map expectation")
        if expectation.column not in columns:
            raise ValueError(f"{where} ({name}) checks {expectation.column!r}, not one of {', '.join(sorted(columns))}")
        if expectation.mostly != 1:
            raise ValueError(f"{where} ({name}) sets mostly; every record must pass every expectation")
        expectations.append(expectation)
    return expectations
