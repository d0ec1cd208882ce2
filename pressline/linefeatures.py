"""Per-line features for the line model, computed for a whole batch of documents at once.

Why vectorised: dumps are large (about 230 lines each) and the cleaner must clean hundreds
of documents per second on one core, so the features come from the batch's `LineTable`
(character classes counted with numpy over the joined text) and from one token list of the
whole batch, not from line-by-line Python. The features follow jusText and boilerpipe,
adapted to text: length, stopword density, sentence shape, capitalisation, digits, links,
position, the rule layer's verdict, neighbours at ±1/±2/±5/±10 lines, and how often a line
recurs inside the page and across the run (`LineCensus`).
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from pressline import linetable
from pressline import rules as rules_data
from pressline.linetable import LineTable

_BULLETS = "-–—*•·+▪►>"


@dataclass(slots=True)
class RuleLayer:
    """What the rule layer decided for each line of a batch (flat over its documents)."""

    labels: list[str]
    matched: np.ndarray
    prose: np.ndarray
    headline: np.ndarray
    actions: np.ndarray  # lines that are a comment's action button (`RuleSet.thread_actions`)
    body: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.body = np.fromiter(map("body".__eq__, self.labels), bool, len(self.labels))


# Keys a merged census holds at most (16 bytes each with the merge's scratch; about 32 MB at most).
CENSUS_CAPACITY = 2_000_000


@dataclass(frozen=True, slots=True)
class CensusPart:
    """One batch's contribution to the run's census: a digest of each document's text and its
    line hashes (`hashes[offsets[k]:offsets[k + 1]]`). Kept per document so that the merge counts
    a text that several inputs hold (mirrors, re-encodings, copies) once: a page copied ten times
    is one page, and its lines are not site template for that. `label` says what documents the
    part is of (the flow: their ids and contents, hashed), so a batch can take its own part's line
    hashes instead of hashing its lines again."""

    digests: np.ndarray
    hashes: np.ndarray
    offsets: np.ndarray
    label: str = ""

    @classmethod
    def of(cls, texts: list[str], hashes: np.ndarray, offsets: np.ndarray, label: str = "") -> CensusPart:
        # SHA-256 (hardware-accelerated) twice as fast as BLAKE2b here; the digests only tell equal
        # texts in one run, so which hash makes them changes no count (parts last one run).
        digests = np.fromiter((int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8],
                                              "little") for text in texts), np.uint64, len(texts))
        return cls(digests, hashes, offsets, label)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            np.savez(out, digests=self.digests, hashes=self.hashes, offsets=self.offsets, label=np.array(self.label))

    @classmethod
    def load(cls, path: Path) -> CensusPart:
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays["digests"], arrays["hashes"], arrays["offsets"], str(arrays["label"]))


@dataclass(frozen=True, slots=True)
class LineCensus:
    """How many documents of a run contain each line, by key hash (`linetable.key_hashes`; CCNet's paragraph hashes):
    a line that many pages share is site or platform template.

    The flow takes it over every input of the run before any document is cleaned, so a
    document's features do not depend on the batch it is in or on `--batch-size`. Sorted
    hashes with their counts, merged in a fixed order within `CENSUS_CAPACITY` keys.
    """

    hashes: np.ndarray
    counts: np.ndarray

    @classmethod
    def empty(cls) -> LineCensus:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.uint32))

    @classmethod
    def of_documents(cls, hashes: np.ndarray, offsets: np.ndarray) -> LineCensus:
        """The census of documents whose line hashes are `hashes[offsets[k]:offsets[k + 1]]`."""
        bounds = offsets.tolist()
        distinct = [np.unique(hashes[low:high]) for low, high in zip(bounds, bounds[1:])]
        merged, counts = np.unique(np.concatenate(distinct) if distinct else hashes[:0], return_counts=True)
        return cls(merged, counts.astype(np.uint32))

    @classmethod
    def of_parts(cls, parts: Iterable[CensusPart], capacity: int = CENSUS_CAPACITY) -> LineCensus:
        """The run's census from its batches' parts, in order, each distinct text counted once."""
        seen: set[int] = set()

        def counted() -> Iterator[LineCensus]:
            for part in parts:
                first = [digest not in seen and not seen.add(digest) for digest in part.digests.tolist()]
                keep = np.fromiter(first, bool, len(first))
                sizes = np.diff(part.offsets)
                kept_sizes = sizes[keep]
                yield cls.of_documents(part.hashes[np.repeat(keep, sizes)],
                                       np.concatenate(([0], np.cumsum(kept_sizes))).astype(np.int64))

        return cls.merged(counted(), capacity)

    @classmethod
    def merged(cls, parts: Iterable[LineCensus], capacity: int = CENSUS_CAPACITY) -> LineCensus:
        """One census of many, in their order. Within `capacity` keys it is exact; beyond, keys
        seen in one document so far are forgotten first (a later sighting then counts one short)."""
        total, pending, size = cls.empty(), [], 0
        for part in parts:
            pending.append(part)
            size += part.hashes.size
            if size >= capacity:
                total, pending, size = cls._combined([total, *pending], capacity), [], 0
        return cls._combined([total, *pending], capacity).repeated()

    @classmethod
    def _combined(cls, parts: list[LineCensus], capacity: int) -> LineCensus:
        hashes, inverse = np.unique(np.concatenate([part.hashes for part in parts]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([part.counts for part in parts]),
                             minlength=hashes.size).astype(np.uint32)
        if hashes.size > capacity:
            keep = np.sort(np.lexsort((hashes, -counts.astype(np.int64)))[:capacity])
            hashes, counts = hashes[keep], counts[keep]
        return cls(hashes, counts)

    def repeated(self) -> LineCensus:
        """Only the keys in two or more documents: a key that is missing counts one (its own)."""
        many = self.counts > 1
        return LineCensus(self.hashes[many], self.counts[many])

    def documents_with(self, hashes: np.ndarray) -> np.ndarray:
        """For each line hash: how many documents of the run contain the line (at least 1)."""
        if not self.hashes.size:
            return np.ones(hashes.size, np.float32)
        position = np.minimum(np.searchsorted(self.hashes, hashes), self.hashes.size - 1)
        return np.where(self.hashes[position] == hashes, self.counts[position], 1).astype(np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "hashes.npy", self.hashes, allow_pickle=False)
        np.save(folder / "counts.npy", self.counts, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> LineCensus:
        """Memory-mapped: worker processes on one machine share the pages."""
        return cls(np.load(folder / "hashes.npy", mmap_mode="r", allow_pickle=False),
                   np.load(folder / "counts.npy", mmap_mode="r", allow_pickle=False))

    def digest(self) -> str:
        return hashlib.sha256(np.ascontiguousarray(self.hashes).tobytes()
                              + np.ascontiguousarray(self.counts).tobytes()).hexdigest()[:32]


@cache
def _config() -> dict:
    return rules_data.load("features")


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(word for words in _config()["stopwords"].values() for word in words)


@cache
def _cues() -> dict[str, frozenset[str]]:
    return {name: frozenset(words) for name, words in _config()["cues"].items()}


def word_sets() -> tuple[frozenset[str], ...]:
    """The sets whose words the features count in each line (see `LineTable.in_sets`)."""
    return (_stopwords(), *_cues().values())


@cache
def _relative_time() -> tuple[str, re.Pattern[str]]:
    config = _config()["relative_time"]
    return config["marker"], re.compile(config["pattern"])


@cache
def reason_codes() -> tuple[str, ...]:
    """The structural labels the rule layer gives, one indicator feature each."""
    from pressline.clean import BODY, SUBTITLE, TITLE, default_rules

    return tuple(sorted(default_rules().model_reasons | {BODY, TITLE, SUBTITLE, "repeated_title", "related_links",
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
    cues = tuple(_config()["cues"]) + tuple(f"{name}_share" for name in _config()["cues"]) + ("relative_time", "link")
    windowed = tuple(f"{name}_w{k}" for name in _WINDOWED for k in _WINDOWS)
    neighbours = tuple(f"{name}_{side}" for name in _NEIGHBOURS for side in ("prev", "next"))
    structure = tuple(f"is_{reason}" for reason in reason_codes())
    return _BASE + cues + _POSITION + windowed + neighbours + structure


def batch_features(lines: LineTable, layer: RuleLayer, elsewhere: np.ndarray) -> np.ndarray:
    """Feature matrix (lines of all documents, in order) x `feature_names()`, float32."""
    if not len(lines):
        return np.zeros((0, len(feature_names())), np.float32)
    offsets = np.unique(lines.offsets)  # documents without lines have no rows
    sizes = np.diff(offsets)
    words = lines.words.astype(np.float32)
    columns = _text_columns(lines, words)
    columns.update(_token_columns(lines))
    columns.update(_rule_columns(layer))
    columns["log_elsewhere"] = np.log1p(elsewhere).astype(np.float32)
    columns["repeats"] = _repeats(lines.texts, offsets)
    columns["long_line"] = (columns["log_words"] > np.log1p(15)).astype(np.float32)
    columns.update(_position_columns(offsets, sizes, columns))
    columns.update(_layout_columns(lines, layer.prose, offsets, sizes, words))
    starts = np.repeat(offsets[:-1], sizes)
    ends = np.repeat(offsets[1:], sizes)
    stacked = np.stack([columns[name] for name in _WINDOWED])
    for k, means in zip(_WINDOWS, _window_means(stacked, starts, ends, _WINDOWS)):
        for name, values in zip(_WINDOWED, means):
            columns[f"{name}_w{k}"] = values
    for name in _NEIGHBOURS:
        columns[f"{name}_prev"], columns[f"{name}_next"] = _neighbours(columns[name], starts, ends)
    return _matrix(columns, feature_names())


def _matrix(columns: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    """Lines x features, float32, filled column by column (no float64 intermediate)."""
    matrix = np.empty((len(names), columns[names[0]].size), np.float32)
    for row, name in zip(matrix, names):
        row[:] = columns[name]
    return matrix.T


def _text_columns(lines: LineTable, words: np.ndarray) -> dict[str, np.ndarray]:
    """Character-class shares and shapes of each line (of its first `SAMPLE_CHARS` characters:
    shares of a huge line are estimated)."""
    counts = {name: values.astype(np.float32) for name, values in lines.counts.items()}
    chars = lines.sample_chars.astype(np.float32)
    full = lines.chars.astype(np.float32)
    sample_words = np.maximum(words * chars / full, 1)
    last = linetable.char_table()[np.minimum(lines.last, 0x10000)]
    letters, cjk = counts["letters"], counts["cjk"]
    return {
        "log_chars": np.log1p(full),
        "log_words": np.log1p(words),
        "letter_share": letters / chars,
        "upper_share": counts["upper"] / np.maximum(letters, 1),
        "digit_share": counts["digits"] / chars,
        "punct_share": counts["punct"] / chars,
        "symbol_share": counts["symbols"] / chars,
        "cjk_share": cjk / chars,
        "space_share": (counts["spaces"] + 1) / chars,  # the line's end counts as a space
        "ends_sentence": ((last & linetable.STOP_END) != 0).astype(np.float32),
        "sentence_marks": counts["stop_marks"] / sample_words,
        "commas": counts["commas"] / sample_words,
        "bullet": np.isin(lines.first, np.array([ord(char) for char in _BULLETS], np.uint32)).astype(np.float32),
        "starts_upper": ((lines.first_bits & linetable.UPPER) != 0).astype(np.float32),
        "mean_word_length": (letters - cjk) / np.maximum(lines.alpha_words.astype(np.float32), 1),
    }


def _token_columns(lines: LineTable) -> dict[str, np.ndarray]:
    """Stopword counts and cue flags from the lines' words (counted in the table), plus the
    relative-time and link cues, searched only in the lines that hold their marker."""
    n = len(lines)
    stops = lines.in_sets[_stopwords()].astype(np.float32) + _text_stops(lines)
    columns = {"stop_share": stops / np.maximum(lines.words, 1).astype(np.float32), "log_stops": np.log1p(stops)}
    blank_tokens = np.maximum(lines.blank_tokens, 1).astype(np.float32)
    for name, words in _cues().items():
        columns[name] = (lines.in_sets[words] > 0).astype(np.float32)
        columns[f"{name}_share"] = lines.in_sets[words].astype(np.float32) / blank_tokens
    marker, pattern = _relative_time()
    codes = lines.lower_codes
    relative = np.zeros(n, np.float32)
    for i in np.flatnonzero(_containing(lines, codes, (marker,))).tolist():
        relative[i] = pattern.search(lines.lowered[i]) is not None
    columns["relative_time"] = relative
    columns["link"] = _containing(lines, codes, tuple(_config()["links"]["markers"])).astype(np.float32)
    return columns


def _text_stops(lines: LineTable) -> np.ndarray:
    """CJK stop characters, scaled from the sample to the whole line."""
    chars = lines.sample_chars.astype(np.float32)
    return lines.counts["cjk_stops"].astype(np.float32) * lines.chars.astype(np.float32) / chars


def _containing(lines: LineTable, codes: np.ndarray, needles: tuple[str, ...]) -> np.ndarray:
    """Which lower-cased lines contain any of `needles` (`codes`: the code points of
    `joined_lower`): one comparison over the batch finds each needle's first character, its
    other characters are checked only there (no needle holds the "\n" that ends each line).
    Needles that start alike (".com", ".org") share that comparison."""
    found = [np.zeros(0, np.int64)]
    starting: dict[str, np.ndarray] = {}
    for needle in needles:
        if needle[0] not in starting:
            starting[needle[0]] = np.flatnonzero(codes == ord(needle[0]))
        at = starting[needle[0]]
        at = at[at < codes.size - len(needle) + 1]
        for k, char in enumerate(needle[1:], 1):
            at = at[codes[at + k] == ord(char)]
        found.append(at)
    flags = np.zeros(len(lines), bool)
    flags[lines.line_of(np.concatenate(found))] = True
    return flags


def _rule_columns(layer: RuleLayer) -> dict[str, np.ndarray]:
    from pressline.clean import default_rules

    codes = {reason: k for k, reason in enumerate(reason_codes())}
    codes.update((reason, codes[kind]) for reason, kind in default_rules().counts_as)
    labels = np.fromiter(map(codes.__getitem__, layer.labels), np.int64, len(layer.labels))
    columns = {"prose": layer.prose.astype(np.float32), "headline": layer.headline.astype(np.float32),
               "rule_matched": layer.matched.astype(np.float32)}
    for reason, k in codes.items():
        columns[f"is_{reason}"] = (labels == k).astype(np.float32)
    columns["rule_body"] = columns["is_body"]
    return columns


def _layout_columns(lines: LineTable, prose: np.ndarray, offsets: np.ndarray, sizes: np.ndarray,
                    words: np.ndarray) -> dict[str, np.ndarray]:
    """What the renderer's layout says: indentation (inscriptis indents by DOM nesting, so the
    article's paragraphs share one indent) and blank-line gaps (html_text spaces blocks)."""
    indents = lines.indents.astype(np.float32)
    numbers = lines.line_numbers.astype(np.float32)
    first = np.zeros(numbers.size, bool)
    first[offsets[:-1]] = True
    last = np.zeros(numbers.size, bool)
    last[offsets[1:] - 1] = True
    gap_before = np.where(first, 0.0, numbers - np.roll(numbers, 1) - 1)
    gap_after = np.where(last, 0.0, np.roll(numbers, -1) - numbers - 1)
    step_prev = np.where(first, 0.0, indents - np.roll(indents, 1))
    step_next = np.where(last, 0.0, np.roll(indents, -1) - indents)
    main = lines.indents == np.repeat(_main_indents(lines.indents, lines.words, prose, offsets), sizes)
    most = np.repeat(np.maximum(np.maximum.reduceat(words, offsets[:-1]), 1.0), sizes)
    return {
        "log_indent": np.log1p(indents),
        "main_indent": main.astype(np.float32),
        "indent_step_prev": _signed_log(step_prev),
        "indent_step_next": _signed_log(step_next),
        "log_gap_before": np.log1p(gap_before).astype(np.float32),
        "log_gap_after": np.log1p(gap_after).astype(np.float32),
        "words_of_doc_max": words / most.astype(np.float32),
    }


def _main_indents(indents: np.ndarray, words: np.ndarray, prose: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per document: the indent of most prose words (the smaller on a tie), -1 without prose."""
    best = np.full(offsets.size - 1, -1, np.int64)
    if not prose.any():
        return best
    doc = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))[prose]
    (docs, levels), inverse = np.unique(np.stack([doc, indents[prose]]), axis=1, return_inverse=True)
    weight = np.bincount(inverse.ravel(), words[prose], docs.size)
    order = np.lexsort((levels, -weight, docs))
    leading = order[np.concatenate(([True], docs[order][1:] != docs[order][:-1]))]
    best[docs[leading]] = levels[leading]
    return best


def _repeats(texts: list[str], offsets: np.ndarray) -> np.ndarray:
    """How many other lines of the same page have the same text (repeated titles, teasers)."""
    values = []
    bounds = offsets.tolist()
    for low, high in zip(bounds, bounds[1:]):
        page = texts[low:high]
        values.extend(map(Counter(page).__getitem__, page))
    return np.log1p(np.array(values, np.float32) - 1)


def _position_columns(offsets: np.ndarray, sizes: np.ndarray, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where each line sits: in the page, in its words, and relative to the rule layer's body."""
    doc_of_line = np.repeat(np.arange(len(sizes)), sizes)
    index = (np.arange(doc_of_line.size) - offsets[:-1][doc_of_line]).astype(np.float32)
    n = np.repeat(sizes, sizes).astype(np.float32)
    words = np.expm1(columns["log_words"])
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


def _in_document(offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each line's index inside its document."""
    return np.arange(offsets[-1]) - np.repeat(offsets[:-1], sizes)


def _first_last(flags: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per document: index of its first flagged line and one past its last (0, 0 if none)."""
    index = _in_document(offsets, sizes)
    first = np.minimum.reduceat(np.where(flags > 0, index, sizes.max()), offsets[:-1])
    last = np.maximum.reduceat(np.where(flags > 0, index, -1), offsets[:-1])
    empty = last < 0
    return np.where(empty, 0, first).astype(np.float32), np.where(empty, 0, last + 1).astype(np.float32)


def _first_index(flags: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Index inside each document of its first flagged line; the document's size if none."""
    index = _in_document(offsets, sizes)
    first = np.minimum.reduceat(np.where(flags > 0, index, np.repeat(sizes, sizes)), offsets[:-1])
    return first.astype(np.float32)


def _signed_log(values: np.ndarray) -> np.ndarray:
    return (np.sign(values) * np.log1p(np.abs(values))).astype(np.float32)


def _window_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                  windows: tuple[int, ...]) -> list[np.ndarray]:
    """For each window k: the mean of each row of `values` (columns x lines) over the lines
    within k of each line, inside its document; one cumulative sum serves every window. Most
    lines' windows lie inside their document, so their sums are one subtraction of two slices of
    the sums; only the lines near a document's edge look their bounds up."""
    n = values.shape[1]
    cumulative = np.zeros((values.shape[0], n + 1))
    np.cumsum(values, axis=1, dtype=np.float64, out=cumulative[:, 1:])
    index = np.arange(n)
    means = []
    for k in windows:
        low = np.maximum(starts, index - k)
        high = np.minimum(ends, index + k + 1)
        sums = np.empty((values.shape[0], n))
        if n > 2 * k:
            np.subtract(cumulative[:, 2 * k + 1:], cumulative[:, :n - 2 * k], out=sums[:, k:n - k])
        edge = np.flatnonzero((low != index - k) | (high != index + k + 1))
        sums[:, edge] = cumulative[:, high[edge]] - cumulative[:, low[edge]]
        means.append((sums / (high - low)).astype(np.float32))
    return means


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
    for k, means in zip(_CONTEXT_WINDOWS, _window_means(p[None, :], starts, ends, _CONTEXT_WINDOWS)):
        columns[f"p_w{k}"] = means[0]
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
    margins = (p - 0.5) * np.maximum(words, 1.0)
    begins, ends = max_spans(margins, offsets[:-1], offsets[1:])
    return begins.astype(np.float64), ends.astype(np.float64)


def max_span(scores: np.ndarray) -> tuple[int, int]:
    """Contiguous span [begin, end) of maximum total score, (0, 0) if nothing scores: Kadane's
    answer (the first best end; the span starts after the last running minimum before it)."""
    if not scores.size:
        return 0, 0
    prefix = np.concatenate(([0], np.cumsum(scores)))
    lowest = np.minimum.accumulate(prefix[:-1])
    gains = prefix[1:] - lowest
    end = int(np.argmax(gains))
    if gains[end] <= 0:
        return 0, 0
    return int(np.flatnonzero(prefix[:end + 1] == lowest[end])[-1]), end + 1


# Segments at once: a grid of segments x longest segment, cumulated along rows (numpy's
# accumulate is sequential, so each row's sums are those of the segment alone, bit for bit).
SPAN_GRID_CELLS = 1 << 22


def max_spans(scores: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`max_span` of each segment `scores[lows[k]:highs[k]]`, as (begins, ends) relative to the
    segment: one grid for all segments (per-segment numpy calls cost more than their work),
    segments that would make the grid too big done alone."""
    sizes = highs - lows
    begins, ends = np.zeros(sizes.size, np.int64), np.zeros(sizes.size, np.int64)
    alone = sizes * sizes.size > SPAN_GRID_CELLS
    for k in np.flatnonzero(alone).tolist():
        begins[k], ends[k] = max_span(scores[lows[k]:highs[k]])
    rows = np.flatnonzero(~alone & (sizes > 0))
    width = int(sizes[rows].max(initial=0))
    if not width:
        return begins, ends
    inside = np.arange(width) < sizes[rows, None]
    grid = np.zeros((rows.size, width), scores.dtype)
    grid[inside] = scores[(lows[rows, None] + np.arange(width))[inside]]
    prefix = np.zeros((rows.size, width + 1), scores.dtype)
    np.cumsum(grid, axis=1, out=prefix[:, 1:])
    lowest = np.minimum.accumulate(prefix[:, :-1], axis=1)
    gains = prefix[:, 1:] - lowest
    gains[~inside] = np.finfo(gains.dtype).min if gains.dtype.kind == "f" else np.iinfo(gains.dtype).min
    end = np.argmax(gains, axis=1)
    picked = np.arange(rows.size)
    scored = gains[picked, end] > 0
    at_lowest = (prefix[:, :-1] == lowest[picked, end][:, None]) & (np.arange(width) <= end[:, None])
    begin = width - 1 - np.argmax(at_lowest[:, ::-1], axis=1)
    begins[rows], ends[rows] = np.where(scored, begin, 0), np.where(scored, end + 1, 0)
    return begins, ends
