"""Field extraction: the seeds' gold fields, and the parsers on made-up variants."""
from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressline.clean import clean
from pressline.extract import (
    YearAnchored,
    _DATE,
    _DATE_PATTERN,
    _caseless_literal,
    _cues,
    _find_role,
    _title_score,
    author_rules,
    date_rules,
    extract,
    find_authors,
    find_published,
    find_stamps,
    find_title,
    main_text_start,
    parse_authors,
    parse_published,
    parse_section,
    publisher_timezone,
    reads_day_first,
    strip_site_name,
    title_header,
    title_line,
    title_rules,
)
from tests.conftest import load_seed_gold, seed_text
from tests.synthetic import iter_dumps

SCALAR_FIELDS = ("title", "subtitle", "authors", "publisher", "section", "print_edition", "language", "related_links")


@pytest.mark.parametrize("gold", load_seed_gold(), ids=lambda gold: gold["file"])
def test_seed_fields_match_gold(gold: dict) -> None:
    fields = extract(clean(seed_text(gold)))
    assert {name: getattr(fields, name) for name in SCALAR_FIELDS} == {name: gold[name] for name in SCALAR_FIELDS}
    expected = gold["published_at"]
    if expected is None:
        assert (fields.published_at, fields.published_date) == (None, None)
    elif "T" in expected:
        assert fields.published_at == datetime.fromisoformat(expected)
        assert fields.published_date == datetime.fromisoformat(expected).date()
    else:
        assert (fields.published_at, fields.published_date) == (None, date.fromisoformat(expected))
    assert fields.body.split("\n\n") == gold["body_lines"]


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("By Cao Yin(China Daily USA)", ["Cao Yin"]),
        ("By Cao Yin in Beijing and Chen Weihua in Washington | China Daily USA | Updated: 2015-08-04 10:54",
         ["Cao Yin", "Chen Weihua"]),
        ("By Jia Xiudong | NO. 39 SEPTEMBER 24, 2015", ["Jia Xiudong"]),
        ("By Anna Berg, Tom Hall and Li Na", ["Anna Berg", "Tom Hall", "Li Na"]),
        ("By Xinhua", []),
        ("By Reuters", []),
        ("By Zhang Wei and Xinhua", ["Zhang Wei"]),
        ("Written by Maria de la Cruz", ["Maria de la Cruz"]),
        ("By: Ann Lee", ["Ann Lee"]),
        ("Written By: Tom Hall", ["Tom Hall"]),
        ("Par Sébastien Marchand", ["Sébastien Marchand"]),
        ("By Ann Lee, Senior Editor, Valley Post", ["Ann Lee"]),
        ("By ANN LEE JULY 3, 2024", ["ANN LEE"]),
        ("Reporting by Ann Lee; Editing by Tom Hall", ["Ann Lee"]),
        ("By Ann Lee @annlee Updated Jul 24, 2018, 2:15pm EDT", ["Ann Lee"]),
        ("By A. J. Neal View In Digital Edition", ["A. J. Neal"]),  # a byline row's buttons after the name
        ("By Ann Lee Follow", ["Ann Lee"]),
        ("By Ann Lee Email Share", ["Ann Lee"]),
        ("By Ann Lee Monday, February 29, 2016 @ 11:10 PM UTC", ["Ann Lee"]),  # a weekday opens the date
        ("By Category By Brand", []),  # a filter menu's options
        # co-writers in parentheses are writers too; an outlet in parentheses is none
        ("Par Sébastien Marchand (avec Claire Dubois et Luc Martin)", ["Sébastien Marchand", "Claire Dubois", "Luc Martin"]),
        ("By Ann Lee (with Tom Hall)", ["Ann Lee", "Tom Hall"]),
        ("By Rhonda Kraus Updated January 25, 2026", ["Rhonda Kraus"]),
        ("By Gabe Boucher In Budget Travel , Travel Tips", ["Gabe Boucher"]),
        ("1. Ann Lee", ["Ann Lee"]),
        ("By Ann LeePublished: Dec 19, 2025", ["Ann Lee"]),
        ("By Ann Lee—6 min read", ["Ann Lee"]),
        ("By Ann Lee – Updated May 3", ["Ann Lee"]),
        ("By Ann Lee, Ph.D.", ["Ann Lee"]),
        ("Written By Linny and Peter", ["Linny", "Peter"]),
        ("By Ann Lee & Tom", ["Ann Lee", "Tom"]),
        ("Ann Lee Founder at Acme Tools", ["Ann Lee"]),
        ("By Ann Lee, Tom Hall, Editor", ["Ann Lee", "Tom Hall"]),
        ("By The Valley editors", []),
        ("Written by: Ann Lee Ann Lee", ["Ann Lee"]),
        ("By Ann Ann", ["Ann Ann"]),
        ("By Ann Lee Former Deputy Tech Lead", ["Ann Lee"]),
        ("By Company Size", []),
        ("BY EVENT TYPE", []),
        ("By Ann Lee, Home Security Expert & Tom Hall, Data Journalist", ["Ann Lee"]),
        # credentials after a name are cut; a surname in capitals is no credential
        ("By Ann Lee CPP, PSP", ["Ann Lee"]),
        ("By Ann Lee MD and Tom Hall, PhD", ["Ann Lee", "Tom Hall"]),
        ("By Ann Lee, M.D. FACP", ["Ann Lee"]),
        ("Written by Ann Lee, MD, hydrologist, Valley Health", ["Ann Lee"]),  # then where the writer works
        ("By Ann Lee, MD and Tom Hall, MD", ["Ann Lee", "Tom Hall"]),
        ("Par Ann LEE", ["Ann LEE"]),
        ("By ANN LEE MD", ["ANN LEE MD"]),
        # a team names nobody
        ("By the Valley Post Editorial Team", []),
        ("By Ann Lee and Valley Post Staff", ["Ann Lee"]),
        # link texts run together are no name; a capital inside one word may be a name's or a user name's
        ("By River MapsJust FloodsWeather Alerts", []),
        ("By Ann SanSone and Tom MacDonald", ["Ann SanSone", "Tom MacDonald"]),
        ("By AnnLee", ["AnnLee"]),
        # a role word that leaves one word, no given name, names an outlet or a desk; a first name stays
        ("by Harbourside News", []),
        ("By Petra, Senior Editor", ["Petra"]),
        # after an outlet's job title, the writer ('By Harbourside Staff Writer Petra Novak'); no firm
        ("By Harbourside Staff Writer Petra Novak", ["Petra Novak"]),
        ("Founder Harbourside Communications Corporation", []),
        # 'author' and 'written by' in other languages
        ("Autor: Jan Novák", ["Jan Novák"]),
        ("Escrito por Ana Ruiz y Luis Gómez", ["Ana Ruiz", "Luis Gómez"]),
        ("Geschrieben von Petra Novak und Tom Hall", ["Petra Novak", "Tom Hall"]),
        ("Auteur : Claire Martin", ["Claire Martin"]),
        # a paper's author list: every name marked with its affiliations; a number after one name is no mark
        ("Petra Novak 1; Tom Hall 2; Raj Patel 1", ["Petra Novak", "Tom Hall", "Raj Patel"]),
        ("By Petra Novak1,2, Tom Hall2* and Raj Patel3", ["Petra Novak", "Tom Hall", "Raj Patel"]),
        ("By Petra Novak 2, Tom Hall", ["Petra Novak"]),
        # a maiden or middle name in parentheses stays; an outlet in parentheses ends the names
        ("Written By: Petra Novak Gardener & Astrologer", ["Petra Novak"]),  # a trade after the name
        ("By Petra (Park) Novak", ["Petra (Park) Novak"]),
        ("By Petra Novak (Valley Post)", ["Petra Novak"]),
        ("By Petra Novak(Valley Post) and Tom Hall", ["Petra Novak"]),
    ],
)
def test_parse_authors(byline: str, authors: list[str]) -> None:
    assert parse_authors(byline) == authors


@pytest.mark.parametrize(
    ("text", "publisher", "instant", "day", "assumed"),
    [
        ("Updated: 2015-09-22 13:12", "China Daily USA", datetime(2015, 9, 22, 5, 12, tzinfo=timezone.utc),
         date(2015, 9, 22), False),
        ("Updated: 2015-09-22 02:30", "China Daily", datetime(2015, 9, 21, 18, 30, tzinfo=timezone.utc),
         date(2015, 9, 22), False),
        ("Updated: 2015-09-22 13:12", None, datetime(2015, 9, 22, 13, 12, tzinfo=timezone.utc),
         date(2015, 9, 22), True),
        ("22 September 2015 14:05 GMT", None, datetime(2015, 9, 22, 14, 5, tzinfo=timezone.utc),
         date(2015, 9, 22), False),
        ("2015-09-22T13:12:00+02:00", None, datetime(2015, 9, 22, 11, 12, tzinfo=timezone.utc),
         date(2015, 9, 22), False),
        ("NO. 39 SEPTEMBER 24, 2015", "Beijing Review", None, date(2015, 9, 24), False),
        ("Sept. 1, 2015", None, None, date(2015, 9, 1), False),
        ("(China Daily USA 09/22/2015 page16)", "China Daily USA", None, date(2015, 9, 22), False),
        ("Thu 3 Jan 2019 02.00 EST", None, datetime(2019, 1, 3, 7, 0, tzinfo=timezone.utc), date(2019, 1, 3), False),
        ("Dec 19, 2025, 01:00:00 AM IST", None, datetime(2025, 12, 18, 19, 30, tzinfo=timezone.utc),
         date(2025, 12, 19), False),
        ("Posted 2024-03-04T08:15:00Z", None, datetime(2024, 3, 4, 8, 15, tzinfo=timezone.utc), date(2024, 3, 4), False),
        ("March 4, 2025 at 10.30 PDT", None, datetime(2025, 3, 4, 17, 30, tzinfo=timezone.utc), date(2025, 3, 4), False),
        ("Tuesday, 2nd April 2024", None, None, date(2024, 4, 2), False),
    ],
)
def test_parse_published(text: str, publisher: str | None, instant: datetime | None, day: date,
                         assumed: bool) -> None:
    parsed = parse_published(text, publisher)
    assert parsed is not None
    assert (parsed.published_at, parsed.published_date) == (instant, day)
    assert parsed.tz_assumed is assumed


@pytest.mark.parametrize(
    ("text", "day_first", "day"),
    [
        ("03/10/2023", False, date(2023, 3, 10)),
        ("03/10/2023", True, date(2023, 10, 3)),
        ("03.10.2023 14:05", True, date(2023, 10, 3)),
        ("2023-03-10", True, date(2023, 3, 10)),  # year first is never turned round
        ("2023/03/10 08:00", True, date(2023, 3, 10)),
        ("25/09/2025", False, date(2025, 9, 25)),  # only one reading
        ("March 10, 2023", True, date(2023, 3, 10)),
    ],
)
def test_numeric_dates_read_day_first_only_when_told(text: str, day_first: bool, day: date) -> None:
    parsed = parse_published(text, None, day_first)
    assert parsed is not None and parsed.published_date == day


@pytest.mark.parametrize(
    ("lines", "publisher", "language", "day_first"),
    [
        (["Posted 03/10/2023", "Comment of 25/11/2023"], None, "en", True),  # the page's other date decides
        (["Posted 03/10/2023", "Comment of 11/25/2023"], None, "fr", False),
        (["Posted 03/10/2023"], "The Guardian", "en", True),  # the publisher's hint
        (["Posted 03/10/2023"], "CNN", "fr", False),
        (["Posted 03/10/2023"], None, "fr", True),  # the language
        (["Posted 03/10/2023"], None, "en", False),
        (["Posted 03/10/2023"], None, None, False),
    ],
)
def test_reads_day_first(lines: list[str], publisher: str | None, language: str | None, day_first: bool) -> None:
    assert reads_day_first(lines, publisher, language, date_rules()) is day_first


@pytest.mark.parametrize(
    ("lines", "day_first"),
    [
        (["* 02-12-2025", "Reflections on a pipeline", "December 02, 2025"], True),  # the written day decides
        (["03/10/2023", "A guide to wine styles - 10 March 2023"], False),
        (["03/10/2023", "Busting jargon - 3 October 2023", "Comment of 11/25/2023"], True),  # before any other clue
        (["03/10/2023", "3 October 2023", "10 March 2023"], False),  # both readings written: the next clue, English
        (["03/03/2023", "3 March 2023"], False),  # one reading only
    ],
)
def test_a_written_date_of_the_same_day_decides_how_a_numeric_one_reads(lines: list[str], day_first: bool) -> None:
    assert reads_day_first(lines, None, "en", date_rules(), lines[0].lstrip("* ")) is day_first


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789/.- abc", max_size=40), max_size=8))
def test_reads_day_first_never_raises(lines: list[str]) -> None:
    assert reads_day_first(lines, None, None, date_rules()) in (True, False)


def test_a_french_page_reads_its_numeric_date_day_first() -> None:
    cleaned = clean("\n\n".join(["Rivers rise after the storm", "Publié le 03/10/2023", *BODY_LINES]))
    assert find_published(cleaned, None, 0, "fr").published_date == date(2023, 10, 3)
    assert find_published(cleaned, None, 0, "en").published_date == date(2023, 3, 10)


def test_text_without_a_date_gives_none() -> None:
    assert parse_published("Contact the writers at") is None


def test_publisher_time_zones_are_data() -> None:
    assert publisher_timezone("China Daily Europe") == "Asia/Shanghai"
    assert publisher_timezone("Some Unknown Gazette") is None


@pytest.mark.parametrize(
    ("breadcrumb", "section"),
    [("Home / China / Across America", "China / Across America"), ("Home > World", "World"), (None, None)],
)
def test_parse_section(breadcrumb: str | None, section: str | None) -> None:
    assert parse_section(breadcrumb) == section


def test_publisher_is_not_guessed_from_quotes_in_the_body() -> None:
    text = "\n".join([
        "Officials met in the capital on Monday to discuss new rules for online trade, Xinhua reported.",
        "\"We want a fair deal,\" one of them told Reuters in an interview after the talks ended.",
    ])
    assert extract(clean(text)).publisher is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from([None, "China Daily", "Beijing Review"]), st.booleans())
def test_parse_published_never_raises(text: str, publisher: str | None, day_first: bool) -> None:
    parsed = parse_published(text, publisher, day_first)
    if parsed is not None and parsed.published_at is not None:
        assert parsed.published_at.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_authors_returns_clean_names(byline: str) -> None:
    for name in parse_authors("By " + byline):
        assert name == name.strip() and name


_NAME_WORDS = st.from_regex(r"[A-Z][a-z]{2,8} [A-Z][a-z]{2,9}", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(_NAME_WORDS, _NAME_WORDS, st.sampled_from(["with", "avec", "con"]))
def test_co_writers_in_parentheses_follow_the_first(first: str, second: str, word: str) -> None:
    names = parse_authors(f"By {first} ({word} {second})")
    assert names[1:] == [name for name in parse_authors("By " + second) if name not in names[:1]]


def test_a_remembered_byline_hands_each_caller_a_list_of_its_own() -> None:
    first = parse_authors("By Ann Lee and Raj Patel")
    first.append("Not A Writer")
    assert parse_authors("By Ann Lee and Raj Patel") == ["Ann Lee", "Raj Patel"]


@pytest.mark.parametrize("seed", range(4))
def test_made_up_dumps_in_the_seed_styles_give_gold_fields(seed: int) -> None:
    for name, text, expected in iter_dumps(50, seed=seed):
        fields = extract(clean(text))
        assert {field: getattr(fields, field) for field in SCALAR_FIELDS if field != "language"} == {
            field: expected[field] for field in SCALAR_FIELDS if field != "language"}, name
        published = expected["published_at"]
        if published and "T" in published:
            assert fields.published_at == datetime.fromisoformat(published), name
        elif published:
            assert (fields.published_at, fields.published_date) == (None, date.fromisoformat(published)), name
        else:
            assert fields.published_date is None, name


@pytest.mark.parametrize(
    ("line", "others", "title"),
    [
        ("Rivers rise after storm | Valley Post", set(), "Rivers rise after storm"),
        ("Valley Post | News | Rivers rise after storm", set(), "Rivers rise after storm"),
        ("Rivers rise after storm - The Valley Post", {"the valley post"}, "Rivers rise after storm"),
        ("Rivers rise – and towns brace for more", set(), "Rivers rise – and towns brace for more"),
        ("Storm: what we know", set(), "Storm: what we know"),
        ("Valley Post > News > 2024 > Rivers rise after storm", set(), "Rivers rise after storm"),
        ("River Flood Guide | Valley Water Board", set(), "River Flood Guide"),  # as long: the last is the site's
        ("Valley Post | Rivers Rise Tonight", set(), "Rivers Rise Tonight"),  # a shorter first segment still goes
        ("River Flood Guide - Valley Water Board", set(), "River Flood Guide - Valley Water Board"),  # no bar
    ],
)
def test_strip_site_name(line: str, others: set[str], title: str) -> None:
    assert strip_site_name(line, frozenset(others)) == title


@pytest.mark.parametrize(
    ("line", "texts", "title"),
    [
        ("Best art shows of 2025 – Artlyst", ("Help keep Artlyst free",), "Best art shows of 2025"),
        ("Rivers rise after storm - The Valley Post", ("Photo: Ann Lee/The Valley Post",), "Rivers rise after storm"),
        ("Rivers rise after storm - Towns brace", ("Rivers rise after storm - Towns brace",),
         "Rivers rise after storm - Towns brace"),  # only copies of the title name it
        ("How To Fix Brakes – From a Mechanic", ("How to fix brakes - From a Mechanic",),
         "How To Fix Brakes – From a Mechanic"),  # a copy in other capitals and dashes is a copy
        ("Raspberry Pi 3 - the credit card sized computer", ("The Raspberry Pi 3 has four cores",),
         "Raspberry Pi 3 - the credit card sized computer"),  # a leading segment is the subject
        ("Gym workouts - Strength Training", ("strength training helps",), "Gym workouts - Strength Training"),
    ],
)
def test_a_last_segment_the_page_names_elsewhere_is_the_site_name(line: str, texts: tuple[str, ...],
                                                                   title: str) -> None:
    assert strip_site_name(line, frozenset(), texts) == title


BODY_LINES = [
    "Heavy rain pushed the river over its banks on Tuesday, flooding low streets in three towns near the coast.",
    "Officials said the water would fall slowly over the week, and asked drivers to keep away from the old bridge.",
]


@pytest.mark.parametrize(
    ("header", "title"),
    [
        (["Skip to content", "News", "Sport", "Weather", "Rivers rise after the storm", "By Ann Lee",
          "March 3, 2024"], "Rivers rise after the storm"),
        (["Rivers rise after the storm | Valley Post", "Menu", "Valley Post", "Rivers rise after the storm",
          "Towns brace for more rain this week", "Ann Lee", "3 March 2024"], "Rivers rise after the storm"),
        (["Flood warnings for the coast | Valley Post", "* Home", "* Weather", "Search"], "Flood warnings for the coast"),
        (["Rivers rise after the storm - Valley Post", "Menu", "Rivers rise after the storm – Valley Post",
          "Valley Post", "Ann Lee"], "Rivers rise after the storm"),
        (["Menu", "Why do rivers rise so fast after a storm like this one?", "By Ann Lee"],
         "Why do rivers rise so fast after a storm like this one?"),
        (["Menu", "Rivers rise after the storm", "Reviewed By: Tom Hall, PhD, Hydrologist", "March 3, 2024"],
         "Rivers rise after the storm"),
        (["Rivers rise after the storm", "Contributions From: Ann Lee, Tom Hall & Li Na"], "Rivers rise after the storm"),
        (["Rivers rise after the storm", "This article contains affiliate links that may earn us a commission"],
         "Rivers rise after the storm"),
        (["Authors Guild sues over the storm maps", "March 3, 2024"], "Authors Guild sues over the storm maps"),
        ([], None),
    ],
)
def test_find_title_in_made_up_headers(header: list[str], title: str | None) -> None:
    assert find_title(clean("\n\n".join(header + BODY_LINES))) == title


def title_feature(lines: list[str], name: str) -> dict[str, float | None]:
    """Each candidate line's `name` feature: its title score with that weight 1 and the others 0."""
    cleaned = clean("\n\n".join(lines))
    labels = cleaned.labels
    rules = title_rules()
    rules = dataclasses.replace(rules, weights=dict.fromkeys(rules.weights, 0.0) | {name: 1.0})
    header = title_header(cleaned, rules, main_text_start(labels), labels)
    return {labels[i].text: _title_score(header, i, rules) for i in range(header.low, header.high)}


@pytest.mark.parametrize(
    ("header", "name", "line", "value"),
    [
        (["Rivers rise after the storm", "Ann Lee", "March 3, 2024"], "bare_name", "Ann Lee", 1.0),
        (["Rivers rise after the storm", "Senior Hydrology Reporter", "By Ann Lee", "March 3, 2024"], "bare_name",
         "Senior Hydrology Reporter", 1.0),
        (["Rivers rise after the storm", "Ann Lee", "March 3, 2024"], "bare_name", "Rivers rise after the storm", 0.0),
        (["Rivers rise after the storm", "Photograph: Ann Lee/Getty Images", "March 3, 2024"], "photo_credit",
         "Photograph: Ann Lee/Getty Images", 1.0),
        (["Rivers rise after the storm", "Photograph: Ann Lee/Getty Images", "March 3, 2024"], "photo_credit",
         "Rivers rise after the storm", 0.0),
        (["Rivers Rise After the Storm", "March 3, 2024"], "title_case", "Rivers Rise After the Storm", 1.0),
        (["Rivers rise after the storm", "March 3, 2024"], "title_case", "Rivers rise after the storm", 0.25),
        (["Rivers rise after the storm", "March 3, 2024", BODY_LINES[0], "What the towns do next"], "kept",
         "What the towns do next", 1.0),
        (["Rivers rise after the storm", "March 3, 2024"], "kept", "Rivers rise after the storm", 0.0),
        (["Rivers rise after the storm", "Michael Hall/Valley Post", "March 3, 2024"], "photo_credit",
         "Michael Hall/Valley Post", 1.0),
        (["Rivers rise after the storm", "The mayor at the old bridge - Ann Lee/Valley Post", "March 3, 2024"],
         "photo_credit", "The mayor at the old bridge - Ann Lee/Valley Post", 1.0),
        (["Rivers rise after the storm", "Towns brace for more rain this week", "March 3, 2024"], "under_headline",
         "Towns brace for more rain this week", 1.0),
        (["Rivers rise after the storm", "Towns brace for more rain this week", "March 3, 2024"], "under_headline",
         "Rivers rise after the storm", 0.0),
        (["Menu", "News", "Rivers rise after the storm", "March 3, 2024"], "under_headline",
         "Rivers rise after the storm", 0.0),  # under a menu item, not a headline
        (["Rivers rise after the storm", "Rivers rise after the storm", "March 3, 2024"], "under_headline",
         "Rivers rise after the storm", 0.0),  # a responsive layout's second h1
        (["Valley Post News Weather Rivers rise after the storm", "Rivers rise after the storm", "March 3, 2024"],
         "under_headline", "Rivers rise after the storm", 0.0),  # under a trail ending with it
        (["Menu\nValley Post News and Weather Desk", "Rivers rise after the storm", "March 3, 2024"],
         "under_headline", "Rivers rise after the storm", 0.0),  # under the last row of a block of menu rows
        (["Menu", "Valley Post News and Weather Desk", "Rivers rise after the storm", "March 3, 2024"],
         "under_headline", "Rivers rise after the storm", 1.0),  # the same line as a block of its own: a kicker
        (["Valley Post Logo with Name", "Rivers rise after the storm", "March 3, 2024"], "nav_word",
         "Valley Post Logo with Name", 1.0),  # an image's alt text
    ],
)
def test_title_features_on_made_up_headers(header: list[str], name: str, line: str, value: float) -> None:
    assert title_feature([*header, *BODY_LINES], name)[line] == value


def test_a_line_ending_in_a_reading_time_is_no_title() -> None:
    """'Acme Team | 5 min read' is a post's meta line: without its team it is no headline either."""
    scores = title_feature(["Rivers rise after the storm", "Valley Team | 5 min read", *BODY_LINES], "long")
    assert scores["Valley Team | 5 min read"] is None
    assert scores["Rivers rise after the storm"] is not None


def test_a_lone_headline_over_unbroken_text_is_the_title() -> None:
    """The bare style of seed 003: no byline, date or blank line to tell it, yet above `min_score`."""
    assert find_title(clean("\n".join(["Rivers rise after the storm", *BODY_LINES]))) == "Rivers rise after the storm"


def test_the_title_is_the_header_line_not_its_copy_below_the_text() -> None:
    """The date is read next to the line taken: a repeat after the text (China Daily's print
    pages) must not win over the headline."""
    lines = ["Rivers rise after the storm", "March 3, 2024", "By Ann Lee", *BODY_LINES, BODY_LINES[0],
             "Rivers rise after the storm", "(Valley Post 03/03/2024 page2)"]
    assert title_line(clean("\n\n".join(lines))) == (0, "Rivers rise after the storm")


@pytest.mark.parametrize(
    ("header", "title"),
    [
        (["Why Rivers Don't Wait - Valley Post", "Menu", "Why Rivers Don’t Wait", "By Ann Lee", "March 3, 2024"],
         "Why Rivers Don't Wait"),  # the <title>'s straight quote, not the headline's curly one
        (["Menu", "Why Rivers Don’t Wait", "By Ann Lee", "March 3, 2024"], "Why Rivers Don’t Wait"),
        (["Why Rivers Don't Wait – Valley Post", "Menu", "Why Rivers Don’t Wait — A Report", "By Ann Lee"],
         "Why Rivers Don’t Wait — A Report"),  # not a part of the <title>: as the headline spells it
    ],
)
def test_the_title_is_spelled_as_the_page_title_when_only_its_quotes_differ(header: list[str], title: str) -> None:
    assert find_title(clean("\n\n".join(header + BODY_LINES))) == title


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Dec 18 2025 Preparing the river report", "Preparing the river report"),  # a post line: stamp first
        ("March 3, 2024: the day the river rose", "March 3, 2024: the day the river rose"),
        ("March 3, 2024 Report", "March 3, 2024 Report"),  # one word is no headline
    ],
)
def test_a_date_glued_before_the_headline_is_not_part_of_it(line: str, title: str) -> None:
    assert find_title(clean("\n\n".join(["Menu", line, *BODY_LINES]))) == title


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Preparing the river report / Dec 2025", "Preparing the river report"),  # a post list's stamp after it
        ("Preparing the river report - 19 December 2025", "Preparing the river report"),
        ("Preparing the river report | 2025-12-19", "Preparing the river report"),
        ("What the river did on 19 December 2025", "What the river did on 19 December 2025"),  # its own words lead in
        ("Report / Dec 2025", "Report / Dec 2025"),  # one word is no headline
        ("Rivers rise after the storm (valleypost.com) 87", "Rivers rise after the storm"),  # an aggregator's link
        ("Rivers rise after the storm (news.example.org)", "Rivers rise after the storm"),
        ("Rivers rise after the storm (and towns brace)", "Rivers rise after the storm (and towns brace)"),
    ],
)
def test_a_stamp_set_after_the_headline_is_not_part_of_it(line: str, title: str) -> None:
    assert find_title(clean("\n\n".join(["Menu", line, *BODY_LINES]))) == title


@pytest.mark.parametrize(
    ("header", "title"),
    [
        (["How to Build a Raft", "Menu", "Introduction: How to Build a Raft", "By Ann Lee", "March 3, 2024"],
         "How to Build a Raft"),  # the headline stands alone elsewhere: the label presents a part
        (["Menu", "Review: The River Road", "By Ann Lee", "March 3, 2024"], "Review: The River Road"),
        (["The River Road", "Menu", "A long review: The River Road", "By Ann Lee"],
         "A long review: The River Road"),  # three words before the colon are the headline's own
    ],
)
def test_a_label_before_a_headline_that_stands_alone_elsewhere_is_dropped(header: list[str], title: str) -> None:
    assert find_title(clean("\n\n".join(header + BODY_LINES))) == title


@pytest.mark.parametrize(
    ("first", "line", "value"),
    [
        ("Ann's Notes: Rivers rise after the storm", "Rivers rise after the storm", 1.0),
        ("Blog | Rivers rise after the storm", "Rivers rise after the storm", 1.0),
        ("Rivers rise after the storm - Valley Post", "Rivers rise after the storm", 1.0),
        ("Rivers rise after the storm - Valley Post", "Valley Post News", 0.0),  # a site name after the headline
        ("Rivers rise after the storm: Valley Post", "Valley Post", 0.0),
        ("Rivers rise after the storm", "after the storm", 0.0),  # no separator before it
    ],
)
def test_a_line_that_ends_the_page_title_after_a_site_name_is_its_part(first: str, line: str, value: float) -> None:
    features = title_feature([first, "Menu", line, "By Ann Lee", "March 3, 2024", *BODY_LINES], "page_title")
    assert features[line] == value


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_find_title_never_raises(text: str) -> None:
    title = find_title(clean(text))
    assert title is None or title.strip()


@pytest.mark.parametrize(
    ("header", "day"),
    [
        (["Rivers rise after the storm", "By Ann Lee | March 3, 2024"], date(2024, 3, 3)),
        (["Rivers rise after the storm", "Ann Lee", "Published 4 March 2024, updated 6 March 2024"], date(2024, 3, 4)),
        (["Rivers rise after the storm", "Last updated: March 6, 2024", "Posted on March 4, 2024"], date(2024, 3, 4)),
        (["Rivers rise after the storm", "Last updated: March 6, 2024"], None),
        (["Rivers rise after the storm", "Last updated", "March 6, 2024"], None),
        (["Rivers rise after the storm", "Posted on June 29, 2020 November 12, 2021"], date(2020, 6, 29)),
        (["Tuesday, 2nd April 2024", "Rivers rise after the storm", "By Ann Lee"], date(2024, 4, 2)),
        (["Rivers rise after the storm", "Map of the valley, 12 May 1856"], None),
        (["Rivers rise after the storm", "Ann Lee · 2024-03-04 · 5 min read"], date(2024, 3, 4)),
        (["Rivers rise after the storm", "The offer runs from November 26 to December 3, 2025, the company said in "
          "a statement on its website, and applies to all new customers."], None),
        (["Rivers rise after the storm", "By Ann Lee on Dec. 19, 2025, for the Valley Post, with reporting from "
          "the coast and the hills above the river towns."], date(2025, 12, 19)),
        (["Rivers rise after the storm", "Dec. 19, 2025 · Ann Lee on behalf of the weather desk team, with "
          "reporting from the coast and the hills above the towns."], date(2025, 12, 19)),
    ],
)
def test_find_published_in_made_up_headers(header: list[str], day: date | None) -> None:
    cleaned = clean("\n\n".join(header + BODY_LINES))
    published = find_published(cleaned, None, header.index("Rivers rise after the storm"))
    assert (published.published_date if published else None) == day


def test_dates_of_comments_and_related_stories_are_not_taken() -> None:
    lines = ["Rivers rise after the storm", "By Ann Lee", *BODY_LINES * 6, "Related stories",
             "Bridge reopens after repairs - May 2, 2024", "One comment", "Sam says:", "May 3, 2024 at 10:12 am",
             "Great article, thanks."]
    assert find_published(clean("\n\n".join(lines)), None, 0) is None


@pytest.mark.parametrize(
    ("footer", "day"),
    [
        (["Posted on April 13, 2023"], date(2023, 4, 13)),
        (["Published On: 15 August 2025"], date(2025, 8, 15)),
        (["Posted on the 15/12/2025 at 19:00"], date(2025, 12, 15)),
        (["Posted on the 15/12/2025 at 19:00", "Related stories", "Bridge reopens after repairs",
          "Tolls rise on the old bridge"], date(2025, 12, 15)),  # a list opening right under the stamp
        (["Publié le 3 mars 2024"], None),  # a French month name is not a date the pattern reads
        (["Last updated: May 6, 2024"], None),
        (["Related stories", "Bridge reopens after repairs", "Published May 2, 2024"], None),
        (["Related stories", "Bridge reopens after repairs", "Published May 2, 2024", "Tolls rise on the old bridge",
          "Published May 1, 2024"], None),
        (["Sam says:", "May 3, 2024 at 10:12 am"], None),
    ],
)
def test_a_stamp_labelled_published_below_the_text_is_taken(footer: list[str], day: date | None) -> None:
    lines = ["Rivers rise after the storm", "By Ann Lee", *BODY_LINES * 6, *footer]
    published = find_published(clean("\n\n".join(lines)), None, 0)
    assert (published.published_date if published else None) == day


@pytest.mark.parametrize(
    ("header", "publisher", "published", "updated"),
    [
        (["Published 4 March 2024, updated 6 March 2024"], None, date(2024, 3, 4), date(2024, 3, 6)),
        (["Last updated: March 6, 2024", "Posted on March 4, 2024"], None, date(2024, 3, 4), date(2024, 3, 6)),
        (["Last updated: March 6, 2024"], None, None, date(2024, 3, 6)),  # an update alone is not the publication
        (["By Ann Lee", "March 3, 2024"], None, date(2024, 3, 3), None),
        (["Updated: 2015-09-22 13:12"], "China Daily", date(2015, 9, 22), None),  # its only stamp is the publication
    ],
)
def test_the_header_gives_the_publication_and_the_last_update_apart(
        header: list[str], publisher: str | None, published: date | None, updated: date | None) -> None:
    stamps = find_stamps(clean("\n\n".join(["Rivers rise after the storm", *header, *BODY_LINES])), publisher, 0)
    assert [stamp.published_date if stamp else None for stamp in stamps] == [published, updated]


def test_an_update_time_is_stored_in_utc_with_its_text() -> None:
    lines = ["Rivers rise after the storm", "By Ann Lee – Updated Sep 9, 2025 at 1:00 PM EST", *BODY_LINES * 3]
    fields = extract(clean("\n\n".join(lines)))
    assert fields.published_date is None
    assert fields.updated_at == datetime(2025, 9, 9, 18, 0, tzinfo=timezone.utc)
    assert (fields.updated_date, fields.updated_at_raw) == (date(2025, 9, 9), "Sep 9, 2025 at 1:00 PM EST")


CONTENTS = ["Table of contents", *(f"Part {name} of the flood" for name in
                                   ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"))]


@pytest.mark.parametrize(
    ("below_contents", "day"),
    [
        (["March 20, 2023 | Weather & Rivers"], date(2023, 3, 20)),  # a blog's post-meta line
        (["* 15th Dec 2023 • tags: rain"], date(2023, 12, 15)),
        (["Tuesday, March 21, 2023 at 11:00 am | Categories: News"], date(2023, 3, 21)),
        ([BODY_LINES[0], "On March 3, 2024 the river rose by a metre, the highest since the records began."],
         None),  # the text's dates have begun
        (["March 20, 2023 was the wettest day of the year in the valley, and the worst since 1956 in the town."],
         None),  # a sentence, not a stamp
    ],
)
def test_a_stamp_line_below_a_table_of_contents_is_taken(below_contents: list[str], day: date | None) -> None:
    lines = ["Rivers rise after the storm", "By Ann Lee", *BODY_LINES, *CONTENTS, *below_contents, *BODY_LINES * 6]
    published = find_published(clean("\n\n".join(lines)), None, 0)
    assert (published.published_date if published else None) == day


@pytest.mark.parametrize("comment", [["3 Comments", "Sam Hill"], ["Sam Hill wrote:"], ["Sam Hill says :"]])
def test_a_comment_date_below_a_short_text_is_not_taken(comment: list[str]) -> None:
    lines = ["Rivers rise after the storm", "By Ann Lee", *BODY_LINES * 6, *comment, "March 20, 2023 at 10:12 am",
             "Great article, thanks."]
    assert find_published(clean("\n\n".join(lines)), None, 0) is None


def test_a_stamp_line_far_below_is_not_taken_over_an_update_in_the_header() -> None:
    lines = ["Rivers rise after the storm", "Last updated: March 6, 2024", *BODY_LINES, *CONTENTS,
             "March 20, 2023 | Weather", *BODY_LINES * 6]
    assert find_published(clean("\n\n".join(lines)), None, 0) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=12), st.sampled_from([None, "China Daily"]))
def test_find_published_never_raises(lines: list[str], publisher: str | None) -> None:
    cleaned = clean("\n".join(lines))
    for title_index in (None, 0, len(cleaned.labels) - 1):
        find_published(cleaned, publisher, title_index)


@pytest.mark.parametrize(
    ("header", "authors"),
    [
        (["Rivers rise after the storm", "Posted on May 3, 2024 by Ann Lee"], ["Ann Lee"]),
        (["Rivers rise after the storm", "Ann Lee · March 3, 2024 · 4 min read"], ["Ann Lee"]),
        (["Rivers rise after the storm", "March 3, 2024 • Ann Lee in Weather"], ["Ann Lee"]),
        (["Rivers rise after the storm", "Ann Lee", "March 3, 2024"], ["Ann Lee"]),
        (["Rivers rise after the storm", "Ann Lee, Tom Hall, Maria de la Cruz", "March 3, 2024"],
         ["Ann Lee", "Tom Hall", "Maria de la Cruz"]),
        (["Rivers rise after the storm", "Written By", "Tom Hall", "March 3, 2024"], ["Tom Hall"]),
        # writers one a line, each described, under a lone 'Written by'
        (["Rivers rise after the storm", "Written by", "Petra Novak, 4+ years covering rivers",
          "Tom Hall, senior editor and flood watcher", "March 3, 2024"], ["Petra Novak", "Tom Hall"]),
        (["Rivers rise after the storm", "Written by", "Petra Novak", "Tom Hall, senior editor",
          "March 3, 2024"], ["Petra Novak"]),
        (["Rivers rise after the storm", "By", "Tom Hall", ",", "Petra Novak", ", and", "Raj Patel", "March 3, 2024"],
         ["Tom Hall", "Petra Novak", "Raj Patel"]),  # linked names dumped one a line
        (["Rivers rise after the storm", "By", "Tom Hall", "Share", "Petra Novak", "March 3, 2024"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Photo by Tom Hall", "March 3, 2024"], []),
        (["Rivers rise after the storm", "Reviewed by Tom Hall", "March 3, 2024"], []),
        (["Rivers rise after the storm", "Your Weather Guide", "March 3, 2024"], []),
        (["Rivers rise after the storm", "Author:", "Tom Hall"], ["Tom Hall"]),
        (["Rivers rise after the storm", "* by", "Tom Hall", "* Sep 25, 2024"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Tom Hall", "7 min read"], ["Tom Hall"]),
        # the editor's box under an editor's credit is no byline
        (["Rivers rise after the storm", "March 3, 2024", "Edited by: Tom Hall", "Tom Hall", "Editor-in-Chief"], []),
        (["Rivers rise after the storm", "March 3, 2024", "Tom Hall", "Editor-in-Chief"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Weather Desk", "Tom Hall · 2 days ago"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Kit", "March 3, 2024"], ["Kit"]),
        (["Rivers rise after the storm", "by tom_hall", "March 3, 2024"], ["tom_hall"]),
        (["Rivers rise after the storm", "Posted on March 3, 2024 by tomhall"], ["tomhall"]),
        (["Rivers rise after the storm", "by tomhall | Mar 3, 2024"], ["tomhall"]),
        (["Rivers rise after the storm", "Sort by newest", "March 3, 2024"], []),
        (["Rivers rise after the storm", "by tomhall"], []),
        (["Rivers rise after the storm", "4f1c2e9-ab07-31d2", "March 3, 2024"], ["4f1c2e9-ab07-31d2"]),
        (["Rivers rise after the storm", "2024-25", "March 3, 2024"], []),
        (["Rivers rise after the storm", "* Kit", "* Mar 3", "* 4 min read"], ["Kit"]),
        (["Rivers rise after the storm", "March 3, 2024", "Floods"], []),
        (["Rivers rise after the storm", "Weather", "March 3, 2024"], []),
        (["Rivers rise after the storm", "Key Highlights", "March 3, 2024"], []),
        (["Rivers rise after the storm", "Nobody", "Knew", "Anything", "March 3, 2024"], []),
        (["Rivers rise after the storm", "Tom Hall", "Weather Desk", "Valley Post March 3, 2024"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Tomáš Průcha • 8h"], ["Tomáš Průcha"]),
        # an embedded post's credit names whose post is quoted
        (["Rivers rise after the storm", "The river is higher than I have ever seen it.",
          "— Petra Novak (@petranovak) March 3, 2024"], []),
        (["Rivers rise after the storm", "Tom Hall in Weather", "Dec 10"], ["Tom Hall"]),
        (["Kate Moss", "Rivers rise after the storm", "March 3, 2024"], []),
        (["Tom Hall", "Mar 3, 2024", "Rivers rise after the storm"], ["Tom Hall"]),
        (["3D Flood Maps", "Our Services", "Rivers rise after the storm", "Mar 3, 2024"], []),  # '3D' is no stamp
        (["Press Release", "Mar 3, 2024", "Rivers rise after the storm"], []),
        (["Rivers rise after the storm", "By Tom Hall, Software Engineer"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Tom Hall", "Content Editor"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Tom Hall", "Founder & CEO"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Tom Hall", "Managing Partner"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Your Weather Guide", "Senior Editor"], []),
        (["Tom Hall", "Senior Editor", "Rivers rise after the storm"], []),
        (["Rivers rise after the storm", "Valley Weather", "By Tom Hall March 3, 2024"], ["Tom Hall"]),
        (["Rivers rise after the storm", "Written By", "Mar 3, 2024"], []),
        # a 'By' line over the headline (a listed story's credit) yields to a name below it, else is taken
        (["By Tom Hall", "Rivers rise after the storm", "Petra Novak", "March 3, 2024"], ["Petra Novak"]),
        (["By Tom Hall", "Rivers rise after the storm", "March 3, 2024"], ["Tom Hall"]),
        # a name with no 'By' and no date beside it: taken when it opens with a known given name
        (["Rivers rise after the storm", "Petra Novak", "Share"], ["Petra Novak"]),
        (["Rivers rise after the storm", "Harbour Lights", "Share"], []),
        (["Rivers rise after the storm", "* PETRA NOVAK", "* Mar 3, 2024"], ["PETRA NOVAK"]),
        (["Rivers rise after the storm", "Dr. Okafor", "Jan 4"], ["Dr. Okafor"]),
        (["Petra Novak", "Follow", "Mar 3, 2024 · 8 min read", "Rivers rise after the storm"], ["Petra Novak"]),
        # one known first name beside the date in its line; another lone word there is no name
        (["Rivers rise after the storm", "Susan March 3, 2024 0 Comments"], ["Susan"]),
        (["Rivers rise after the storm", "Harbour March 3, 2024 0 Comments"], []),
        (["Rivers rise after the storm", "Petra Novak Founder at Acme"], ["Petra Novak"]),
        (["Rivers rise after the storm", "Petra Novak CPP, PSP", "March 3, 2024"], ["Petra Novak"]),
        (["Rivers rise after the storm", "A. J. Novak", "March 3, 2024"], ["A. J. Novak"]),
        (["Rivers rise after the storm", "Petra Novak and Raj Patel | Guest Columnists"], ["Petra Novak", "Raj Patel"]),
        (["Rivers rise after the storm", "* Petra Novak – Type & Expression (Instructor: Tom Hall)"], []),
        # a job title after names says they are people where the given names do not know the first
        (["Rivers rise after the storm", "Oyelaran Adeyemi and Tamsin Rowe | Guest Columnists"],
         ["Oyelaran Adeyemi", "Tamsin Rowe"]),
        (["Rivers rise after the storm", "Oyelaran Adeyemi", "Share"], []),
        (["Rivers rise after the storm", "by Petra Novak ● March 3, 2024 ● 6 min read"], ["Petra Novak"]),
        (["Rivers rise after the storm", "12/19/2025 • Friday Philosophy • Petra Novak"], ["Petra Novak"]),
        # a name-shaped line beside the date yields to a header line naming a known person
        (["Rivers rise after the storm", "Petra Novak", "Share", "Harbour Lights", "March 3, 2024"], ["Petra Novak"]),
        (["Rivers rise after the storm", "* tomhall", "* March 3, 2024", "* No Comments"], ["tomhall"]),
        (["Rivers rise after the storm", "* share", "* March 3, 2024"], []),
        # a credit to a team names nobody, and ends the search; a menu item or a phrase ending so does not
        (["Rivers rise after the storm", "Valley Post Team", "Weather Guide", "March 3, 2024"], []),
        (["Rivers rise after the storm", "* Our Team", "Petra Novak", "March 3, 2024"], ["Petra Novak"]),
        (["Rivers rise after the storm", "Highly trained staff", "Petra Novak", "March 3, 2024"], ["Petra Novak"]),
        # ... after 'By' too ('By Acme Editorial Team', 'By Our Editors'), alone or beside people
        (["Rivers rise after the storm", "By Valley Post Editorial Team", "March 3, 2024"], []),
        (["Rivers rise after the storm", "By Our Editors", "Petra Novak", "March 3, 2024"], []),
        (["Rivers rise after the storm", "By Harbour Gazette Staff | March 3, 2024"], []),
        (["Rivers rise after the storm", "By Team Valley Post", "March 3, 2024"], []),  # the team named after 'Team'
        (["Rivers rise after the storm", "Team Valley Wins Again", "Petra Novak", "March 3, 2024"], ["Petra Novak"]),
        (["Rivers rise after the storm", "By Petra Novak, Raj Patel and the Valley Post Team"],
         ["Petra Novak", "Raj Patel"]),
        (["Rivers rise after the storm", "Weather Guides · 5 min read · By Valley Post Editorial Team"], []),
        (["Rivers rise after the storm", "Contributors: Petra Novak, Raj Patel"], ["Petra Novak", "Raj Patel"]),
        (["Rivers rise after the storm", "* Contributors", "* Podcast"], []),  # a menu
        (["Rivers rise after the storm", "March 3, 2024 | Flood Defences: Step by Step Guide"], []),  # a phrase
        (["Rivers rise after the storm", "The old bridge (Photo montage by Valley Post)", "March 3, 2024"], []),
        # a numbered list's entry over its date is an event's or a product's name
        (["Rivers rise after the storm", "2. Valley Data Conference (VDC)", "March 3, 2024"], []),
        # a law firm's post line credits the firm; the part after the date is a category
        (["Rivers rise after the storm", "On Behalf of Novak Law Group | Mar 3, 2024 | Flood Claims"], []),
        (["Rivers rise after the storm", "On Behalf of the River", "Petra Novak", "March 3, 2024"], ["Petra Novak"]),
    ],
)
def test_find_authors_in_made_up_headers(header: list[str], authors: list[str]) -> None:
    cleaned = clean("\n\n".join(header + BODY_LINES))
    assert find_authors(cleaned, header.index("Rivers rise after the storm")) == authors


@pytest.mark.parametrize(
    ("footer", "authors"),
    [
        (["By Tom Hall"], ["Tom Hall"]),
        (["Browse by", "Category"], []),
        (["By Category"], []),
        (["Shop by", "Style"], []),
        (["Related stories", "Bridge reopens after repairs", "By Tom Hall"], []),
        (["By the end of the week the river had fallen by a metre, officials said."], []),
        # an author box: a name over a bio that opens with it
        (["Petra Novak", "Petra is a hydrologist who writes about rivers and floods."], ["Petra Novak"]),
        (["About Petra", "Petra Novak is a hydrologist who writes about rivers and floods."], ["Petra"]),
        (["Apache Spark", "Apache Spark is an engine for processing data at scale."], []),
        (["Jack Brooks Park", "Jack Brooks Park is a park by the river with a boat ramp."], []),
        (["Petra Novak", "I'm a hydrologist and I write about rivers and floods."], ["Petra Novak"]),
        (["Harbour Lights", "I'm sure the river will rise again this spring."], []),
        # a box labelled as the writer's, among related links too
        (["Related stories", "Article by", "Petra Novak", "Bridge reopens after repairs"], ["Petra Novak"]),
        (["Petra Novak", "Author’s Profile", "Latest posts"], ["Petra Novak"]),
        (["Harbour Lights", "Author", "Latest posts"], []),
        (["Related stories", "Author(s)", "* Petra Novak", "* Raj Patel", "* Tom Hall", "* Latest posts"],
         ["Petra Novak", "Raj Patel", "Tom Hall"]),
        (["Article written by:", "Petra Novak, MD, FACP", "Article reviewed by:", "Tom Hall, MD"], ["Petra Novak"]),
        (["Authors of this article:", "Petra Novak 1; Tom Hall 2; Raj Patel 1"], ["Petra Novak", "Tom Hall", "Raj Patel"]),
        # a name the given names do not know: a box label with a bio under it, or an avatar's initials
        (["Quorin Belvane", "Author", "@qbelvane", "Quorin is building flood models for river towns."],
         ["Quorin Belvane"]),
        (["Quorin Belvane", "Author", "Latest posts"], []),
        (["Author", "QB", "Quorin Belvane", "Staff Hydrologist, Valley Water", "TV", "Tamsk Vorell"],
         ["Quorin Belvane", "Tamsk Vorell"]),
        (["Author", "QX", "Quorin Belvane"], []),
        # a byline the cleaner found right under a comment count is the page's
        (["12 Comments", "By Quorin Belvane March 18 at 3:57 PM"], ["Quorin Belvane"]),
        (["Related stories", "Written by Petra Novak and Raj Patel", "Bridge reopens after repairs"],
         ["Petra Novak", "Raj Patel"]),
        (["This post was written by Petra Novak, head of hydrology at Valley Water."], ["Petra Novak"]),
        (["Related stories", "Written by Harbour Lights"], []),
        # a lone 'Written by' over a name the given names do not know: the prefix says it is the writer
        (["Leave a Reply", "Author", "Written by", "Quorin Belvane", "I built this site because I love rivers."],
         ["Quorin Belvane"]),
        (["Related stories", "Written by", "Bridge reopens after repairs"], []),
        # the box's label and the name on one line; a lone known first name there is the writer's too
        (["Share This Article", "About the Author: Petra", "Engineer by day, writer at night."], ["Petra"]),
        (["About the Author: Harbour Lights"], []),
        (["Related stories", "Written by Petra", "Bridge reopens after repairs"], ["Petra"]),
        # a name signing the text off; with a job title after it, a testimonial's attribution
        (["Petra Novak"], ["Petra Novak"]),
        (["Petra Novak, Chief Marketing Officer, Valley Post"], []),
        (["Harbour Lights"], []),
        (["Petra Novak — 2024-03-03 — in Weather — Permalink"], ["Petra Novak"]),  # a post's footer
        (["Harbour Lights — 2024-03-03 — in Weather — Permalink"], []),
        # far from the title a lone word after 'By' is a given name or a menu's option
        (["By Petra"], ["Petra"]),
        (["Solutions", "By Hydrology", "By Region"], []),
    ],
)
def test_a_byline_under_the_text_is_read_when_the_header_has_none(footer: list[str], authors: list[str]) -> None:
    lines = ["Rivers rise after the storm", "March 3, 2024", *BODY_LINES * 6, *footer]
    assert find_authors(clean("\n\n".join(lines)), 0) == authors


@pytest.mark.parametrize(
    ("first", "footer", "authors"),
    [
        ("Rivers rise after the storm | Petra Novak", [], ["Petra Novak"]),  # a personal site's <title>
        ("Petra Novak", [], []),  # a name alone over the headline: a kicker as often as a site header
        ("Rivers rise after the storm | Harbour Lights", [], []),
        ("Rivers rise after the storm | Ava Community Energy", [], []),  # a third name word: a firm's
        ("Rivers rise after the storm | Petra Novak Institute", [], []),
        ("Weather notes", ["© 2025 Petra Novak. All rights reserved."], ["Petra Novak"]),
        ("Weather notes", ["© 2025 Valley Post. All rights reserved."], []),
        ("Weather notes", ["© Copyright 2012-2025 Petra Novak"], ["Petra Novak"]),
        # a blog named in the possessive in the site header; further down such a line is a story's headline
        ("Petra Novak's Weather Notes", [], ["Petra Novak"]),
        ("Harbour Lights's Weather Notes", [], []),
        ("Weather notes", ["Related stories", "Petra Novak's favourite walks by the river"], []),
    ],
)
def test_a_personal_site_names_its_writer(first: str, footer: list[str], authors: list[str]) -> None:
    lines = [first, "Rivers rise after the storm", "March 3, 2024", *BODY_LINES * 6, *footer]
    assert find_authors(clean("\n\n".join(lines)), 1) == authors


@pytest.mark.parametrize(
    ("first", "authors"),
    [
        ("Petra Novak", ["Petra Novak"]),  # a personal site's name, its menu under it
        ("Harbour Lights", []),
        ("Skip Navigation", []),
    ],
)
def test_a_name_alone_over_the_site_menu_names_its_owner(first: str, authors: list[str]) -> None:
    lines = [first, "Posts", "Projects", "Rivers rise after the storm", "March 3, 2024", *BODY_LINES * 6]
    assert find_authors(clean("\n\n".join(lines)), 3) == authors


BIO_BOX = ["Petra Novak", "Petra Novak is a hydrologist who writes about rivers and floods."]


@pytest.mark.parametrize(
    ("byline", "box", "authors"),
    [
        ("by Petra Novak Valley Affairs May 3, 2024 11 mins", BIO_BOX, ["Petra Novak"]),  # a section's link glued on
        ("by Petra Novak Valley Affairs May 3, 2024 11 mins", [], ["Petra Novak Valley Affairs"]),
    ],
)
def test_a_byline_name_running_on_past_the_author_box_name_is_cut_to_it(byline: str, box: list[str], authors: list[str]) -> None:
    lines = ["Rivers rise after the storm", byline, *BODY_LINES * 6, *box]
    assert find_authors(clean("\n\n".join(lines)), 0) == authors


def test_the_title_line_is_not_read_as_its_own_byline() -> None:
    cleaned = clean("\n\n".join(["Kate Moss", "March 3, 2024", *BODY_LINES]))
    assert find_authors(cleaned, 0) == []


@pytest.mark.parametrize(
    ("standfirst", "authors"),
    [
        ("The valley's rivers rose by two metres overnight, the highest level in years. By Petra Novak on Dec. 19, 2025",
         ["Petra Novak"]),
        ("The valley's rivers rose by two metres overnight, the highest level in years. By Monday the water had gone.",
         []),
        # a credit in the standfirst's last words, as British and Irish papers give it
        ("The valley's rivers rose by two metres overnight, and the towns are counting the cost, writes Petra Novak.",
         ["Petra Novak"]),
        ("The valley's rivers rose by two metres overnight, and the towns are counting the cost, says PETRA NOVAK.",
         ["PETRA NOVAK"]),
        ("The valley's rivers rose by two metres overnight, and the towns are counting the cost, says Petra Novak.",
         []),  # in mixed case, a quoted source
        ("The valley's rivers rose by two metres overnight, and the towns are counting the cost, writes Harbour Lights.",
         []),
    ],
)
def test_a_byline_closing_a_standfirst_is_read(standfirst: str, authors: list[str]) -> None:
    lines = ["Rivers rise after the storm", standfirst, *BODY_LINES]
    assert find_authors(clean("\n\n".join(lines)), 0) == authors


def test_names_in_running_text_are_not_authors() -> None:
    lines = ["Rivers rise after the storm", "Figures released by Valley Water Board show the river rose by two "
             "metres overnight, the highest level since records began in the town.", *BODY_LINES]
    assert find_authors(clean("\n\n".join(lines)), 0) == []


def test_an_author_box_outweighs_a_lone_name_line_under_the_title() -> None:
    lines = ["Rivers rise after the storm", "Petra Novak", "Share", *BODY_LINES * 6,
             "Tom Hall", "Tom is a hydrologist who writes about rivers and floods."]
    assert find_authors(clean("\n\n".join(lines)), 0) == ["Tom Hall"]
    assert find_authors(clean("\n\n".join(lines[:-2])), 0) == ["Petra Novak"]


def test_under_a_page_title_far_above_the_text_the_byline_is_read_where_the_text_starts() -> None:
    menu = ["Home", "Weather", "Rivers", "Maps", "Alerts", "Sport", "Travel", "Contact", "About", "Search", "Menu"]
    lines = ["New rules for river homes as floods rise across the valley", *menu,
             "The valley braces for more rain this week, and new rules for river homes follow.",
             "Petra Novak VALLEY POST", "Show Caption", *BODY_LINES]
    cleaned = clean("\n\n".join(lines))
    assert title_line(cleaned)[0] == 0 and main_text_start(cleaned.labels) > date_rules().lines_after
    assert extract(cleaned).authors == ["Petra Novak"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=12))
def test_find_authors_never_raises(lines: list[str]) -> None:
    cleaned = clean("\n".join(lines))
    for title_index in (None, 0):
        assert all(name.strip() for name in find_authors(cleaned, title_index))


def test_a_first_name_signature_is_given_in_full_by_the_author_box() -> None:
    box = ["Petra Novak", "Petra is a hydrologist who writes about rivers and floods."]
    lines = ["Rivers rise after the storm", "Petra", "March 3, 2024", *BODY_LINES * 6]
    assert find_authors(clean("\n\n".join(lines + box)), 0) == ["Petra Novak"]
    assert find_authors(clean("\n\n".join(lines)), 0) == ["Petra"]
    other = ["Tom Hall", "Tom is a hydrologist who writes about rivers and floods."]
    assert find_authors(clean("\n\n".join(lines + other)), 0) == ["Petra"]


def test_a_credit_in_a_line_kept_as_text_names_no_writer() -> None:
    lines = ["Rivers rise after the storm", "March 3, 2024", BODY_LINES[0], "Flood Levels by River Section",
             *BODY_LINES[1:] * 3]
    assert find_authors(clean("\n\n".join(lines)), 0) == []
    lines[1] = "March 3, 2024 by Petra Novak"
    assert find_authors(clean("\n\n".join(lines)), 0) == ["Petra Novak"]


def test_a_first_name_under_the_title_is_the_owners_when_the_about_link_names_it() -> None:
    lines = ["Rivers rise after the storm", "Petra", "River watcher and storyteller", *BODY_LINES * 6]
    assert find_authors(clean("\n\n".join(lines + ["+ Meet Petra"])), 0) == ["Petra"]
    assert find_authors(clean("\n\n".join(lines)), 0) == []
    assert find_authors(clean("\n\n".join(lines + ["+ Meet Tom"])), 0) == []


# Pieces a date is made of (numbers, separators, month names in both cases, white space of several
# kinds, CJK date marks) and other text, so that made-up lines hold dates, near-dates and runs of digits.
_DATE_PIECES = st.sampled_from(["2024", "12", "3", "19999", "-", "/", ".", ",", " ", "  ", "\u00a0", "\t", "May", "sept.",
                                "DECEMBER", "Jun", "th", "nd", "年", "月", "日", "by", "Ann", "٣", "x"])


@given(st.lists(_DATE_PIECES, max_size=30))
def test_year_anchored_search_finds_what_the_pattern_finds(pieces: list[str]) -> None:
    text = "".join(pieces)
    pattern = _DATE_PATTERN
    expected = pattern.search(text)
    found = _DATE.search(text)
    assert (found and found.span()) == (expected and expected.span())
    assert [match.span() for match in _DATE.finditer(text)] == [match.span() for match in pattern.finditer(text)]
    assert _DATE.sub(" | ", text) == pattern.sub(" | ", text)


def test_year_anchored_refuses_a_pattern_whose_matches_may_hold_no_year() -> None:
    with pytest.raises(ValueError):
        YearAnchored(re.compile(r"\d{4}-\d{2}|(?:may|june)\s\d{1,2}"))
    with pytest.raises(ValueError):
        YearAnchored(re.compile(r"\d{4}.*"))
    with pytest.raises(ValueError):  # the lookahead reads past the window's end
        YearAnchored(re.compile(r"\d{1,2}/\d{4}(?!\d)"))
    assert YearAnchored(re.compile(r"(?:on\s)?\d{4}|\d{1,2}\.\d{4}")).width == 7


def test_caseless_literal_is_one_every_match_holds() -> None:
    assert _caseless_literal(re.compile(r"(?:says|wrote)\s{0,3}:\s*$", re.IGNORECASE)) == ":"
    assert _caseless_literal(re.compile(r"said|wrote:")) == ""  # only one branch holds the colon
    assert _caseless_literal(re.compile(r"ann\s", re.IGNORECASE)) == ""  # letters fold


def test_cues_drop_words_holding_another_and_give_up_on_other_scripts() -> None:
    assert _cues(["Editor", "editors", "senior editor", "Staff"]) == ("editor", "staff")
    assert _cues(["editor", "rédacteur"]) is None


@given(st.lists(st.sampled_from(["Senior", "EDITOR", "editors", "Ann", "Lee", " ", ", ", "staff", "writer", "ſtaff", "é",
                                 "-", "Head", "of", "x"]), max_size=12))
def test_find_role_finds_what_the_role_pattern_finds(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = author_rules().role.search(text)
    found = _find_role(text)
    assert (found and found.span()) == (expected and expected.span())
