"""Field accuracy of the extractor on the seeds' gold and on the dev corpus.

Usage: python benchmarks/fields.py [--corpus ../shared/corpus] [--cv]

Pages are cleaned as one run over them cleans them (with their line census), then extracted.

Seeds: every gold field compared exactly (title, subtitle, authors, published_at or date,
publisher, section, print_edition, related_links). Dev corpus: title and published day scored by
the shared `tools/score_fields.py` (its definitions), plus author-set agreement on pages with a
gold byline (gold is one raw string; both sides normalised to sets of lowercase names), also
against the gold as judged in `author_gold_notes.json` (pages whose gold string adds a credential,
role, outlet or date to the names, or names no person: a team, a company, a date). The title
weights and `min_score` in `fields.toml` are fitted on the dev pages by
`benchmarks/fit_title_weights.py`, so `--cv` also scores that fit by site-grouped 5-fold
cross-validation (each site fold with values fitted on the other four; its code, not a copy).
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

from pressline.clean import CleanedDocument, census_of, clean_many  # noqa: E402
from pressline.extract import extract  # noqa: E402

AUTHOR_NOTES = Path(__file__).with_name("author_gold_notes.json")
SEED_FIELDS = ("title", "subtitle", "authors", "publisher", "section", "print_edition", "related_links")


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_as_a_run(texts: list[str]) -> list[CleanedDocument]:
    """The pages cleaned as one `pressline run` over them cleans them: with their line census."""
    return clean_many(texts, census=census_of(texts))


def seed_accuracy(corpus: Path) -> dict[str, float]:
    rows = [json.loads(line) for line in (corpus / "seeds" / "gold.jsonl").open(encoding="utf-8")]
    correct = dict.fromkeys((*SEED_FIELDS, "published"), 0)
    cleaned = clean_as_a_run([(corpus / "seeds" / gold["file"]).read_text(encoding="utf-8") for gold in rows])
    for gold, page in zip(rows, cleaned):
        fields = extract(page)
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


def dev_scores(corpus: Path) -> tuple[dict, float, float, int]:
    scorer = _module(corpus / "tools" / "score_fields.py", "score_fields")
    gold_path = corpus / "dev" / "gold.jsonl"
    notes = json.loads(AUTHOR_NOTES.read_text(encoding="utf-8"))
    author_hits = judged_hits = author_pages = 0
    rows = [json.loads(line) for line in gold_path.open(encoding="utf-8")]
    cleaned = clean_as_a_run([(corpus / "dev" / gold["file"]).read_text(encoding="utf-8") for gold in rows])
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as predictions:
        for gold, page in zip(rows, cleaned):
            fields = extract(page)
            day = fields.published_date.isoformat() if fields.published_date else None
            predictions.write(json.dumps({"id": gold["id"], "title": fields.title, "published_date": day}) + "\n")
            if gold.get("authors"):
                author_pages += 1
                found = _names(", ".join(fields.authors))
                author_hits += found == _names(gold["authors"][0])
                judged = notes.get(gold["id"])
                judged_hits += found == (_names(", ".join(judged["authors"])) if judged else _names(gold["authors"][0]))
    pages = max(author_pages, 1)
    return scorer.score(str(gold_path), predictions.name), author_hits / pages, judged_hits / pages, author_pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--cv", action="store_true", help="also cross-validate the title weights' fit (under a minute)")
    args = parser.parse_args()
    print("seeds (must all be 1.000):")
    for name, accuracy in seed_accuracy(args.corpus).items():
        print(f"  {name:<14} {accuracy:.3f}")
    scores, authors, judged, author_pages = dev_scores(args.corpus)
    print("dev corpus:")
    for name, value in scores.items():
        print(f"  {name:<22} {value:.3f}" if isinstance(value, float) else f"  {name:<22} {value}")
    print(f"  {'author_set_equal':<22} {authors:.3f} (over {author_pages} pages with a gold byline)")
    print(f"  {'author_set_judged':<22} {judged:.3f} (the same, gold as judged in {AUTHOR_NOTES.name})")
    if args.cv:
        from fit_title_weights import FOLDS, run  # it imports this module: not at the top
        report = run(args.corpus)
        print(f"title weights: shipped {report.shipped:.3f}, site-grouped {FOLDS}-fold CV of their fit "
              f"{report.cross_validated:.3f} (benchmarks/fit_title_weights.py)")


if __name__ == "__main__":
    main()
