"""Field accuracy of the extractor on the seeds' gold and on the dev corpus.

Usage: python benchmarks/fields.py [--corpus ../shared/corpus] [--cv]

Pages are cleaned as one run over them cleans them (with their line census), then extracted.

Seeds: every gold field compared exactly (title, subtitle, authors, published_at or date,
publisher, section, print_edition, related_links). Dev corpus: title and published day scored by
the shared `tools/score_fields.py` (its definitions), plus author-set agreement on pages with a
gold byline (gold is one raw string; both sides normalised to sets of lowercase names), also
against the gold as judged in `author_gold_notes.json` (pages whose gold string adds a credential,
role, outlet or date to the names, or names no person: a team, a company, a date). Nothing
here is learned, but the title weights in `fields.toml` were set by looking at dev figures, so
`--cv` also scores that choice by site-grouped 5-fold cross-validation: for each fold, the grid
point (TITLE_GRID, which holds the shipped values) best on the other four folds is scored on it.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import itertools
import json
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressline.clean import CleanedDocument, census_of, clean_many  # noqa: E402
from pressline.extract import extract, find_title, title_rules  # noqa: E402

# Title weights the cross-validation chooses among (each list holds the shipped value).
TITLE_GRID = {"page_title_alone": [3.0, 5.0, 8.0], "page_title": [4.0, 5.0, 6.0], "full_stop": [-1.5, -3.0],
              "byline_after": [2.0, 3.0]}
FOLDS = 5
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


def _site(gold: dict) -> str:
    """The page's host; readability fixtures have no URL, so their name without the number."""
    if gold.get("url"):
        return (urlparse(gold["url"]).hostname or "").removeprefix("www.")
    return re.sub(r"-\d+$", "", gold["id"])


def title_cv(corpus: Path) -> tuple[float, float]:
    """Title accuracy with the shipped weights, and site-grouped 5-fold CV of the grid choice."""
    rows = [json.loads(line) for line in (corpus / "dev" / "gold.jsonl").open(encoding="utf-8")]
    texts = [(corpus / "dev" / gold["file"]).read_text(encoding="utf-8") for gold in rows]
    pages = []
    for gold, text, cleaned in zip(rows, texts, clean_as_a_run(texts)):
        if gold.get("title") and gold["title"] in text:
            fold = int(hashlib.sha256(_site(gold).encode()).hexdigest(), 16) % FOLDS
            pages.append((cleaned, " ".join(gold["title"].lower().split()), fold))
    shipped = title_rules()
    hits = {}
    for values in itertools.product(*TITLE_GRID.values()):
        rules = dataclasses.replace(shipped, weights={**shipped.weights, **dict(zip(TITLE_GRID, values))})
        hits[values] = [" ".join((find_title(cleaned, rules) or "").lower().split()) == title
                        for cleaned, title, _fold in pages]
    correct = 0
    for fold in range(FOLDS):
        def on_others(values: tuple) -> int:
            return sum(hit for hit, page in zip(hits[values], pages) if page[2] != fold)
        best = max(hits, key=on_others)
        correct += sum(hit for hit, page in zip(hits[best], pages) if page[2] == fold)
    in_sample = tuple(shipped.weights[name] for name in TITLE_GRID)
    return sum(hits[in_sample]) / len(pages), correct / len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--cv", action="store_true", help="also cross-validate the title weights (a few minutes)")
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
        shipped, cross_validated = title_cv(args.corpus)
        print(f"title weights: shipped {shipped:.3f}, "
              f"site-grouped {FOLDS}-fold CV of the grid choice {cross_validated:.3f}")


if __name__ == "__main__":
    main()
