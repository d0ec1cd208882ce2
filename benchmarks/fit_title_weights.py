"""Fit the title weights and `min_score` of `fields.toml` `[title]`, scored by site-grouped CV.

Usage: python benchmarks/fit_title_weights.py [--corpus ../shared/corpus] [--strength 0.3]

Data: the dev pages whose gold title is in the dump (719), and 200 made-up dumps of
`tests/synthetic.py` (seeds 4-7, never the seeds 0-3 the tests check) whose expected record says
which line is the headline, or that the page has none (its wire style).

Method: a line's title score is linear in the weights, so each weight's feature is the line's
score under that weight alone. Each page's candidates are the header lines `title_line` weighs,
then either the page <title> without its site name (feature `page_title_alone`) or, when there
is none, "no title" (feature `min_score`: a line must beat it). The fit is a conditional logit
over them: it maximises the chance of the right candidate, with an L2 pull of `--strength`
towards the hand-set `[title.prior]` (weights the data says little about, such as a rare credit
line's, stay where the reasons put them). The right candidate is a line, not a text: a line
with the gold title above the main text (a copy below the text, a repeated title, is wrong even
with the right words: the date and the byline are read next to the line taken), else any line
with it; on a made-up page without a headline it is "no title", which is what fits `min_score`
(every dev page has a headline).

CV: dev pages split into 5 folds by site (`site_fold`); each fold is scored
(title text, as `tools/score_fields.py` compares it) with the values fitted on the other four
and all the made-up dumps. Printed: the shipped values' dev accuracy and right-line share on
the made-up dumps, the CV figure, and the values fitted on all pages, rounded to one decimal as
`fields.toml` holds them. Deterministic: L-BFGS from the prior, no sampling. Needs scipy (in the
dev group, with scikit-learn).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from fields import clean_as_a_run  # noqa: E402
from pressline import rules as rules_data  # noqa: E402
from pressline.clean import CleanedDocument, clean  # noqa: E402
from pressline.extract import TitleRules, _title_score, main_text_start, title_header, title_rules  # noqa: E402
from synthetic import iter_dumps  # noqa: E402

# Made-up dumps in every training fold: other seeds than the tests' 0-3, so those stay a check.
SYNTHETIC_SEEDS = range(4, 8)
SYNTHETIC_DUMPS = 50
STRENGTH = 0.3
FOLDS = 5
ALONE = "page_title_alone"
MIN_SCORE = "min_score"


@dataclasses.dataclass
class Page:
    features: np.ndarray  # one row per candidate (the special one, <title> or "no title", first), one column per value
    right: np.ndarray     # the candidates the fit is to pick (see the module doc)
    same_text: np.ndarray  # the candidates whose text is the gold title: what dev accuracy counts
    alone: bool           # the special candidate is the page <title>, not "no title"
    fold: int             # site fold of a dev page; -1 for a made-up dump (always trained on)


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def site_fold(gold: dict) -> int:
    """The dev page's fold: by its host, so no site is in a fold and in its training set. Readability
    fixtures have no URL: their name without the number stands for the site."""
    site = (urlparse(gold["url"]).hostname or "").removeprefix("www.") if gold.get("url") else re.sub(r"-\d+$", "", gold["id"])
    return int(hashlib.sha256(site.encode()).hexdigest(), 16) % FOLDS


def page(cleaned: CleanedDocument, rules: TitleRules, names: list[str], gold: str | None, fold: int) -> Page:
    """The candidates of `title_line` on one page as feature rows, and which of them are right."""
    labels = cleaned.labels
    start = main_text_start(labels, cleaned.words)
    header = title_header(cleaned, rules, start, labels)
    page_title = header.without_site_name(labels[0].text) if labels else ""
    alone = bool(labels) and page_title != labels[0].text
    rows = [[float(name == (ALONE if alone else MIN_SCORE)) for name in names]]
    texts, above_text = [page_title if alone else None], [True]
    unit = {name: dataclasses.replace(rules, weights=dict.fromkeys(rules.weights, 0.0) | {name: 1.0})
            for name in rules.weights}
    for i in range(header.low, header.high):
        if _title_score(header, i, unit[ALONE]) is not None:
            rows.append([0.0 if name in (ALONE, MIN_SCORE) else _title_score(header, i, unit[name]) for name in names])
            texts.append(header.title_text(i))
            above_text.append(i < start)
    same_text = np.array([(text is None) if gold is None else (text is not None and _norm(text) == _norm(gold))
                          for text in texts])
    in_header = same_text & np.array(above_text)
    return Page(np.array(rows), in_header if in_header.any() else same_text, same_text, alone, fold)


def load(corpus: Path, rules: TitleRules, names: list[str]) -> list[Page]:
    """The dev pages with their gold title in the dump, then the made-up dumps."""
    rows = [json.loads(line) for line in (corpus / "dev" / "gold.jsonl").open(encoding="utf-8")]
    texts = [(corpus / "dev" / gold["file"]).read_text(encoding="utf-8") for gold in rows]
    pages = []
    for gold, text, cleaned in zip(rows, texts, clean_as_a_run(texts)):
        if gold.get("title") and gold["title"] in text:
            pages.append(page(cleaned, rules, names, gold["title"], site_fold(gold)))
    for seed in SYNTHETIC_SEEDS:
        for _name, text, expected in iter_dumps(SYNTHETIC_DUMPS, seed=seed):
            pages.append(page(clean(text), rules, names, expected["title"], -1))
    return pages


def picks(values: np.ndarray, pages: list[Page], min_score: int) -> list[int]:
    """The candidate `title_line` takes on each page: the first line scoring above both
    `min_score` and the page <title>, else the special candidate."""
    chosen = []
    for item in pages:
        scores = item.features @ values
        bar = max(scores[0], values[min_score]) if item.alone else values[min_score]
        best = int(np.argmax(scores[1:])) + 1 if len(scores) > 1 else 0
        chosen.append(best if scores[best] > bar else 0)
    return chosen


def accuracy(values: np.ndarray, pages: list[Page], min_score: int, by_line: bool = False) -> float:
    """Share of `pages` where `title_line` gets the gold title (`by_line`: the right line)."""
    chosen = picks(values, pages, min_score)
    return sum(bool((item.right if by_line else item.same_text)[pick]) for item, pick in zip(pages, chosen)) \
        / max(len(pages), 1)


def fit(pages: list[Page], prior: np.ndarray, strength: float) -> np.ndarray:
    """Values maximising the log chance of the right candidates, pulled towards `prior`."""
    data = [(item.features, item.right) for item in pages if item.right.any()]

    def loss(values: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = strength * np.sum((values - prior) ** 2), 2 * strength * (values - prior)
        for features, right in data:
            scores = features @ values
            chance = np.exp(scores - scores.max())
            chance /= chance.sum()
            wanted = chance * right
            total -= np.log(wanted.sum())
            gradient -= features.T @ (wanted / wanted.sum() - chance)
        return total, gradient

    return minimize(loss, prior.copy(), jac=True, method="L-BFGS-B").x


@dataclasses.dataclass
class Report:
    shipped: float            # dev title accuracy of the values in `fields.toml`
    shipped_made_up: float    # right-line share of those values on the made-up dumps
    cross_validated: float    # dev title accuracy, each site fold scored with values fitted without it
    fitted: dict[str, float]  # values fitted on all pages, rounded as `fields.toml` holds them


@dataclasses.dataclass
class Problem:
    names: list[str]      # the weights' names, then `min_score`
    prior: np.ndarray     # `[title.prior]`, in that order
    shipped: np.ndarray   # the values in `fields.toml`, in that order
    pages: list[Page]

    def fitted(self, strength: float = STRENGTH) -> dict[str, float]:
        """The values fitted on all pages, rounded as `fields.toml` holds them."""
        return {name: float(value) for name, value in zip(self.names, np.round(fit(self.pages, self.prior, strength), 1))}


def problem(corpus: Path) -> Problem:
    rules = title_rules()
    names = [*rules.weights, MIN_SCORE]
    prior_table = rules_data.load("fields")["title"]["prior"]
    return Problem(names, np.array([float(prior_table[name]) for name in names]),
                   np.array([*rules.weights.values(), rules.min_score]), load(corpus, rules, names))


def run(corpus: Path, strength: float = STRENGTH) -> Report:
    """Load the pages, score the shipped values, cross-validate the fit and fit on all pages."""
    setup = problem(corpus)
    names, prior, shipped, pages = setup.names, setup.prior, setup.shipped, setup.pages
    dev = [item for item in pages if item.fold >= 0]
    made_up = [item for item in pages if item.fold < 0]
    min_score = names.index(MIN_SCORE)
    hits = 0.0
    for fold in range(FOLDS):
        held_out = [item for item in dev if item.fold == fold]
        values = fit([item for item in pages if item.fold != fold], prior, strength)
        hits += accuracy(values, held_out, min_score) * len(held_out)
    return Report(accuracy(shipped, dev, min_score), accuracy(shipped, made_up, min_score, by_line=True),
                  hits / len(dev), setup.fitted(strength))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus", help="holds dev/ and tools/")
    parser.add_argument("--strength", type=float, default=STRENGTH, help="L2 pull towards [title.prior]")
    args = parser.parse_args()
    report = run(args.corpus, args.strength)
    print(f"shipped: dev title {report.shipped:.3f}, made-up dumps right line {report.shipped_made_up:.3f}")
    print(f"site-grouped {FOLDS}-fold CV of the fit: dev title {report.cross_validated:.3f}")
    print("fitted on all pages:")
    for name, value in report.fitted.items():
        print(f"  {name} = {value}")


if __name__ == "__main__":
    main()
