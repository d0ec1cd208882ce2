"""Field accuracy of the extractor on the seeds' gold and on the dev corpus.

Usage: python benchmarks/fields.py [--corpus ../shared/corpus]

Seeds: every gold field compared exactly (title, subtitle, authors, published_at or date,
publisher, section, print_edition, related_links). Dev corpus: title and published day scored by
the shared `tools/score_fields.py` (its definitions), plus author-set agreement on pages with a
gold byline (gold is one raw string; both sides normalised to sets of lowercase names). Nothing
here is learned, so every page is scored with the same rules.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressline.clean import clean  # noqa: E402
from pressline.extract import extract  # noqa: E402

SEED_FIELDS = ("title", "subtitle", "authors", "publisher", "section", "print_edition", "related_links")


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_accuracy(corpus: Path) -> dict[str, float]:
    rows = [json.loads(line) for line in (corpus / "seeds" / "gold.jsonl").open(encoding="utf-8")]
    correct = dict.fromkeys((*SEED_FIELDS, "published"), 0)
    for gold in rows:
        fields = extract(clean((corpus / "seeds" / gold["file"]).read_text(encoding="utf-8")))
        for name in SEED_FIELDS:
            correct[name] += getattr(fields, name) == gold[name]
        correct["published"] += _published_matches(fields, gold["published_at"])
    return {name: count / len(rows) for name, count in correct.items()}


def _published_matches(fields, expected: str | None) -> bool:
    if expected is None:
        return fields.published_at is None and fields.published_date is None
    if "T" in expected:
        return fields.published_at == datetime.fromisoformat(expected)
    return fields.published_at is None and str(fields.published_date) == expected


def _names(text: str) -> set[str]:
    parts = re.split(r"\s*(?:,|;|&|\band\b)\s*", re.sub(r"^\s*by\s+", "", text, flags=re.IGNORECASE))
    return {" ".join(part.lower().split()) for part in parts if part.strip()}


def dev_scores(corpus: Path) -> tuple[dict, float, int]:
    scorer = _module(corpus / "tools" / "score_fields.py", "score_fields")
    gold_path = corpus / "dev" / "gold.jsonl"
    author_hits = author_pages = 0
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as predictions:
        for line in gold_path.open(encoding="utf-8"):
            gold = json.loads(line)
            fields = extract(clean((corpus / "dev" / gold["file"]).read_text(encoding="utf-8")))
            day = fields.published_date.isoformat() if fields.published_date else None
            predictions.write(json.dumps({"id": gold["id"], "title": fields.title, "published_date": day}) + "\n")
            if gold.get("authors"):
                author_pages += 1
                author_hits += _names(", ".join(fields.authors)) == _names(gold["authors"][0])
    return scorer.score(str(gold_path), predictions.name), author_hits / max(author_pages, 1), author_pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    print("seeds (must all be 1.000):")
    for name, accuracy in seed_accuracy(args.corpus).items():
        print(f"  {name:<14} {accuracy:.3f}")
    scores, authors, author_pages = dev_scores(args.corpus)
    print("dev corpus:")
    for name, value in scores.items():
        print(f"  {name:<22} {value:.3f}" if isinstance(value, float) else f"  {name:<22} {value}")
    print(f"  {'author_set_equal':<22} {authors:.3f} (over {author_pages} pages with a gold byline)")


if __name__ == "__main__":
    main()
