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
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from pressline import rules as rules_data
from pressline.linefeatures import DocumentLines, LineMemory, batch_features, feature_names, max_span
from pressline.linemodel import Decoding, LineModel, default_model

BODY = "body"
TITLE = "title"
SUBTITLE = "subtitle"

# Reasons that mark the page header: the body starts after the last of them.
HEADER_REASONS = frozenset({"byline", "dateline", "breadcrumb", "share_widget", "navigation", "print_edition"})
# Reasons a line the model drops gets, by the signal that decided it.
MODEL_REASONS = frozenset({"site_template", "comment_thread", "outside_main_block", "low_text_density"})
# Structural labels as certain as a rule match: the title and its copies are not body.
RULE_DECIDED = frozenset({"repeated_title", TITLE})
# A line seen in this many other documents of the run is template text.
SITE_TEMPLATE_DOCUMENTS = 2
# Reasons whose following headline-like lines belong to the same list.
LIST_REASONS = frozenset({"related_links", "editors_picks"})

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’)\]»]*$")
_SENTENCE_BREAK = re.compile(r"[.!?。！？][\"'”’)\]]*(?:\s+[\"'“‘(]?[A-Z0-9]|\[)")
_BULLET = re.compile(r"^(?:[-–—*•·+▪►]\s*)+")


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
    labels: list[LineLabel] = field(default_factory=list)

    @property
    def body_lines(self) -> list[str]:
        return [label.text for label in self.labels if label.kept]

    @property
    def removed(self) -> list[LineLabel]:
        return [label for label in self.labels if not label.kept]

    def first(self, reason: str) -> str | None:
        return next((label.text for label in self.labels if label.reason == reason), None)

    def with_reason(self, *reasons: str) -> list[str]:
        return [label.text for label in self.labels if label.reason in reasons]


@dataclass(frozen=True, slots=True)
class PatternRule:
    reason: str
    regex: re.Pattern[str]
    max_words: int | None


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
        if self.min_count is not None:
            return in_words >= self.min_count
        hits = in_words + sum(map(str.isdigit, tokens))  # the words hold no digits
        return hits / len(tokens) >= (self.min_share or 1.0)


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


def parse_rules(config: dict) -> RuleSet:
    fragments = config.get("fragments", {})
    expanded = [
        (rule, rules_data.expand(rule["pattern"], fragments)) for rule in config.get("rule", [])
    ]
    patterns = tuple(
        PatternRule(rule["reason"], re.compile(pattern, 0 if rule.get("case_sensitive") else re.IGNORECASE),
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
    return RuleSet(patterns, any_pattern, vocabularies, menu, continuations, reasons, vocabulary_max_words)


@cache
def default_rules() -> RuleSet:
    return parse_rules(rules_data.load("lines"))


def word_count(text: str) -> int:
    """Words for alphabetic scripts; CJK characters count half a word each."""
    if text.isascii():
        return len(_WORD.findall(text))
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(_WORD.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + (cjk + 1) // 2


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


_TOKEN_SEPARATORS = "|:·•,"
_TOKEN_SPLIT = re.compile(r"[\s\u00a0|:·•,]+")


def _tokens(text: str) -> list[str]:
    return [token for token in _TOKEN_SPLIT.split(text.lower()) if token]


def _few_tokens(text: str, limit: int) -> bool:
    """False when `text` surely has more than `limit` tokens (a cheap bound that skips the split):
    every whitespace chunk holds a token unless it is made of separators only."""
    return len(text.split()) - sum(map(text.count, _TOKEN_SEPARATORS)) <= limit


def match_rule(text: str, words: int, rules: RuleSet) -> str | None:
    """Reason code of the first line rule that matches, or None."""
    if rules.any_pattern.match(text):
        for rule in rules.patterns:
            if rule.max_words is not None and words > rule.max_words:
                continue
            if rule.regex.match(text):
                return rule.reason
    if _few_tokens(text, rules.vocabulary_max_words):
        tokens = _tokens(text)
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


@dataclass(slots=True)
class _Line:
    line_no: int
    text: str
    words: int
    prose: bool
    headline: bool
    rule: str | None
    indent: int


def _analyse(text: str, rules: RuleSet) -> list[_Line]:
    lines = []
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        if not stripped:
            continue
        words = word_count(stripped)
        lines.append(
            _Line(
                index + 1,
                stripped,
                words,
                is_prose(stripped, words),
                is_headline_like(stripped, words),
                match_rule(stripped, words, rules),
                len(raw) - len(raw.lstrip()),
            )
        )
    _apply_continuations(lines, rules)
    return lines


def _apply_continuations(lines: list[_Line], rules: RuleSet) -> None:
    by_after = {rule.after: rule for rule in rules.continuations}
    for previous, line in zip(lines, lines[1:]):
        rule = by_after.get(previous.rule or "")
        if rule and line.rule in (None, rules.menu.reason) and line.words <= rule.max_words and not line.prose:
            line.rule = rule.reason


def _header_end(lines: list[_Line]) -> int:
    """Index just past the header: the last header-marker line before the first prose run."""
    first_run = next(
        (i for i in range(len(lines)) if lines[i].prose and lines[i].rule is None
         and (i + 1 == len(lines) or (lines[i + 1].prose and lines[i + 1].rule is None))),
        len(lines),
    )
    markers = [i for i in range(first_run) if lines[i].rule in HEADER_REASONS]
    return markers[-1] + 1 if markers else 0


def _line_score(line: _Line) -> int:
    if line.rule is not None:
        return -max(10, line.words)
    if line.prose:
        return line.words
    return -3


def _best_span(lines: list[_Line], start: int) -> tuple[int, int]:
    """Contiguous span [begin, end) of maximum total score (Kadane); empty if nothing scores."""
    best, best_span = 0, (start, start)
    running, running_start = 0, start
    for i in range(start, len(lines)):
        if running <= 0:
            running, running_start = 0, i
        running += _line_score(lines[i])
        if running > best:
            best, best_span = running, (running_start, i + 1)
    return best_span


def clean(text: str, rules: RuleSet | None = None) -> CleanedDocument:
    """Label every non-blank line of `text` with `body` or the reason it was removed
    (one document alone: no other documents to learn the site's template from)."""
    return clean_many([text], rules)[0]


def clean_many(texts: list[str], rules: RuleSet | None = None, memory: LineMemory | None = None,
               model: LineModel | None = None) -> list[CleanedDocument]:
    """Clean a batch: rules, then the line model over the batch's features, then decoding.

    `memory` carries cross-document line counts from batch to batch of one run (a fresh
    one per call when omitted); `model` defaults to the one shipped in the package.
    """
    batch = analyse_batch(texts, rules, memory)
    model = model or default_model()
    if model is None or not batch.features.shape[0]:
        return [_document(lines, reasons) for lines, reasons in zip(batch.lines, batch.rule_reasons)]
    return label_batch(batch, model.probabilities(batch.features, batch.offsets), model.decoding)


@dataclass(slots=True)
class AnalysedBatch:
    """A batch after the rule layer: its lines, their rule labels and the model's features."""

    lines: list[list[_Line]]
    rule_reasons: list[list[str]]
    elsewhere: list[np.ndarray]
    features: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum([len(lines) for lines in self.lines]))).astype(np.int64)


def analyse_batch(texts: list[str], rules: RuleSet | None = None, memory: LineMemory | None = None) -> AnalysedBatch:
    rules = rules or default_rules()
    memory = memory if memory is not None else LineMemory()
    all_lines = [_analyse(text, rules) for text in texts]
    rule_reasons = [_rule_labels(lines) for lines in all_lines]
    lowered = [[line.text.lower() for line in lines] for lines in all_lines]
    keys = [memory.keys(lines) for lines in lowered]
    for document_keys in keys:
        memory.add_document(document_keys)
    elsewhere = [memory.seen_elsewhere(document_keys) for document_keys in keys]
    documents = [
        DocumentLines([line.text for line in lines], lower, [line.words for line in lines],
                      [line.prose for line in lines], [line.headline for line in lines],
                      [line.rule is not None for line in lines], reasons,
                      [line.line_no for line in lines], [line.indent for line in lines])
        for lines, lower, reasons in zip(all_lines, lowered, rule_reasons)
    ]
    return AnalysedBatch(all_lines, rule_reasons, elsewhere, batch_features(documents, elsewhere))


def _rule_labels(lines: list[_Line]) -> list[str]:
    """The rule layer's label of each line: header, best-scoring body span, then tail."""
    header_end = _header_end(lines)
    body_start, body_end = _best_span(lines, header_end)
    reasons: list[str | None] = [line.rule for line in lines]

    title_index = _label_header(lines, reasons, body_start)
    for i in range(body_start, body_end):
        reasons[i] = reasons[i] or BODY
    _label_tail(lines, reasons, body_end, title_index)
    _mark_repeated_titles(lines, reasons, title_index)
    return [reason or "other" for reason in reasons]


def _document(lines: list[_Line], reasons: list[str]) -> CleanedDocument:
    return CleanedDocument([LineLabel(line.line_no, line.text, reason) for line, reason in zip(lines, reasons)])


def label_batch(batch: AnalysedBatch, probabilities: np.ndarray, decoding: Decoding) -> list[CleanedDocument]:
    """Final labels: the model's body decision where the rules leave room for one, with a reason."""
    offsets = batch.offsets
    cues = batch.features[:, _cue_columns()]
    documents = []
    for k, (lines, reasons) in enumerate(zip(batch.lines, batch.rule_reasons)):
        low, high = offsets[k], offsets[k + 1]
        rule_body = np.array([reason == BODY for reason in reasons], bool)
        keep, main = decode(probabilities[low:high], [line.words for line in lines], rule_body, decoding)
        documents.append(_document(lines, _final_reasons(lines, reasons, keep, main, batch.elsewhere[k],
                                                         cues[low:high])))
    return documents


def decode(probabilities: np.ndarray, words: list[int], rule_body: np.ndarray,
           decoding: Decoding) -> tuple[np.ndarray, tuple[int, int]]:
    """Which lines are body. The model's view: smoothed probability over the threshold, inside
    the main block (the span of largest word-weighted margin over `span_threshold`, Finn et
    al. on scores). It overrules the rule layer's verdict (`rule_body`) only when sure."""
    n = probabilities.size
    if not n:
        return np.zeros(0, bool), (0, 0)
    padded = np.concatenate(([probabilities[0]], probabilities, [probabilities[-1]]))
    neighbours = (padded[:-2] + padded[2:]) / 2
    smoothed = (1 - decoding.smoothing) * probabilities + decoding.smoothing * neighbours
    margins = (smoothed - decoding.span_threshold) * np.maximum(np.asarray(words, np.float64), 1.0)
    begin, end = max_span(margins.tolist())
    model = smoothed >= decoding.threshold
    model[:begin] = False
    model[end:] = False
    drop = ~model & (smoothed < decoding.drop_below)
    add = model & (smoothed >= decoding.keep_above)
    return np.where(rule_body, ~drop, add), (begin, end)


@cache
def _cue_columns() -> list[int]:
    names = feature_names()
    return [names.index(name) for name in ("comment_words", "relative_time")]


def _final_reasons(lines: list[_Line], reasons: list[str], keep: np.ndarray, main: tuple[int, int],
                   elsewhere: np.ndarray, cues: np.ndarray) -> list[str]:
    """Rule matches stay removed with their rule; other lines follow the model, and a line the
    model drops that the rules would keep is removed with the signal that decided it."""
    final = []
    for i, (line, reason) in enumerate(zip(lines, reasons)):
        if line.rule is not None or reason in RULE_DECIDED:
            final.append(reason)
        elif keep[i]:
            final.append(BODY)
        elif reason != BODY:
            final.append(reason)
        else:
            final.append(_model_reason(i, main, elsewhere[i], cues[i]))
    return final


def _model_reason(i: int, main: tuple[int, int], elsewhere: float, cues: np.ndarray) -> str:
    if elsewhere >= SITE_TEMPLATE_DOCUMENTS:
        return "site_template"
    if cues.any():
        return "comment_thread"
    if not main[0] <= i < main[1]:
        return "outside_main_block"
    return "low_text_density"


def _label_header(lines: list[_Line], reasons: list[str | None], body_start: int) -> int | None:
    """Title = first free headline-like line before the body; subtitle = the next free line."""
    title_index = None
    for i in range(body_start):
        if reasons[i] is not None:
            continue
        if title_index is None and lines[i].headline:
            reasons[i], title_index = TITLE, i
        elif title_index is not None and SUBTITLE not in reasons and lines[i].words <= 60:
            reasons[i] = SUBTITLE
        else:
            reasons[i] = "navigation"
    return title_index


def _label_tail(lines: list[_Line], reasons: list[str | None], body_end: int,
                title_index: int | None) -> None:
    """After the body: lists of headlines, site-name lines and leftover footer."""
    title = lines[title_index].text if title_index is not None else None
    site_text = "\n".join(lines[i].text.lower() for i in range(len(lines)) if reasons[i] in ("navigation", "copyright"))
    list_reason = None
    for i in range(body_end, len(lines)):
        line = lines[i]
        if reasons[i] is not None:
            list_reason = reasons[i] if reasons[i] in LIST_REASONS else None
            continue
        if line.text == title:
            reasons[i] = "repeated_title"
        elif line.words <= 4 and line.text.lower() in site_text:
            reasons[i] = "navigation"
        elif line.headline or _BULLET.match(line.text):
            reasons[i] = list_reason or "related_links"
        else:
            reasons[i] = "other"


def _mark_repeated_titles(lines: list[_Line], reasons: list[str | None], title_index: int | None) -> None:
    if title_index is None:
        return
    title = lines[title_index].text
    for i in range(title_index + 1, len(lines)):
        if lines[i].text == title:
            reasons[i] = "repeated_title"


def strip_bullet(text: str) -> str:
    """A list headline without its leading bullet."""
    return _BULLET.sub("", text)
