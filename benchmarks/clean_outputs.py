"""Everything the cleaner outputs, dumped at one commit and compared at another: speed work must
leave it bit-identical.

Usage: python benchmarks/clean_outputs.py dump before.pkl [corpus]     (at the commit to compare against)
       python benchmarks/clean_outputs.py compare before.pkl [corpus]  (exit status 1 on any difference)

Covers every line's label, reason, word count and line rule of the dev pages (cleaned as the flow
does, with the run's census, and as one batch), the seeds and 200 made-up dumps of
`tests/synthetic.py` (each alone and as a batch), random and truncated hostile texts, the feature
matrix and the model's probabilities of the dev pages, the features of the other texts, and the
census digest.
"""
from __future__ import annotations

import json
import pickle
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pressline.clean import CleanedDocument, analyse_batch, census_of, clean, clean_many  # noqa: E402
from pressline.linemodel import default_model  # noqa: E402
from tests.synthetic import iter_dumps  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
BATCH_SIZE = 100
# Characters the hostile texts are drawn from: separators, white space of several kinds, marks,
# CJK, digits, link pieces and runs of blank lines.
HOSTILE_CHARS = "ab cD.,!?:;|•*-–—()[]\"'\t\u00a0\u3000é日本語\n\n\n0123456789https://x.y/ @#>"


def _texts(corpus: Path, folder: str) -> list[str]:
    with open(corpus / folder / "gold.jsonl", encoding="utf-8") as handle:
        return [(corpus / folder / json.loads(line)["file"]).read_text(encoding="utf-8") for line in handle]


def _hostile(dev: list[str]) -> list[str]:
    rng = random.Random(7)
    made = ["".join(rng.choice(HOSTILE_CHARS) for _ in range(rng.randint(0, 3000))) for _ in range(200)]
    return made + [text[:rng.randint(0, len(text))] for text in dev[:100]]


def _columns(documents: list[CleanedDocument]) -> list[tuple]:
    return [(doc.line_numbers, doc.texts, doc.reasons, doc.words, doc.line_rules) for doc in documents]


def outputs(corpus: Path) -> dict[str, object]:
    dev, seeds = _texts(corpus, "dev"), _texts(corpus, "seeds")
    made_up = [text for seed in (0, 1) for _, text, _ in iter_dumps(100, seed)]
    hostile = _hostile(dev)
    census = census_of(dev)
    batch = analyse_batch(dev)
    return {
        "dev_flow": _columns([doc for first in range(0, len(dev), BATCH_SIZE)
                              for doc in clean_many(dev[first:first + BATCH_SIZE], census=census)]),
        "dev_one_batch": _columns(clean_many(dev)),
        "seeds_alone": _columns([clean(text) for text in seeds]),
        "seeds_batch": _columns(clean_many(seeds)),
        "made_up_alone": _columns([clean(text) for text in made_up]),
        "made_up_batch": _columns(clean_many(made_up)),
        "hostile_batch": _columns(clean_many(hostile)),
        "hostile_alone": _columns([clean(text) for text in hostile[:60]]),
        "features": (batch.features.tobytes(), batch.features.shape),
        "probabilities": default_model().probabilities(batch.features, batch.offsets).tobytes(),
        "rule_reasons": batch.rule_reasons,
        "census": census.digest(),
        "other_features": analyse_batch(hostile + made_up).features.tobytes(),
    }


def main() -> int:
    mode, path = sys.argv[1], Path(sys.argv[2])
    now = outputs(Path(sys.argv[3]) if len(sys.argv) > 3 else DEFAULT_CORPUS)
    if mode == "dump":
        path.write_bytes(pickle.dumps(now))
        return 0
    before = pickle.loads(path.read_bytes())
    differing = [name for name in before if before[name] != now.get(name)]
    print(f"differ: {', '.join(differing)}" if differing else "bit-identical")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
