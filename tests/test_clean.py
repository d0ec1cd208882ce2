"""The cleaner: exact on the seeds, sensible on single rules, total on any text."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressline.clean import BODY, SUBTITLE, TITLE, clean, default_rules, is_headline_like, is_prose, match_rule, word_count
from tests.conftest import load_seed_gold, seed_text
from tests.synthetic import iter_dumps

STRUCTURAL_REASONS = {BODY, TITLE, SUBTITLE, "repeated_title", "related_links", "navigation", "other"}


@pytest.mark.parametrize("gold", load_seed_gold(), ids=lambda gold: gold["file"])
def test_seed_body_lines_match_gold_exactly(gold: dict) -> None:
    assert clean(seed_text(gold)).body_lines == gold["body_lines"]


@pytest.mark.parametrize("gold", load_seed_gold(), ids=lambda gold: gold["file"])
def test_seed_removed_lines_carry_gold_reasons(gold: dict) -> None:
    removed = [(label.text, label.reason) for label in clean(seed_text(gold)).removed]
    assert removed == [(entry["line"], entry["reason"]) for entry in gold["removed"]]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Home / World / Asia Pacific", "breadcrumb"),
        ("Home > Business > Markets", "breadcrumb"),
        ("By Li Ming and Sarah Jones | China Daily Europe | Updated: 2019-03-01 08:15", "byline"),
        ("By Anna Schmidt(China Daily)", "byline"),
        ("Updated: 2021-11-30 22:05", "dateline"),
        ("Published on March 3, 2018", "dateline"),
        ("2017-06-02 07:41", "dateline"),
        ("Tuesday, 14 May 2019 10:30 GMT", "dateline"),
        ("Print Mail Large Medium\u00a0 Small 分享按钮 12", "share_widget"),
        ("Share on Facebook Share on Twitter", "share_widget"),
        ("Follow us on", "share_widget"),
        ("12.5K", "view_counter"),
        ("356 views", "view_counter"),
        ("(China Daily Asia 03/14/2012 page3)", "print_edition"),
        ("NO. 12 MARCH 21, 2019", "print_edition"),
        ("Contact the writer at", "contact"),
        ("The author is a professor of economics at Peking University.", "author_bio"),
        ("Copyedited by Sarah Miller", "editorial_credit"),
        ("Leave a comment", "comments"),
        ("Partners: Foo | Bar | Baz", "partners"),
        ("Copyright 2003 - 2019. All rights reserved.", "copyright"),
        ("© 2020 Example News Ltd", "copyright"),
        ("License for publishing multimedia online 0108263", "licence"),
        ("Registration Number: 130349", "registration"),
        ("Editor's picks", "editors_picks"),
        ("Related stories", "related_links"),
        ("English 中文 Deutsch Español", "navigation"),
        ("News | Sports | Business | Culture | Opinion", "navigation"),
    ],
)
def test_line_rules(line: str, reason: str) -> None:
    assert match_rule(line, word_count(line), default_rules()) == reason


@pytest.mark.parametrize(
    "line",
    [
        "By 2030, the two countries expect trade between them to double, officials said on Monday.",
        "Share prices in Shanghai rose sharply after the central bank cut interest rates on Friday.",
        "Contacts between the two militaries have been frequent, the ministry said in a statement.",
        "The report, published on Tuesday, says 42 percent of respondents support the plan.",
    ],
)
def test_body_sentences_match_no_rule(line: str) -> None:
    assert match_rule(line, word_count(line), default_rules()) is None


def test_prose_and_headline_shapes() -> None:
    sentence = "Officials from both countries met in Beijing on Monday to discuss the new rules."
    assert is_prose(sentence, word_count(sentence))
    assert not is_headline_like(sentence, word_count(sentence))
    headline = "Trade talks resume amid tariff fears"
    assert is_headline_like(headline, word_count(headline))
    assert not is_prose(headline, word_count(headline))


def test_cjk_text_counts_words() -> None:
    assert word_count("中国和美国加强网络安全合作") == 7


def _article(*lines: str) -> str:
    return "\n".join(lines)


PARAGRAPHS = [
    "Officials from both countries met in the capital on Monday to discuss new rules for online trade.",
    "The talks, which lasted three days, ended with a joint statement on data protection and privacy.",
    "Analysts said the agreement could ease tensions that have built up over the past two years.",
]


def test_title_subtitle_and_footer_of_a_made_up_page() -> None:
    text = _article(
        "Home / Business / Technology",
        "Online trade rules agreed after long talks",
        "By Wang Fang | China Daily | Updated: 2019-04-02 09:30",
        "Negotiators hail 'a fair deal for both sides'",
        *PARAGRAPHS,
        "Online trade rules agreed after long talks",
        "Markets rally as rate fears fade",
        "New rail link opens in the west",
        "Copyright 2019 Example Daily. All rights reserved.",
    )
    reasons = [label.reason for label in clean(text).labels]
    assert reasons == ["breadcrumb", "title", "byline", "subtitle", BODY, BODY, BODY,
                       "repeated_title", "related_links", "related_links", "copyright"]


def test_in_body_subheading_is_kept_between_paragraphs() -> None:
    text = _article(PARAGRAPHS[0], PARAGRAPHS[1], "A NEW START", PARAGRAPHS[2])
    assert clean(text).body_lines == [PARAGRAPHS[0], PARAGRAPHS[1], "A NEW START", PARAGRAPHS[2]]


def test_a_page_without_prose_has_an_empty_body() -> None:
    assert clean(_article("Home / News", "Print Mail", "Copyright 2020 Foo")).body_lines == []


def test_blank_and_whitespace_lines_are_ignored() -> None:
    cleaned = clean("\n\n  \u00a0\n" + PARAGRAPHS[0] + "\n\t\n")
    assert [(label.line_no, label.reason) for label in cleaned.labels] == [(4, BODY)]


known_reasons = st.sampled_from(sorted(default_rules().reasons | STRUCTURAL_REASONS))
page_lines = st.lists(
    st.one_of(st.text(max_size=200), st.sampled_from(PARAGRAPHS + ["By Li Wei", "Home / News", "Print Mail", "8K"])),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(page_lines)
def test_every_non_blank_line_is_labelled_once_in_order(lines: list[str]) -> None:
    text = "\n".join(lines)
    cleaned = clean(text)
    expected = [(number, raw.strip()) for number, raw in enumerate(text.split("\n"), start=1) if raw.strip()]
    assert [(label.line_no, label.text) for label in cleaned.labels] == expected
    allowed = default_rules().reasons | STRUCTURAL_REASONS
    assert all(label.reason in allowed for label in cleaned.labels)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000))
def test_clean_is_total_on_arbitrary_text(text: str) -> None:
    cleaned = clean(text)
    assert len(cleaned.body_lines) + len(cleaned.removed) == len(cleaned.labels)


def test_every_rule_has_a_reason_and_an_explanation() -> None:
    from pressline import rules

    config = rules.load("lines")
    for section in ("rule", "vocabulary", "continuation"):
        for rule in config[section]:
            assert rule["reason"] and rule["why"], rule
    for rule in config["rule"]:
        re.compile(rules.expand(rule["pattern"], config["fragments"]))


@pytest.mark.parametrize("seed", range(4))
def test_made_up_dumps_in_the_seed_styles_are_cleaned_like_gold(seed: int) -> None:
    for name, text, expected in iter_dumps(50, seed=seed):
        cleaned = clean(text)
        assert cleaned.body_lines == expected["body_lines"], name
        assert [(label.text, label.reason) for label in cleaned.removed] == [
            (entry["line"], entry["reason"]) for entry in expected["removed"]], name
