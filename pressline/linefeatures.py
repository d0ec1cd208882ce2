"""Per-line features for the line model, computed for a whole batch of documents at once.

Why vectorised: dumps are large (about 230 lines each) and the cleaner must clean hundreds
of documents per second on one core, so character classes are counted with numpy over the
batch's joined text instead of line by line in Python. The features follow jusText and
boilerpipe, adapted to text: length, stopword density, sentence shape, capitalisation,
digits, links, position, the rule layer's verdict, neighbours at ±1/±2/±5/±10 lines, and
how often a line recurs inside the page and across the run (`LineMemory`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from pressline import rules as rules_data

# Bit flags of the character-class table.
_LETTER, _UPPER, _DIGIT, _PUNCT, _SPACE, _CJK, _STOP_END, _COMMA, _CJK_STOP, _SYMBOL = (1 << k for k in range(10))
_SENTENCE_END_CHARS = ".!?。！？…"
_COMMA_CHARS = ",;，、；"
_BULLETS = "-–—*•·+▪►>"
SAMPLE_CHARS = 2000
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF))


@dataclass(frozen=True, slots=True)
class DocumentLines:
    """What the rule layer knows about one document's non-blank lines."""

    texts: list[str]
    lowered: list[str]
    words: list[int]
    prose: list[bool]
    headline: list[bool]
    rule_matched: list[bool]
    structure: list[str]
    line_numbers: list[int]
    indents: list[int]


@dataclass(slots=True)
class LineMemory:
    """How many documents of the run contained each line, in bounded memory.

    A line that many pages share is site or platform template (CCNet's paragraph hashes).
    Keys are the lower-cased line cut to `key_chars`; when more than `capacity` are held,
    lines seen in a single document are forgotten first, so memory stays bounded.
    """

    capacity: int = 200_000
    key_chars: int = 120
    counts: dict[str, int] = field(default_factory=dict)

    def keys(self, lowered: list[str]) -> list[str]:
        """The memory's keys of a document's lower-cased lines."""
        cut = self.key_chars
        return [line[:cut] for line in lowered]

    def add_document(self, keys: list[str]) -> None:
        counts = self.counts
        for key in set(keys):
            counts[key] = counts.get(key, 0) + 1
        if len(counts) > self.capacity:
            self._evict()

    def _evict(self) -> None:
        for threshold in range(1, 1 << 30):
            self.counts = {key: count for key, count in self.counts.items() if count > threshold}
            if len(self.counts) <= self.capacity // 2:
                return

    def seen_elsewhere(self, keys: list[str]) -> np.ndarray:
        """For each line of a document already added: how many other documents had it."""
        get = self.counts.get
        return np.fromiter((get(key, 1) - 1 for key in keys), np.float32, len(keys))


@cache
def _char_table() -> np.ndarray:
    """Class bits of every BMP code point (characters beyond the BMP count as letters)."""
    table = np.zeros(0x10000, np.uint16)
    for code in range(0x10000):
        category = unicodedata.category(chr(code))
        bits = 0
        if category[0] == "L":
            bits |= _LETTER | (_UPPER if category == "Lu" else 0)
        elif category == "Nd":
            bits |= _DIGIT
        elif category[0] == "P":
            bits |= _PUNCT
        elif category[0] == "S":
            bits |= _SYMBOL
        elif category[0] == "Z" or chr(code).isspace():
            bits |= _SPACE
        table[code] = bits
    for low, high in _CJK_RANGES:
        table[low:high + 1] |= _CJK
    for chars, bit in ((_SENTENCE_END_CHARS, _STOP_END), (_COMMA_CHARS, _COMMA)):
        for char in chars:
            table[ord(char)] |= bit
    for char in _config()["stopchars"]["cjk"].replace(" ", ""):
        table[ord(char)] |= _CJK_STOP
    return table


@cache
def _config() -> dict:
    return rules_data.load("features")


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(word for words in _config()["stopwords"].values() for word in words)


@cache
def _cues() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((name, frozenset(words)) for name, words in _config()["cues"].items())


@cache
def _relative_time() -> tuple[str, re.Pattern[str]]:
    config = _config()["relative_time"]
    return config["marker"], re.compile(config["pattern"])


@cache
def reason_codes() -> tuple[str, ...]:
    """The structural labels the rule layer gives, one indicator feature each."""
    from pressline.clean import BODY, SUBTITLE, TITLE, default_rules

    return tuple(sorted(default_rules().reasons | {BODY, TITLE, SUBTITLE, "repeated_title", "related_links",
                                                    "navigation", "other"}))


_BASE = ("log_chars", "log_words", "letter_share", "upper_share", "digit_share", "punct_share", "symbol_share",
         "cjk_share", "space_share", "ends_sentence", "sentence_marks", "commas", "stop_share", "log_stops",
         "bullet", "starts_upper", "prose", "headline", "rule_matched", "rule_body", "repeats", "log_elsewhere",
         "long_line", "mean_word_length", "log_indent", "main_indent", "indent_step_prev", "indent_step_next",
         "log_gap_before", "log_gap_after", "words_of_doc_max")
_WINDOWED = ("log_words", "stop_share", "ends_sentence", "prose", "rule_matched", "rule_body", "headline",
             "punct_share", "log_elsewhere", "long_line", "digit_share", "comment_words", "relative_time",
             "main_indent", "log_gap_before")
_WINDOWS = (2, 5, 10, 25)
_NEIGHBOURS = ("log_words", "prose", "rule_body", "stop_share", "ends_sentence")
_POSITION = ("relative_position", "log_from_top", "log_to_bottom", "words_before_share", "in_rule_span",
             "from_span_start", "to_span_end", "from_title", "from_byline", "log_doc_lines", "log_doc_words",
             "doc_prose_share", "rule_span_share")


@cache
def feature_names() -> tuple[str, ...]:
    cues = tuple(name for name, _ in _cues()) + ("relative_time", "link")
    windowed = tuple(f"{name}_w{k}" for name in _WINDOWED for k in _WINDOWS)
    neighbours = tuple(f"{name}_{side}" for name in _NEIGHBOURS for side in ("prev", "next"))
    structure = tuple(f"is_{reason}" for reason in reason_codes())
    return _BASE + cues + _POSITION + windowed + neighbours + structure


def batch_features(documents: list[DocumentLines], elsewhere: list[np.ndarray]) -> np.ndarray:
    """Feature matrix (lines of all documents, in order) x `feature_names()`, float32."""
    kept = [i for i, doc in enumerate(documents) if doc.texts]
    documents, elsewhere = [documents[i] for i in kept], [elsewhere[i] for i in kept]
    sizes = np.array([len(doc.texts) for doc in documents], np.int64)
    texts = [text for doc in documents for text in doc.texts]
    if not texts:
        return np.zeros((0, len(feature_names())), np.float32)
    words = np.fromiter((w for doc in documents for w in doc.words), np.float32, len(texts))
    columns = _text_columns(texts, [line for doc in documents for line in doc.lowered], words)
    columns.update(_rule_columns(documents))
    columns["log_elsewhere"] = np.log1p(np.concatenate(elsewhere)).astype(np.float32)
    columns["repeats"] = _repeats(documents)
    columns["long_line"] = (columns["log_words"] > np.log1p(15)).astype(np.float32)
    columns.update(_position_columns(documents, sizes, columns))
    columns.update(_layout_columns(documents, words))
    starts = np.repeat(np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    ends = np.repeat(np.cumsum(sizes), sizes)
    for name in _WINDOWED:
        for k in _WINDOWS:
            columns[f"{name}_w{k}"] = _window_mean(columns[name], starts, ends, k)
    for name in _NEIGHBOURS:
        columns[f"{name}_prev"], columns[f"{name}_next"] = _neighbours(columns[name], starts, ends)
    return _matrix(columns, feature_names())


def _matrix(columns: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    """Lines x features, float32, filled column by column (no float64 intermediate)."""
    matrix = np.empty((len(names), columns[names[0]].size), np.float32)
    for row, name in zip(matrix, names):
        row[:] = columns[name]
    return matrix.T


def _text_columns(texts: list[str], lowered: list[str], words: np.ndarray) -> dict[str, np.ndarray]:
    """Character-class shares and shapes of each line, from one pass over the joined text
    (of each line's first `SAMPLE_CHARS` characters: shares of a huge line are estimated)."""
    sample = [text[:SAMPLE_CHARS] for text in texts]
    joined = "\n".join(sample)
    table = _char_table()
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
    bits = table[np.minimum(codes, 0xFFFF)]
    bits[codes > 0xFFFF] = _LETTER
    lengths = np.fromiter(map(len, sample), np.int64, len(texts))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    chars = lengths.astype(np.float32)
    full = np.fromiter(map(len, texts), np.float32, len(texts))
    sample_words = np.maximum(words * chars / full, 1)
    last = table[np.minimum(np.fromiter((ord(text[-1]) for text in texts), np.int64, len(texts)), 0xFFFF)]

    def count(bit: int) -> np.ndarray:
        return np.add.reduceat((bits & bit) != 0, starts).astype(np.float32)

    letters, cjk = count(_LETTER), count(_CJK)
    is_word = (bits & (_LETTER | _DIGIT)) != 0
    word_starts = is_word & ~np.concatenate(([False], is_word[:-1]))
    alpha_words = np.add.reduceat(word_starts, starts).astype(np.float32)
    word_columns = _word_columns(lowered)
    stops = word_columns.pop("stops") + count(_CJK_STOP) * full / chars
    first = codes[starts]
    columns = {
        "log_chars": np.log1p(full),
        "log_words": np.log1p(words),
        "letter_share": letters / chars,
        "upper_share": count(_UPPER) / np.maximum(letters, 1),
        "digit_share": count(_DIGIT) / chars,
        "punct_share": count(_PUNCT) / chars,
        "symbol_share": count(_SYMBOL) / chars,
        "cjk_share": cjk / chars,
        "space_share": count(_SPACE) / chars,
        "ends_sentence": ((last & _STOP_END) != 0).astype(np.float32),
        "sentence_marks": count(_STOP_END) / sample_words,
        "commas": count(_COMMA) / sample_words,
        "stop_share": stops / np.maximum(words, 1),
        "log_stops": np.log1p(stops),
        "bullet": np.isin(first, np.frombuffer(_BULLETS.encode("utf-32-le"), np.uint32)).astype(np.float32),
        "starts_upper": ((bits[starts] & _UPPER) != 0).astype(np.float32),
        "mean_word_length": (letters - cjk) / np.maximum(alpha_words, 1),
    }
    columns.update(word_columns)
    return columns


@cache
def _link_markers() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(marker) for marker in _config()["links"]["markers"]))


def _word_columns(lowered: list[str]) -> dict[str, np.ndarray]:
    """Stopword counts and cue flags from each line's lower-cased words (set operations in C;
    a word with punctuation attached is missed, a price paid for speed)."""
    n = len(lowered)
    words = [line.split() for line in lowered]
    stopwords = _stopwords()
    columns = {"stops": np.fromiter((sum(map(stopwords.__contains__, line)) for line in words), np.float32, n)}
    for name, cue in _cues():
        columns[name] = np.fromiter((not cue.isdisjoint(line) for line in words), np.float32, n)
    marker, pattern = _relative_time()
    columns["relative_time"] = np.fromiter((marker in line and pattern.search(line) is not None
                                            for line in lowered), np.float32, n)
    links = _link_markers()
    columns["link"] = np.fromiter((links.search(line) is not None for line in lowered), np.float32, n)
    return columns


def _rule_columns(documents: list[DocumentLines]) -> dict[str, np.ndarray]:
    def flat(values) -> np.ndarray:
        return np.fromiter(values, np.float32)

    structure = [reason for doc in documents for reason in doc.structure]
    columns = {
        "prose": flat(v for doc in documents for v in doc.prose),
        "headline": flat(v for doc in documents for v in doc.headline),
        "rule_matched": flat(v for doc in documents for v in doc.rule_matched),
    }
    labels = np.array(structure, dtype=object)
    for reason in reason_codes():
        columns[f"is_{reason}"] = (labels == reason).astype(np.float32)
    columns["rule_body"] = columns["is_body"]
    return columns


def _layout_columns(documents: list[DocumentLines], words: np.ndarray) -> dict[str, np.ndarray]:
    """What the renderer's layout says: indentation (inscriptis indents by DOM nesting, so the
    article's paragraphs share one indent) and blank-line gaps (html_text spaces blocks)."""
    indents = np.fromiter((v for doc in documents for v in doc.indents), np.float32)
    numbers = np.fromiter((v for doc in documents for v in doc.line_numbers), np.float32)
    first = np.concatenate([[True] + [False] * (len(doc.texts) - 1) for doc in documents])
    last = np.concatenate([[False] * (len(doc.texts) - 1) + [True] for doc in documents])
    gap_before = np.where(first, 0.0, numbers - np.roll(numbers, 1) - 1)
    gap_after = np.where(last, 0.0, np.roll(numbers, -1) - numbers - 1)
    step_prev = np.where(first, 0.0, indents - np.roll(indents, 1))
    step_next = np.where(last, 0.0, np.roll(indents, -1) - indents)
    main, most = [], []
    offset = 0
    for doc in documents:
        size = len(doc.texts)
        weight: dict[int, float] = {}
        for indent, count, prose in zip(doc.indents, doc.words, doc.prose):
            if prose:
                weight[indent] = weight.get(indent, 0.0) + count
        main_indent = max(weight, key=lambda k: (weight[k], -k)) if weight else -1
        main.extend(indent == main_indent for indent in doc.indents)
        most.extend([max(words[offset:offset + size].max(), 1.0)] * size)
        offset += size
    return {
        "log_indent": np.log1p(indents),
        "main_indent": np.array(main, np.float32),
        "indent_step_prev": _signed_log(step_prev),
        "indent_step_next": _signed_log(step_next),
        "log_gap_before": np.log1p(gap_before).astype(np.float32),
        "log_gap_after": np.log1p(gap_after).astype(np.float32),
        "words_of_doc_max": words / np.array(most, np.float32),
    }


def _repeats(documents: list[DocumentLines]) -> np.ndarray:
    """How many other lines of the same page have the same text (repeated titles, teasers)."""
    values = []
    for doc in documents:
        seen: dict[str, int] = {}
        for text in doc.texts:
            seen[text] = seen.get(text, 0) + 1
        values.extend(seen[text] - 1 for text in doc.texts)
    return np.log1p(np.array(values, np.float32))


def _position_columns(documents: list[DocumentLines], sizes: np.ndarray,
                      columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where each line sits: in the page, in its words, and relative to the rule layer's body."""
    index = np.concatenate([np.arange(size) for size in sizes]).astype(np.float32)
    n = np.repeat(sizes, sizes).astype(np.float32)
    words = np.expm1(columns["log_words"])
    doc_of_line = np.repeat(np.arange(len(sizes)), sizes)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    cumulative = np.concatenate(([0.0], np.cumsum(words)))
    doc_words = cumulative[offsets[1:]] - cumulative[offsets[:-1]]
    before = cumulative[:-1] - cumulative[offsets[:-1]][doc_of_line]
    body = columns["rule_body"]
    span_start, span_end = _first_last(body, offsets, sizes)
    title = _first_index(columns["is_title"], offsets, sizes)
    byline = _first_index(np.maximum(columns["is_byline"], columns["is_dateline"]), offsets, sizes)
    prose_share = np.add.reduceat(columns["prose"], offsets[:-1]) / np.maximum(sizes, 1)
    span_words = np.add.reduceat(words * body, offsets[:-1]) / np.maximum(doc_words, 1)
    return {
        "relative_position": index / np.maximum(n - 1, 1),
        "log_from_top": np.log1p(index),
        "log_to_bottom": np.log1p(n - 1 - index),
        "words_before_share": before / np.maximum(doc_words[doc_of_line], 1),
        "in_rule_span": ((index >= span_start[doc_of_line]) & (index < span_end[doc_of_line])).astype(np.float32),
        "from_span_start": _signed_log(index - span_start[doc_of_line]),
        "to_span_end": _signed_log(span_end[doc_of_line] - index),
        "from_title": _signed_log(index - title[doc_of_line]),
        "from_byline": _signed_log(index - byline[doc_of_line]),
        "log_doc_lines": np.log1p(n),
        "log_doc_words": np.log1p(doc_words[doc_of_line]),
        "doc_prose_share": prose_share[doc_of_line],
        "rule_span_share": span_words[doc_of_line],
    }


def _first_last(flags: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per document: index of its first flagged line and one past its last (0, 0 if none)."""
    index = np.concatenate([np.arange(size) for size in sizes])
    first = np.minimum.reduceat(np.where(flags > 0, index, sizes.max()), offsets[:-1])
    last = np.maximum.reduceat(np.where(flags > 0, index, -1), offsets[:-1])
    empty = last < 0
    return np.where(empty, 0, first).astype(np.float32), np.where(empty, 0, last + 1).astype(np.float32)


def _first_index(flags: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Index inside each document of its first flagged line; the document's size if none."""
    index = np.concatenate([np.arange(size) for size in sizes])
    first = np.minimum.reduceat(np.where(flags > 0, index, np.repeat(sizes, sizes)), offsets[:-1])
    return first.astype(np.float32)


def _signed_log(values: np.ndarray) -> np.ndarray:
    return (np.sign(values) * np.log1p(np.abs(values))).astype(np.float32)


def _window_mean(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, k: int) -> np.ndarray:
    cumulative = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    index = np.arange(values.size)
    low = np.maximum(starts, index - k)
    high = np.minimum(ends, index + k + 1)
    return ((cumulative[high] - cumulative[low]) / (high - low)).astype(np.float32)


def _neighbours(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(values.size)
    previous = np.where(index > starts, values[np.maximum(index - 1, 0)], 0.0)
    following = np.where(index + 1 < ends, values[np.minimum(index + 1, values.size - 1)], 0.0)
    return previous.astype(np.float32), following.astype(np.float32)


_CONTEXT_BASE = ("log_words", "prose", "rule_matched", "rule_body", "ends_sentence", "stop_share", "bullet",
                 "headline", "comment_words", "relative_time", "link", "log_elsewhere", "relative_position",
                 "is_title", "is_related_links", "is_other")
_CONTEXT_WINDOWS = (1, 2, 5, 10, 25)


@cache
def context_names() -> tuple[str, ...]:
    """Features of the second stage: the first stage's probabilities around each line."""
    windows = tuple(f"p_w{k}" for k in _CONTEXT_WINDOWS)
    return ("p", *windows, "p_prev", "p_next", "p_doc", "p_doc_share", "in_p_span", "from_p_span",
            "to_p_span", "p_words_before", "p_words_after") + _CONTEXT_BASE


def context_features(probabilities: np.ndarray, features: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Context smoothing as features: a short paragraph among body lines, a long line among
    footer lines, where the high-probability block lies and how much body text surrounds it."""
    names = feature_names()
    sizes = np.diff(offsets)
    starts, ends = np.repeat(offsets[:-1], sizes), np.repeat(offsets[1:], sizes)
    doc_of_line = np.repeat(np.arange(sizes.size), sizes)
    p = probabilities.astype(np.float64)
    words = np.expm1(features[:, names.index("log_words")]).astype(np.float64)
    columns = {"p": p}
    for k in _CONTEXT_WINDOWS:
        columns[f"p_w{k}"] = _window_mean(p, starts, ends, k)
    columns["p_prev"], columns["p_next"] = _neighbours(p, starts, ends)
    safe = np.maximum(sizes, 1)
    columns["p_doc"] = (np.add.reduceat(p, offsets[:-1]) / safe)[doc_of_line]
    columns["p_doc_share"] = (np.add.reduceat((p > 0.5).astype(np.float64), offsets[:-1]) / safe)[doc_of_line]
    body_words = words * (p > 0.5)
    cumulative = np.concatenate(([0.0], np.cumsum(body_words)))
    doc_body = np.maximum(cumulative[ends] - cumulative[starts], 1)
    columns["p_words_before"] = (cumulative[np.arange(p.size)] - cumulative[starts]) / doc_body
    columns["p_words_after"] = (cumulative[ends] - cumulative[np.arange(p.size) + 1]) / doc_body
    span_start, span_end = _probability_spans(p, words, offsets)
    index = np.arange(p.size) - starts
    columns["in_p_span"] = ((index >= span_start[doc_of_line]) & (index < span_end[doc_of_line])).astype(float)
    columns["from_p_span"] = _signed_log(index - span_start[doc_of_line])
    columns["to_p_span"] = _signed_log(span_end[doc_of_line] - 1 - index)
    for name in _CONTEXT_BASE:
        columns[name] = features[:, names.index(name)]
    return _matrix(columns, context_names())


def _probability_spans(p: np.ndarray, words: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per document, the span with the largest word-weighted margin of probability over 0.5."""
    margins = ((p - 0.5) * np.maximum(words, 1.0)).tolist()
    spans = [max_span(margins[low:high]) for low, high in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return np.array([s for s, _ in spans], np.float64), np.array([e for _, e in spans], np.float64)


def max_span(scores: list[float]) -> tuple[int, int]:
    """Contiguous span [begin, end) of maximum total score (Kadane); (0, 0) if nothing scores."""
    best, span = 0.0, (0, 0)
    running, running_start = 0.0, 0
    for i, score in enumerate(scores):
        if running <= 0:
            running, running_start = 0.0, i
        running += score
        if running > best:
            best, span = running, (running_start, i + 1)
    return span
