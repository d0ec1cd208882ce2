"""Fields of an article, read from the lines the cleaner labelled.

The cleaner says which line is the byline, the dateline, the breadcrumb ...; this module
only parses those lines, so a field is never taken from running text by accident
(a source quoted in the body is not the publisher).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from zoneinfo import ZoneInfo

import py3langid
from dateutil import parser as date_parser

from pressline import rules as rules_data
from pressline.clean import LIST_REASONS, CleanedDocument, default_rules, match_rule, strip_bullet, word_count

_DATE = re.compile(rules_data.fragment("DATE"), re.IGNORECASE)
_TIME = re.compile(r"(?<![\d:])" + rules_data.fragment("TIME"), re.IGNORECASE)
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)
_BYLINE_PREFIX = re.compile(
    r"^(?:by|written by|posted by|reported by|story by|words by|text by|authors?:|作者[:：])\s*", re.IGNORECASE
)
_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b)\s*")
_PLACE_SUFFIX = re.compile(r"\s+in\s+[A-Z][\w .'-]*$")
_PERSON_NAME = re.compile(r"^[A-ZÀ-Þ][\w'’.-]*(?:\s+(?:[A-ZÀ-Þ][\w'’.-]*|de|da|van|von|der|le|la|bin|al))*$")
_UPDATED_LABEL = re.compile(r"^(?:updated|published|posted|last updated|date)\b", re.IGNORECASE)
_ISSUE_REF = re.compile(r"^(?:no\.|issue)\s*\d+", re.IGNORECASE)
_COPYRIGHT_HOLDER = re.compile(
    r"^(?:copyright|©|\(c\))\s*(?:©\s*)?(?:\d{4}\s*(?:[-–]\s*\d{0,4})?\s*)?(?P<holder>[^.|]*?)\s*"
    r"(?:all rights reserved|\.|\||$)",
    re.IGNORECASE,
)
# The holder is named near the start; reading further only costs time on long footers.
MAX_COPYRIGHT_CHARS = 300
_PRINT_OUTLET = re.compile(r"^\(?(?P<outlet>[^()]*?)\s+\d{1,2}/\d{1,2}/\d{4}\s+page", re.IGNORECASE)


@dataclass(slots=True)
class PublishedTime:
    raw: str
    published_at: datetime | None
    published_date: date | None
    tz_assumed: bool


@dataclass(slots=True)
class Fields:
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    published_date: date | None = None
    published_at_raw: str | None = None
    published_at_tz_assumed: bool | None = None
    publisher: str | None = None
    section: str | None = None
    print_edition: str | None = None
    language: str | None = None
    related_links: list[str] = field(default_factory=list)
    body: str = ""
    word_count: int = 0


@dataclass(frozen=True, slots=True)
class PublisherHint:
    names: tuple[str, ...]
    timezone: str


@cache
def publisher_hints() -> tuple[PublisherHint, ...]:
    return tuple(
        PublisherHint(tuple(hint["names"]), hint["timezone"]) for hint in rules_data.load("fields")["publisher"]
    )


@cache
def not_people() -> frozenset[str]:
    return frozenset(name.lower() for name in rules_data.load("fields")["authors"]["not_people"])


def extract(cleaned: CleanedDocument) -> Fields:
    bylines = cleaned.with_reason("byline")
    publisher = find_publisher(cleaned)
    body_lines = cleaned.body_lines
    body = "\n\n".join(body_lines)
    published = find_published(cleaned, publisher)
    return Fields(
        title=cleaned.first("title"),
        subtitle=cleaned.first("subtitle"),
        authors=parse_authors(bylines[0]) if bylines else [],
        published_at=published.published_at if published else None,
        published_date=published.published_date if published else None,
        published_at_raw=published.raw if published else None,
        published_at_tz_assumed=published.tz_assumed if published else None,
        publisher=publisher,
        section=parse_section(cleaned.first("breadcrumb")),
        print_edition=find_print_edition(cleaned),
        language=identify_language(body),
        related_links=find_related_links(cleaned),
        body=body,
        word_count=sum(word_count(line) for line in body_lines),
    )


def parse_authors(byline: str) -> list[str]:
    """Person names of a byline, without 'By', places, outlets or agencies."""
    names_part = _BYLINE_PREFIX.sub("", " ".join(byline.split()))
    names_part = names_part.split("|")[0]
    names_part = re.split(r"\(|\s[-–—]\s", names_part)[0]
    authors = []
    for candidate in _NAME_SEPARATORS.split(names_part):
        name = _PLACE_SUFFIX.sub("", candidate.strip(" \u00a0.,"))
        if not name or name.lower() in not_people() or not _PERSON_NAME.match(name):
            continue
        if 1 <= len(name.split()) <= 5 and name not in authors:
            authors.append(name)
    return authors


def find_publisher(cleaned: CleanedDocument) -> str | None:
    """The outlet the page names: byline, print reference, copyright holder, site header."""
    for byline in cleaned.with_reason("byline"):
        outlet = _outlet_from_byline(byline)
        if outlet:
            return outlet
    for line in cleaned.with_reason("print_edition"):
        match = _PRINT_OUTLET.match(line)
        if match and match.group("outlet").strip():
            return match.group("outlet").strip()
    for line in cleaned.with_reason("copyright"):
        match = _COPYRIGHT_HOLDER.match(" ".join(line.split())[:MAX_COPYRIGHT_CHARS])
        holder = match.group("holder").strip(" ,") if match else ""
        if holder and not holder[0].isdigit() and len(holder.split()) <= 6:
            return holder
    for line in cleaned.with_reason("navigation")[:1]:
        known = _known_publisher_prefix(line)
        if known:
            return known
    return None


def _outlet_from_byline(byline: str) -> str | None:
    parenthesised = re.search(r"\(([^()]+)\)", byline)
    if parenthesised:
        return parenthesised.group(1).strip()
    for segment in [part.strip(" \u00a0") for part in byline.split("|")][1:]:
        if not segment or _UPDATED_LABEL.match(segment) or _ISSUE_REF.match(segment) or _DATE.search(segment):
            continue
        return segment
    return None


def _known_publisher_prefix(line: str) -> str | None:
    for hint in publisher_hints():
        for name in hint.names:
            if line.startswith(name):
                return name
    return None


def _squash(name: str) -> str:
    """Letters and digits only, lowercased: 'chinadaily.com.cn' and 'China Daily USA' share a prefix."""
    return "".join(char for char in name.lower() if char.isalnum())


def publisher_timezone(publisher: str | None) -> str | None:
    if not publisher:
        return None
    squashed = _squash(publisher)
    for hint in publisher_hints():
        if any(squashed.startswith(_squash(name)) for name in hint.names):
            return hint.timezone
    return None


def find_published(cleaned: CleanedDocument, publisher: str | None) -> PublishedTime | None:
    """The first stamp with a time wins; else the first date (datelines before bylines)."""
    candidates = [
        parsed
        for line in cleaned.with_reason("dateline", "byline", "print_edition")
        if (parsed := parse_published(line, publisher)) is not None
    ]
    with_time = [candidate for candidate in candidates if candidate.published_at is not None]
    return (with_time or candidates or [None])[0]


def parse_published(text: str, publisher: str | None = None) -> PublishedTime | None:
    """Parse the date (and time) in `text`; a time without offset gets the publisher's zone."""
    iso = _ISO_DATETIME.search(text)
    date_match = _DATE.search(text)
    if iso:
        raw = iso.group(0)
    elif date_match:
        time_match = _TIME.search(text, date_match.end())
        raw = text[date_match.start():time_match.end()] if time_match else date_match.group(0)
        if time_match is None:
            return _date_only(raw)
    else:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)  # unknown zone names stay naive
            stamp = date_parser.parse(raw, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    assumed = False
    if stamp.tzinfo is None:
        zone = publisher_timezone(publisher)
        assumed = zone is None
        stamp = stamp.replace(tzinfo=ZoneInfo(zone) if zone else timezone.utc)
    return PublishedTime(raw, stamp.astimezone(timezone.utc), stamp.date(), assumed)


def _date_only(raw: str) -> PublishedTime | None:
    try:
        parsed = date_parser.parse(raw, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    return PublishedTime(raw, None, parsed.date(), False)


def parse_section(breadcrumb: str | None) -> str | None:
    if not breadcrumb:
        return None
    parts = [part.strip() for part in re.split(r"\s*(?:/|>|»|›|\||&gt;)\s*", breadcrumb) if part.strip()]
    if parts and parts[0].lower() in ("home", "homepage", "首页"):
        parts = parts[1:]
    return " / ".join(parts) or None


def find_print_edition(cleaned: CleanedDocument) -> str | None:
    for line in cleaned.with_reason("print_edition"):
        return line.strip("()")
    for byline in cleaned.with_reason("byline"):
        for segment in [part.strip(" \u00a0") for part in byline.split("|")][1:]:
            if _ISSUE_REF.match(segment):
                return segment
    return None


def find_related_links(cleaned: CleanedDocument) -> list[str]:
    """Headlines of related lists, without list headings or bullets."""
    rules = default_rules()
    return [
        strip_bullet(text)
        for text in cleaned.with_reason(*LIST_REASONS)
        if match_rule(text, word_count(text), rules) not in LIST_REASONS
    ]


def identify_language(body: str) -> str | None:
    if not body.strip():
        return None
    language, _score = py3langid.classify(body[:5000])
    return language
