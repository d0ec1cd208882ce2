"""The synthetic-dump generator itself: deterministic, self-consistent, every style, no copied seeds.

The record checks port the seed corpus's check_gold.py (consistency rule, file order, reason
codes, field sanity) so that the generator is held to the same bar as the hand-labelled gold.
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import synthetic
from tests.conftest import RAW, load_seed_gold
from tests.synthetic import REASONS, STYLES, iter_dumps, main, make_dump

KEYS = ["file", "title", "subtitle", "authors", "published_at", "publisher", "section",
        "print_edition", "language", "body_lines", "related_links", "removed"]
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BEIJING_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+08:00$")
BULLET_RE = re.compile(r"^(?:[-•*·]\s+)")
PROSE_END_RE = re.compile(r"[.!?][\"”’]?(?:\[[^\]]+\])?$")
SEED_CHECKER = Path("/work/shared/corpus/seeds/check_gold.py")  # the corpus's own checker, when present

DUMPS = list(iter_dumps(200, seed=0))


def file_lines(text: str) -> list[str]:
    """Non-blank stripped lines, as the seed README's line model defines them."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def interleaves(seq: list[str], a: list[str], b: list[str]) -> bool:
    """True if `seq` is an interleaving of `a` and `b`, each kept in order (check_gold.py)."""
    if len(a) + len(b) != len(seq):
        return False
    ok = [False] * (len(b) + 1)
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if i == 0 and j == 0:
                ok[j] = True
                continue
            k = i + j - 1
            ok[j] = (i > 0 and ok[j] and a[i - 1] == seq[k]) or (j > 0 and ok[j - 1] and b[j - 1] == seq[k])
    return ok[len(b)]


def problems(text: str, row: dict) -> list[str]:
    """check_gold.py's check_row on a text in memory: [] when the record is consistent with it."""
    found: list[str] = []
    if list(row) != KEYS:
        return [f"keys {list(row)}"]
    lines, body = file_lines(text), row["body_lines"]
    removed = [entry["line"] for entry in row["removed"]]
    if any(list(entry) != ["line", "reason"] for entry in row["removed"]):
        found.append("removed entries must be {line, reason}")
    found += [f"blank or unstripped {s!r}" for s in body + removed if not s or s != s.strip()]
    have, want = Counter(body) + Counter(removed), Counter(lines)
    found += [f"unaccounted {s[:60]!r}" for s in want - have]
    found += [f"not in file or counted twice {s[:60]!r}" for s in have - want]
    if have == want and not interleaves(lines, body, removed):
        found.append("body_lines and removed are not both in file order")
    found += [f"unknown reason {e['reason']!r}" for e in row["removed"] if e["reason"] not in REASONS]

    def with_reason(*reasons: str) -> list[str]:
        return [e["line"] for e in row["removed"] if e["reason"] in reasons]

    for key in ("title", "subtitle"):
        if row[key] is not None and row[key] not in with_reason(key):
            found.append(f"{key} is not a removed line with reason {key}")
        if row[key] is None and with_reason(key):
            found.append(f"{key} is null but a line has reason {key}")
    found += [f"author {a!r} not in a byline" for a in row["authors"]
              if not a or not any(a in s for s in with_reason("byline"))]
    if row["section"] is not None and not any(row["section"] in s for s in with_reason("breadcrumb")):
        found.append("section not in a breadcrumb line")
    if row["print_edition"] is not None and not any(row["print_edition"] in s for s in removed):
        found.append("print_edition not in a removed line")
    if row["publisher"] is not None and not any(row["publisher"] in s for s in lines):
        found.append("publisher not named in the text")
    pool = with_reason("related_links", "editors_picks")
    pool_set = set(pool) | {BULLET_RE.sub("", s, count=1) for s in pool}
    found += [f"related link {h!r} not a link line" for h in row["related_links"] if h not in pool_set]
    stamp = row["published_at"]
    if stamp is not None and not (DATE_RE.match(stamp) or BEIJING_TIME_RE.match(stamp)):
        found.append(f"published_at {stamp!r}")
    if row["language"] != "en":
        found.append("language")
    return found


def style_of(name: str) -> str:
    return next(style for style in STYLES if f"_{style}_" in name)


def test_deterministic_for_a_seed() -> None:
    assert list(iter_dumps(30, seed=7)) == list(iter_dumps(30, seed=7))
    assert list(iter_dumps(10, seed=7)) == list(iter_dumps(30, seed=7))[:10]
    assert [text for _, text, _ in iter_dumps(10, seed=7)] != [text for _, text, _ in iter_dumps(10, seed=8)]
    for style in STYLES:
        assert make_dump(style, random.Random(3)) == make_dump(style, random.Random(3))


@pytest.mark.parametrize(("name", "text", "expected"), DUMPS, ids=[name for name, _, _ in DUMPS])
def test_consistency_rule_and_field_sanity(name: str, text: str, expected: dict) -> None:
    assert expected["file"] == f"raw/{name}"
    assert problems(text, expected) == []


@settings(max_examples=150, deadline=None)
@given(style=st.sampled_from(STYLES), seed=st.integers(min_value=0))
def test_consistency_rule_for_any_seed(style: str, seed: int) -> None:
    text, expected = make_dump(style, random.Random(seed))
    assert problems(text, expected) == []


def test_every_style_produced_in_turn() -> None:
    assert tuple(synthetic.BUILDERS) == STYLES
    names = [name for name, _, _ in DUMPS]
    assert [style_of(name) for name in names[: len(STYLES)]] == list(STYLES)
    assert Counter(style_of(name) for name in names) == {style: 200 // len(STYLES) for style in STYLES}
    assert len(set(names)) == len(names)


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown style"):
        make_dump("tabloid", random.Random(0))


@pytest.mark.parametrize("style", STYLES)
def test_fields_take_each_style_forms(style: str) -> None:
    for seed in range(40):
        text, rec = make_dump(style, random.Random(seed))
        reasons = {entry["reason"] for entry in rec["removed"]}
        if style.startswith("china_daily"):
            assert BEIJING_TIME_RE.match(rec["published_at"])
            stamp = rec["published_at"][:16].replace("T", " ")
            assert any(f"Updated: {stamp}" in entry["line"] for entry in rec["removed"])
            assert rec["publisher"].startswith("China Daily") or rec["publisher"] == synthetic.WEB_ONLY_OUTLET
            assert 1 <= len(rec["authors"]) <= 3
        if style == "china_daily_print":
            assert re.fullmatch(r"China Daily[A-Za-z ]* \d{2}/\d{2}/\d{4} page\d+", rec["print_edition"])
            assert rec["publisher"] == rec["print_edition"].rsplit(" ", 2)[0]
            assert {"title", "dateline", "byline", "share_widget", "print_edition"} <= reasons
        if style == "china_daily_web":
            assert rec["section"] and f"Home / {rec['section']}" in text
            assert rec["print_edition"] is None
        if style == "wire_no_header":
            assert rec["removed"] == [] and rec["related_links"] == [] and rec["authors"] == []
            assert all(rec[key] is None for key in ("title", "subtitle", "published_at", "publisher", "section",
                                                    "print_edition"))
        if style == "bare_title_bullets":
            assert reasons <= {"title", "related_links"}
            assert rec["publisher"] is None and rec["published_at"] is None
        if style == "beijing_review":
            issued = date.fromisoformat(rec["published_at"])
            assert issued.weekday() == 3  # Thursday
            month = synthetic.MONTHS[issued.month - 1].upper()
            assert re.fullmatch(rf"NO\. \d{{1,2}} {month} {issued.day}, {issued.year}", rec["print_edition"])
            assert rec["publisher"] == "Beijing Review"


def test_body_is_prose_and_headlines_look_like_headlines() -> None:
    for name, _, rec in DUMPS:
        for line in rec["body_lines"]:
            subhead = style_of(name) == "wire_no_header" and line.isupper() and len(line.split()) <= 6
            assert subhead or (len(line.split()) >= 12 and PROSE_END_RE.search(line)), line
        for headline in [rec["title"], *rec["related_links"]]:
            if headline is not None:
                assert 2 <= len(headline.split()) <= 20 and not headline.endswith("."), headline


def test_no_seed_text_copied() -> None:
    seeds = load_seed_gold()
    seed_headlines = {h for g in seeds for h in [g["title"], g["subtitle"], *g["related_links"]] if h}
    seed_body = {line for g in seeds for line in g["body_lines"]}
    for _, text, rec in DUMPS:
        lines = set(file_lines(text)) | set(rec["related_links"])
        assert not lines & seed_headlines
        assert not lines & seed_body


def test_page_chrome_is_byte_exact_from_the_seeds() -> None:
    seed_lines = {line for path in RAW.glob("*.txt") for line in path.read_text(encoding="utf-8").split("\n")}
    chrome = [synthetic.CD_SHARE_ROW.format(count=0), synthetic.CD_COPYRIGHT.format(end=""),
              synthetic.CD_LICENCE, synthetic.CD_REGISTRATION, synthetic.BR_HEADER, synthetic.BR_FOLLOW,
              synthetic.BR_ICONS, synthetic.BR_FOOTER_NAV, *synthetic.BR_PARTNERS, synthetic.BR_PARTNERS_SPAM,
              synthetic.BR_COPYRIGHT, synthetic.BR_PROVENANCE[0]]
    for line in chrome:
        assert any(line in seed_line for seed_line in seed_lines), repr(line)


def test_nbsp_padding_is_kept_in_the_text() -> None:
    """The seeds' edge NBSPs (share row, Beijing Review lines) must reach the dump; problems() checks
    that the gold holds those lines stripped."""
    padded = {style_of(name) for name, text, _ in DUMPS for line in text.split("\n")
              if line.strip(" ") != line.strip()}
    assert padded == {"china_daily_print", "beijing_review"}


def test_main_writes_dumps_and_gold(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--n", "12", "--seed", "5"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["file"] for row in rows] == sorted(f"raw/{p.name}" for p in tmp_path.glob("*.txt"))
    for row, (name, text, expected) in zip(rows, iter_dumps(12, seed=5), strict=True):
        written = (tmp_path / name).read_bytes()
        assert written.decode("utf-8") == text and not written.endswith(b"\n")
        assert row == expected and problems(text, row) == []


@pytest.mark.skipif(not SEED_CHECKER.is_file(), reason="seed corpus checker not available here")
def test_seed_corpus_checker_accepts_generated_gold(tmp_path: Path) -> None:
    main(["--out", str(tmp_path), "--n", "50"])
    result = subprocess.run([sys.executable, str(SEED_CHECKER), "--gold", str(tmp_path / "gold.jsonl"),
                             "--raw", str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK")
