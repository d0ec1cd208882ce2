"""The GX suite and ArticleValidator: each rule catches its bad record by name, good records pass."""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pressline import schema
from pressline.validate import ArticleValidator, ValidationOutcome
from tests.conftest import ROOT

EXPECTATIONS = ROOT / "expectations"
SUITE_FILE = EXPECTATIONS / "articles.json"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
EXPECTED_NAMES = {
    "doc_id_present", "doc_id_unique", "source_path_present", "content_sha256_present", "content_sha256_hex",
    "body_present", "body_min_words", "title_length", "subtitle_length",
    "published_at_not_before_1990", "published_at_not_in_future",
    "published_date_not_before_1990", "published_date_not_in_future", "updated_at_in_range", "updated_date_in_range",
    "language_code", "publisher_length", "section_length",
}


def record(n: int, **overrides: Any) -> dict[str, Any]:
    """A record that passes every expectation; keyword arguments replace its fields."""
    source_path = f"outlet/story-{n}.txt"
    values: dict[str, Any] = dict.fromkeys(schema.ARTICLES.names)
    values |= {
        "doc_id": hashlib.sha256(source_path.encode()).hexdigest()[:16],
        "source_path": source_path,
        "content_sha256": hashlib.sha256(f"raw bytes {n}".encode()).hexdigest(),
        "size_bytes": 2048,
        "encoding": "utf-8",
        "title": f"Council approves budget number {n}",
        "subtitle": "The vote came after a long debate.",
        "authors": ["Jane Doe", "Li Wei"],
        "published_at": datetime(2024, 4, 30, 8, 15, tzinfo=timezone.utc),
        "published_date": date(2024, 4, 30),
        "published_at_raw": "April 30, 2024 08:15 UTC",
        "published_at_tz_assumed": False,
        "publisher": "The Daily Example",
        "section": "News > Politics",
        "print_edition": "Page A1",
        "language": "en",
        "related_links": ["Another story"],
        "body": " ".join(f"word{i}" for i in range(60)),
        "word_count": 60,
        "removed_line_count": 3,
        "run_id": "run-test",
        "ingested_at": NOW,
    }
    unknown = set(overrides) - set(schema.ARTICLES.names)
    assert not unknown, f"not fields of articles: {unknown}"
    values.update(overrides)
    return values


def table(*records: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(records), schema=schema.ARTICLES)


def good_batch(count: int = 3) -> list[dict[str, Any]]:
    return [record(n) for n in range(count)]


@pytest.fixture(scope="module")
def validator() -> ArticleValidator:
    return ArticleValidator(EXPECTATIONS)


def test_all_valid_batch_passes(validator: ArticleValidator) -> None:
    outcome = validator.validate(table(*good_batch(5)), NOW)
    assert isinstance(outcome, ValidationOutcome)
    assert outcome.failures == {}
    assert outcome.success is True
    assert outcome.evaluated == 5
    assert outcome.statistics["evaluated_expectations"] == len(EXPECTED_NAMES)
    assert outcome.statistics["unsuccessful_expectations"] == 0
    assert outcome.results_json["success"] is True
    json.dumps(outcome.results_json, allow_nan=False)


def test_data_docs_render_results_that_came_back_as_json(validator: ArticleValidator, tmp_path) -> None:
    outcome = validator.validate(table(*good_batch(3)), NOW, run_name="run-1-batch-0")
    assert validator._results_store.list_keys() == [], "GX's in-memory copy is released at once"
    as_stored = json.loads(json.dumps(outcome.results_json, default=str))
    index = ArticleValidator(EXPECTATIONS).build_data_docs(tmp_path / "docs", [as_stored])
    assert index.is_file() and "articles" in index.read_text(encoding="utf-8")
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert pages and any("run-1-batch-0" in str(page) for page in pages)


def test_one_validator_renders_each_runs_docs_where_that_run_asks(validator: ArticleValidator, tmp_path) -> None:
    """A process keeps its validator across runs (workers, the flow); each run's site goes to its own folder."""
    outcome = validator.validate(table(*good_batch(2)), NOW, run_name="run-a")
    stored = json.loads(json.dumps(outcome.results_json, default=str))
    first = validator.build_data_docs(tmp_path / "a", [stored])
    second = validator.build_data_docs(tmp_path / "b", [stored])
    assert first == tmp_path / "a" / "index.html" and second == tmp_path / "b" / "index.html"
    assert first.is_file() and second.is_file()
    assert first.stat().st_mtime_ns <= second.stat().st_mtime_ns


def test_batch_suite_names_what_a_run_failed(tmp_path) -> None:
    from pressline.validate import BatchValidator

    batch = BatchValidator(ROOT / "expectations")
    healthy = {"articles": 100, "quarantined": 5, "share_dated": 0.9, "share_quarantined": 0.05,
               "share_rejected": 0.0}
    assert batch.failed(healthy) == []
    failed = batch.failed({**healthy, "share_dated": 0.1, "share_quarantined": 0.5})
    assert [line.split(":")[0] for line in failed] == ["most_articles_dated", "few_records_quarantined"]
    assert batch.failed({**healthy, "articles": 3, "quarantined": 1, "share_dated": 0.0}) == [], "too small to judge"


@pytest.mark.parametrize("run_name", ["20261203T080739Z-8689a18a", "20261203T080739Z-1200abcd", "2024-05-01"])
def test_run_ids_that_look_like_dates_are_names_not_times(validator: ArticleValidator, run_name: str) -> None:
    """Run ids start with a timestamp; GX must not read their hex suffix as a UTC offset of -86:89 hours."""
    from pressline.validate import BatchValidator

    before = datetime.now(timezone.utc)
    outcome = validator.validate(table(*good_batch(1)), NOW, run_name=run_name)
    run_id = outcome.results_json["meta"]["run_id"]
    assert run_id["run_name"] == run_name
    assert datetime.fromisoformat(str(run_id["run_time"])) >= before - timedelta(seconds=1)
    healthy = {"articles": 100, "quarantined": 5, "share_dated": 0.9, "share_quarantined": 0.05,
               "share_rejected": 0.0}
    assert BatchValidator(EXPECTATIONS).failed(healthy, run_name=run_name) == []


BAD_RECORDS = [
    pytest.param({"published_at": NOW + timedelta(days=2)}, ["published_at_not_in_future"], id="published_at-future"),
    pytest.param({"published_at": datetime(1989, 12, 31, 23, 59, tzinfo=timezone.utc)},
                 ["published_at_not_before_1990"], id="published_at-before-1990"),
    pytest.param({"published_date": date(2024, 5, 3)}, ["published_date_not_in_future"], id="published_date-future"),
    pytest.param({"published_date": date(1989, 12, 31)}, ["published_date_not_before_1990"],
                 id="published_date-before-1990"),
    pytest.param({"updated_at": NOW + timedelta(days=2)}, ["updated_at_in_range"], id="updated_at-future"),
    pytest.param({"updated_at": datetime(1989, 12, 31, 23, 59, tzinfo=timezone.utc)}, ["updated_at_in_range"],
                 id="updated_at-before-1990"),
    pytest.param({"updated_date": date(2024, 5, 3)}, ["updated_date_in_range"], id="updated_date-future"),
    pytest.param({"updated_date": date(1989, 12, 31)}, ["updated_date_in_range"], id="updated_date-before-1990"),
    pytest.param({"body": "Too short to be an article.", "word_count": 29}, ["body_min_words"], id="short-body"),
    pytest.param({"body": None, "word_count": 0}, ["body_min_words", "body_present"], id="no-body"),
    pytest.param({"content_sha256": "not-a-hash"}, ["content_sha256_hex"], id="sha-garbage"),
    pytest.param({"content_sha256": "A" * 64}, ["content_sha256_hex"], id="sha-uppercase"),
    pytest.param({"content_sha256": "a" * 63}, ["content_sha256_hex"], id="sha-short"),
    pytest.param({"content_sha256": "a" * 64 + "\n"}, ["content_sha256_hex"], id="sha-trailing-newline"),
    pytest.param({"content_sha256": None}, ["content_sha256_present"], id="sha-null"),
    pytest.param({"source_path": None}, ["source_path_present"], id="source_path-null"),
    pytest.param({"language": "EN"}, ["language_code"], id="language-uppercase"),
    pytest.param({"language": "english"}, ["language_code"], id="language-word"),
    pytest.param({"language": "e"}, ["language_code"], id="language-one-letter"),
    pytest.param({"language": "en\n"}, ["language_code"], id="language-trailing-newline"),
    pytest.param({"title": "x" * 401}, ["title_length"], id="title-too-long"),
    pytest.param({"title": "ab"}, ["title_length"], id="title-too-short"),
    pytest.param({"subtitle": "s" * 1001}, ["subtitle_length"], id="subtitle-too-long"),
    pytest.param({"publisher": "p" * 201}, ["publisher_length"], id="publisher-too-long"),
    pytest.param({"section": "s" * 201}, ["section_length"], id="section-too-long"),
    pytest.param({"title": "x" * 401, "language": "EN"}, ["language_code", "title_length"], id="two-failures-sorted"),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_RECORDS)
def test_each_rule_catches_its_bad_record_and_only_it(validator: ArticleValidator, overrides: dict,
                                                      expected: list[str]) -> None:
    bad = record(99, **overrides)
    outcome = validator.validate(table(*good_batch(), bad), NOW)
    assert outcome.failures == {bad["doc_id"]: expected}
    assert outcome.success is False
    assert outcome.evaluated == 4
    assert outcome.statistics["unsuccessful_expectations"] == len(expected)


def test_duplicate_doc_id_fails_both_rows(validator: ArticleValidator) -> None:
    first, second = record(1), record(2)
    second["doc_id"] = first["doc_id"]
    outcome = validator.validate(table(record(0), first, second, record(3)), NOW)
    assert outcome.failures == {first["doc_id"]: ["doc_id_unique"]}
    unique = next(result for result in outcome.results_json["results"]
                  if result["expectation_config"]["meta"]["name"] == "doc_id_unique")
    assert [row["doc_id"] for row in unique["result"]["unexpected_index_list"]] == [first["doc_id"]] * 2


@pytest.mark.parametrize("overrides", [
    pytest.param({"published_at": NOW + timedelta(hours=23)}, id="published_at-within-a-day"),
    pytest.param({"published_date": date(2024, 5, 2)}, id="published_date-tomorrow"),
    pytest.param({"published_at": datetime(1990, 1, 1, tzinfo=timezone.utc), "published_date": date(1990, 1, 1)},
                 id="first-day-of-1990"),
    pytest.param({"body": " ".join(["w"] * 30), "word_count": 30}, id="exactly-30-words"),
    pytest.param({"title": "abc", "subtitle": "s" * 1000, "publisher": "p" * 200, "section": "s" * 200},
                 id="length-limits-inclusive"),
    pytest.param({"language": "zho"}, id="three-letter-language"),
])
def test_boundary_values_pass(validator: ArticleValidator, overrides: dict) -> None:
    assert validator.validate(table(record(0, **overrides)), NOW).failures == {}


def test_null_optional_fields_pass(validator: ArticleValidator) -> None:
    optional = {field.name: None for field in schema.ARTICLES if field.nullable and field.name != "body"}
    bare = record(7, **optional)
    outcome = validator.validate(table(bare, *good_batch()), NOW)
    assert outcome.failures == {}
    assert outcome.success is True


def test_now_is_applied_per_call(validator: ArticleValidator) -> None:
    """The max dates are suite parameters filled per batch, not frozen at the first call."""
    june = record(0, published_at=datetime(2024, 6, 1, tzinfo=timezone.utc), published_date=date(2024, 6, 1))
    early = validator.validate(table(june), NOW)
    assert early.failures == {june["doc_id"]: ["published_at_not_in_future", "published_date_not_in_future"]}
    assert validator.validate(table(june), datetime(2024, 7, 1, tzinfo=timezone.utc)).failures == {}
    assert validator.validate(table(june), NOW).failures == early.failures


def test_now_in_another_zone_is_taken_as_the_same_instant(validator: ArticleValidator) -> None:
    """The date limit is tomorrow in UTC even when the caller's clock is in a zone already a day on."""
    kiribati = timezone(timedelta(hours=14))
    edge = record(0, published_at=NOW + timedelta(days=1, minutes=1), published_date=date(2024, 5, 3))
    assert validator.validate(table(edge), NOW.astimezone(kiribati)).failures == {
        edge["doc_id"]: ["published_at_not_in_future", "published_date_not_in_future"]}


def test_empty_table_returns_empty_outcome_without_gx(validator: ArticleValidator,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("GX must not run on an empty batch")

    monkeypatch.setattr(type(validator._definition), "run", refuse)
    outcome = validator.validate(schema.ARTICLES.empty_table(), NOW)
    assert (outcome.failures, outcome.success, outcome.evaluated) == ({}, True, 0)
    assert outcome.statistics["evaluated_expectations"] == 0
    json.dumps(outcome.results_json, allow_nan=False)


def test_naive_now_is_refused(validator: ArticleValidator) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        validator.validate(table(record(0)), datetime(2024, 5, 1, 12, 0))


def test_null_doc_id_is_refused_rather_than_dropped(validator: ArticleValidator) -> None:
    with pytest.raises(ValueError, match="null doc_id"):
        validator.validate(table(record(0), record(1, doc_id=None)), NOW)


def test_validation_prints_and_logs_nothing(capfd: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture) -> None:
    """No progress bars on the terminal, and no GX log lines even for a caller that logs INFO."""
    caplog.set_level(logging.INFO)
    fresh = ArticleValidator(EXPECTATIONS)
    fresh.validate(table(*good_batch(), record(9, language="EN", word_count=3)), NOW)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert [entry.getMessage() for entry in caplog.records if entry.name.startswith("great_expectations")] == []


def test_failure_without_row_list_is_attributed_to_every_record(tmp_path: Path) -> None:
    """A check that raises inside GX (a number compared with text) fails without row indices."""
    suite = {"name": "articles", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "title", "min_value": 3},
         "meta": {"name": "title_compared_with_a_number", "why": "Breaks on purpose."}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "language", "regex": "^[a-z]{2}$"},
         "meta": {"name": "language_two_letters", "why": "A working check next to the broken one."}},
    ]}
    (tmp_path / "articles.json").write_text(json.dumps(suite), encoding="utf-8")
    records = good_batch()
    outcome = ArticleValidator(tmp_path).validate(table(*records), NOW)
    assert outcome.failures == {rec["doc_id"]: ["title_compared_with_a_number"] for rec in records}
    assert outcome.statistics["successful_expectations"] == 1


def test_one_thousand_records_validate_quickly_and_every_failure_is_listed(validator: ArticleValidator) -> None:
    """Measured about 0.15 s; the bound only catches a rebuild of GX per batch. 500 failures > GX's 200-row lists."""
    records = [record(n, language="EN" if n % 2 else "en") for n in range(1000)]
    batch = table(*records)
    validator.validate(batch, NOW)
    started = time.process_time()
    outcome = validator.validate(batch, NOW)
    elapsed = time.process_time() - started
    assert outcome.evaluated == 1000
    assert outcome.failures == {rec["doc_id"]: ["language_code"] for rec in records if rec["language"] == "EN"}
    assert len(outcome.failures) == 500
    assert elapsed < 2.0, f"1,000 records took {elapsed:.2f} s"


def expectation(name: str, type_: str = "expect_column_values_to_not_be_null", **kwargs: Any) -> dict:
    return {"type": type_, "kwargs": kwargs or {"column": "doc_id"}, "meta": {"name": name, "why": "Test."}}


BAD_SUITES = [
    pytest.param("{not json", "not valid JSON", id="not-json"),
    pytest.param(json.dumps(["a list"]), "no non-empty 'expectations' list", id="not-an-object"),
    pytest.param(json.dumps({"name": "articles"}), "no non-empty 'expectations' list", id="no-expectations"),
    pytest.param(json.dumps({"name": "other", "expectations": [expectation("a")]}), "is named 'other'",
                 id="wrong-name"),
    pytest.param(json.dumps({"expectations": [{"type": "expect_column_values_to_not_be_null",
                                               "kwargs": {"column": "doc_id"}}]}), "has no meta.name", id="no-name"),
    pytest.param(json.dumps({"expectations": [expectation("a"), expectation("a")]}), "repeats the name 'a'",
                 id="duplicate-name"),
    pytest.param(json.dumps({"expectations": [expectation("a", "expect_column_values_to_be_pretty")]}),
                 "not a valid GX expectation", id="unknown-type"),
    pytest.param(json.dumps({"expectations": [expectation("a", "expect_column_values_to_be_between",
                                                          column="word_count", min_value="many")]}),
                 "not a valid GX expectation", id="bad-kwargs"),
    pytest.param(json.dumps({"expectations": [expectation("a", "expect_table_row_count_to_be_between",
                                                          min_value=1)]}),
                 "not a row-level column map expectation", id="table-level"),
    pytest.param(json.dumps({"expectations": [expectation("a", column="headline")]}),
                 "not one of", id="unknown-column"),
    pytest.param(json.dumps({"expectations": [expectation("a", column="authors")]}),
                 "not one of", id="list-column"),
    pytest.param(json.dumps({"expectations": [expectation("a", column="doc_id", mostly=0.5)]}), "sets mostly",
                 id="mostly"),
    pytest.param(json.dumps({"expectations": [expectation("a", "expect_column_values_to_be_between",
                                                          column="word_count",
                                                          min_value={"$PARAMETER": "min_words"})]}),
                 "unknown suite parameters min_words", id="unknown-parameter"),
]


@pytest.mark.parametrize(("content", "message"), BAD_SUITES)
def test_malformed_suite_is_a_one_line_value_error_naming_the_file(tmp_path: Path, content: str,
                                                                   message: str) -> None:
    suite_file = tmp_path / "articles.json"
    suite_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        ArticleValidator(tmp_path)
    text = str(raised.value)
    assert message in text
    assert str(suite_file) in text
    assert "\n" not in text


def test_missing_suite_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / "articles.json")) + " not found"):
        ArticleValidator(tmp_path)


def test_suite_file_is_plain_json_with_a_name_and_reason_for_every_expectation() -> None:
    suite = json.loads(SUITE_FILE.read_text(encoding="utf-8"))
    assert suite["name"] == "articles"
    names = [entry["meta"]["name"] for entry in suite["expectations"]]
    assert sorted(names) == sorted(EXPECTED_NAMES)
    columns = set(schema.ARTICLES.names)
    for entry in suite["expectations"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", entry["meta"]["name"]), entry
        why = entry["meta"]["why"]
        assert isinstance(why, str) and len(why) > 20 and why.endswith("."), entry
        assert entry["type"].startswith("expect_column_value"), entry
        assert entry["kwargs"]["column"] in columns, entry
    parameters = {value["$PARAMETER"] for entry in suite["expectations"] for value in entry["kwargs"].values()
                  if isinstance(value, dict)}
    assert parameters == {"published_at_max", "published_date_max"}
