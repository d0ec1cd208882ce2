"""Exact and near-duplicate articles, within a run and against the warehouse.

Each article body gets a hash of its normalised words (exact copies) and a MinHash of its
word 5-shingles (near copies: a trimmed paragraph, a changed sign-off). Candidates come
from datasketch's LSH index tuned for Jaccard >= THRESHOLD and are confirmed on the
estimated Jaccard. Duplicates form clusters; the kept article of a cluster is the earliest
published (undated last, then the smallest doc_id), and every other member gets
`duplicate_of` = its doc_id. Rows are flagged, never deleted.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
from datasketch import MinHash, MinHashLSH

from pressline import schema

THRESHOLD = 0.8
NUM_PERM = 64
SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+")


@cache
def _template() -> MinHash:
    """Permutations are drawn once (seeded), so signatures are comparable across runs."""
    return MinHash(num_perm=NUM_PERM, seed=1)


def normalised_words(body: str) -> list[str]:
    return _WORD.findall(body.lower())


def body_hash(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def minhash(words: list[str]) -> MinHash:
    template = _template()
    signature = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, permutations=template.permutations,
                        scheme=template.scheme)
    if len(words) <= SHINGLE_WORDS:
        shingles = [" ".join(words).encode("utf-8")]
    else:
        shingles = [" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
                    for i in range(len(words) - SHINGLE_WORDS + 1)]
    signature.update_batch(shingles)
    return signature


def from_signature(values: bytes) -> MinHash:
    template = _template()
    return MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(values, dtype=np.uint64),
                   permutations=template.permutations, scheme=template.scheme)


@dataclass(slots=True)
class Entry:
    doc_id: str
    body_hash: str
    signature: MinHash
    order_key: tuple
    duplicate_of: str | None = None


def order_key(published: object, doc_id: str) -> tuple:
    """Earliest published first; undated after all dated; ties by doc_id."""
    return (published is None, str(published or ""), doc_id)


def signatures_table(articles: pa.Table) -> pa.Table:
    """One row per article: its body hash and MinHash, for this and later runs."""
    rows = []
    for doc_id, body, published in zip(articles.column("doc_id").to_pylist(), articles.column("body").to_pylist(),
                                       articles.column("published_date").to_pylist()):
        words = normalised_words(body or "")
        rows.append({"doc_id": doc_id, "body_hash": body_hash(words),
                     "minhash": minhash(words).hashvalues.astype(np.uint64).tobytes(),
                     "published_date": published, "duplicate_of": None})
    return pa.Table.from_pylist(rows, schema=schema.SIGNATURES)


def resolve(existing: pa.Table, new: pa.Table) -> dict[str, str | None]:
    """duplicate_of for every article whose value is new or changes; other articles are left alone.

    `existing` are the warehouse's signatures (without the doc_ids this run replaces), with
    their current duplicate_of; `new` are this run's. Only clusters that gain a new member
    are re-decided, so a run costs one LSH query per new article.
    """
    old = {row["doc_id"]: _entry(row) for row in existing.to_pylist()}
    fresh = {row["doc_id"]: _entry(row) for row in new.to_pylist()}
    entries = {**old, **fresh}
    index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    by_hash: dict[str, str] = {}
    for entry in old.values():
        index.insert(entry.doc_id, entry.signature)
        by_hash.setdefault(entry.body_hash, entry.doc_id)
    clusters = _Clusters()
    for entry in old.values():
        if entry.duplicate_of in old:
            clusters.union(entry.doc_id, entry.duplicate_of)
    for entry in fresh.values():
        clusters.add(entry.doc_id)
        twin = by_hash.get(entry.body_hash)
        if twin is not None:
            clusters.union(entry.doc_id, twin)
        for candidate in index.query(entry.signature):
            if entry.signature.jaccard(entries[candidate].signature) >= THRESHOLD:
                clusters.union(entry.doc_id, candidate)
        index.insert(entry.doc_id, entry.signature)
        by_hash.setdefault(entry.body_hash, entry.doc_id)
    decided: dict[str, str | None] = {}
    for members in clusters.groups_containing(fresh):
        kept = min(members, key=lambda doc_id: entries[doc_id].order_key)
        for doc_id in members:
            wanted = None if doc_id == kept else kept
            if doc_id in fresh or wanted != entries[doc_id].duplicate_of:
                decided[doc_id] = wanted
    return decided


def _entry(row: dict) -> Entry:
    return Entry(row["doc_id"], row["body_hash"], from_signature(row["minhash"]),
                 order_key(row["published_date"], row["doc_id"]), row.get("duplicate_of"))


class _Clusters:
    """Union-find over doc_ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def add(self, item: str) -> None:
        self.parent.setdefault(item, item)

    def find(self, item: str) -> str:
        self.add(item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, left: str, right: str) -> None:
        self.parent[self.find(left)] = self.find(right)

    def groups_containing(self, items: dict) -> list[list[str]]:
        roots = {self.find(item) for item in items}
        groups: dict[str, list[str]] = {}
        for item in list(self.parent):
            root = self.find(item)
            if root in roots:
                groups.setdefault(root, []).append(item)
        return [sorted(group) for group in groups.values()]
