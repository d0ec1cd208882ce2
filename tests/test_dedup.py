"""Duplicate detection: exact and near copies flagged, distinct same-topic articles left alone."""
from __future__ import annotations

import random
import zlib
from datetime import date

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.nearcopies import VARIANTS
from pressline import dedup, schema
from tests.conftest import load_seed_gold

COLUMNS = pa.schema([schema.ARTICLES.field(name) for name in ("doc_id", "body", "published_date")])


def signatures(rows: list[tuple[str, list[str], date | None]]) -> pa.Table:
    return dedup.signatures_table(pa.Table.from_pylist(
        [{"doc_id": doc_id, "body": "\n\n".join(body), "published_date": day} for doc_id, body, day in rows],
        schema=COLUMNS))


SEEDS = [gold["body_lines"] for gold in load_seed_gold()]


def test_the_five_seeds_are_distinct_articles() -> None:
    decided = dedup.resolve(schema.SIGNATURES.empty_table(),
                            signatures([(f"seed{i}", body, None) for i, body in enumerate(SEEDS)]))
    assert all(kept is None for kept in decided.values())


@pytest.mark.parametrize("kind", ["reworded_headline", "trimmed_paragraph", "changed_footer"])
def test_a_near_copy_points_to_the_earliest_published(kind: str) -> None:
    body = SEEDS[1]
    copy = VARIANTS[kind](body, random.Random(3))
    decided = dedup.resolve(schema.SIGNATURES.empty_table(), signatures([
        ("a-copy", copy, date(2015, 9, 1)), ("z-original", body, date(2015, 8, 4))]))
    assert decided == {"z-original": None, "a-copy": "z-original"}


def test_undated_copies_keep_the_smallest_doc_id() -> None:
    decided = dedup.resolve(schema.SIGNATURES.empty_table(),
                            signatures([("b", SEEDS[0], None), ("a", SEEDS[0], None), ("c", SEEDS[0], None)]))
    assert decided == {"a": None, "b": "a", "c": "a"}


def test_a_new_copy_joins_a_published_cluster() -> None:
    published = signatures([("old", SEEDS[2], date(2015, 9, 23))])
    decided = dedup.resolve(published, signatures([("new", SEEDS[2], date(2015, 9, 25))]))
    assert decided == {"new": "old"}


def test_an_earlier_new_copy_takes_over_and_updates_the_published_rows() -> None:
    published = signatures([("old", SEEDS[2], date(2015, 9, 23)), ("older-copy", SEEDS[2], date(2015, 9, 24))])
    published = published.set_column(4, schema.SIGNATURES.field("duplicate_of"), pa.array([None, "old"]))
    decided = dedup.resolve(published, signatures([("first", SEEDS[2], date(2015, 9, 1))]))
    assert decided == {"first": None, "old": "first", "older-copy": "first"}


def test_signatures_round_trip_through_parquet_bytes() -> None:
    table = signatures([("a", SEEDS[3], None)])
    restored = dedup.from_signature(table.column("minhash")[0].as_py())
    assert dedup.jaccard(restored, dedup.minhash(dedup.normalised_words("\n\n".join(SEEDS[3])))) == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdé 漢字", min_size=1, max_size=6), max_size=40))
def test_signatures_equal_datasketchs_minhash(words: list[str]) -> None:
    """The numpy MinHash is datasketch's (scheme affine32, seed 1, crc32): stored signatures stay comparable."""
    reference = MinHash(num_perm=dedup.NUM_PERM, seed=1, hashfunc=zlib.crc32)
    if len(words) <= dedup.SHINGLE_WORDS:
        reference.update_batch([" ".join(words).encode("utf-8")])
    else:
        reference.update_batch([" ".join(words[i:i + dedup.SHINGLE_WORDS]).encode("utf-8")
                                for i in range(len(words) - dedup.SHINGLE_WORDS + 1)])
    assert dedup.minhash(words).tolist() == reference.hashvalues.astype(np.uint64).tolist()


def test_bands_are_the_ones_datasketch_picks_for_the_threshold() -> None:
    index = MinHashLSH(threshold=dedup.THRESHOLD, num_perm=dedup.NUM_PERM)
    assert (index.b, index.r) == (dedup.BANDS, dedup.ROWS_PER_BAND)


def test_a_large_bucket_of_near_copies_is_one_cluster_without_comparing_all_pairs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "LARGE_BUCKET", 3)
    rows = [(f"copy{i:02d}", SEEDS[1] + [f"Updated {i} times."], date(2015, 9, 2)) for i in range(20)]
    rows.append(("first", SEEDS[1], date(2015, 9, 1)))
    table = signatures(rows)
    keys = dedup._band_keys(dedup._signature_matrix(table))
    assert max(np.unique(keys[:, band], return_counts=True)[1].max() for band in range(dedup.BANDS)) > 3
    decided = dedup.resolve(schema.SIGNATURES.empty_table(), table)
    assert decided == {"first": None} | {f"copy{i:02d}": "first" for i in range(20)}
