"""Made-up near-copies of article bodies, shared by the dedup benchmark and its tests.

Each variant says what a syndicating or re-crawling site typically changes.
"""
from __future__ import annotations

import random

SIGN_OFFS = (
    "This story was first published by our partner newspaper and is republished with permission.",
    "Reporting contributed by the regional desk; edited for length and clarity.",
    "Follow our live coverage for the latest updates on this developing story.",
)


def changed_footer(paragraphs: list[str], rng: random.Random) -> list[str]:
    """The syndicated copy swaps the closing line."""
    return paragraphs[:-1] + [rng.choice(SIGN_OFFS)]


def trimmed_paragraph(paragraphs: list[str], rng: random.Random) -> list[str]:
    """One inner paragraph cut for length."""
    if len(paragraphs) < 6:
        return list(paragraphs)
    cut = rng.randrange(1, len(paragraphs) - 1)
    return paragraphs[:cut] + paragraphs[cut + 1:]


def reworded_headline(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Only the headline changes, and it is not part of the body."""
    return list(paragraphs)


VARIANTS = {"changed_footer": changed_footer, "trimmed_paragraph": trimmed_paragraph,
            "reworded_headline": reworded_headline}
