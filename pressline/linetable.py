"""The non-blank lines of a batch of dumps as columns, from one numpy pass over their characters.

Why: the cleaner must clean hundreds of documents per second on one core and a dump has about
230 lines, so per-line Python is what costs. The batch's lines are joined, turned into one
array of code points, and every per-line count the rules and the features need (character
classes, words as `clean.word_count` counts them, tokens as the vocabulary rules split them,
sentence shape) comes from table look-ups and segment sums over that array.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import chain, compress

import numpy as np

from pressline import rules as rules_data

# Word characters are letters and digits, joined by one of these ("U.S.", "don't", "e-mail").
WORD_CONNECTORS = "'’.-"
# The vocabulary rules split a line at white space and at these.
TOKEN_SEPARATORS = "|:·•,"
SENTENCE_END_CHARS = ".!?。！？…"
# Closing quotes and brackets that may follow a sentence's full stop.
SENTENCE_CLOSERS = "\"'”’)]»"
# A sentence ends and the next begins inside the line (`\s` is white space within the line).
SENTENCE_BREAK = r"[.!?。！？][\"'”’)\]]*(?:\s+[\"'“‘(]?[A-Z0-9]|\[)"
# Character shares of a huge line are estimated from its first SAMPLE_CHARS characters.
SAMPLE_CHARS = 2000
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF))
_COMMA_CHARS = ",;，、；"
_WORD = re.compile(rf"[^\W_]+(?:[{re.escape(WORD_CONNECTORS)}][^\W_]+)*")
_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES) + "]")
_TOKEN_SPLIT = re.compile(rf"[\s\u00a0{re.escape(TOKEN_SEPARATORS)}]+")

# Class bits of the character table.
(LETTER, UPPER, DIGIT, PUNCT, SPACE, CJK, STOP_END, COMMA, CJK_STOP, SYMBOL, ALNUM, CONNECTOR, SEPARATOR, MARK,
 CLOSER) = (1 << k for k in range(15))
# Classes counted over each line's sample.
SAMPLE_COUNTS = {"letters": LETTER, "upper": UPPER, "digits": DIGIT, "punct": PUNCT, "symbols": SYMBOL,
                 "cjk": CJK, "spaces": SPACE, "stop_marks": STOP_END, "commas": COMMA, "cjk_stops": CJK_STOP,
                 "marks": MARK}
_COUNTED = sum(SAMPLE_COUNTS.values())
# Character-level arrays are built for this many characters of the batch at a time: their 8-byte
# arrays (2 MB) stay in the processor's caches (1 << 20 was 6% slower to build the dev pages' tables).
CHUNK_CHARS = 1 << 18
# A line's opening, its first characters as one integer (`LineTable.opening`), tells the line
# rules which lines their regex need not be tried on (`clean.Openings`); code points take 21 bits.
OPENING_CHARS = 3
OPENING_BITS = 21
OPENING_NONE = (1 << OPENING_BITS) - 1


@dataclass(slots=True)
class LineTable:
    """Columns over the batch's non-blank lines (stripped), document after document.

    Counts cover each line's first SAMPLE_CHARS characters; `words` and `tokens` are exact."""

    texts: list[str]
    lowered: list[str]
    offsets: np.ndarray       # document k holds lines offsets[k]:offsets[k + 1]
    line_numbers: np.ndarray  # 1-based, in the document's raw lines
    indents: np.ndarray       # leading white space of the raw line
    chars: np.ndarray         # length of the stripped line
    sample_chars: np.ndarray  # characters the counts cover
    words: np.ndarray         # as `clean.word_count`
    tokens: np.ndarray        # pieces after splitting at white space and TOKEN_SEPARATORS
    blank_tokens: np.ndarray  # pieces after splitting at white space (`str.split()`)
    alpha_words: np.ndarray   # runs of letters and digits in the sample
    counts: dict[str, np.ndarray]  # SAMPLE_COUNTS ("marks": characters of `build`'s marks)
    first: np.ndarray         # first and last code point
    last: np.ndarray
    first_bits: np.ndarray
    opening: np.ndarray       # the first OPENING_CHARS code points (see `OPENING_BITS`)
    sentence_end: np.ndarray  # ends with a sentence mark (closing quotes allowed after it)
    sentence_break: np.ndarray  # holds a sentence break (SENTENCE_BREAK)
    joined_lower: str         # lowered lines (per character, see `_lower_table`), each followed by "\n"
    lower_codes: np.ndarray   # the code points of `joined_lower`
    lower_starts: np.ndarray  # where each line starts in `joined_lower` (lower-casing keeps lengths)
    in_sets: dict[frozenset[str], np.ndarray]  # per set of `build`'s word_sets: the line's words in it
    key_hashes: np.ndarray    # the line's census key hash (see `key_hashes`)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.texts)

    def line_of(self, positions: np.ndarray) -> np.ndarray:
        """The line holding each position of `joined_lower`."""
        return np.searchsorted(self.lower_starts, positions, side="right") - 1

    def token_counts(self, lines: np.ndarray, words: tuple[frozenset[str], ...]) -> tuple[list[np.ndarray],
                                                                                         np.ndarray]:
        """For each of the given lines, how many of its tokens (`tokens`) each list in `words`
        holds, and how many are all digits (`str.isdigit`): read from the lines' code points in
        `lower_codes` as the word lists are (`_WordIndex`), with no string per token (the lines
        a vocabulary rule reads have some 700,000)."""
        sizes = self.chars[lines] + 1  # each line with the "\n" that ends it, a separator
        line_of_char = np.repeat(np.arange(lines.size), sizes)
        ends = np.cumsum(sizes)
        codes = self.lower_codes[np.arange(ends[-1] if ends.size else 0)
                                 + np.repeat(self.lower_starts[lines] - (ends - sizes), sizes)]
        index = np.minimum(codes, 0x10000).astype(np.intp)
        token_char = (char_table()[index] & SEPARATOR) == 0
        starts = _run_starts(token_char)
        first = np.flatnonzero(starts)
        word_index = _word_index(words)
        positions, bits = word_index.listed(codes, token_char, first)
        in_lists = [np.bincount(line_of_char[positions[((bits >> k) & 1) != 0]], minlength=lines.size)
                    for k in range(word_index.lists)]
        other = token_char & ~_digit_table()[index]
        for i in np.flatnonzero(index == 0x10000).tolist():
            other[i] = token_char[i] and not chr(codes[i]).isdigit()
        running = np.cumsum(other)
        last = np.append(first[1:], codes.size) - 1
        numbers = first[(running[last] - running[first] + other[first]) == 0]
        return in_lists, np.bincount(line_of_char[numbers], minlength=lines.size)


@cache
def _digit_table() -> np.ndarray:
    """`str.isdigit` of every BMP code point (wider than the table's DIGIT, decimal digits only),
    and False for the entry of all others (decided one by one)."""
    return np.fromiter(map(str.isdigit, map(chr, range(0x10001))), bool, 0x10001) & (np.arange(0x10001) < 0x10000)


@cache
def _base_char_table() -> np.ndarray:
    """The class bits without `char_table`'s marks: built once, whatever marks are asked for."""
    table = np.zeros(0x10001, np.uint16)
    for code in range(0x10000):
        char = chr(code)
        category = unicodedata.category(char)
        bits = ALNUM if char.isalnum() else 0
        if category[0] == "L":
            bits |= LETTER | (UPPER if category == "Lu" else 0)
        elif category == "Nd":
            bits |= DIGIT
        elif category[0] == "P":
            bits |= PUNCT
        elif category[0] == "S":
            bits |= SYMBOL
        elif char.isspace():
            bits |= SPACE | SEPARATOR
        table[code] = bits
    table[0x10000] = LETTER
    for low, high in CJK_RANGES:
        table[low:high + 1] |= CJK
    cjk_stops = rules_data.load("features")["stopchars"]["cjk"].replace(" ", "")
    for chars, bit in ((SENTENCE_END_CHARS, STOP_END), (_COMMA_CHARS, COMMA), (cjk_stops, CJK_STOP),
                       (WORD_CONNECTORS, CONNECTOR), (TOKEN_SEPARATORS, SEPARATOR), (SENTENCE_CLOSERS, CLOSER)):
        for char in chars:
            table[ord(char)] |= bit
    return table


@cache
def char_table(marks: str = "") -> np.ndarray:
    """Class bits of every BMP code point, plus one entry (0x10000) for all others (letters)."""
    table = _base_char_table().copy()
    for char in marks:
        table[ord(char)] |= MARK
    return table


@cache
def _combinations(marks: str) -> tuple[np.ndarray, np.ndarray]:
    """Each code point's combination of counted classes, as a small index, and the classes of
    each index (the last index, all zeros, marks characters past the sample)."""
    counted = char_table(marks) & _COUNTED
    values, index = np.unique(counted, return_inverse=True)
    classes = np.array([[(value & bit) != 0 for bit in SAMPLE_COUNTS.values()] for value in values] +
                       [[False] * len(SAMPLE_COUNTS)], np.float64)
    return index.astype(np.intp), classes


# Bits of a character's position code: it starts a word, joins two words, starts a token,
# starts a run of letters and digits, starts a run of non-white-space.
_POSITIONS = ("word_starts", "joins", "token_starts", "alpha_starts", "blank_starts")
_POSITION_CODES = 1 << len(_POSITIONS)
_POSITION_CLASSES = np.array([[(code >> k) & 1 for k in range(len(_POSITIONS))] for code in range(_POSITION_CODES)],
                             np.float64)


@cache
def _sentence_break() -> re.Pattern[str]:
    """SENTENCE_BREAK over joined lines: white space may not cross a line end; one hit per line."""
    return re.compile(SENTENCE_BREAK.replace(r"\s", r"[^\S\n]") + r"[^\n]*")


def build(texts: list[str], marks: str = "", word_sets: tuple[frozenset[str], ...] = (),
          keys: tuple[np.ndarray, np.ndarray] | None = None) -> LineTable:
    """The lines of `texts` (split at "\n", stripped, blank ones left out) and their columns.
    `marks`: characters to count per line; `word_sets`: sets whose tokens to count per line;
    `keys`: the lines' census key hashes and where each text's start, when already known
    (`key_hashes(texts)`), so they are not computed again."""
    lines, kept_raw, offsets, line_numbers = _split(texts)
    n = len(lines)
    if keys is not None and not np.array_equal(keys[1] - keys[1][0], offsets):
        raise ValueError("the key hashes are not of these texts' lines")
    chars = np.fromiter(map(len, lines), np.int64, n)
    indents = np.fromiter(map(len, kept_raw), np.int64, n) - np.fromiter(
        map(len, map(str.lstrip, kept_raw)), np.int64, n)
    joined = "\n".join(lines) + "\n"
    columns = _character_columns(joined, chars, marks, _word_index(word_sets))
    for i in np.flatnonzero(chars > SAMPLE_CHARS).tolist():
        _count_whole_line(lines[i], i, columns, marks)
    lower_codes = columns.pop("lowered")
    lower_starts = np.cumsum(chars + 1) - (chars + 1)
    joined_lower = _text(lower_codes)
    lowered = joined_lower.split("\n")[:-1]
    return LineTable(lines, lowered, offsets, line_numbers, indents, chars, np.minimum(chars, SAMPLE_CHARS),
                     columns["words"], columns["tokens"], columns["blank_tokens"], columns["alpha_words"],
                     {name: columns[name] for name in SAMPLE_COUNTS}, columns["first"], columns["last"],
                     columns["first_bits"], columns["opening"], columns["sentence_end"], columns["sentence_break"], joined_lower,
                     lower_codes, lower_starts,
                     {words: columns[f"in_set_{k}"] for k, words in enumerate(word_sets)},
                     _key_hashes(lower_codes, lower_starts, chars) if keys is None else keys[0])


def _in_sets(words: _WordIndex, lowered: np.ndarray, blank: np.ndarray, blank_starts: np.ndarray,
             starts: np.ndarray) -> dict[str, np.ndarray]:
    """How many of each line's words (`str.split()`; a word with punctuation attached is missed,
    a price paid for speed) are in each set (`in_set_k` for the k-th): only the words in some
    set, a few in ten, are attributed to their lines (`starts`: where each line begins)."""
    positions, bits = words.listed(lowered, blank, np.flatnonzero(blank_starts))
    line = np.searchsorted(starts, positions, side="right") - 1
    return {f"in_set_{k}": np.bincount(line[((bits >> k) & 1) != 0], minlength=starts.size)
            for k in range(words.lists)}


def _count_whole_line(text: str, i: int, columns: dict[str, np.ndarray], marks: str) -> None:
    """Words, tokens and marks of a line longer than the sample, from the whole line."""
    columns["words"][i] = word_count(text)
    columns["tokens"][i] = len(tokens(text))
    columns["blank_tokens"][i] = len(text.split())
    columns["marks"][i] = sum(map(text.count, marks))


# Field extraction counts the words of the same header lines again and again (93,000 counts of
# 22,000 distinct lines per 1,000 pages): counts of short lines are remembered, which makes
# extract about a fifth faster. Long lines are counted each time, so the memory stays small.
CACHED_WORD_COUNT_CHARS = 400


def word_count(text: str) -> int:
    """Words for alphabetic scripts; CJK characters count half a word each."""
    return _cached_word_count(text) if len(text) <= CACHED_WORD_COUNT_CHARS else _count_words(text)


def _count_words(text: str) -> int:
    if text.isascii():
        return len(_WORD.findall(text))
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(_WORD.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + (cjk + 1) // 2


_cached_word_count = lru_cache(maxsize=1 << 16)(_count_words)


def tokens(text: str) -> list[str]:
    """The lower-cased pieces of `text` between white space and TOKEN_SEPARATORS."""
    return [token for token in _TOKEN_SPLIT.split(text.lower()) if token]


def _split(texts: list[str]) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """The non-blank lines (stripped, and as they were), where each text's lines start, and each
    line's 1-based number among its text's raw lines."""
    split = [text.split("\n") for text in texts]
    raw = list(chain.from_iterable(split))
    stripped = list(map(str.strip, raw))
    kept_raw = list(compress(raw, stripped))
    lines = list(compress(stripped, stripped))
    raw_sizes = np.fromiter(map(len, split), np.int64, len(texts))
    nonblank = np.fromiter(map(bool, stripped), bool, len(stripped))
    raw_offsets = np.concatenate(([0], np.cumsum(raw_sizes)))
    counts = np.add.reduceat(nonblank, raw_offsets[:-1]) if texts else np.zeros(0, np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    raw_index = np.flatnonzero(nonblank)
    doc_of_line = np.repeat(np.arange(len(texts)), counts)
    return lines, kept_raw, offsets, raw_index - raw_offsets[:-1][doc_of_line] + 1


def _chunks(chars: np.ndarray) -> Iterator[tuple[int, int, int, int]]:
    """Lines low:high and their span base:end in the joined text (each line followed by "\n"),
    about CHUNK_CHARS characters at a time, so the character arrays stay small."""
    ends = np.cumsum(chars + 1)
    low = 0
    while low < chars.size:
        base = int(ends[low - 1]) if low else 0
        high = max(int(np.searchsorted(ends, base + CHUNK_CHARS, side="right")), low + 1)
        yield low, high, base, int(ends[high - 1])
        low = high


def _character_columns(joined: str, chars: np.ndarray, marks: str, words: _WordIndex) -> dict[str, np.ndarray]:
    """Per-line columns from the code points of `joined` (the lines, each followed by "\n"), by chunks."""
    if not chars.size:
        return _chunk_columns(joined, chars, marks, words)
    parts = [_chunk_columns(joined[base:end], chars[low:high], marks, words) for low, high, base, end in _chunks(chars)]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _chunk_columns(joined: str, chars: np.ndarray, marks: str, words: _WordIndex) -> dict:
    codes = np.array([joined]).view(np.uint32)
    index = np.minimum(codes, 0x10000).astype(np.intp)  # look-ups with intp indices are twice as fast
    bits = char_table(marks)[index]
    lowered = _lowered(codes)
    n = chars.size
    starts = np.cumsum(chars + 1) - (chars + 1)
    ends = starts + chars
    if codes.max() > 0xFFFF:
        beyond = np.flatnonzero(index == 0x10000)
        bits[beyond] |= np.array([ALNUM if chr(code).isalnum() else 0 for code in codes[beyond].tolist()], np.uint16)
    combination_of, classes = _combinations(marks)
    combination = combination_of[index]
    word_char = (bits & (ALNUM | CJK)) == ALNUM
    token_char = (bits & SEPARATOR) == 0
    alpha = (bits & (LETTER | DIGIT)) != 0
    joins = (bits & CONNECTOR) != 0
    joins[1:-1] &= word_char[:-2] & word_char[2:]
    joins[[0, -1]] = False
    position = _run_starts(word_char).view(np.uint8)
    position |= joins.view(np.uint8) << 1
    position |= _run_starts(token_char).view(np.uint8) << 2
    position |= _run_starts(alpha).view(np.uint8) << 3
    blank = (bits & SPACE) == 0
    blank_starts = _run_starts(blank)
    position |= blank_starts.view(np.uint8) << 4
    columns = _in_sets(words, lowered, blank, blank_starts, starts)
    for i in np.flatnonzero(chars > SAMPLE_CHARS).tolist():
        combination[starts[i] + SAMPLE_CHARS:ends[i]] = classes.shape[0] - 1
        position[starts[i] + SAMPLE_CHARS:ends[i]] = 0
    combination[ends] = classes.shape[0] - 1  # a line's "\n" is not counted
    sample = _per_line(combination, chars, classes.shape[0]) @ classes
    runs = _per_line(position, chars, _POSITION_CODES) @ _POSITION_CLASSES
    columns.update({name: sample[:, k].astype(np.int64) for k, name in enumerate(SAMPLE_COUNTS)})
    columns["words"] = (runs[:, 0] - runs[:, 1]).astype(np.int64) + (columns["cjk"] + 1) // 2
    columns["tokens"] = runs[:, 2].astype(np.int64)
    columns["alpha_words"] = runs[:, 3].astype(np.int64)
    columns["blank_tokens"] = runs[:, 4].astype(np.int64)
    last_index = ends - 1
    columns["first"], columns["last"], columns["first_bits"] = codes[starts], codes[last_index], bits[starts]
    columns["opening"] = _opening(codes, starts, chars)
    columns["sentence_end"] = _ends_sentence(bits, starts, last_index)
    sentence_break = np.zeros(n, bool)
    hits = np.array([match.start() for match in _sentence_break().finditer(joined)], np.int64)
    sentence_break[np.searchsorted(starts, hits, side="right") - 1] = True
    columns["sentence_break"] = sentence_break
    columns["lowered"] = lowered
    return columns


def _opening(codes: np.ndarray, starts: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Each line's first OPENING_CHARS code points in one integer, OPENING_BITS each, the first
    highest; OPENING_NONE past the end of a shorter line."""
    opening = codes[starts].astype(np.int64)
    for k in range(1, OPENING_CHARS):
        following = np.where(chars > k, codes[np.minimum(starts + k, starts + chars)], OPENING_NONE)
        opening = (opening << OPENING_BITS) | following
    return opening


def _lowered(codes: np.ndarray) -> np.ndarray:
    """Lower-cased code points (`_lower_table`; beyond the BMP, as they are). ASCII, most of
    any page, by arithmetic; the table only for the rest (its look-ups cost memory traffic)."""
    lowered = codes | (((codes - np.uint32(65)) < np.uint32(26)).astype(np.uint32) << np.uint32(5))
    other = np.flatnonzero(codes >= 128)
    if other.size:
        wide = codes[other]
        lowered[other] = np.where(wide > 0xFFFF, wide, _lower_table()[np.minimum(wide, 0xFFFF)])
    return lowered


# A line's census key is its first KEY_CHARS lower-cased characters (a long line that starts the
# same on many pages, such as a licence notice, is one template line). Its hash is a sum of the
# code points times fixed random odd weights by position, finished with splitmix64's mixer: the
# whole batch in a few numpy passes, and the same in every process and on every machine.
KEY_CHARS = 120
# Texts whose keys `key_hashes` hashes together.
KEY_GROUP = 64
_KEY_WEIGHTS = np.random.default_rng(20261202).integers(0, 1 << 62, KEY_CHARS, dtype=np.uint64) * np.uint64(2) + 1


def _key_hashes(lowered: np.ndarray, starts: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Position by position over the lines sorted longest key first, so that each step adds one
    weighted code point to a prefix of the sums: no per-character index arrays. A step costs the
    same Python overhead however many lines it covers, so a table's keys are hashed in one go,
    not by character chunk."""
    keys = np.minimum(chars, KEY_CHARS)
    order = np.argsort(-keys, kind="stable")
    at = starts[order]
    longer = np.cumsum(np.bincount(keys, minlength=KEY_CHARS + 1)[::-1])[::-1]  # lines with key >= k
    sums = np.zeros(keys.size, np.uint64)
    for position in range(int(keys.max(initial=0))):
        count = int(longer[position + 1])
        sums[:count] += lowered[position:][at[:count]] * _KEY_WEIGHTS[position]  # a view: no index sums
    hashes = np.empty_like(sums)
    hashes[order] = sums
    hashes ^= keys.astype(np.uint64)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        hashes = (hashes ^ (hashes >> np.uint64(shift))) * np.uint64(factor)
    return hashes ^ (hashes >> np.uint64(31))


def key_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The census key hash of every non-blank line of `texts` (as `build` gives them), and where
    each text's lines start: for counting lines across a run without building the whole table.
    KEY_GROUP texts at a time: the keys of a whole run at once touched some 100 MB."""
    hashes, sizes = [], []
    for first in range(0, len(texts), KEY_GROUP):
        per_text = [list(filter(None, map(str.strip, text.split("\n")))) for text in texts[first:first + KEY_GROUP]]
        sizes += map(len, per_text)
        lines = list(chain.from_iterable(per_text))
        chars = np.fromiter(map(len, lines), np.int64, len(lines))
        for i in np.flatnonzero(chars > KEY_CHARS).tolist():
            lines[i] = lines[i][:KEY_CHARS]
        np.minimum(chars, KEY_CHARS, out=chars)
        # The keys back to back: the hashes read no character past a key's end.
        codes = np.array(["".join(lines)]).view(np.uint32)
        hashes.append(_key_hashes(_lowered(codes), np.cumsum(chars) - chars, chars))
    offsets = np.concatenate(([0], np.cumsum(np.array(sizes, np.int64)))).astype(np.int64)
    return (np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)), offsets


def _text(codes: np.ndarray) -> str:
    return codes.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


@cache
def _lower_table() -> np.ndarray:
    """Each BMP code point's lower case where that is one character (so positions stay put; the
    exceptions, "İ" and the final sigma, cannot be part of any word list); itself otherwise."""
    table = np.arange(0x10001, dtype=np.uint32)
    for code in range(0x10000):
        lower = chr(code).lower()
        if len(lower) == 1:
            table[code] = ord(lower)
    return table


@dataclass(frozen=True, slots=True)
class _WordIndex:
    """Word lists looked up in numpy: a word's hash is the sum of its (lower-cased) code points
    times powers of an odd `base` by position (base**1 for the first), modulo 2**64; a table of 2**16 slots, indexed by
    the hash's top bits and free of collisions between the listed words, gives each hash its
    sets (bit k: the k-th list). Python string look-ups would cost a string object per word of
    the batch. The hashes of all words come from one running sum over the chunk, each word's
    difference of it brought back to its own start by the inverse power (odd numbers are
    invertible modulo 2**64): three passes over the characters, no per-character index arrays."""

    base: int
    keys: np.ndarray
    sets: np.ndarray
    lists: int

    def hashes(self, lowered: np.ndarray, word_chars: np.ndarray, first: np.ndarray) -> np.ndarray:
        """The hash of each word (a run of `word_chars` beginning at a `first` position; the
        first character is one): the running sum before a word's start, less the one before
        the next word's, is the word's (the characters between are not `word_chars`)."""
        if not first.size:
            return np.zeros(0, np.uint64)
        powers, inverses = _powers(self.base, lowered.size)
        terms = np.multiply(lowered, powers[:lowered.size], dtype=np.uint64)
        terms *= word_chars
        running = np.cumsum(terms)
        before = np.empty(first.size + 1, np.uint64)
        np.subtract(running[first], terms[first], out=before[:-1])
        before[-1] = running[-1]
        return (before[1:] - before[:-1]) * inverses[first]

    def listed(self, lowered: np.ndarray, word_chars: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the words in some list start (of the `first` positions), and their lists."""
        hashes = self.hashes(lowered, word_chars, first)
        slots = (hashes >> np.uint64(48)).astype(np.intp)
        found = np.flatnonzero(self.keys[slots] == hashes)
        return first[found], self.sets[slots[found]]


# Powers kept per word index: 2**20 positions, 8 MB a table.
POWER_BITS = 20


def _powers(base: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """base**j and base**(1 - j) modulo 2**64 for j < size (at least): a word starting at j is
    brought back to start at base**1, so that even a one-letter word has random top bits. Kept
    up to 2**POWER_BITS positions (a chunk, or the short lines a vocabulary rule reads); the
    tables of a bigger piece (a single huge line) are made for it and dropped with it, as its
    other per-character arrays are."""
    bits = max(size - 1, 1).bit_length()
    return _cached_power_table(base, 1 << bits) if bits <= POWER_BITS else _power_table(base, size)


def _power_table(base: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    tables = []
    for first, factor in ((1, base), (base, pow(base, -1, 1 << 64))):
        table = np.full(size, factor, np.uint64)
        table[0] = first
        tables.append(np.cumprod(table))  # wraps modulo 2**64, as intended
    return tables[0], tables[1]


_cached_power_table = cache(_power_table)


@cache
def _word_index(word_sets: tuple[frozenset[str], ...]) -> _WordIndex:
    bits: dict[str, int] = {}
    for k, words in enumerate(word_sets):
        for word in words:
            bits[word] = bits.get(word, 0) | 1 << k
    listed = sorted(bits)
    lengths = list(map(len, listed))
    codes = np.array(["".join(listed)]).view(np.uint32)[:sum(lengths)]  # all words, hashed in one call
    starts = np.cumsum([0, *lengths])[:-1]
    for seed in range(1000):
        base = int(np.random.default_rng(seed).integers(0, 1 << 63, dtype=np.uint64)) * 2 + 1
        index = _WordIndex(base, np.zeros(1 << 16, np.uint64), np.zeros(1 << 16, np.int64), len(word_sets))
        hashes = index.hashes(codes, np.ones(codes.size, bool), starts)
        slots = (hashes >> np.uint64(48)).astype(np.intp)
        if np.unique(slots).size == slots.size:
            index.keys[slots], index.sets[slots] = hashes, [bits[word] for word in listed]
            return index
    raise ValueError("no collision-free word table")


def _per_line(codes: np.ndarray, chars: np.ndarray, kinds: int) -> np.ndarray:
    """Lines x kinds: how many characters of each line (and its "\n") have each code."""
    keys = np.repeat(np.arange(chars.size) * kinds, chars + 1)
    keys += codes
    return np.bincount(keys, minlength=chars.size * kinds).reshape(chars.size, kinds)


def _run_starts(flags: np.ndarray) -> np.ndarray:
    """Where a run of set flags begins."""
    begins = flags.copy()
    begins[1:] &= ~flags[:-1]
    return begins


def _ends_sentence(bits: np.ndarray, starts: np.ndarray, last_index: np.ndarray) -> np.ndarray:
    """The last character that is not a closing quote or bracket is a sentence mark."""
    position = last_index.copy()
    open_ = np.flatnonzero((bits[position] & CLOSER) != 0)
    while open_.size:
        position[open_] -= 1
        open_ = open_[(position[open_] >= starts[open_]) & ((bits[position[open_]] & CLOSER) != 0)]
    inside = position >= starts
    return inside & ((bits[np.maximum(position, 0)] & STOP_END) != 0)
