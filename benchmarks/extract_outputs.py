"""Every field the extractor outputs, dumped at one commit and compared at another, and its CPU time:
speed work on `pressline/extract.py` must leave the fields identical.

Usage: python benchmarks/extract_outputs.py dump before.pkl [--docs 2000]     (at the commit to compare against)
       python benchmarks/extract_outputs.py compare before.pkl [--docs 2000]  (exit status 1 on any difference)
       python benchmarks/extract_outputs.py time [--docs 1500] [--set generated|dev]

Covers every `Fields` attribute of the dev pages, the seeds and the first `--docs` generated dumps
(`ingest.discover` order), each set cleaned as a run over it cleans it (with its line census), and
of 200 made-up dumps of `tests/synthetic.py`. `time` prints the CPU seconds (`time.process_time`)
of one pass of `extract` over a set, in a fresh process, after the models are loaded: run it
interleaved at two commits (a copy of this file in each checkout) and take the best of several.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pressline.clean import CleanedDocument, census_of, clean_many  # noqa: E402
from pressline.extract import Fields, extract  # noqa: E402
from pressline.ingest import Document, discover, read_source  # noqa: E402
from tests.synthetic import iter_dumps  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_DUMPS = ROOT / "benchmarks" / ".cache" / "n10000-seed0-seeds+dev-v1"


def _corpus_texts(corpus: Path, folder: str) -> list[str]:
    with open(corpus / folder / "gold.jsonl", encoding="utf-8") as handle:
        return [(corpus / folder / json.loads(line)["file"]).read_text(encoding="utf-8") for line in handle]


def generated_texts(dumps: Path, count: int) -> list[str]:
    """The first `count` generated dumps, read as a run reads them."""
    read = (read_source(source, datetime.now(timezone.utc)) for source in discover(dumps)[:count])
    return [document.text for document in read if isinstance(document, Document)]


def texts(name: str, docs: int, corpus: Path = DEFAULT_CORPUS, dumps: Path = DEFAULT_DUMPS) -> list[str]:
    if name == "generated":
        return generated_texts(dumps, docs)
    if name == "made_up":
        return [text for _, text, _ in iter_dumps(200, 0)]
    return _corpus_texts(corpus, name)


def cleaned_as_a_run(pages: list[str]) -> list[CleanedDocument]:
    return clean_many(pages, census=census_of(pages))


def _row(fields: Fields) -> tuple:
    return dataclasses.astuple(fields)


def outputs(docs: int) -> dict[str, list[tuple]]:
    return {name: [_row(extract(page)) for page in cleaned_as_a_run(texts(name, docs))]
            for name in ("dev", "seeds", "made_up", "generated")}


def cpu_seconds(name: str, docs: int) -> tuple[float, int]:
    """CPU seconds of one `extract` pass over the set's cleaned pages, and how many there were."""
    pages = cleaned_as_a_run(texts(name, docs))
    extract(pages[0])  # the rules and the language model loaded, not timed
    begun = time.process_time()
    for page in pages:
        extract(page)
    return time.process_time() - begun, len(pages)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("dump", "compare", "time"))
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--set", default="generated", choices=("generated", "dev", "seeds", "made_up"))
    args = parser.parse_args()
    if args.mode == "time":
        seconds, count = cpu_seconds(args.set, args.docs)
        print(json.dumps({"set": args.set, "docs": count, "cpu_s": round(seconds, 4),
                          "ms_per_doc": round(1000 * seconds / count, 4)}))
        return 0
    now = outputs(args.docs)
    if args.mode == "dump":
        args.path.write_bytes(pickle.dumps(now))
        return 0
    before = pickle.loads(args.path.read_bytes())
    differing = 0
    for name, rows in before.items():
        for index, (old, new) in enumerate(zip(rows, now[name])):
            if old != new:
                differing += 1
                changed = [f.name for f, a, b in zip(dataclasses.fields(Fields), old, new) if a != b]
                print(f"{name}[{index}]: {', '.join(changed)}")
        if len(rows) != len(now[name]):
            differing += 1
            print(f"{name}: {len(rows)} documents before, {len(now[name])} now")
    print(f"differ: {differing} documents" if differing else "identical")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
