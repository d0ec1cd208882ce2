"""Body quality of the cleaner on the dev corpus (or the seeds), scored with the shared shingle scorer.

Usage: python benchmarks/quality.py [--corpus ../shared/corpus] [--seeds] [--per-page out.jsonl]

Runs the same code path the flow uses (`pressline.clean.clean`) on every dump and prints mean
precision / recall / F1 per renderer and overall, pages under F1 0.5, and docs/s on one core.
The cleaner has no learned parameters yet, so there is nothing to cross-validate: every page is
scored with the same rules (when a model is added, score it by site-grouped cross-validation).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressline.clean import clean  # noqa: E402


def load_scorer(corpus: Path):
    spec = importlib.util.spec_from_file_location("score_bodies", corpus / "tools" / "score_bodies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.prf


def dev_pages(corpus: Path) -> list[tuple[str, str, str, str]]:
    """(id, group, dump text, gold body) for every dev page; group = renderer."""
    pages = []
    with open(corpus / "dev" / "gold.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = (corpus / "dev" / row["file"]).read_text(encoding="utf-8")
            pages.append((row["id"], row["renderer"], text, row["body"]))
    return pages


def seed_pages(corpus: Path) -> list[tuple[str, str, str, str]]:
    pages = []
    with open(corpus / "seeds" / "gold.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = (corpus / "seeds" / row["file"]).read_text(encoding="utf-8")
            pages.append((Path(row["file"]).stem, "seeds", text, "\n\n".join(row["body_lines"])))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--seeds", action="store_true", help="score the five seeds instead of the dev corpus")
    parser.add_argument("--per-page", type=Path, help="write per-page scores as JSONL")
    args = parser.parse_args()
    prf = load_scorer(args.corpus)
    pages = seed_pages(args.corpus) if args.seeds else dev_pages(args.corpus)

    started = time.perf_counter()
    predictions = [(page_id, group, "\n\n".join(clean(text).body_lines), gold)
                   for page_id, group, text, gold in pages]
    seconds = time.perf_counter() - started

    scores = [(page_id, group, *prf(body, gold)) for page_id, group, body, gold in predictions]
    groups = sorted({group for _, group, *_ in scores})
    print(f"{'group':<12} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'F1<0.5':>7}")
    for group in groups + (["overall"] if len(groups) > 1 else []):
        rows = [score for score in scores if group in ("overall", score[1])]
        print(f"{group:<12} {len(rows):>5} {statistics.mean(r[2] for r in rows):>6.3f} "
              f"{statistics.mean(r[3] for r in rows):>6.3f} {statistics.mean(r[4] for r in rows):>6.3f} "
              f"{sum(1 for r in rows if r[4] < 0.5):>7}")
    print(f"speed: {len(pages) / seconds:.0f} docs/s on one core ({seconds:.2f} s for {len(pages)} pages)")
    if args.per_page:
        with open(args.per_page, "w", encoding="utf-8") as out:
            for page_id, group, p, r, f in scores:
                out.write(json.dumps({"id": page_id, "group": group, "p": p, "r": r, "f1": f}) + "\n")


if __name__ == "__main__":
    main()
