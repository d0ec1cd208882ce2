r"""Every regular expression pressline applies to input runs in linear time on adversarial lines.

Issue 7: no catastrophic backtracking. The usual culprit is two adjacent quantified parts that can
match the same characters (`[ \t]*([^/]+)$`, `\s*:?\s*`, a lazy `.*?` before `\s+`) followed by
something that can fail: on a long run of spaces the engine tries every way of splitting it, and a
search retries from every position, so the time grows with the square of the run. This module
collects each pattern configured in pressline/rules/*.toml (the cleaner's line rules and the
openings read from them, the feature cues, the author, date and title rules built from
fields.toml) and every pattern a pressline module keeps at module level, and times each on lines of 100,000 characters built to
trigger the overlap: a quadratic pattern takes tens of seconds there, a linear one milliseconds.
A 10,000-character round first makes a regression fail in a second instead of minutes.
"""
from __future__ import annotations

import re
import time
from types import ModuleType

import pytest

from pressline import clean, dedup, extract, ingest, linefeatures, linetable, load
from pressline import rules as rules_data

# Openings that make the patterns start matching (a rule's words, a separator, a list mark),
# each followed by a long run of spaces and an ending that makes the match fail at the last moment.
TRIGGERS = ["a", "By", "Written by", "Home / a", "a /", "a >", "a |", "Updated", "Published on", "Copyright a",
            "© 2015", "(China Daily", "licence", "issue", "Mon", "1 s", "Editor", "Contact the writer", "- a",
            "Sept. 22, 2015", "12:30", ".", "Ann and"]
ENDINGS = ["x", "1", "/"]


def runs(n: int) -> dict[str, str]:
    """Runs of n characters that quantifiers overlap on."""
    return {
        "spaces": " " * n, "tabs": "\t" * n, "spaces and tabs": " \t" * (n // 2), "no-break spaces": "\u00a0" * n,
        "digits": "1" * n, "letters": "a" * n, "dots and spaces": ". " * (n // 2), "dashes": "-" * n,
        "separators": " / | > » " * (n // 9), "punctuation": ".-,;:!?()[]'\"" * (n // 13), "open parens": "(" * n,
        "digit groups": "1, " * (n // 3), "and-lists": "Al and " * (n // 7),
    }


def adversarial_lines(n: int) -> dict[str, str]:
    """Every run alone, then every trigger before a run of spaces (and a tab run after '|'), each with every ending."""
    lines = {}
    for ending in ENDINGS:
        for name, run in runs(n).items():
            lines[f"{name}+{ending!r}"] = run + ending
        for trigger in TRIGGERS:
            lines[f"{trigger!r}+spaces+{ending!r}"] = trigger + " " * n + ending
    lines["'a |'+tabs+'|'"] = "a |" + "\t" * n + "|"
    return lines


def configured_patterns() -> dict[str, re.Pattern[str]]:
    """The patterns built from the rules files: every cleaner line rule, the feature cue, the
    author, date and title rules."""
    rules = clean.default_rules()
    found = {f"lines.toml rule {k} ({rule.reason})": rule.regex for k, rule in enumerate(rules.patterns)}
    found |= {f"lines.toml opening of rule {k}": rule.opening for k, rule in enumerate(rules.patterns) if rule.opening}
    found["lines.toml, all rules in one"] = rules.any_pattern
    found["lines.toml menu separators"] = rules.menu.splitter
    found["features.toml relative_time"] = linefeatures._relative_time()[1]
    for owner, settings in (("authors", extract.author_rules()), ("published", extract.date_rules()),
                            ("title", extract.title_rules())):
        for name in settings.__slots__:
            value = getattr(settings, name)
            if isinstance(value, re.Pattern):
                found[f"fields.toml {owner}.{name}"] = value
    return found


def module_patterns() -> dict[str, re.Pattern[str]]:
    modules: tuple[ModuleType, ...] = (clean, dedup, extract, ingest, linefeatures, linetable, load)
    found = {f"{module.__name__}.{name}": value for module in modules for name, value in vars(module).items()
             if isinstance(value, re.Pattern)}
    found["pressline.linetable._sentence_break()"] = linetable._sentence_break()
    return found


PATTERNS = {**configured_patterns(), **module_patterns()}
LINES = {n: adversarial_lines(n) for n in (10_000, 100_000)}
# Seconds one pattern may take over one line: a linear scan of 100,000 characters takes a few
# milliseconds; a quadratic one about a second at 10,000 characters and minutes at 100,000. The
# 10,000-character round makes a regression fail in seconds. CPU time, and a slow time is measured
# twice, so other jobs on the machine are not taken for backtracking.
BOUNDS = {10_000: 0.3, 100_000: 1.0}


def _seconds(pattern: re.Pattern[str], line: str) -> float:
    started = time.process_time()
    pattern.match(line)
    for _ in pattern.finditer(line):
        pass
    return time.process_time() - started


def _slow(pattern: re.Pattern[str], line: str, bound: float) -> float | None:
    seconds = _seconds(pattern, line)
    if seconds > bound:
        seconds = min(seconds, _seconds(pattern, line))
    return seconds if seconds > bound else None


def test_every_rules_file_pattern_is_collected() -> None:
    assert sum(name.startswith("lines.toml rule ") for name in PATTERNS) == len(rules_data.load("lines")["rule"])
    assert {"fields.toml title.credit", "fields.toml published.update_label", "fields.toml authors.names_end",
            "features.toml relative_time", "pressline.extract._CRUMB_TAIL"} <= set(PATTERNS)


@pytest.mark.parametrize("name", PATTERNS)
def test_pattern_is_linear_on_adversarial_lines(name: str) -> None:
    pattern = PATTERNS[name]
    for n, lines in LINES.items():
        slow = {label: round(seconds, 3) for label, line in lines.items()
                if (seconds := _slow(pattern, line, BOUNDS[n])) is not None}
        assert not slow, f"{name} on {n:,}-character lines: {slow}"


def test_the_check_catches_a_quadratic_pattern() -> None:
    """The old breadcrumb-tail pattern: both parts take the spaces after a separator."""
    quadratic = re.compile(r"[/>»›|][ \t]*([^\n/>»›|]+)$", re.MULTILINE)
    assert _slow(quadratic, LINES[10_000]["'a /'+spaces+'/'"], BOUNDS[10_000])
