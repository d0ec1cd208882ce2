"""Exact and near-duplicate articles, within a run and against the warehouse.

Each article body gets a hash of its normalised words (exact copies) and a MinHash of its
word 5-shingles (near copies: a trimmed paragraph, a changed sign-off). Candidates share a
band of the signature (locality-sensitive hashing tuned for Jaccard >= THRESHOLD) and are
confirmed on the estimated Jaccard. Duplicates form clusters; the kept article of a cluster
is the earliest published (undated last, then the smallest doc_id), and every other member
gets `duplicate_of` = its doc_id. Rows are flagged, never deleted.

Signatures are datasketch's MinHash (scheme "affine32", seed 1, crc32 of each shingle; the
tests check the values against datasketch itself), computed with numpy for a whole body at
once, and the index is a numpy array of band keys: datasketch's import pulls in scipy (65 MB
and a second in every worker process) and its index keeps a Python object per article and
band, where this keeps 8 bytes.
"""
from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pressline import schema

THRESHOLD = 0.8
NUM_PERM = 64
SHINGLE_WORDS = 5
# datasketch's MinHashLSH(threshold=0.8, num_perm=64) picks 5 bands of 11 rows (false positives
# and negatives weighed alike); the last 9 values are in no band.
BANDS, ROWS_PER_BAND = 5, 11
LARGE_BUCKET = 256
_WORD = re.compile(r"\w+")
_EMPTY = np.uint32(0xFFFFFFFF)


def _permutations(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The affine maps h -> a*h + b (mod 2^32) datasketch draws for `seed`: odd a, any b."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, which datasketch applies to every shingle hash before permuting."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def normalised_words(body: str) -> list[str]:
    return _WORD.findall(body.lower())


def body_hash(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def minhash(words: list[str]) -> np.ndarray:
    """64 uint64 values (each below 2^32): the minimum of every permutation over the shingles."""
    if len(words) <= SHINGLE_WORDS:
        shingles = [" ".join(words)]
    else:
        shingles = [" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]
    hashes = _fmix32(np.fromiter((zlib.crc32(shingle.encode("utf-8")) for shingle in shingles),
                                 dtype=np.uint32, count=len(shingles)))
    with np.errstate(over="ignore"):
        permuted = hashes[:, None] * _A + _B
    return np.minimum(permuted.min(axis=0), _EMPTY).astype(np.uint64)


def from_signature(values: bytes) -> np.ndarray:
    return np.frombuffer(values, dtype=np.uint64)


def jaccard(left: np.ndarray, right: np.ndarray) -> float:
    """The MinHash estimate: the share of permutations whose minimum the two sets share."""
    return float(np.count_nonzero(left == right)) / NUM_PERM


def order_key(published: object, doc_id: str) -> tuple:
    """Earliest published first; undated after all dated; ties by doc_id."""
    return (published is None, str(published or ""), doc_id)


def signatures_table(articles: pa.Table) -> pa.Table:
    """One row per article: its body hash and MinHash, for this and later runs."""
    hashes, minhashes = [], []
    for body in articles.column("body").to_pylist():
        words = normalised_words(body or "")
        hashes.append(body_hash(words))
        minhashes.append(minhash(words).tobytes())
    return pa.table({
        "doc_id": articles.column("doc_id"),
        "body_hash": pa.array(hashes, pa.string()),
        "minhash": pa.array(minhashes, pa.binary()),
        "published_date": articles.column("published_date"),
        "duplicate_of": pa.nulls(articles.num_rows, pa.string()),
    }, schema=schema.SIGNATURES)


def _signature_matrix(column: pa.Array) -> np.ndarray:
    """One chunk of MinHashes as a (rows, NUM_PERM) view of its Arrow buffer: no copy, no Python
    object per row."""
    if len(column) == 0:
        return np.empty((0, NUM_PERM), dtype=np.uint64)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset:column.offset + len(column) + 1]
    if np.any(np.diff(offsets) != NUM_PERM * 8):
        raise ValueError("a stored MinHash does not hold 64 uint64 values")
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return data.view(np.uint64).reshape(len(column), NUM_PERM)


_BAND_WEIGHTS = np.random.RandomState(7).randint(1, 1 << 62, ROWS_PER_BAND, dtype=np.uint64) | np.uint64(1)
_KEY_BLOCK = 4096


def _band_keys(minhashes: pa.ChunkedArray) -> np.ndarray:
    """One 64-bit key per article and band; equal bands give equal keys (a rare collision of unequal
    bands only adds a candidate, which the Jaccard check then turns away).

    Read chunk by chunk and block by block, in place: a run's signatures (512 bytes an article) are
    never copied into one matrix, and the keys are 40 bytes an article."""
    keys = np.empty((len(minhashes), BANDS), dtype=np.uint64)
    row = 0
    for chunk in minhashes.chunks:
        signatures = _signature_matrix(chunk)
        for start in range(0, len(signatures), _KEY_BLOCK):
            block = signatures[start:start + _KEY_BLOCK, :BANDS * ROWS_PER_BAND].reshape(-1, BANDS, ROWS_PER_BAND)
            with np.errstate(over="ignore"):
                keys[row:row + len(block)] = (block * _BAND_WEIGHTS).sum(axis=2, dtype=np.uint64)
            row += len(block)
    return keys


def _shared_values(minhashes: pa.ChunkedArray, pairs: np.ndarray) -> np.ndarray:
    """How many of the 64 values each candidate pair shares; only the candidates' MinHashes are read."""
    rows = np.unique(pairs)
    chosen = _signature_matrix(minhashes.take(pa.array(rows, pa.int64())).combine_chunks())
    left, right = np.searchsorted(rows, pairs[:, 0]), np.searchsorted(rows, pairs[:, 1])
    return np.count_nonzero(chosen[left] == chosen[right], axis=1)


def _candidate_pairs(keys: np.ndarray, is_new: np.ndarray) -> np.ndarray:
    """(i, j) index pairs, i < j, sharing a band key, at least one of them new; each pair once.

    A bucket of more than LARGE_BUCKET articles (a site's templated stub pages) is not compared
    all against all, which is quadratic: each member is compared with the bucket's first and with
    its neighbour, enough to join what is one cluster.
    """
    pairs = []
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")
        sorted_keys = keys[order, band]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            members = np.sort(order[start:start + size])
            if size > LARGE_BUCKET:
                left = np.r_[np.zeros(size - 1, dtype=np.int64), np.arange(1, size - 1)]
                right = np.r_[np.arange(1, size), np.arange(2, size)]
            else:
                left, right = np.triu_indices(size, k=1)
            found = np.stack([members[left], members[right]], axis=1)
            pairs.append(found[is_new[found[:, 0]] | is_new[found[:, 1]]])
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(pairs), axis=0)


def resolve(existing: pa.Table, new: pa.Table) -> dict[str, str | None]:
    """duplicate_of for the members of every cluster that is decided again, and for every article whose
    value changes; an article left out keeps what it has (a new one: null, as staged).

    `existing` are the warehouse's signatures (without the doc_ids this run replaces), with
    their current duplicate_of; `new` are this run's. Re-decided are the clusters that gain a
    new member and those whose kept article is not in `existing` any more (this run replaces
    it, perhaps with a body that is no copy now): their other members are searched again, as
    new ones are. Articles are rows here, not Python objects: memory is the tables as read, their
    band keys and the candidates' MinHashes; Python objects are made only for the members of clusters.
    """
    both = pa.concat_tables([existing.select(schema.SIGNATURES.names), new.select(schema.SIGNATURES.names)])
    size, old = both.num_rows, existing.num_rows
    is_new = np.zeros(size, dtype=bool)
    is_new[old:] = True
    clusters = _Clusters()
    flags = existing.column("duplicate_of").combine_chunks()
    kept = pc.index_in(flags, value_set=both.column("doc_id").slice(0, old).combine_chunks())
    kept_found = kept.is_valid().to_numpy(zero_copy_only=False)
    kept_row = kept.fill_null(0).to_numpy(zero_copy_only=False)
    for row in np.flatnonzero(kept_found):
        clusters.union(int(row), int(kept_row[row]))
    orphans = np.flatnonzero(flags.is_valid().to_numpy(zero_copy_only=False) & ~kept_found)
    is_new[orphans] = True
    codes = pc.dictionary_encode(both.column("body_hash").combine_chunks()).indices.to_numpy(zero_copy_only=False)
    twin = np.unique(codes, return_index=True)[1][codes]  # the codes are 0..k-1: the first row with each hash
    for row in np.flatnonzero((twin != np.arange(size)) & (is_new | is_new[twin])):
        clusters.union(int(row), int(twin[row]))
    minhashes = both.column("minhash")
    pairs = _candidate_pairs(_band_keys(minhashes), is_new)
    if len(pairs):
        for left, right in pairs[_shared_values(minhashes, pairs) >= THRESHOLD * NUM_PERM]:
            clusters.union(int(left), int(right))
    return _decisions(both, old, clusters.groups_with_any(is_new), orphans)


def _decisions(both: pa.Table, old: int, groups: list[list[int]], orphans: np.ndarray) -> dict[str, str | None]:
    """The kept article of each group (see `order_key`) and what its members' duplicate_of become (every
    new member's, and each published one's that changes); an orphan left alone is no copy of anything now.
    Rows from `old` on are the run's."""
    grouped = {row for group in groups for row in group}
    alone = [int(row) for row in orphans if row not in grouped]
    rows = sorted(grouped.union(alone))
    picked = both.select(["doc_id", "published_date", "duplicate_of"]).take(pa.array(rows, pa.int64())).to_pylist()
    record = dict(zip(rows, picked))
    decided: dict[str, str | None] = {}
    for group in groups:
        kept = min(group, key=lambda row: order_key(record[row]["published_date"], record[row]["doc_id"]))
        for row in group:
            wanted = None if row == kept else record[kept]["doc_id"]
            if record[row]["duplicate_of"] != wanted or row >= old:
                decided[record[row]["doc_id"]] = wanted
    for row in alone:
        decided[record[row]["doc_id"]] = None
    return decided


class _Clusters:
    """Union-find over row numbers; only rows that were joined to another are held."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        root = item
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(item, item) != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, left: int, right: int) -> None:
        left, right = self.find(left), self.find(right)
        if left != right:
            self.parent[left] = right
            self.parent.setdefault(right, right)

    def groups_with_any(self, marked: np.ndarray) -> list[list[int]]:
        """The clusters of more than one row holding a marked row, each sorted."""
        groups: dict[int, list[int]] = {}
        for item in list(self.parent):
            groups.setdefault(self.find(item), []).append(item)
        return [sorted(group) for group in groups.values() if marked[group].any()]
