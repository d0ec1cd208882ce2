"""Deterministic made-up crawl dumps for the throughput benchmark, one sub-folder per publisher.

Why: throughput must be measured on hundreds of thousands of pages, far more than the seeds
and the dev corpus hold, and two runs must read the same bytes to be comparable. Each dump
takes the page chrome (the lines above and below the article: menus, share rows, footers)
of one template page verbatim, as a crawl of one site repeats it, and a new title and body
whose words are drawn from that template's own article text, so each dump is unique (no
near-copies for dedup to cluster) while line lengths, vocabulary and chrome stay those of
real pages. Templates are the five seed styles (`tests/synthetic.py`) and, when present,
the dev corpus (`<corpus>/dev/raw`, its gold telling article lines from chrome).

    python benchmarks/generate.py --docs 10000 [--seed 0] [--corpus ../shared/corpus] [--cache DIR]

Dump sizes follow a log-normal law (median 4.2 KB, mean about 5 KB, clipped to 2-30 KB), so
100,000 dumps are about 500 MB. Dump i depends only on (seed, i, templates): the first k dumps
are the same whatever N is and however many processes write them. The result is cached by
(N, seed, template sources); a finished folder holds `.complete.json` and is reused as is.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.synthetic import STYLES, make_dump  # noqa: E402

# Bump when the output for a given (N, seed) changes, so stale caches are not reused.
GENERATOR_VERSION = 1
DEFAULT_CACHE = ROOT / "benchmarks" / ".cache"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
MARKER = ".complete.json"
MIN_BYTES, MAX_BYTES = 2 * 1024, 30 * 1024
MEDIAN_BYTES, SIZE_SIGMA = 4200, 0.6
SYNTHETIC_PER_STYLE = 40
# Share of dumps in the seed styles when the dev corpus is there too (its 801 pages take the rest).
SEED_STYLE_SHARE = 0.3
# Chrome kept from a template, as shares of the dump's size: a 100 KB page's menus do not fit in 5 KB.
HEAD_SHARE, TAIL_SHARE = 0.35, 0.25
_SPACES = re.compile(r"\s+")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Template:
    """One page's chrome and article vocabulary; `publisher` names its sub-folder."""

    publisher: str
    head: tuple[str, ...]
    tail: tuple[str, ...]
    title_line: int | None          # index in `head` of the title, replaced in every dump
    words: tuple[str, ...]          # article words with repetition, so frequencies carry over
    paragraph_words: tuple[int, ...]
    paragraph_gap: str              # "\n\n" or "\n", as the template separates its paragraphs


def _slug(value: str) -> str:
    return _SLUG.sub("-", value.lower()).strip("-")[:48] or "unknown"


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def template_from_page(text: str, body_lines: Sequence[str] | str, title: str | None,
                      publisher: str) -> Template | None:
    """Split a page at its first and last article line; `body_lines` is the gold body (lines, or one text)."""
    lines = text.split("\n")
    body = _normalise(body_lines if isinstance(body_lines, str) else " ".join(body_lines))
    is_body = [len(norm) >= 40 and norm in body for norm in map(_normalise, lines)]
    if not any(is_body):
        return None
    first, last = is_body.index(True), len(lines) - 1 - is_body[::-1].index(True)
    article = [line for line, flag in zip(lines[first:last + 1], is_body[first:last + 1]) if flag]
    words = tuple(word for line in article for word in line.split())
    head = tuple(lines[:first])
    title_norm = _normalise(title or "")
    title_line = next((i for i, line in enumerate(head) if title_norm and _normalise(line) == title_norm), None)
    gap = "\n\n" if first + 1 < len(lines) and not lines[first + 1].strip() else "\n"
    return Template(publisher, head, tuple(lines[last + 1:]), title_line, words,
                    tuple(len(line.split()) for line in article), gap)


def seed_style_templates(seed: int) -> list[Template]:
    """Pages in the five seed styles, made by the tests' generator (their gold marks the article lines)."""
    rng = random.Random(f"pressline-bench-templates:{seed}")
    templates = []
    for style in STYLES:
        for _ in range(SYNTHETIC_PER_STYLE):
            text, gold = make_dump(style, random.Random(rng.getrandbits(64)))
            template = template_from_page(text, gold["body_lines"], gold["title"], _slug(gold["publisher"] or style))
            if template is not None:
                templates.append(template)
    return templates


def dev_templates(corpus: Path) -> list[Template]:
    """The dev corpus pages (none when it is absent): publisher from the url host, site name or page name."""
    gold_path = corpus / "dev" / "gold.jsonl"
    if not gold_path.is_file():
        return []
    templates = []
    with gold_path.open(encoding="utf-8") as rows:  # not splitlines(): bodies hold U+2028
        gold = [json.loads(line) for line in rows]
    for row in gold:
        text = (corpus / "dev" / row["file"]).read_text(encoding="utf-8")
        template = template_from_page(text, row["body"], row["title"], _dev_publisher(row))
        if template is not None:
            templates.append(template)
    return templates


def _dev_publisher(row: dict) -> str:
    if row.get("url"):
        return _slug(urlsplit(row["url"]).hostname.removeprefix("www."))
    if row.get("site_name"):
        return _slug(row["site_name"])
    return _slug(re.sub(r"-\d+$", "", row["id"].removeprefix("rdb-")))


def _keep_within(lines: Sequence[str], budget: int, from_end: bool) -> list[str]:
    """The lines nearest the page's edge (top of the head, bottom of the tail) that fit in `budget` bytes."""
    kept, used = [], 0
    for line in (reversed(lines) if from_end else lines):
        used += len(line.encode("utf-8")) + 1
        if used > budget:
            break
        kept.append(line)
    return kept[::-1] if from_end else kept


def _sentences(rng: random.Random, words: Sequence[str], count: int) -> str:
    picked = rng.choices(words, k=max(count, 3))
    out, start = [], 0
    while start < len(picked):
        end = start + rng.randint(8, 28)
        sentence = " ".join(picked[start:end]).rstrip(".,;:")
        out.append(sentence[:1].upper() + sentence[1:] + ".")
        start = end
    return " ".join(out)


def make_page(index: int, seed: int, seed_styles: Sequence[Template], dev: Sequence[Template]) -> tuple[str, str]:
    """(publisher, text) of dump `index`."""
    rng = random.Random(f"pressline-bench:{seed}:{index}")
    pool = dev if dev and rng.random() >= SEED_STYLE_SHARE else seed_styles
    template = pool[rng.randrange(len(pool))]
    size = int(min(MAX_BYTES, max(MIN_BYTES, rng.lognormvariate(math.log(MEDIAN_BYTES), SIZE_SIGMA))))
    head = _keep_within(template.head, int(size * HEAD_SHARE), from_end=False)
    if template.title_line is not None and template.title_line < len(head):
        head[template.title_line] = _sentences(rng, template.words, rng.randint(5, 12)).rstrip(".").title()
    tail = _keep_within(template.tail, int(size * TAIL_SHARE), from_end=True)
    chrome = sum(len(line.encode("utf-8")) + 1 for line in head + tail)  # each line and its "\n"
    gap = template.paragraph_gap
    paragraphs, length = [], -len(gap)
    while length < size - chrome:
        paragraphs.append(_sentences(rng, template.words, rng.choice(template.paragraph_words)))
        length += len(gap) + len(paragraphs[-1].encode("utf-8"))
    body = gap.join(paragraphs).encode("utf-8")
    if chrome + len(body) > MAX_BYTES:  # end the last paragraph early, at a word, rather than overshoot the cap
        body = body[:body.rfind(b" ", 0, MAX_BYTES - chrome)]
    return template.publisher, "\n".join([*head, body.decode("utf-8", "ignore"), *tail])


# Set in the parent before the pool forks, so workers share the templates without pickling them.
_TEMPLATES: tuple[Sequence[Template], Sequence[Template]] = ((), ())


def _write_range(args: tuple[Path, int, int, int]) -> int:
    target, seed, start, stop = args
    written = 0
    for index in range(start, stop):
        publisher, text = make_page(index, seed, *_TEMPLATES)
        folder = target / publisher
        folder.mkdir(exist_ok=True)
        data = text.encode("utf-8")
        (folder / f"{index:07d}.txt").write_bytes(data)
        written += len(data)
    return written


def generate(docs: int, seed: int = 0, corpus: Path = DEFAULT_CORPUS, cache: Path = DEFAULT_CACHE,
             processes: int | None = None) -> Path:
    """The folder of `docs` dumps for `seed`, written once (all cores) and reused while its marker matches."""
    global _TEMPLATES
    seed_styles, dev = seed_style_templates(seed), dev_templates(corpus)
    sources = "seeds+dev" if dev else "seeds"
    target = cache / f"n{docs}-seed{seed}-{sources}-v{GENERATOR_VERSION}"
    if (target / MARKER).is_file():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _TEMPLATES = (seed_styles, dev)
    step = 2000
    chunks = [(partial, seed, start, min(start + step, docs)) for start in range(0, docs, step)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes or os.cpu_count()) as pool:
        total = sum(pool.imap_unordered(_write_range, chunks))
    marker = {"docs": docs, "seed": seed, "sources": sources, "generator_version": GENERATOR_VERSION,
              "templates": len(seed_styles) + len(dev), "bytes": total,
              "seconds": round(time.perf_counter() - started, 1)}
    (partial / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="holds dev/ (optional)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    target = generate(args.docs, args.seed, args.corpus, args.cache)
    print(target)
    print((target / MARKER).read_text(encoding="utf-8"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
