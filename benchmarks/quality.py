"""Body quality of the cleaner on the dev corpus (or the seeds), scored with the shared shingle scorer.

Usage: python benchmarks/quality.py [--corpus ../shared/corpus] [--seeds] [--cv | --retrain]
                                    [--per-page out.jsonl]

Runs the code path the flow uses (the run's line census, then `pressline.clean.clean_many` in
batches of 1,000) and prints mean precision / recall / F1 per renderer and overall, pages
under F1 0.5, and docs/s on one core (features and model included).

The line model is learned on this corpus, so the plain run scores pages the shipped model was
fitted on: it measures speed, not quality. Quality figures come from site-grouped 5-fold
cross-validation (`--cv`: each page scored by a model fitted without its site; url host, or
the readability test name). `--retrain` does the same, then refits on all pages and writes
the shipped model (`pressline/model/cleaner.npz`): retrain and re-score with one command.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: numpy's BLAS must not fan out
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pressline.clean import AnalysedBatch, analyse_batch, census_part, clean_many, label_batch  # noqa: E402
from pressline.linefeatures import LineCensus  # noqa: E402
from pressline.linemodel import Decoding  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
BATCH_SIZE = 1000  # the flow's default --batch-size


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    renderer: str
    site: str
    text: str
    gold: str


def load_scorer(corpus: Path):
    spec = importlib.util.spec_from_file_location("score_bodies", corpus / "tools" / "score_bodies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.prf


def site_of(row: dict) -> str:
    """The cross-validation group: the url's host, or the readability test for `rdb-*` pages."""
    if row.get("url"):
        host = urlsplit(row["url"]).hostname or row["id"]
        return host.removeprefix("www.")
    return row["id"]


def dev_pages(corpus: Path) -> list[Page]:
    pages = []
    with open(corpus / "dev" / "gold.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = (corpus / "dev" / row["file"]).read_text(encoding="utf-8")
            pages.append(Page(row["id"], row["renderer"], site_of(row), text, row["body"]))
    return pages


def seed_pages(corpus: Path) -> list[Page]:
    pages = []
    with open(corpus / "seeds" / "gold.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = (corpus / "seeds" / row["file"]).read_text(encoding="utf-8")
            pages.append(Page(Path(row["file"]).stem, "seeds", "seeds", text, "\n\n".join(row["body_lines"])))
    return pages


def batches(pages: list[Page]) -> list[list[Page]]:
    return [pages[i:i + BATCH_SIZE] for i in range(0, len(pages), BATCH_SIZE)]


def analyse_pages(pages: list[Page]) -> AnalysedBatch:
    """The rule layer and features of all pages, with the line census of a run over them."""
    return analyse_batch([page.text for page in pages])


def clean_pages(pages: list[Page]) -> tuple[list[str], float]:
    """Bodies as the flow would produce them (the run's census from a part per batch first, then
    the batches, each with its part), and the seconds that took."""
    started = time.perf_counter()
    texts = [[page.text for page in batch] for batch in batches(pages)]
    parts = list(map(census_part, texts))
    census = LineCensus.of_parts(parts)
    bodies = ["\n\n".join(doc.body_lines) for batch, part in zip(texts, parts)
              for doc in clean_many(batch, census=census, part=part)]
    return bodies, time.perf_counter() - started


def report(pages: list[Page], bodies: list[str], prf, per_page: Path | None = None) -> None:
    """Mean P / R / F1 and pages under 0.5, per renderer and overall."""
    scores = [(page.id, page.renderer, *prf(body, page.gold)) for page, body in zip(pages, bodies)]
    groups = sorted({group for _, group, *_ in scores})
    print(f"{'group':<12} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'F1<0.5':>7}")
    for group in groups + (["overall"] if len(groups) > 1 else []):
        rows = [score for score in scores if group in ("overall", score[1])]
        print(f"{group:<12} {len(rows):>5} {statistics.mean(r[2] for r in rows):>6.3f} "
              f"{statistics.mean(r[3] for r in rows):>6.3f} {statistics.mean(r[4] for r in rows):>6.3f} "
              f"{sum(1 for r in rows if r[4] < 0.5):>7}")
    if per_page:
        with open(per_page, "w", encoding="utf-8") as out:
            for page_id, group, p, r, f in scores:
                out.write(json.dumps({"id": page_id, "group": group, "p": p, "r": r, "f1": f}) + "\n")


def report_cross_validated(pages: list[Page], batch: AnalysedBatch, probabilities: np.ndarray,
                           decoding: Decoding, prf, per_page: Path | None = None) -> list:
    print("site-grouped 5-fold cross-validation (each page scored by a model fitted without its site):")
    documents = label_batch(batch, probabilities, decoding)
    report(pages, ["\n\n".join(doc.body_lines) for doc in documents], prf, per_page)
    return documents


ERROR_KINDS = ("comment_thread", "subscribe_box", "teaser_or_list", "legal_footer", "other_kept",
               "short_body_dropped", "long_body_dropped")


def error_kinds(batch: AnalysedBatch, labels: list[str], targets: np.ndarray) -> dict[str, float]:
    """Tokens of wrongly kept and wrongly dropped lines by kind, as % of all gold-body tokens."""
    from pressline.linefeatures import feature_names

    names = feature_names()
    cue = {name: batch.features[:, names.index(name)] > 0 for name in
           ("comment_words", "relative_time", "subscribe_words", "legal_words", "headline", "bullet")}
    tokens = np.array([len(text.split()) for text in batch.lines.texts], np.float64)
    kept = np.array([reason == "body" for reason in labels])
    gold = targets == 1
    wrong_kept, dropped = kept & ~gold, ~kept & gold
    kinds = {
        "comment_thread": wrong_kept & (cue["comment_words"] | cue["relative_time"]),
        "subscribe_box": wrong_kept & cue["subscribe_words"],
        "teaser_or_list": wrong_kept & (cue["headline"] | cue["bullet"]),
        "legal_footer": wrong_kept & cue["legal_words"],
    }
    kinds["other_kept"] = wrong_kept & ~np.logical_or.reduce(list(kinds.values()))
    kinds["short_body_dropped"] = dropped & (tokens <= 8)
    kinds["long_body_dropped"] = dropped & (tokens > 8)
    total = max(tokens[gold].sum(), 1.0)
    return {kind: 100.0 * tokens[mask].sum() / total for kind, mask in kinds.items()}


def report_error_kinds(batch: AnalysedBatch, documents, targets: np.ndarray) -> None:
    """The kinds of error the issue names, for the rule layer alone and for the final labels."""
    rules = error_kinds(batch, batch.rule_reasons, targets)
    final = error_kinds(batch, [reason for doc in documents for reason in doc.reasons], targets)
    print("error kinds (tokens, % of gold-body tokens; a line may fall in several kinds):")
    print(f"{'kind':<20} {'rules':>7} {'final':>7}")
    for kind in ERROR_KINDS:
        print(f"{kind:<20} {rules[kind]:>7.2f} {final[kind]:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seeds", action="store_true", help="score the five seeds instead of the dev corpus")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--cv", action="store_true", help="score by site-grouped 5-fold cross-validation")
    mode.add_argument("--retrain", action="store_true", help="cross-validate, then retrain the shipped model")
    parser.add_argument("--per-page", type=Path, help="write per-page scores as JSONL")
    args = parser.parse_args()
    prf = load_scorer(args.corpus)
    if args.cv or args.retrain:
        import train_cleaner

        cv = train_cleaner.cross_validate(args.corpus)
        model = train_cleaner.choose(cv, train_cleaner.fit_final(cv), prf)
        if args.retrain:
            train_cleaner.save(model, train_cleaner.DEFAULT_OUT)
        documents = report_cross_validated(cv.data.pages, cv.data.batch, cv.probabilities, cv.decoding, prf,
                                           args.per_page)
        report_error_kinds(cv.data.batch, documents, cv.data.targets[:cv.data.scored_lines])
    pages = seed_pages(args.corpus) if args.seeds else dev_pages(args.corpus)
    bodies, seconds = clean_pages(pages)
    if not (args.cv or args.retrain):
        if not args.seeds:
            print("shipped model on the pages it was fitted on (speed run; --cv for quality figures):")
        report(pages, bodies, prf, args.per_page)
    print(f"speed: {len(pages) / seconds:.0f} docs/s on one core ({seconds:.2f} s for {len(pages)} pages)")


if __name__ == "__main__":
    main()
