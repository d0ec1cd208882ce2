"""Duplicate detection: exact and near copies flagged, distinct same-topic articles left alone."""
from __future__ import annotations

import random
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.nearcopies import VARIANTS
from pressline import dedup, load, schema
from tests.conftest import load_seed_gold
from tests.test_load import article

COLUMNS = pa.schema([schema.ARTICLES.field(name) for name in ("doc_id", "body", "published_date")])


def signatures(rows: list[tuple[str, list[str], date | None]]) -> pa.Table:
    return dedup.signatures_table(pa.Table.from_pylist(
        [{"doc_id": doc_id, "body": "\n\n".join(body), "published_date": day} for doc_id, body, day in rows],
        schema=COLUMNS))


SEEDS = [gold["body_lines"] for gold in load_seed_gold()]


def test_the_five_seeds_are_distinct_articles() -> None:
    decided = dedup.resolve(schema.SIGNATURES.empty_table(),
                            signatures([(f"seed{i}", body, None) for i, body in enumerate(SEEDS)]))
    assert decided == {}  # no cluster: every new article keeps the null it was staged with


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


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_every_variant_changes_the_body(kind: str) -> None:
    """A variant that left the body as it was would measure exact matching only."""
    for body in SEEDS:
        copy = VARIANTS[kind](body, random.Random(5))
        assert (dedup.body_hash(dedup.normalised_words("\n\n".join(copy)))
                != dedup.body_hash(dedup.normalised_words("\n\n".join(body))))


def publish_run(tmp_path: Path, run_id: str, rows: list[dict]) -> None:
    """One run's end as the flow does it (flows.pipeline dedup_task, publish_task): its articles and
    signatures staged, duplicates decided against the warehouse less the re-loaded files, published."""
    staging = load.RunStaging(tmp_path / "staging", run_id)
    articles = pa.Table.from_pylist([row | {"run_id": run_id} for row in rows], schema=schema.ARTICLES)
    staging.write_batch("articles", 0, articles)
    staging.write_batch("signatures", 0, dedup.signatures_table(articles))
    existing = load.signatures_before(tmp_path / "warehouse", articles.column("source_path").combine_chunks())
    load.publish(staging, tmp_path / "warehouse", duplicates=dedup.resolve(existing, staging.staged("signatures")))


def published_flags(tmp_path: Path) -> dict[str, dict[str, str | None]]:
    """duplicate_of by doc_id, as articles and as signatures hold it."""
    flags = {}
    for name in schema.DEDUPLICATED_TABLES:
        rows = ds.dataset(tmp_path / "warehouse" / name, format="parquet", partitioning="hive").to_table(
            columns=["doc_id", "duplicate_of"]).to_pylist()
        flags[name] = {row["doc_id"]: row["duplicate_of"] for row in rows}
    return flags


def copy_of(doc_id: str, body: list[str], day: date, publisher: str = "China Daily USA") -> dict:
    return article(doc_id, publisher=publisher, day=day) | {"body": "\n\n".join(body)}


def test_an_earlier_copy_in_a_later_run_takes_over_the_published_rows(tmp_path: Path) -> None:
    publish_run(tmp_path, "r1", [copy_of("late", SEEDS[2], date(2015, 9, 25), publisher="Mirror Site"),
                                 copy_of("other", SEEDS[3], date(2015, 9, 20))])
    assert published_flags(tmp_path)["articles"] == {"late": None, "other": None}
    publish_run(tmp_path, "r2", [copy_of("early", SEEDS[2], date(2015, 9, 1))])
    expected = {"late": "early", "early": None, "other": None}
    assert published_flags(tmp_path) == {"articles": expected, "signatures": expected}


def test_copies_of_a_kept_article_reloaded_as_another_story_are_decided_again(tmp_path: Path) -> None:
    """The kept article's file now holds a different story: its former copies form their own
    cluster (the earliest of them kept) instead of pointing at it."""
    near = VARIANTS["changed_footer"](SEEDS[2], random.Random(1))
    publish_run(tmp_path, "r1", [copy_of("first", SEEDS[2], date(2015, 9, 1)),
                                 copy_of("second", SEEDS[2], date(2015, 9, 2), publisher="Mirror Site"),
                                 copy_of("third", near, date(2015, 9, 3))])
    flags = {"first": None, "second": "first", "third": "first"}
    assert published_flags(tmp_path) == {"articles": flags, "signatures": flags}
    publish_run(tmp_path, "r2", [copy_of("first", SEEDS[4], date(2015, 9, 1))])
    flags = {"first": None, "second": None, "third": "second"}
    assert published_flags(tmp_path) == {"articles": flags, "signatures": flags}
    publish_run(tmp_path, "r3", [copy_of("second", SEEDS[2], date(2015, 9, 2), publisher="Mirror Site")])
    assert published_flags(tmp_path) == {"articles": flags, "signatures": flags}


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
    keys = dedup._band_keys(table.column("minhash"))
    assert max(np.unique(keys[:, band], return_counts=True)[1].max() for band in range(dedup.BANDS)) > 3
    decided = dedup.resolve(schema.SIGNATURES.empty_table(), table)
    assert decided == {"first": None} | {f"copy{i:02d}": "first" for i in range(20)}


def test_signatures_read_in_many_chunks_and_blocks_decide_as_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Band keys are computed chunk by chunk (a staged file each) and block by block, and only the
    candidates' MinHashes are read back: neither may change a key or a decision."""
    rows = [(f"near{i}", VARIANTS["changed_footer"](SEEDS[i % 5], random.Random(i)), date(2015, 9, 1 + i))
            for i in range(10)] + [(f"seed{i}", body, date(2015, 8, 1)) for i, body in enumerate(SEEDS)]
    whole = signatures(rows).combine_chunks()
    chunked = pa.concat_tables([whole.slice(start, 4) for start in range(0, whole.num_rows, 4)])
    assert chunked.column("minhash").num_chunks == 4
    expected_keys, expected = dedup._band_keys(whole.column("minhash")), dedup.resolve(schema.SIGNATURES.empty_table(), whole)
    monkeypatch.setattr(dedup, "_KEY_BLOCK", 3)
    assert np.array_equal(dedup._band_keys(chunked.column("minhash")), expected_keys)
    assert dedup.resolve(chunked.slice(0, 6), chunked.slice(6)) == dedup.resolve(whole.slice(0, 6), whole.slice(6))
    assert dedup.resolve(schema.SIGNATURES.empty_table(), chunked) == expected
    assert sum(kept is not None for kept in expected.values()) >= 8  # the check compares real clusters
