"""Text-only boilerplate removal: label every line of a dump as body or as removed, with why.

There is no HTML, so the cleaner works from the lines alone, in four passes:
1. line rules (data, in `rules/lines.toml`) recognise widgets, bylines, footers ... anywhere;
2. the header (everything up to the last byline/dateline/breadcrumb/widget before the
   first run of prose) is split off; its free lines give the title and subtitle;
3. the body is the contiguous span of lines with the best score, prose counting for it and
   everything else against it (the idea of Finn et al.'s Body Text Extraction, on lines);
   what follows it is sorted into repeated titles, related-link lists and footer;
4. the line model (`linemodel`, over the batch's `linefeatures`, which include the verdict of
   passes 1-3) decides body or not for every line no rule matched; a line it drops that pass 3
   kept is removed with the signal that decided it (`MODEL_REASONS`).
Rule matches always stay removed with their rule's reason.

A batch is handled as columns (`linetable`): the per-line functions below (`word_count`,
`match_rule`, ...) define what the batch code computes, and serve callers that hold one line.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import compress, repeat
from operator import is_not
from re import _constants as sre
from re import _parser

import numpy as np
from threadpoolctl import ThreadpoolController

from pressline import linetable
from pressline import rules as rules_data
from pressline.linefeatures import (
    CensusPart,
    LineCensus,
    RuleLayer,
    batch_features,
    feature_names,
    max_spans,
    word_sets,
)
from pressline.linemodel import Decoding, LineModel, default_model
from pressline.linetable import LineTable, word_count

# The batch's matrix products (character classes per line, the line model) are too small to
# gain from a second BLAS thread, which only spins and takes the core another batch worker or
# Prefect's server needs: with OpenBLAS's default, cleaning used twice the CPU for the same wall time.
# The controller knows the BLAS libraries loaded by now, numpy's; a BLAS that a later import brings
# (scipy's own, with GX) is not the cleaner's and keeps its threads.
NUMPY_BLAS = ThreadpoolController()
_ONE_BLAS_THREAD = NUMPY_BLAS.wrap(limits=1, user_api="blas")

BODY = "body"
TITLE = "title"
SUBTITLE = "subtitle"

# Reasons that mark the page header: the body starts after the last of them.
HEADER_REASONS = frozenset({"byline", "dateline", "breadcrumb", "share_widget", "navigation", "print_edition"})
# Reasons a line the model drops gets, by the signal that decided it.
MODEL_REASONS = frozenset({"site_template", "comment_thread", "outside_main_block", "low_text_density"})
# Structural labels as certain as a rule match: the title, its copies and the subtitle are not
# body, nor are the headline lists the rule layer found after the body (teasers, related stories).
RULE_DECIDED = frozenset({"repeated_title", TITLE, SUBTITLE, "related_links"})
# A line of a headline list after the body that the model puts in the main block this surely is
# body (the list was the article's own: a table of contents, a catalogue, a list the body ends with).
LIST_KEEP_ABOVE = 0.8
# A line seen in this many other documents of the run is template text.
SITE_TEMPLATE_DOCUMENTS = 2
# A line this long seen so is removed whatever the model says (a newsletter blurb, a legal
# paragraph): the dev corpus has too few pages of one site for the model to learn it, and none of
# its 397 lines of 8 words or more standing in 2 other pages is article text.
TEMPLATE_WORDS = 8
# A document with this many comment action lines ('Reply') holds a comment thread, which starts at
# the first of them when the lines before it keep this many body words (an article before it).
THREAD_ACTIONS = 2
THREAD_BODY_WORDS = 100
# A related-stories heading ends the article when the body words kept after it are at most this
# share of those before it (and those before are `THREAD_BODY_WORDS` or more): teasers follow it.
RELATED_TAIL_SHARE = 0.5
# Characters a bullet before an action button may take ('* ', ' - ').
THREAD_BULLET_CHARS = 4
# Documents analysed together: enough to vectorise over, few enough for the caches.
SUB_BATCH = 64
# Reasons of the lines whose text names the site (a short tail line found in them is navigation).
SITE_REASONS = frozenset({"navigation", "copyright"})
# Reasons whose following headline-like lines belong to the same list.
LIST_REASONS = frozenset({"related_links", "editors_picks"})

_SENTENCE_END = re.compile(
    f"[{re.escape(linetable.SENTENCE_END_CHARS)}][{re.escape(linetable.SENTENCE_CLOSERS)}]*$")
_SENTENCE_BREAK = re.compile(linetable.SENTENCE_BREAK)
_BULLETS = "-–—*•·+▪►"
_BULLET = re.compile(rf"^(?:[{re.escape(_BULLETS)}]\s*)+")
_BULLET_CODES = np.array([ord(char) for char in _BULLETS], np.uint32)


@dataclass(frozen=True, slots=True)
class LineLabel:
    """One non-blank line of the dump: its 1-based number, stripped text and label."""

    line_no: int
    text: str
    reason: str

    @property
    def kept(self) -> bool:
        return self.reason == BODY


@dataclass(slots=True)
class CleanedDocument:
    """The labelled lines, held as columns (a batch yields thousands; labels are built on demand)."""

    line_numbers: list[int]
    texts: list[str]
    reasons: list[str]
    # `word_count` of each line, and the line rule it matches on its own (`match_rule`; None for
    # none), before any context: the cleaner has both, and field extraction asks them again.
    words: list[int]
    line_rules: list[str | None]

    @property
    def labels(self) -> list[LineLabel]:
        return list(map(LineLabel, self.line_numbers, self.texts, self.reasons))

    @property
    def body_lines(self) -> list[str]:
        return list(compress(self.texts, map(BODY.__eq__, self.reasons)))

    @property
    def body_words(self) -> int:
        return sum(compress(self.words, map(BODY.__eq__, self.reasons)))

    @property
    def removed(self) -> list[LineLabel]:
        return [label for label in self.labels if not label.kept]

    def first(self, reason: str) -> str | None:
        return next((text for text, label in zip(self.texts, self.reasons) if label == reason), None)

    def with_reason(self, *reasons: str) -> list[str]:
        return [text for text, reason in zip(self.texts, self.reasons) if reason in reasons]


@dataclass(frozen=True, slots=True)
class PatternRule:
    """A line pattern; `first` and `last` tell which first and last characters (code points,
    0x10000 for any beyond the BMP) a matching line can have, `min_chars`/`max_chars` its
    length and `opening` (None: any) its first `linetable.OPENING_CHARS` characters, so most
    lines skip the regex."""

    reason: str
    regex: re.Pattern[str]
    max_words: int | None
    first: EdgeTable
    last: EdgeTable
    min_chars: int
    max_chars: int | None
    opening: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class EdgeTable:
    """Which characters (code points, 0x10000 for any beyond the BMP) can open (or close) a line
    a rule matches, as `table[codes]` answers it: `edge`, a regex of one character (None: any),
    decides each character the first time a batch holds it. Deciding the whole BMP up front took
    a sixth of the cleaner's set-up, and a batch holds a few hundred distinct edge characters."""

    edge: re.Pattern[str] | None
    allowed: np.ndarray = field(default_factory=lambda: np.ones(0x10001, bool))
    known: np.ndarray = field(default_factory=lambda: np.zeros(0x10001, bool))

    def __getitem__(self, codes: np.ndarray) -> np.ndarray:
        if self.edge is None:
            return self.allowed[codes]
        new = np.unique(codes[~self.known[codes]])
        for code in new.tolist():
            self.allowed[code] = code == 0x10000 or self.edge.fullmatch(chr(code)) is not None
        self.known[new] = True
        return self.allowed[codes]


# Distinct openings `Openings` remembers; past that it starts over (pages of CJK scripts open
# their lines in many more ways than pages of alphabetic ones).
OPENINGS_KEPT = 1 << 18


@dataclass(slots=True)
class Openings:
    """The distinct openings (`LineTable.opening`) of the lines seen so far, numbered, and for each
    pattern rule whether a line opening so can match it (-1: not asked yet). A 64-page piece has
    some 3,000 openings, most seen before, so a rule's `opening` regex runs on the few new ones,
    not on each of the lines whose first and last characters allow the rule (330,000 regex calls
    for the 801 dev pages, 41,000 after this test)."""

    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.intp))     # of each of `codes`
    texts: list[str] = field(default_factory=list)                           # each id's opening
    verdicts: dict[int, np.ndarray] = field(default_factory=dict)            # by rule index, int8 by id

    def of(self, lines: LineTable) -> np.ndarray:
        """The id of each line's opening; new openings get the next ids."""
        codes = lines.opening
        position = np.searchsorted(self.codes, codes)
        known = position < self.codes.size
        known[known] = self.codes[position[known]] == codes[known]
        if known.all():
            return self.ids[position]
        new, first = np.unique(codes[~known], return_index=True)
        if self.texts and len(self.texts) + new.size > OPENINGS_KEPT:
            self.codes, self.ids, self.texts, self.verdicts = self.codes[:0], self.ids[:0], [], {}
            return self.of(lines)
        texts = lines.texts
        self.texts += [texts[i][:linetable.OPENING_CHARS] for i in np.flatnonzero(~known)[first].tolist()]
        codes_now = np.concatenate((self.codes, new))
        order = np.argsort(codes_now, kind="stable")
        self.codes = codes_now[order]
        self.ids = np.concatenate((self.ids, np.arange(len(self.texts) - new.size, len(self.texts))))[order]
        return self.ids[np.searchsorted(self.codes, codes)]

    def allowed(self, rule: int, opening: re.Pattern[str], ids: np.ndarray) -> np.ndarray:
        """Whether lines with these opening `ids` can match pattern rule number `rule`, whose
        matches open as `opening` matches."""
        verdicts = self.verdicts.get(rule)
        if verdicts is None or verdicts.size < len(self.texts):
            grown = np.full(len(self.texts), -1, np.int8)
            if verdicts is not None:
                grown[:verdicts.size] = verdicts
            self.verdicts[rule] = verdicts = grown
        asked = verdicts[ids]
        unknown = np.unique(ids[asked < 0]).tolist()
        for i in unknown:
            verdicts[i] = opening.match(self.texts[i]) is not None
        return (verdicts[ids] if unknown else asked) == 1


@dataclass(frozen=True, slots=True)
class VocabularyRule:
    reason: str
    words: frozenset[str]
    max_words: int
    min_share: float | None
    min_count: int | None

    def matches(self, tokens: list[str]) -> bool:
        if not tokens or len(tokens) > self.max_words:
            return False
        in_words = sum(map(self.words.__contains__, tokens))
        return self.decides(in_words, sum(map(str.isdigit, tokens)), len(tokens))

    def decides(self, in_words, digits, tokens):
        """From the counts of a line's tokens (numbers or arrays): whether the rule matches."""
        if self.min_count is not None:
            return in_words >= self.min_count
        return (in_words + digits) / tokens >= (self.min_share or 1.0)  # the words hold no digits


@dataclass(frozen=True, slots=True)
class MenuRule:
    reason: str
    separators: tuple[str, ...]
    splitter: re.Pattern[str]
    min_segments: int
    max_segment_words: int


@dataclass(frozen=True, slots=True)
class ContinuationRule:
    after: str
    reason: str
    max_words: int


@dataclass(frozen=True, slots=True)
class RuleSet:
    patterns: tuple[PatternRule, ...]
    any_pattern: re.Pattern[str]
    vocabularies: tuple[VocabularyRule, ...]
    menu: MenuRule
    continuations: tuple[ContinuationRule, ...]
    reasons: frozenset[str]
    vocabulary_max_words: int
    # Reasons the line model knows by another reason's indicator feature (`counts_as`), so a rule
    # added with a reason of its own does not change the model's features.
    counts_as: tuple[tuple[str, str], ...] = ()
    # A comment's action buttons, lowered and without bullets: they mark a comment thread
    # (`comment_threads`); not a line rule, so the model's features do not see them.
    thread_actions: frozenset[str] = frozenset()
    openings: Openings = field(default_factory=Openings, compare=False, repr=False)

    @property
    def model_reasons(self) -> frozenset[str]:
        """The reasons with an indicator feature of their own."""
        return self.reasons - {reason for reason, _ in self.counts_as}

    @property
    def menu_marks(self) -> str:
        """Characters counted per line: a menu row holds at least min_segments - 1 of them."""
        return "".join(sorted({separator[0] for separator in self.menu.separators}))


def parse_rules(config: dict) -> RuleSet:
    fragments = config.get("fragments", {})
    expanded = [
        (rule, rules_data.expand(rule["pattern"], fragments)) for rule in config.get("rule", [])
    ]
    patterns = tuple(
        _pattern_rule(rule["reason"], pattern, 0 if rule.get("case_sensitive") else re.IGNORECASE,
                      rule.get("max_words"))
        for rule, pattern in expanded
    )
    # One alternation of all patterns: most lines match none, and one search rejects them.
    any_pattern = re.compile("|".join(
        f"(?:{pattern})" if rule.get("case_sensitive") else f"(?i:{pattern})" for rule, pattern in expanded
    ))
    vocabularies = tuple(
        VocabularyRule(
            rule["reason"],
            frozenset(word.lower() for word in rule["words"]),
            rule["max_words"],
            rule.get("min_share"),
            rule.get("min_count"),
        )
        for rule in config.get("vocabulary", [])
    )
    menu_config = config["menu"]
    menu = MenuRule(
        menu_config["reason"],
        tuple(menu_config["separators"]),
        re.compile("|".join(re.escape(sep) for sep in menu_config["separators"])),
        menu_config["min_segments"],
        menu_config["max_segment_words"],
    )
    continuations = tuple(
        ContinuationRule(rule["after"], rule["reason"], rule["max_words"]) for rule in config.get("continuation", [])
    )
    reasons = frozenset(
        [rule.reason for rule in patterns]
        + [rule.reason for rule in vocabularies]
        + [menu.reason]
        + [rule.reason for rule in continuations]
    )
    vocabulary_max_words = max((rule.max_words for rule in vocabularies), default=0)
    return RuleSet(patterns, any_pattern, vocabularies, menu, continuations, reasons, vocabulary_max_words,
                   _counts_as(config.get("rule", []), reasons),
                   frozenset(action.lower() for action in config.get("thread", {}).get("actions", ())))


def _counts_as(rules: list[dict], reasons: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """Each reason a rule declares `counts_as`, with the reason whose indicator it shares."""
    kinds: dict[str, str] = {}
    for rule in rules:
        if "counts_as" not in rule:
            continue
        reason, kind = rule["reason"], rule["counts_as"]
        if kinds.setdefault(reason, kind) != kind or kind not in reasons or kind in kinds:
            raise ValueError(f"rule {reason!r}: counts_as {kind!r} must be one other rule's reason, the same for "
                             "every rule of that reason")
    return tuple(sorted(kinds.items()))


@cache
def default_rules() -> RuleSet:
    return parse_rules(rules_data.load("lines"))


def _pattern_rule(reason: str, pattern: str, flags: int, max_words: int | None) -> PatternRule:
    """The rule with its edge tables and widths, all read from one parse of `pattern`."""
    parsed = _parser.parse(pattern, flags)
    return PatternRule(reason, re.compile(pattern, flags), max_words, _edge_table(parsed, flags, last=False),
                       _edge_table(parsed, flags, last=True), *_widths(parsed), _opening(parsed))


def _edge_table(parsed: _parser.SubPattern, flags: int, last: bool) -> EdgeTable:
    """Which first (or last) characters a line matching the `parsed` regex can have; where the
    parse says nothing sure, every character."""
    classes, can_be_empty = _edge_classes(list(parsed), last)
    if classes is None or can_be_empty:
        return EdgeTable(None)
    return EdgeTable(re.compile("|".join(classes), flags))


# Openings `_opening` spells out at most; a rule with more is tried on every line its edges allow.
MAX_OPENINGS = 512
_ANY_CHAR = "(?s:.)"


def _opening(parsed: _parser.SubPattern) -> re.Pattern[str] | None:
    """A regex that the first `linetable.OPENING_CHARS` characters of every match of the `parsed`
    regex match (as `match` does: at the start), or None where the parse leaves any opening open."""
    openings = _openings(list(parsed), linetable.OPENING_CHARS)
    if openings is None or any(all(piece == _ANY_CHAR for piece in opening) for opening in openings):
        return None  # some opening is any characters: nothing to test
    # The flags the pattern ends up with (an inline "(?i)" included) decide what its pieces match.
    return re.compile("|".join(sorted("".join(opening) for opening in openings)),
                      parsed.state.flags & (re.IGNORECASE | re.ASCII))


def _openings(items: list, chars: int) -> set[tuple[str, ...]] | None:
    """The ways the parsed `items` can begin: sequences of one-character regex pieces, `chars`
    long or shorter (then anything may follow); zero-width items are passed over, which only
    widens the set. None when there are more than MAX_OPENINGS."""
    if chars == 0 or not items:
        return {()}
    (op, value), rest = items[0], items[1:]
    if op is sre.AT:
        return _openings(rest, chars)
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
        if op is sre.LITERAL:
            piece = re.escape(chr(value))
        elif op is sre.NOT_LITERAL:
            piece = f"[^{re.escape(chr(value))}]"
        else:
            piece = (_class_source(value) if op is sre.IN else None) or _ANY_CHAR
        after = _openings(rest, chars - 1)
        return None if after is None else {(piece, *opening) for opening in after}
    if op is sre.BRANCH:
        options = [_openings(list(branch) + rest, chars) for branch in value[1]]
        return _union(options)
    if op is sre.SUBPATTERN and not value[1] and not value[2]:
        return _openings(list(value[3]) + rest, chars)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and value[2].getwidth()[0] > 0:
        low, high, sub = value
        again = [(op, (max(low - 1, 0), high - 1, sub))] if high > 1 else []
        options = [_openings(list(sub) + again + rest, chars)]
        if low == 0:
            options.append(_openings(rest, chars))
        return _union(options)
    return {()}


def _union(options: list[set[tuple[str, ...]] | None]) -> set[tuple[str, ...]] | None:
    if any(option is None for option in options):
        return None
    union = set().union(*options)
    return None if len(union) > MAX_OPENINGS else union


def _widths(parsed: _parser.SubPattern) -> tuple[int, int | None]:
    """The shortest and longest text the `parsed` regex can match (None: no bound)."""
    low, high = parsed.getwidth()
    return low, (None if high >= sre.MAXREPEAT else high)


def _edge_classes(items: list, last: bool) -> tuple[list[str] | None, bool]:
    """Regex pieces matching the first (last) character of a match of the parsed `items`,
    and whether the items can match the empty string; None when unsure."""
    classes: list[str] = []
    for op, value in reversed(items) if last else items:
        if op is sre.AT:
            continue
        if op is sre.LITERAL:
            return classes + [re.escape(chr(value))], False
        if op is sre.IN:
            piece = _class_source(value)
            return (None, False) if piece is None else (classes + [piece], False)
        if op is sre.BRANCH:
            empty = False
            for branch in value[1]:
                sub, sub_empty = _edge_classes(list(branch), last)
                if sub is None:
                    return None, False
                classes, empty = classes + sub, empty or sub_empty
        elif op is sre.SUBPATTERN and not value[1] and not value[2]:
            sub, empty = _edge_classes(list(value[3]), last)
            if sub is None:
                return None, False
            classes += sub
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            sub, sub_empty = _edge_classes(list(value[2]), last)
            if sub is None:
                return None, False
            classes, empty = classes + sub, value[0] == 0 or sub_empty
        else:
            return None, False
        if not empty:
            return classes, False
    return classes, True


def _class_source(items: list) -> str | None:
    categories = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
                  sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W"}
    parts = []
    for op, value in items:
        if op is sre.NEGATE:
            parts.append("^")
        elif op is sre.LITERAL:
            parts.append(re.escape(chr(value)))
        elif op is sre.RANGE:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif op is sre.CATEGORY and value in categories:
            parts.append(categories[value])
        else:
            return None
    return "[" + "".join(parts) + "]"


def is_prose(text: str, words: int) -> bool:
    """Running text: long enough and built of sentences."""
    if words >= 25:
        return True
    return words >= 10 and bool(_SENTENCE_END.search(text) or _SENTENCE_BREAK.search(text))


def is_headline_like(text: str, words: int) -> bool:
    """Short, one phrase, no closing full stop: how titles and link texts look."""
    if not 2 <= words <= 20:
        return False
    return not (text.endswith((".", "。")) or _SENTENCE_BREAK.search(text))


def _few_tokens(text: str, limit: int) -> bool:
    """False when `text` surely has more than `limit` tokens (a cheap bound that skips the split):
    every whitespace chunk holds a token unless it is made of separators only."""
    return len(text.split()) - sum(map(text.count, linetable.TOKEN_SEPARATORS)) <= limit


def match_rule(text: str, words: int, rules: RuleSet) -> str | None:
    """Reason code of the first line rule that matches, or None."""
    if rules.any_pattern.match(text):
        for rule in rules.patterns:
            if rule.max_words is not None and words > rule.max_words:
                continue
            if rule.regex.match(text):
                return rule.reason
    if _few_tokens(text, rules.vocabulary_max_words):
        tokens = linetable.tokens(text)
        for vocabulary in rules.vocabularies:
            if vocabulary.matches(tokens):
                return vocabulary.reason
    if _is_menu(text, rules.menu):
        return rules.menu.reason
    return None


def _is_menu(text: str, menu: MenuRule) -> bool:
    if sum(map(text.count, menu.separators)) < menu.min_segments - 1:
        return False  # too few separators for enough segments: skip the split
    segments = [segment.strip() for segment in menu.splitter.split(text)]
    filled = [segment for segment in segments if segment]
    if len(segments) < menu.min_segments or len(filled) < menu.min_segments - 1:
        return False
    return all(
        word_count(segment) <= menu.max_segment_words and not _SENTENCE_END.search(segment) for segment in filled
    )


def _match_rules(lines: LineTable, rules: RuleSet) -> list[str | None]:
    """`match_rule` for every line of the batch: each regex runs only on the lines whose first
    and last characters and word count it allows, the vocabularies on one token list."""
    texts, n = lines.texts, len(lines)
    reasons: list[str | None] = [None] * n
    free = np.ones(n, bool)
    # A batch's lines open and close with a few hundred distinct characters: each rule's edge
    # tables are read for those, then spread to the lines (a small table, intp indices).
    firsts, first = np.unique(np.minimum(lines.first, 0x10000), return_inverse=True)
    lasts, last = np.unique(np.minimum(lines.last, 0x10000), return_inverse=True)
    openings = rules.openings.of(lines)
    for k, rule in enumerate(rules.patterns):
        candidates = free & rule.first[firsts][first] & rule.last[lasts][last] & (lines.chars >= rule.min_chars)
        if rule.max_chars is not None:
            candidates &= lines.chars <= rule.max_chars
        if rule.max_words is not None:
            candidates &= lines.words <= rule.max_words
        indices = np.flatnonzero(candidates)
        if rule.opening is not None:
            indices = indices[rules.openings.allowed(k, rule.opening, openings[indices])]
        indices = indices.tolist()
        for i in compress(indices, map(rule.regex.match, map(texts.__getitem__, indices))):
            reasons[i], free[i] = rule.reason, False
    _match_vocabularies(lines, rules, reasons, free)
    for i in np.flatnonzero(free & (lines.counts["marks"] >= rules.menu.min_segments - 1)).tolist():
        if _is_menu(texts[i], rules.menu):
            reasons[i] = rules.menu.reason
    return reasons


def _match_vocabularies(lines: LineTable, rules: RuleSet, reasons: list[str | None], free: np.ndarray) -> None:
    """The vocabulary rules over the tokens of the short free lines, read in one pass (lower-casing
    never makes or removes a separator, so the table's token counts are theirs)."""
    short = np.flatnonzero(free & (lines.tokens > 0) & (lines.tokens <= rules.vocabulary_max_words))
    if not short.size or not rules.vocabularies:
        return
    in_lists, digits = lines.token_counts(short, tuple(rule.words for rule in rules.vocabularies))
    counts = lines.tokens[short]
    undecided = np.ones(short.size, bool)
    for vocabulary, in_words in zip(rules.vocabularies, in_lists):
        hits = undecided & (counts <= vocabulary.max_words) & vocabulary.decides(in_words, digits, counts)
        for i in short[hits].tolist():
            reasons[i], free[i] = vocabulary.reason, False
        undecided &= ~hits


def _apply_continuations(lines: LineTable, rules: RuleSet, reasons: list[str | None], prose: np.ndarray) -> None:
    """A block (partners, share icons) extends to the short non-prose lines right after it."""
    by_after = {rule.after: rule for rule in rules.continuations}
    ends = np.repeat(lines.offsets[1:], lines.sizes).tolist()
    words = lines.words
    for i in list(compress(range(len(reasons)), map(by_after.__contains__, reasons))):
        while (rule := by_after.get(reasons[i])) and i + 1 < ends[i]:
            following = i + 1
            if (reasons[following] not in (None, rules.menu.reason) or words[following] > rule.max_words
                    or prose[following]):
                break
            reasons[following], i = rule.reason, following


def _prose(lines: LineTable) -> np.ndarray:
    """`is_prose` of every line."""
    sentences = lines.sentence_end | lines.sentence_break
    return (lines.words >= 25) | ((lines.words >= 10) & sentences)


def _headline(lines: LineTable) -> np.ndarray:
    """`is_headline_like` of every line."""
    full_stop = (lines.last == ord(".")) | (lines.last == ord("。"))
    return (lines.words >= 2) & (lines.words <= 20) & ~full_stop & ~lines.sentence_break


def _line_scores(matched: np.ndarray, prose: np.ndarray, words: np.ndarray) -> np.ndarray:
    """What each line adds to the body span: prose its words, a rule match minus as much (at least 10)."""
    return np.where(matched, -np.maximum(10, words), np.where(prose, words, -3))


def clean(text: str, rules: RuleSet | None = None) -> CleanedDocument:
    """Label every non-blank line of `text` with `body` or the reason it was removed
    (one document alone: no other documents to learn the site's template from)."""
    return clean_many([text], rules)[0]


@_ONE_BLAS_THREAD
def clean_many(texts: list[str], rules: RuleSet | None = None, census: LineCensus | None = None,
               model: LineModel | None = None) -> list[CleanedDocument]:
    """Clean a batch: rules, then the line model over the batch's features, then decoding.

    `census` counts the documents of the whole run that contain each line (the flow takes it
    before cleaning any batch); without one, the batch's own documents are counted. `model`
    defaults to the one shipped in the package. The work goes SUB_BATCH documents at a time,
    so its arrays stay small enough for the processor's caches; with a census, each piece is
    done before the next is read, so only one piece's line table is held at a time (holding all
    of a 1,000-page batch's touched some 250 MB, and a fresh process paid for every page of it).
    """
    rules = rules or default_rules()
    model = model or default_model()
    pieces = [texts[first:first + SUB_BATCH] for first in range(0, len(texts), SUB_BATCH)]
    if census is None:
        parts: Iterable[tuple[LineTable, RuleLayer, list[str | None]]] = [_rule_pass(piece, rules) for piece in pieces]
        census = _own_census(texts, [lines for lines, _, _ in parts])
    else:
        parts = (_rule_pass(piece, rules) for piece in pieces)
    documents = []
    for lines, layer, line_rules in parts:
        elsewhere = census.documents_with(lines.key_hashes) - 1
        batch = AnalysedBatch(lines, layer, elsewhere, batch_features(lines, layer, elsewhere), line_rules)
        if model is None or not len(lines):
            documents += batch.documents(batch.rule_reasons)
        else:
            documents += label_batch(batch, model.probabilities(batch.features, batch.offsets), model.decoding)
    return documents


def census_part(texts: list[str]) -> CensusPart:
    """What these documents give the run's line census (the flow takes one per batch, before cleaning)."""
    return CensusPart.of(texts, *linetable.key_hashes(texts))


def census_of(texts: list[str]) -> LineCensus:
    """The census of a run over these documents."""
    return LineCensus.of_parts([census_part(texts)])


def _own_census(texts: list[str], tables: list[LineTable]) -> LineCensus:
    """The census of `texts` from their line tables (consecutive pieces of `texts`), whose key
    hashes are already computed: what `census_of` gives, without hashing the lines again."""
    bounds = np.cumsum([0, *(len(table.offsets) - 1 for table in tables)]).tolist()
    return LineCensus.of_parts([CensusPart.of(texts[low:high], table.key_hashes, table.offsets)
                                for low, high, table in zip(bounds, bounds[1:], tables)])


@dataclass(slots=True)
class AnalysedBatch:
    """A batch after the rule layer: its lines, their rule labels and the model's features."""

    lines: LineTable
    layer: RuleLayer
    elsewhere: np.ndarray
    features: np.ndarray
    line_rules: list[str | None]  # `match_rule` of each line alone

    @property
    def offsets(self) -> np.ndarray:
        return self.lines.offsets

    @property
    def rule_reasons(self) -> list[str]:
        return self.layer.labels

    def documents(self, reasons: list[str]) -> list[CleanedDocument]:
        """The batch's documents with the given label (flat, one per line) of each line."""
        numbers, texts, bounds = self.lines.line_numbers.tolist(), self.lines.texts, self.offsets.tolist()
        words, line_rules = self.lines.words.tolist(), self.line_rules
        return [CleanedDocument(numbers[low:high], texts[low:high], reasons[low:high], words[low:high],
                                line_rules[low:high])
                for low, high in zip(bounds, bounds[1:])]


@_ONE_BLAS_THREAD
def analyse_batch(texts: list[str], rules: RuleSet | None = None, census: LineCensus | None = None) -> AnalysedBatch:
    """The rule layer and the features of `texts` in one piece (for training and benchmarks):
    the features `clean_many` computes in a run over `texts` (their census by default)."""
    lines, layer, line_rules = _rule_pass(texts, rules or default_rules())
    census = census if census is not None else _own_census(texts, [lines])
    elsewhere = census.documents_with(lines.key_hashes) - 1
    return AnalysedBatch(lines, layer, elsewhere, batch_features(lines, layer, elsewhere), line_rules)


def _rule_pass(texts: list[str], rules: RuleSet) -> tuple[LineTable, RuleLayer, list[str | None]]:
    """The batch's lines, what the rule layer says of each, and the rule each matches alone."""
    lines = linetable.build(texts, rules.menu_marks, word_sets())
    line_rules = _match_rules(lines, rules)
    rule = list(line_rules)
    prose = _prose(lines)
    _apply_continuations(lines, rules, rule, prose)
    return lines, _rule_layer(lines, rule, prose, _thread_actions(lines, rules)), line_rules


def _thread_actions(lines: LineTable, rules: RuleSet) -> np.ndarray:
    """Lines that are a comment's action button, looked up in `thread_actions` without a bullet;
    only lines as long as an action (and its bullet), opening (or with a bullet) and ending as one
    does are looked up, which spares nearly every line of a batch."""
    actions = np.zeros(len(lines), bool)
    if not rules.thread_actions:
        return actions
    starts = [ord(char) for action in rules.thread_actions for char in (action[0], action[0].upper())]
    ends = [ord(char) for action in rules.thread_actions for char in (action[-1], action[-1].upper())]
    longest = max(map(len, rules.thread_actions)) + THREAD_BULLET_CHARS
    candidates = ((lines.chars <= longest) & np.isin(lines.last, ends)
                  & (np.isin(lines.first, starts) | np.isin(lines.first, _BULLET_CODES)))
    lowered, bullets = lines.lowered, _BULLETS + " \t\u00a0"
    for i in np.flatnonzero(candidates).tolist():
        actions[i] = lowered[i].lstrip(bullets) in rules.thread_actions
    return actions


def _rule_layer(lines: LineTable, rule: list[str | None], prose: np.ndarray, actions: np.ndarray) -> RuleLayer:
    """The rule layer's label of each line: header, best-scoring body span, then tail."""
    n = len(lines)
    matched = np.fromiter(map(is_not, rule, repeat(None)), bool, n)
    headline = _headline(lines)
    header = np.fromiter(map(HEADER_REASONS.__contains__, rule), bool, n)
    bullet = np.isin(lines.first, _BULLET_CODES)
    scores = _line_scores(matched, prose, lines.words)
    free_prose = prose & ~matched
    run = free_prose.copy()
    run[:-1] &= free_prose[1:] | np.isin(np.arange(1, n), lines.offsets)
    reasons = list(rule)
    bounds = lines.offsets.tolist()
    words = lines.words.tolist()
    listed = (headline | bullet).tolist()  # Python values: the tail walks them line by line
    starts = []
    for low, high in zip(bounds, bounds[1:]):
        runs = np.flatnonzero(run[low:high])
        first_run = int(runs[0]) if runs.size else high - low
        markers = np.flatnonzero(header[low:low + first_run])
        starts.append(int(markers[-1]) + 1 if markers.size else 0)
    begins, ends = max_spans(scores, lines.offsets[:-1] + np.array(starts, np.int64), lines.offsets[1:])
    for low, high, start, begin, end in zip(bounds, bounds[1:], starts, begins.tolist(), ends.tolist()):
        body_start, body_end = (start + begin, start + end) if end else (start, start)
        title = _label_header(lines, reasons, low, body_start, matched, headline)
        reasons[low + body_start:low + body_end] = [reason or BODY for reason in
                                                    reasons[low + body_start:low + body_end]]
        _label_tail(lines, reasons, low, body_end, high, title, listed, words)
        if title is not None:
            text = lines.texts[title]
            for i in compress(range(title + 1, high), map(text.__eq__, lines.texts[title + 1:high])):
                reasons[i] = "repeated_title"
    return RuleLayer([reason or "other" for reason in reasons], matched, prose, headline, actions)


def _label_header(lines: LineTable, reasons: list[str | None], low: int, body_start: int, matched: np.ndarray,
                  headline: np.ndarray) -> int | None:
    """Title = first free headline-like line before the body; subtitle = the next free line of
    at most 60 words; the other free header lines are navigation. Returns the title's index."""
    free = low + np.flatnonzero(~matched[low:low + body_start])
    for i in free.tolist():
        reasons[i] = "navigation"
    titles = free[headline[free]]
    if not titles.size:
        return None
    title = int(titles[0])
    reasons[title] = TITLE
    after = free[free > title]
    subtitles = after[lines.words[after] <= 60]
    if subtitles.size:
        reasons[int(subtitles[0])] = SUBTITLE
    return title


def _label_tail(lines: LineTable, reasons: list[str | None], low: int, body_end: int, high: int,
                title: int | None, listed: list[bool], words: list[int]) -> None:
    """After the body: lists of headlines (`listed`: headline-like or bulleted lines), site-name
    lines and leftover footer."""
    texts, lowered = lines.texts, lines.lowered
    title_text = texts[title] if title is not None else None
    site_text = "\n".join(compress(lowered[low:high], map(SITE_REASONS.__contains__, reasons[low:high])))
    list_reason = None
    for i in range(low + body_end, high):
        if reasons[i] is not None:
            list_reason = reasons[i] if reasons[i] in LIST_REASONS else None
        elif texts[i] == title_text:
            reasons[i] = "repeated_title"
        elif words[i] <= 4 and lowered[i] in site_text:
            reasons[i] = "navigation"
        elif listed[i]:
            reasons[i] = list_reason or "related_links"
        else:
            reasons[i] = "other"


def label_batch(batch: AnalysedBatch, probabilities: np.ndarray, decoding: Decoding) -> list[CleanedDocument]:
    """Final labels: the model's body decision where the rules leave room for one, with a reason."""
    keep, in_main, smoothed = decode(probabilities, batch.lines.words, batch.layer.body, batch.offsets, decoding)
    thread = comment_threads(batch, keep)
    tail = related_tails(batch, keep & ~thread) & ~thread
    own_list = in_main & (smoothed >= LIST_KEEP_ABOVE) & ~batch.layer.matched
    cut = keep & ~template_lines(batch) & ~thread & ~tail
    return batch.documents(_final_reasons(batch, cut, in_main, thread, own_list, tail))


def related_tails(batch: AnalysedBatch, keep: np.ndarray) -> np.ndarray:
    """From a related-stories heading on ('Around the web', 'Latest news'), in a document that keeps
    `THREAD_BODY_WORDS` body words before it and at most `RELATED_TAIL_SHARE` as many after it: the
    teasers under such a heading are short prose the model keeps after the story."""
    tail = np.zeros(len(keep), bool)
    headings = [i for i, rule in enumerate(batch.line_rules) if rule == "related_links"]
    if not headings:
        return tail
    bounds = batch.offsets
    documents = np.searchsorted(bounds, headings, side="right") - 1
    kept_words = np.cumsum(np.where(keep, batch.lines.words, 0))
    for heading, document in zip(headings, documents.tolist()):
        low, high = int(bounds[document]), int(bounds[document + 1])
        if tail[heading]:
            continue
        before = kept_words[heading] - (kept_words[low - 1] if low else 0)
        after = kept_words[high - 1] - kept_words[heading]
        if before >= THREAD_BODY_WORDS and after <= RELATED_TAIL_SHARE * before:
            tail[heading:high] = True
    return tail


def comment_threads(batch: AnalysedBatch, keep: np.ndarray) -> np.ndarray:
    """The comment thread of each document that has one: from its first action button ('Reply') on,
    when the document has `THREAD_ACTIONS` of them and keeps `THREAD_BODY_WORDS` body words before
    the first. Comments are prose, and the model keeps them; their buttons are what tells them apart."""
    thread = np.zeros(len(keep), bool)
    actions = np.flatnonzero(batch.layer.actions)
    if not actions.size:
        return thread
    bounds = batch.offsets
    documents = np.searchsorted(bounds, actions, side="right") - 1
    kept_words = np.cumsum(np.where(keep, batch.lines.words, 0))
    for document in np.unique(documents).tolist():
        own = actions[documents == document]
        low, high, first = int(bounds[document]), int(bounds[document + 1]), int(own[0])
        before = kept_words[first] - (kept_words[low - 1] if low else 0)
        if own.size >= THREAD_ACTIONS and before >= THREAD_BODY_WORDS:
            thread[first:high] = True
    return thread


def template_lines(batch: AnalysedBatch) -> np.ndarray:
    """Long lines that stand in other documents of the run, in documents with a long line of their
    own: the site's template around an article. A document whose every long line stands elsewhere
    is a copy (one wire story on several sites), left to the model and to dedup, not emptied."""
    sizes = np.diff(batch.offsets)
    long = batch.lines.words >= TEMPLATE_WORDS
    recurring = long & (batch.elsewhere >= SITE_TEMPLATE_DOCUMENTS)
    document = np.repeat(np.arange(sizes.size), sizes)
    has_own_text = np.bincount(document, weights=long & ~recurring, minlength=sizes.size) > 0
    return recurring & has_own_text[document]


def decode(probabilities: np.ndarray, words: np.ndarray, rule_body: np.ndarray, offsets: np.ndarray,
           decoding: Decoding) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which lines are body, which lie in their document's main block, and the smoothed
    probabilities that decided it. The model's view:
    smoothed probability over the threshold, inside the main block (the span of largest
    word-weighted margin over `span_threshold`, Finn et al. on scores). It overrules the rule
    layer's verdict (`rule_body`) only when sure."""
    sizes = np.diff(offsets)
    starts, ends = np.repeat(offsets[:-1], sizes), np.repeat(offsets[1:], sizes)
    index = np.arange(probabilities.size)
    previous = probabilities[np.maximum(index - 1, starts)]
    following = probabilities[np.minimum(index + 1, ends - 1)]
    smoothed = (1 - decoding.smoothing) * probabilities + decoding.smoothing * ((previous + following) / 2)
    margins = (smoothed - decoding.span_threshold) * np.maximum(words.astype(np.float64), 1.0)
    in_main = np.zeros(probabilities.size, bool)
    begins, ends = max_spans(margins, offsets[:-1], offsets[1:])
    for low, begin, end in zip(offsets[:-1].tolist(), begins.tolist(), ends.tolist()):
        in_main[low + begin:low + end] = True
    model = (smoothed >= decoding.threshold) & in_main
    drop = ~model & (smoothed < decoding.drop_below)
    add = model & (smoothed >= decoding.keep_above)
    return np.where(rule_body, ~drop, add), in_main, smoothed


@cache
def _cue_columns() -> list[int]:
    names = feature_names()
    return [names.index(name) for name in ("comment_words", "relative_time")]


def _final_reasons(batch: AnalysedBatch, keep: np.ndarray, in_main: np.ndarray, thread: np.ndarray,
                   own_list: np.ndarray, tail: np.ndarray) -> list[str]:
    """Rule matches stay removed with their rule; other lines follow the model, and a line the
    model drops that the rules would keep is removed with the signal that decided it (a line of
    a comment thread, `thread`, as one; of a related-stories tail, `tail`, as `related_links`). A headline-list line the rules found after the body is
    decided, unless the model is sure it is body (`own_list`)."""
    layer = batch.layer
    decided = layer.matched | np.fromiter(map(RULE_DECIDED.__contains__, layer.labels), bool, len(layer.labels))
    related = np.fromiter(map("related_links".__eq__, layer.labels), bool, len(layer.labels))
    decided &= ~(related & own_list)
    dropped = np.flatnonzero(~decided & ~keep & layer.body)
    model_reason = np.select(
        [thread[dropped], tail[dropped], batch.elsewhere[dropped] >= SITE_TEMPLATE_DOCUMENTS,
         batch.features[dropped][:, _cue_columns()].any(axis=1), ~in_main[dropped]],
        ["comment_thread", "related_links", "site_template", "comment_thread", "outside_main_block"],
        "low_text_density")
    final = list(layer.labels)
    for i in np.flatnonzero(~decided & keep).tolist():
        final[i] = BODY
    for i, reason in zip(dropped.tolist(), model_reason.tolist()):
        final[i] = reason
    return final


def strip_bullet(text: str) -> str:
    """A list headline without its leading bullet."""
    return _BULLET.sub("", text)
