"""The dev pages whose author set misses the gold, with what is needed to sort them by kind.

Usage: python benchmarks/author_misses.py [--corpus ../shared/corpus] [--judged] [--json]

For each miss: page id, the raw gold string (and the judged one, when `author_gold_notes.json`
has the page), the names extracted, the lines around the title, and where the gold's first name
first stands in the dump relative to the title (a byline far below it is an author box or a
footer credit; none means the dump does not carry it). Scoring is `fields.py`'s, not a copy.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from fields import AUTHOR_NOTES, ROOT, _names, clean_as_a_run

from pressline.extract import extract, title_line

AROUND = (3, 6)  # lines shown above and below the title


def misses(corpus: Path, judged: bool) -> list[dict]:
    """One record per page with a gold byline whose name set differs from the extracted one."""
    notes = json.loads(AUTHOR_NOTES.read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (corpus / "dev" / "gold.jsonl").open(encoding="utf-8")]
    rows = [row for row in rows if row.get("authors")]
    cleaned = clean_as_a_run([(corpus / "dev" / row["file"]).read_text(encoding="utf-8") for row in rows])
    found = []
    for row, page in zip(rows, cleaned):
        gold = row["authors"][0]
        note = notes.get(row["id"])
        expected = _names(", ".join(note["authors"])) if judged and note else _names(gold)
        ours = extract(page).authors
        if _names(", ".join(ours)) == expected:
            continue
        labels = page.labels
        title, _ = title_line(page)
        centre = title if title is not None else 0
        first = sorted(expected)[0] if expected else ""
        where = next((i for i, label in enumerate(labels) if first and first in label.text.lower()), None)
        found.append({
            "id": row["id"], "gold": gold, "judged": note["authors"] if note else None, "ours": ours,
            "title_index": title, "gold_line": where,
            "gold_offset": None if where is None else where - centre,
            "gold_text": labels[where].text[:160] if where is not None else None,
            "gold_reason": labels[where].reason if where is not None else None,
            "around": [f"{i - centre:+d} {labels[i].reason:<12} {labels[i].text[:120]}"
                       for i in range(max(0, centre - AROUND[0]), min(len(labels), centre + AROUND[1]))],
        })
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--judged", action="store_true", help="compare with the gold as judged")
    parser.add_argument("--json", action="store_true", help="one JSON object per miss")
    args = parser.parse_args()
    for miss in misses(args.corpus, args.judged):
        if args.json:
            print(json.dumps(miss, ensure_ascii=False))
            continue
        print(f"== {miss['id']}  gold={miss['gold']!r}  judged={miss['judged']}  ours={miss['ours']}")
        print(f"   gold line {miss['gold_line']} ({miss['gold_offset']} from title, {miss['gold_reason']}): "
              f"{miss['gold_text']!r}")
        for line in miss["around"]:
            print("   " + line)


if __name__ == "__main__":
    main()
