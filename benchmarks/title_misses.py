"""The dev pages whose title misses the gold, with what is needed to sort them by kind.

Usage: python benchmarks/title_misses.py [--corpus ../shared/corpus] [--json] [--top 5]

Over the pages `tools/score_fields.py` scores (gold title in the dump), for each miss: page id, gold,
ours, the dump's first line, where the gold stands (line, its cleaner label, its place against the
main text's start and the header window `title_line` weighs; None when it is only inside a longer
line), and the best candidates with their scores and the features that gave them (weight times the
feature's value, as `_title_score` adds them). Scoring is `title_line`'s, not a copy.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from fields import ROOT, clean_as_a_run

from pressline.extract import _title_score, main_text_start, title_header, title_line, title_rules


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def misses(corpus: Path, top: int) -> list[dict]:
    """One record per scored dev page whose title differs from the gold."""
    rules = title_rules()
    unit = {name: dataclasses.replace(rules, weights=dict.fromkeys(rules.weights, 0.0) | {name: 1.0})
            for name in rules.weights}
    rows = [json.loads(line) for line in (corpus / "dev" / "gold.jsonl").open(encoding="utf-8")]
    texts = [(corpus / "dev" / row["file"]).read_text(encoding="utf-8") for row in rows]
    found = []
    for row, text, page in zip(rows, texts, clean_as_a_run(texts)):
        gold = row.get("title")
        if not gold or gold not in text:
            continue
        labels = page.labels
        start = main_text_start(labels, page.words)
        index, ours = title_line(page, labels=labels, start=start)
        if _norm(ours) == _norm(gold):
            continue
        header = title_header(page, rules, start, labels)
        candidates = []
        for i in range(header.low, header.high):
            score = _title_score(header, i, rules)
            if score is None:
                continue
            parts = {name: round(value * rules.weights[name], 2) for name in rules.weights
                     if name != "page_title_alone" and (value := _title_score(header, i, unit[name]) or 0.0)}
            candidates.append({"line": i, "score": round(score, 2), "text": labels[i].text[:140],
                               "reason": labels[i].reason, "kept": labels[i].kept,
                               "right": _norm(header.title_text(i)) == _norm(gold), "features": parts})
        candidates.sort(key=lambda item: -item["score"])
        where = next((i for i, label in enumerate(labels) if _norm(label.text) == _norm(gold)), None)
        within = next((i for i, label in enumerate(labels) if _norm(gold) in _norm(label.text)), None)
        gold_candidate = next((item for item in candidates if item["right"]), None)
        found.append({
            "id": row["id"], "gold": gold, "ours": ours, "ours_line": index, "start": start,
            "window": [header.low, header.high], "first_line": labels[0].text[:160] if labels else None,
            "gold_line": where, "gold_reason": labels[where].reason if where is not None else None,
            "gold_kept": labels[where].kept if where is not None else None,
            "gold_inside_line": None if where is not None or within is None else labels[within].text[:200],
            "gold_candidate": gold_candidate,
            "best": candidates[:top],
        })
    return found


def _show(miss: dict) -> None:
    """One miss as text: the gold and where it stands, ours, then the best candidates ('*': the gold's)."""
    print(f"== {miss['id']}  start {miss['start']} window {miss['window']}")
    print(f"  gold: {miss['gold']!r}  (line {miss['gold_line']}, {miss['gold_reason']}, kept {miss['gold_kept']})")
    if miss["gold_inside_line"]:
        print(f"  gold inside: {miss['gold_inside_line']!r}")
    print(f"  ours: {miss['ours']!r}  (line {miss['ours_line']})\n  first line: {miss['first_line']!r}")
    extra = miss["gold_candidate"]
    for item in miss["best"] + ([extra] if extra and extra not in miss["best"] else []):
        print(f"  {'*' if item['right'] else ' '}{item['score']:6.2f} [{item['line']}] {item['reason']:<10} {item['text']!r}")
        print(f"           {item['features']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--json", action="store_true", help="one JSON object per miss")
    parser.add_argument("--top", type=int, default=5, help="candidates shown per miss")
    args = parser.parse_args()
    for miss in misses(args.corpus, args.top):
        print(json.dumps(miss, ensure_ascii=False)) if args.json else _show(miss)


if __name__ == "__main__":
    main()
