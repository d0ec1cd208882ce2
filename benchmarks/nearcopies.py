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


# Words a headline leaves out of the sentence it is cut from.
HEADLINE_DROPS = frozenset("a an the of is are was were has have had been be to that which who its their "
                           "recently also".split())
# How a re-publishing site rephrases a headline around its words.
HEADLINE_FRAMES = ("{words}", "{words}, report says", "Update: {words}", "{words} (video)", "Explainer: {words}")


def reworded_headline(paragraphs: list[str], rng: random.Random) -> list[str]:
    """The copy's body opens with its own, reworded headline: a site whose title line the cleaner
    keeps as the body's first line. The headline is cut from the lede's first words (function
    words dropped) and framed the way re-publishers rephrase one."""
    lede = paragraphs[0].split() if paragraphs else []
    words = [word.strip(",.;:\"'()[]") for word in lede[:rng.randint(8, 14)]]
    words = [word for word in words if word and word.lower() not in HEADLINE_DROPS]
    headline = rng.choice(HEADLINE_FRAMES).format(words=" ".join(words[:8])).strip(" ,:")
    return ([headline[:1].upper() + headline[1:]] if headline else []) + list(paragraphs)


VARIANTS = {"changed_footer": changed_footer, "trimmed_paragraph": trimmed_paragraph,
            "reworded_headline": reworded_headline}
