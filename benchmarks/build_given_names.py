"""Write `pressline/rules/names.toml`: the given names that tell a person's name from a heading.

Usage: python benchmarks/build_given_names.py [--check]

A name standing without 'By' (a header line of its own, a first name beside a date, a personal
site's owner) is taken for a person only when its first word is a known given name. The names
come from Faker's person providers (every locale it ships: first names, male, female and
non-binary), a maintained list that has nothing to do with the pages pressline is measured on,
so it carries over to sites it has never seen. Words that are more often something else are left
out: the common English words of Faker's own en_US lorem list ('Will', 'May', 'Page'), the
English months and weekdays, single letters, and the few in `NOT_NAMES`. Deterministic for a
Faker version (pinned by uv.lock); `--check` exits 1 when the shipped file differs.
"""
from __future__ import annotations

import argparse
import calendar
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import faker
import faker.providers.person
from faker.providers.lorem.en_US import Provider as EnglishLorem

OUT = Path(__file__).resolve().parents[1] / "pressline" / "rules" / "names.toml"
PROVIDER_LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
NOT_NAMES = frozenset({"joy", "hunter", "grace", "faith", "china", "india", "summer", "art", "page", "guy"})
_WORD = re.compile(r"[^\W\d_]{2,}")
HEADER = """\
# Given names, as data: a name standing without 'By' (a header line of its own, one word beside a
# date, a personal site's name) is taken for a person only when its first word is one of these, since
# short runs of capitalised words are as often headings, menu items and company names ('Privacy
# Policy', 'Tiger Data'). Written by benchmarks/build_given_names.py from Faker {version}'s person
# providers (all locales), lower-cased, without common English words, months and weekdays; do not
# edit by hand: change the script and run it again.
"""


def _names_of(provider: type) -> set[str]:
    found: set[str] = set()
    for attribute in PROVIDER_LISTS:
        names = vars(provider).get(attribute, ())
        if isinstance(names, (dict, list, tuple)):  # a dict weighs its names; one locale has a property
            found.update(name.lower() for name in names if _WORD.fullmatch(name))
    return found


def given_names() -> list[str]:
    """Every locale's given names, less the words that are mostly something else, sorted."""
    names: set[str] = set()
    for module in pkgutil.iter_modules(faker.providers.person.__path__):
        names |= _names_of(importlib.import_module(f"faker.providers.person.{module.name}").Provider)
    calendar_words = {word.lower() for word in (*calendar.month_name, *calendar.day_name) if word}
    excluded = {word.lower() for word in EnglishLorem.word_list} | calendar_words | NOT_NAMES
    return sorted(names - excluded)


def render(names: list[str]) -> str:
    lines, line = [], "  "
    for name in names:
        item = f'"{name}", '
        if len(line) + len(item) > 100:
            lines.append(line.rstrip())
            line = "  "
        line += item
    lines.append(line.rstrip())
    return HEADER.format(version=faker.VERSION) + "given = [\n" + "\n".join(lines) + "\n]\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the shipped file is current")
    args = parser.parse_args()
    text = render(given_names())
    if args.check:
        current = OUT.read_text(encoding="utf-8") == text
        print("names.toml is current" if current else "names.toml differs: run benchmarks/build_given_names.py")
        return 0 if current else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
