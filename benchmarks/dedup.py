"""Precision and recall of duplicate detection on made-up near-copies vs distinct same-topic articles.

Usage: python benchmarks/dedup.py [--articles 300] [--seed 0]

Originals are synthetic articles in the seeds' styles (tests/synthetic.py: ten topics, so many
distinct articles share a topic and its vocabulary) plus the five seeds (five distinct articles
on one topic). Each original gets one variant per kind in benchmarks/nearcopies.py. A flagged pair
is right when both members come from the same original.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.nearcopies import VARIANTS  # noqa: E402
from pressline import dedup, schema  # noqa: E402
from tests.synthetic import iter_dumps  # noqa: E402


def originals(count: int, seed: int) -> list[list[str]]:
    bodies = [expected["body_lines"] for _, _, expected in iter_dumps(count, seed=seed)]
    seeds = ROOT / "tests" / "data" / "seeds_gold.jsonl"
    bodies += [json.loads(line)["body_lines"] for line in seeds.read_text(encoding="utf-8").splitlines()]
    return [body for body in bodies if len(" ".join(body).split()) >= 50]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows, origin = [], {}
    for number, body in enumerate(originals(args.articles, args.seed)):
        docs = {"original": body} | {kind: make(body, rng) for kind, make in VARIANTS.items()}
        for kind, paragraphs in docs.items():
            doc_id = f"{number:05d}-{kind}"
            origin[doc_id] = number
            rows.append({"doc_id": doc_id, "body": "\n\n".join(paragraphs), "published_date": None})
    articles = pa.Table.from_pylist(rows, schema=pa.schema([schema.ARTICLES.field(name)
                                                            for name in ("doc_id", "body", "published_date")]))
    started = time.perf_counter()
    signatures = dedup.signatures_table(articles)
    decided = dedup.resolve(schema.SIGNATURES.empty_table(), signatures)
    seconds = time.perf_counter() - started
    flagged = {doc_id: kept for doc_id, kept in decided.items() if kept is not None}
    correct = sum(1 for doc_id, kept in flagged.items() if origin[doc_id] == origin[kept])
    expected = len(rows) - len(set(origin.values()))
    print(f"articles {len(rows)} ({len(set(origin.values()))} originals x {1 + len(VARIANTS)} versions)")
    print(f"threshold Jaccard >= {dedup.THRESHOLD} on word {dedup.SHINGLE_WORDS}-shingles, "
          f"{dedup.NUM_PERM} permutations")
    print(f"flagged {len(flagged)}, correct {correct}, expected {expected}")
    print(f"precision {correct / len(flagged) if flagged else 1.0:.3f}  recall {correct / expected:.3f}")
    cluster = {doc_id: flagged.get(doc_id, doc_id) for doc_id in origin}
    for kind in VARIANTS:
        caught = sum(1 for doc_id in origin if doc_id.endswith(kind)
                     and cluster[doc_id] == cluster[doc_id.replace(kind, "original")])
        print(f"  {kind:<18} in its original's cluster: {caught}/{len(set(origin.values()))}")
    print(f"speed: {len(rows) / seconds:.0f} articles/s (signatures + clustering, one core)")


if __name__ == "__main__":
    main()
