"""The cleaner: exact on the seeds, sensible on single rules, total on any text."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressline.clean import (BODY, MODEL_REASONS, SUBTITLE, TITLE, census_of, census_part, clean, clean_many,
                             default_rules, is_headline_like, is_prose, match_rule, word_count)
from pressline.linefeatures import LineCensus
from pressline.linetable import key_hashes
from pressline.linemodel import MODEL_FILE, default_model
from tests.conftest import load_seed_gold, seed_text
from tests.synthetic import iter_dumps

STRUCTURAL_REASONS = {BODY, TITLE, SUBTITLE, "repeated_title", "related_links", "navigation", "other"} | MODEL_REASONS


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
        ("Advertisement", "advertisement"),
        ("ADVERTISEMENT - Continue Reading Below", "advertisement"),
        ("Anzeige", "advertisement"),
        ("Publicité", "advertisement"),
        ("Sponsored Content", "advertisement"),
        ("Skip to main content", "navigation"),
        ('<img src="//pixel.example.com/t.gif" width="1" height="1" alt="">', "markup"),
        ('<div><a href="https://ads.example.net/jump;sz=300x250">', "markup"),
        ("</center>", "markup"),
        ("Kommentare lesen (3 Beiträge)", "comments"),
        ("Commentaires", "comments"),
        ("Lire aussi :", "related_links"),
        ("Mehr zum Thema Datenschutz", "related_links"),
        ("Читайте также", "related_links"),
        ("Around the Web", "related_links"),
        ("Latest News:", "related_links"),
        ("【関連記事】", "related_links"),
        ("What's new", "related_links"),
        ("Teilen Drucken", "share_widget"),
        ("Partager Imprimer", "share_widget"),
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
        "Advertisement revenue at the group fell by a tenth last year, its chief executive said.",
        "Ads for the new phone ran on every channel during the final.",
        "<table></table> inside a select element is fine in every browser we tried.",
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


def test_a_rule_counted_as_another_reason_adds_no_model_feature() -> None:
    from pressline.linefeatures import feature_names

    rules = default_rules()
    assert ("advertisement", "share_widget") in rules.counts_as
    assert "advertisement" in rules.reasons and "advertisement" not in rules.model_reasons
    assert "is_advertisement" not in feature_names() and "is_share_widget" in feature_names()
    cleaned = clean_many(["Headline of the day\n\nAdvertisement\n\n" + PARAGRAPHS[0]])[0]
    assert "Advertisement" not in cleaned.body_lines  # the shipped model loads and the rule removes it


@pytest.mark.parametrize("counts_as", ["no_such_reason", "advertisement"])
def test_counts_as_must_name_another_rules_reason(counts_as: str) -> None:
    from pressline import rules as rules_data
    from pressline.clean import parse_rules

    config = {**rules_data.load("lines")}  # a copy: the loaded rules are cached
    config["rule"] = [*config["rule"], {"reason": "ad_slot", "pattern": "^ad slot$", "counts_as": counts_as,
                                        "why": "made up"}]
    with pytest.raises(ValueError, match="counts_as"):
        parse_rules(config)


@pytest.mark.parametrize("seed", range(4))
def test_made_up_dumps_in_the_seed_styles_are_cleaned_like_gold(seed: int) -> None:
    for name, text, expected in iter_dumps(50, seed=seed):
        cleaned = clean(text)
        assert cleaned.body_lines == expected["body_lines"], name
        assert [(label.text, label.reason) for label in cleaned.removed] == [
            (entry["line"], entry["reason"]) for entry in expected["removed"]], name


def _labels(cleaned) -> list[tuple[int, str, str]]:
    return [(label.line_no, label.text, label.reason) for label in cleaned.labels]


def _non_blank(text: str) -> list[tuple[int, str]]:
    return [(number, raw.strip()) for number, raw in enumerate(text.split("\n"), start=1) if raw.strip()]


def test_the_shipped_model_loads_without_pickle() -> None:
    import numpy as np
    from importlib import resources

    with resources.files("pressline").joinpath(MODEL_FILE).open("rb") as handle:
        np.load(handle, allow_pickle=False).files  # noqa: B018 - raises if the file needs pickle
    assert default_model() is not None


def test_cleaning_runs_numpy_on_one_blas_thread_and_gives_the_others_back() -> None:
    from dataclasses import dataclass

    """numpy's BLAS, that is: a test run has loaded scipy's own OpenBLAS (with GX) by now, which the
    cleaner does not use and leaves alone."""
    from threadpoolctl import threadpool_limits

    from pressline.clean import NUMPY_BLAS as controller

    shipped = default_model()

    @dataclass(frozen=True)
    class WatchedModel:
        decoding = shipped.decoding
        seen: list

        def probabilities(self, features, offsets):
            self.seen.append(max(pool["num_threads"] for pool in controller.select(user_api="blas").info()))
            return shipped.probabilities(features, offsets)

    seen: list[int] = []
    with threadpool_limits(limits=2, user_api="blas"):
        clean_many([seed_text(load_seed_gold()[0])], model=WatchedModel(seen))
        after = max(pool["num_threads"] for pool in controller.select(user_api="blas").info())
    assert seen == [1]
    assert after == 2


page_texts = st.lists(
    st.lists(st.one_of(st.text(max_size=120), st.sampled_from(PARAGRAPHS + ["By Li Wei", "Reply", "3 hours ago"])),
             max_size=30).map("\n".join),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(page_texts)
def test_batch_cleaning_keeps_input_lines_in_order_and_accounts_for_all(texts: list[str]) -> None:
    cleaned = clean_many(texts)
    assert len(cleaned) == len(texts)
    for text, document in zip(texts, cleaned):
        assert [(label.line_no, label.text) for label in document.labels] == _non_blank(text)
        kept = iter(line for _, line in _non_blank(text))
        assert all(any(line == other for other in kept) for line in document.body_lines)  # a subsequence
        assert len(document.body_lines) + len(document.removed) == len(_non_blank(text))


@settings(max_examples=30, deadline=None)
@given(page_texts)
def test_cleaned_documents_carry_the_word_count_of_each_line(texts: list[str]) -> None:
    for document in clean_many(texts):
        assert document.words == [word_count(text) for text in document.texts]


@settings(max_examples=30, deadline=None)
@given(page_texts)
def test_batch_cleaning_is_deterministic(texts: list[str]) -> None:
    assert [_labels(doc) for doc in clean_many(texts)] == [_labels(doc) for doc in clean_many(texts)]


@settings(max_examples=20, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), min_size=1, max_size=50)
       .map(lambda s: s * 4000))
def test_huge_lines_without_newlines_are_cleaned(text: str) -> None:
    cleaned = clean(text)
    assert len(cleaned.labels) <= 1


def _seconds(text: str) -> float:
    """CPU time, so other jobs on a busy machine do not count; the best of three."""
    import time

    times = []
    for _ in range(3):
        started = time.process_time()
        clean(text)
        times.append(time.process_time() - started)
    return min(times)


@pytest.mark.parametrize("unit", [PARAGRAPHS[0] + "\n", "Home | News | Sports\n", "x" * 5000, "a b " * 3000 + "\n"])
def test_cleaning_time_grows_linearly(unit: str) -> None:
    small, large = unit * 200, unit * 1600
    _seconds(small)  # warm the caches
    assert _seconds(large) < 8 * 4 * max(_seconds(small), 1e-3)


def test_the_census_counts_documents_not_lines_and_stays_bounded() -> None:
    pages = [f"line {k}\nshare this article\nshare this article" for k in range(1000)]
    census = census_of(pages)
    assert census.documents_with(key_hashes(["Share this article\nline 3\nnever seen"])[0]).tolist() == [1000, 1, 1]
    bounded = LineCensus.of_parts([census_part(pages[k:k + 10]) for k in range(0, 1000, 10)], capacity=50)
    assert bounded.hashes.size <= 50 and bounded.documents_with(key_hashes(["share this article"])[0])[0] == 1000


def test_the_census_counts_a_text_that_several_inputs_hold_once() -> None:
    """Mirrors and re-encodings of one page are one page: their lines are not site template for that."""
    copies = ["A short note\nThe meeting was moved to Friday."] * 6
    other = ["Another page\nThe meeting was moved to Friday."]
    census = LineCensus.of_parts([census_part(copies[:4]), census_part(copies[4:] + other)])
    assert census.documents_with(key_hashes(["A short note\nThe meeting was moved to Friday."])[0]).tolist() == [1, 2]


@given(st.lists(st.sampled_from(["Home | News", "Sign up for our newsletter", "Share this", "A story"]) |
                st.text(alphabet="abc \n", max_size=30), min_size=1, max_size=40), st.integers(1, 7))
@settings(max_examples=40, deadline=None)
def test_the_merged_census_is_the_same_however_the_run_is_batched(pages: list[str], batch_size: int) -> None:
    whole = census_of(pages)
    merged = LineCensus.of_parts([census_part(pages[k:k + batch_size]) for k in range(0, len(pages), batch_size)])
    assert merged.hashes.tolist() == whole.hashes.tolist() and merged.counts.tolist() == whole.counts.tolist()


@given(st.lists(st.text(max_size=300) | st.sampled_from(["A  line\r\n", "\u0130stanbul ŞEHİR", "𝔘𝔫𝔦 x" * 40]),
                max_size=6))
@settings(max_examples=60, deadline=None)
def test_the_census_keys_are_the_cleaners_keys(texts: list[str]) -> None:
    """The census pass hashes the lines without building the cleaner's table: the same hashes."""
    from pressline import linetable

    table = linetable.build(texts)
    hashes, offsets = key_hashes(texts)
    assert hashes.tolist() == table.key_hashes.tolist() and offsets.tolist() == table.offsets.tolist()
    assert key_hashes(["Share THIS Article"])[0].tolist() == key_hashes(["share this article"])[0].tolist()
    long = "x" * 200
    assert key_hashes([long, long + "tail differs after the key"])[0].tolist()[0] == key_hashes([long])[0][0]


NEWSLETTER = "Sign up for our daily newsletter to get the best of our journalism delivered to you every morning."


def _site_pages(count: int) -> list[str]:
    """Articles of one site: each with a paragraph of its own, some shared ones, the site's blurb."""
    return [_article(f"Story {k} of the day", f"The council of district {k} voted on the plan for its "
                     f"{k + 2} new schools after a long debate on Tuesday.", *PARAGRAPHS[k % 3:], NEWSLETTER)
            for k in range(count)]


def test_cleaning_with_the_run_census_does_not_depend_on_the_batches() -> None:
    pages = _site_pages(8)
    census = census_of(pages)
    whole = clean_many(pages, census=census)
    for size in (1, 3):
        batched = [document for first in range(0, len(pages), size)
                   for document in clean_many(pages[first:first + size], census=census)]
        assert [document.labels for document in batched] == [document.labels for document in whole]
    alone = clean_many(pages[:1])  # without the census, a page alone cannot tell the template
    assert alone[0].labels != whole[0].labels


def test_a_line_on_many_pages_of_a_batch_is_template() -> None:
    pages = _site_pages(8)
    for document in clean_many(pages):
        assert document.labels[-1].reason == "site_template"
        assert document.labels[1].reason == BODY  # its own paragraph


def test_copies_of_one_story_keep_their_text() -> None:
    """A wire story on several sites: every long line stands elsewhere, and none of it is template."""
    story = [f"Story of the day on site {k}" for k in range(4)]
    pages = [_article(title, *PARAGRAPHS, f"Copyright {k} Site Media") for k, title in enumerate(story)]
    for document in clean_many(pages):
        assert [label.text for label in document.labels if label.reason == BODY][:3] == PARAGRAPHS


COMMENTS = [
    "I have followed these talks for years and this is the first time both sides seem to agree on anything.",
    "Reply",
    "The statement says little about enforcement, which is where the earlier deals fell apart in practice.",
    "* Reply",
    "Report abuse",
    "Thank you for the clear summary; the part on privacy answered the question I had after the first day.",
    "Reply to comment",
]


def _long_article() -> list[str]:
    return [f"{paragraph} {paragraph} {paragraph}" for paragraph in PARAGRAPHS]


def test_a_comment_thread_after_the_article_is_removed_from_its_first_reply_button() -> None:
    text = _article("Trade talks end with a joint statement", *_long_article(), "3 Comments", *COMMENTS)
    document = clean(text)
    first = document.texts.index("Reply")
    assert document.body_lines[:3] == _long_article()
    assert all(reason != BODY for reason in document.reasons[first:])
    assert {reason for reason, text in zip(document.reasons, document.texts)
            if text in (COMMENTS[2], COMMENTS[5])} == {"comment_thread"}


def test_one_reply_button_or_one_before_the_article_cuts_nothing() -> None:
    lone = clean(_article(*_long_article(), "Reply", *_long_article()[:1]))
    assert lone.reasons[-1] == BODY
    early = clean(_article("Reply", "Reply", *_long_article()))
    assert early.body_lines == _long_article()


def test_a_list_after_the_body_stays_related_links_unless_the_model_is_sure_it_is_body() -> None:
    import numpy as np

    from pressline.clean import analyse_batch, label_batch
    from pressline.linemodel import Decoding

    batch = analyse_batch([_article("Catalogue sections for download", *PARAGRAPHS,
                                    "Section 1 - Hinges and handles", "Section 2 - Latches and locks")])
    listed = [i for i, reason in enumerate(batch.rule_reasons) if reason == "related_links"]
    assert listed
    decoding = Decoding(0.4, 0.3, 0.3, 0.7, 0.6)
    for probability, reason in ((0.7, "related_links"), (0.95, BODY)):
        document = label_batch(batch, np.full(len(batch.features), probability), decoding)[0]
        assert [document.reasons[i] for i in listed] == [reason] * len(listed)


rule_like_lines = st.lists(
    st.one_of(st.text(max_size=80), st.text(alphabet="ab1 .|·-’'\"”)(©:,\u00a0中文Ⅷ²İ", max_size=40),
              st.sampled_from(["By Li Wei", "Home / News", "Print Mail", "8K", "Share | Tweet | Email", "© 2020 Foo",
                               "Updated: 2021-11-30 22:05", "English 中文 Deutsch Español", "Related stories",
                               "12 comments", "Tue, 3 May 2022", "(China Daily 03/14/2012 page3)"]),
              st.sampled_from(PARAGRAPHS), st.text(alphabet="ab ,.|中-", min_size=1, max_size=6).map(lambda s: s * 700)),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(rule_like_lines)
def test_batch_columns_agree_with_the_per_line_definitions(lines: list[str]) -> None:
    from pressline import linetable
    from pressline.clean import _headline, _match_rules, _prose

    rules = default_rules()
    table = linetable.build(["\n".join(lines)], rules.menu_marks)
    words = [word_count(text) for text in table.texts]
    assert table.words.tolist() == words
    assert _prose(table).tolist() == [is_prose(text, count) for text, count in zip(table.texts, words)]
    assert _headline(table).tolist() == [is_headline_like(text, count) for text, count in zip(table.texts, words)]
    assert _match_rules(table, rules) == [match_rule(text, count, rules) for text, count in zip(table.texts, words)]


def _kadane(scores: list[float]) -> tuple[int, int]:
    best, span, running, running_start = 0.0, (0, 0), 0.0, 0
    for i, score in enumerate(scores):
        if running <= 0:
            running, running_start = 0.0, i
        running += score
        if running > best:
            best, span = running, (running_start, i + 1)
    return span


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-30, 30), max_size=60))
def test_vectorised_best_span_is_kadanes(scores: list[int]) -> None:
    import numpy as np

    from pressline.linefeatures import max_span

    assert max_span(np.array(scores, np.int64)) == _kadane(scores)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["By Li Wei", "Home / News", "12 comments", "© 2020 Foo", "Updated: 2021-11-30 22:05",
                        "Skip to main content", "Advertisement", "(China Daily 03/14/2012 page3)", "Read more",
                        "NO. 12 MARCH 21, 2019", "首页 > 新闻", "8K", "Editor: Ann Lee", "Partners: Foo"]),
       st.integers(0, 2), st.text(alphabet="ab 1:.|ſK", max_size=6), st.randoms(use_true_random=False))
def test_a_rules_opening_admits_every_line_the_rule_matches(line: str, cut: int, tail: str, rng) -> None:
    from pressline.linetable import OPENING_CHARS

    # Mixed case, and the characters that match 's' and 'k' only when case is ignored.
    varied = "".join(rng.choice([char.upper(), char.lower(), {"s": "ſ", "k": "K"}.get(char.lower(), char)])
                     for char in line[cut:]) + tail
    for rule in default_rules().patterns:
        if rule.opening is not None and rule.regex.match(varied):
            assert rule.opening.match(varied[:OPENING_CHARS]), (rule.reason, varied)


def test_openings_are_read_from_the_parse_or_left_open() -> None:
    from re import _parser

    from pressline.clean import _opening

    optional = _opening(_parser.parse(r"^(?:skip )?ads?\b.*$", re.IGNORECASE))
    assert [bool(optional.match(text)) for text in ("Ski", "AD", "ads", "Add", "the")] == [True] * 4 + [False]
    assert _opening(_parser.parse(r"^.*\d{4}$")) is None  # any character may open it
    doubled = "|".join(char * 2 for char in "abcdefghijklmnopqrstuvwxyz")
    assert _opening(_parser.parse(f"^(?:{doubled}){{2}}$")) is None  # 676 ways to open: too many to spell out
    assert _opening(_parser.parse(r"(?i)^by\s")).match("BY ")  # an inline flag counts


def test_rules_see_the_same_lines_however_many_openings_are_remembered(monkeypatch) -> None:
    from pressline import clean, linetable
    from pressline import rules as rules_data

    monkeypatch.setattr(clean, "OPENINGS_KEPT", 3)
    rules = clean.parse_rules(rules_data.load("lines"))
    pages = ["By Ann Lee\nHome / News\nRead more\nThe minister said on Monday that talks would go on.",
             "Advertisement\n© 2021 Foo News\nBY ANN LEE\n12 comments", "Read more\nby the river\nSkip to content"]
    for text in pages * 2:
        table = linetable.build([text], rules.menu_marks)
        words = [word_count(line) for line in table.texts]
        assert clean._match_rules(table, rules) == [match_rule(line, count, rules)
                                                   for line, count in zip(table.texts, words)]
    assert len(rules.openings.texts) <= 9  # one page's openings at most: older ones were forgotten


def test_a_related_heading_after_the_story_ends_it_when_less_follows() -> None:
    import numpy as np

    from pressline.clean import analyse_batch, related_tails

    story = [f"Paragraph {k} of the harbour report says the new quay opened on time and under budget, "
             f"and that the ferries now dock there every hour of the day, the council said." for k in range(6)]
    teasers = ["Around the web", "Ten ferries you must see before you retire, a list.",
               "Why this town's bakers start at three in the morning, every day."]
    text = "\n\n".join(["Harbour quay opens", *story, *teasers])
    batch = analyse_batch([text])
    keep = np.ones(len(batch.lines), bool)
    tail = related_tails(batch, keep)
    heading = batch.lines.texts.index("Around the web")
    assert tail[heading:].all() and not tail[:heading].any()
    short = analyse_batch(["\n\n".join(["Harbour quay opens", story[0], *teasers, *story[1:]])])
    assert not related_tails(short, np.ones(len(short.lines), bool)).any()
