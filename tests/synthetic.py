"""Made-up news-page dumps in the five seed styles, each with its expected gold record.

Why: five hand-labelled seeds cannot tell a general cleaning rule from one keyed to their
exact text. These dumps keep each seed's page chrome and layout but vary what a real site
varies (headlines, people, places, dates, paragraph counts, optional blocks, a few legal
header orders), and their records follow the labelling conventions of the seed corpus
README (reason codes, field forms, consistency rule). Standard library only, so it runs
anywhere; deterministic for a seed.

    python tests/synthetic.py --out DIR --n 50 [--seed 0]

writes DIR/<name>.txt and DIR/gold.jsonl (records name their file "raw/<name>", as the seed
gold does, so the seeds' check_gold.py --gold DIR/gold.jsonl --raw DIR verifies them).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator, Sequence

NBSP = "\u00a0"
BODY = "body"
REASONS = frozenset({
    "title", "subtitle", "byline", "dateline", "share_widget", "navigation", "breadcrumb",
    "repeated_title", "print_edition", "view_counter", "contact", "related_links", "editors_picks",
    "author_bio", "editorial_credit", "comments", "partners", "copyright", "licence", "registration",
    "other",
})
STYLES = ("china_daily_print", "china_daily_web", "wire_no_header", "bare_title_bullets", "beijing_review")

# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """What one story is about: the noun and verb phrases its headlines and sentences use."""

    field: str                    # "cooperation on {field}"
    headline: tuple[str, ...]     # noun modifiers: "{hl} talks", "closer {hl} cooperation"
    things: tuple[str, ...]       # object noun phrases (singular or plural: never a verb's subject)
    goals: tuple[str, ...]        # bare infinitive phrases: "to {goal}"
    orgs: tuple[str, ...]         # official bodies, with their article
    metrics: tuple[str, ...]      # measurable quantities: "{metric} rose by ..."


TOPICS: tuple[Topic, ...] = (
    Topic("clean energy", ("clean energy", "solar", "wind power", "green energy"),
          ("solar and wind projects", "battery storage", "electric vehicle charging networks",
           "offshore wind farms", "the upgrade of the power grid"),
          ("cut carbon emissions", "expand renewable power capacity", "lower the cost of battery storage",
           "modernize the power grid"),
          ("the National Energy Administration", "the International Energy Agency",
           "the China Electricity Council", "the State Grid Corporation of China"),
          ("installed solar capacity", "investment in renewable energy", "sales of new energy vehicles")),
    Topic("trade and investment", ("trade", "investment", "e-commerce", "market access"),
          ("tariffs on steel and aluminum", "market access for foreign firms", "agricultural exports",
           "cross-border e-commerce", "the protection of intellectual property"),
          ("reduce trade frictions", "open markets further", "boost two-way investment",
           "resolve disputes through consultation"),
          ("the Ministry of Commerce", "the World Trade Organization",
           "the China Council for the Promotion of International Trade", "the US-China Business Council"),
          ("bilateral trade", "foreign direct investment", "exports of farm products")),
    Topic("public health", ("health", "vaccine", "disease control", "health care"),
          ("vaccine research", "disease surveillance systems", "rural clinics",
           "the training of community doctors", "the supply of essential medicines"),
          ("improve early warning of epidemics", "expand access to basic health care",
           "share clinical data more quickly", "train more general practitioners"),
          ("the National Health Commission", "the World Health Organization",
           "the Chinese Center for Disease Control and Prevention", "the Red Cross Society of China"),
          ("spending on public health", "the number of licensed general practitioners", "vaccination coverage")),
    Topic("education exchanges", ("education", "student exchange", "university", "vocational training"),
          ("student exchange programs", "joint degree programs", "language teaching",
           "vocational training centers", "scholarships for young scientists"),
          ("bring more students to study abroad", "expand joint research between universities",
           "improve vocational training", "make tuition more affordable"),
          ("the Ministry of Education", "the China Scholarship Council",
           "the Institute of International Education", "the Chinese Education Association for International Exchange"),
          ("the number of international students", "enrollment in joint programs", "spending on scholarships")),
    Topic("polar and ocean research", ("ocean", "polar", "Arctic", "deep-sea"),
          ("research vessels", "Antarctic research stations", "deep-sea exploration",
           "marine conservation", "the monitoring of sea ice"),
          ("protect fragile marine ecosystems", "share data on sea ice", "expand deep-sea exploration",
           "monitor rising sea levels"),
          ("the Ministry of Natural Resources", "the Polar Research Institute of China",
           "the Second Institute of Oceanography", "the National Oceanic and Atmospheric Administration"),
          ("funding for marine research", "the number of research expeditions", "the area of protected waters")),
    Topic("rail and infrastructure", ("rail", "high-speed rail", "freight", "infrastructure"),
          ("high-speed rail lines", "port upgrades", "urban subway networks", "cross-border freight trains",
           "the financing of new bridges and highways"),
          ("speed up cross-border freight", "link inland cities with coastal ports",
           "cut travel times between major cities", "raise private investment in infrastructure"),
          ("China State Railway Group", "the Ministry of Transport",
           "the Asian Infrastructure Investment Bank", "the National Development and Reform Commission"),
          ("rail freight volume", "investment in fixed assets", "the number of passenger trips")),
    Topic("food security", ("food security", "grain", "farm", "agriculture"),
          ("grain reserves", "seed technology", "irrigation projects", "farm machinery",
           "the cold-chain transport of fresh produce"),
          ("stabilize grain output", "raise farmers' incomes", "reduce food waste", "protect arable land"),
          ("the Ministry of Agriculture and Rural Affairs", "the Food and Agriculture Organization",
           "the Chinese Academy of Agricultural Sciences", "the World Food Programme"),
          ("grain output", "agricultural imports", "the income of rural residents")),
    Topic("tourism", ("tourism", "travel", "visa", "heritage"),
          ("visa facilitation", "direct flights", "cultural heritage sites", "travel services",
           "the promotion of rural tourism"),
          ("attract more foreign visitors", "simplify visa procedures", "restore direct flights",
           "promote tourism in rural areas"),
          ("the Ministry of Culture and Tourism", "the World Tourism Organization",
           "the China Tourism Academy", "the US Travel Association"),
          ("inbound tourist arrivals", "tourism revenue", "the number of direct flights")),
    Topic("space exploration", ("space", "lunar", "satellite", "space station"),
          ("lunar exploration", "satellite navigation", "the monitoring of space debris",
           "the space station program", "commercial rocket launches"),
          ("share data from lunar missions", "track space debris more accurately",
           "set rules for commercial launches", "train a new generation of astronauts"),
          ("the China National Space Administration", "the China Academy of Space Technology",
           "the European Space Agency", "the United Nations Office for Outer Space Affairs"),
          ("the number of commercial launches", "spending on space research", "the number of satellites in orbit")),
    Topic("the digital economy", ("digital economy", "data", "internet", "AI"),
          ("data protection rules", "cross-border data flows", "mobile payments", "artificial intelligence",
           "the security of personal information"),
          ("set common rules for cross-border data", "protect personal information",
           "narrow the digital divide", "support small online businesses"),
          ("the Cyberspace Administration of China", "the China Academy of Information and Communications Technology",
           "the Internet Society of China", "the Ministry of Industry and Information Technology"),
          ("online retail sales", "the number of internet users", "the value of the digital economy")),
)

# (headline form, prose form) of the other country in a bilateral story
PARTNERS: tuple[tuple[str, str], ...] = (
    ("US", "the United States"), ("EU", "the European Union"), ("UK", "the United Kingdom"),
    ("Japan", "Japan"), ("ROK", "the Republic of Korea"), ("Russia", "Russia"), ("India", "India"),
    ("Brazil", "Brazil"), ("Germany", "Germany"), ("France", "France"), ("Australia", "Australia"),
    ("Canada", "Canada"), ("South Africa", "South Africa"), ("Kenya", "Kenya"), ("Indonesia", "Indonesia"),
    ("ASEAN", "the Association of Southeast Asian Nations"),
)
CN_CITIES = ("Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Wuhan", "Hangzhou", "Xi'an",
             "Tianjin", "Chongqing", "Nanjing", "Kunming", "Harbin", "Xiamen", "Lanzhou", "Hong Kong")
WORLD_CITIES = ("Washington", "New York", "San Francisco", "Chicago", "Los Angeles", "Seattle", "Houston",
                "London", "Brussels", "Geneva", "Paris", "Berlin", "Tokyo", "Seoul", "Singapore", "Nairobi",
                "Johannesburg", "Sydney", "Toronto", "Moscow", "New Delhi", "Jakarta", "Sao Paulo")

CN_SURNAMES = ("Cao", "Chen", "Zhang", "Wang", "Li", "Liu", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun",
               "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang",
               "Han", "Feng", "Deng", "Cai", "Peng", "Jiang", "Yu", "Lu", "Shen", "Jia", "Fang")
CN_SYLLABLES = ("xiao", "wei", "hua", "ming", "jing", "lei", "yan", "hong", "jun", "lin", "fang", "tao",
                "yu", "qing", "hai", "dong", "li", "ping", "rui", "xin", "yang", "zhi", "cheng", "bo",
                "kai", "mei", "na", "ting", "feng", "jie", "shan", "wen", "yin", "qiang", "hui", "long")
WESTERN_FIRST: tuple[tuple[str, str], ...] = (
    ("James", "he"), ("Sarah", "she"), ("Michael", "he"), ("Emily", "she"), ("David", "he"),
    ("Laura", "she"), ("Robert", "he"), ("Anna", "she"), ("Thomas", "he"), ("Rachel", "she"),
    ("Daniel", "he"), ("Claire", "she"), ("Peter", "he"), ("Helen", "she"), ("Mark", "he"),
    ("Julia", "she"), ("Andrew", "he"), ("Karen", "she"), ("Stephen", "he"), ("Megan", "she"),
)
WESTERN_LAST = ("Miller", "Carter", "Schmidt", "Harris", "Bennett", "Coleman", "Fischer", "Hughes",
                "Lambert", "Morgan", "Novak", "Parker", "Reed", "Sullivan", "Turner", "Walsh", "Brooks",
                "Dunn", "Foster", "Grant", "Keller", "Owens", "Porter", "Stone")

INSTITUTES = ("Tsinghua University", "Peking University", "Fudan University", "Renmin University of China",
              "the Chinese Academy of Social Sciences", "the Brookings Institution",
              "the Center for Strategic and International Studies", "the China Institute of International Studies",
              "Zhejiang University", "the London School of Economics", "the University of Hong Kong",
              "the China Center for International Economic Exchanges")
ACADEMIC_ROLES = ("a professor at", "a senior fellow at", "a researcher at", "an associate professor at",
                  "head of the research department at", "an economist at")
OFFICIAL_ROLES = ("director of", "deputy director of", "a spokesperson for", "vice-president of",
                  "secretary-general of", "a senior official with")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
NUMBER_WORDS = ("three", "four", "five", "six", "seven", "eight", "ten")
ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
AGENCIES = ("Xinhua", "China Daily", "Reuters", "CGTN", "the Associated Press")  # quoted sources only

HEADLINE_ACTORS = ("Experts", "Officials", "Scholars", "Business leaders", "Lawmakers", "Delegates")
HEADLINE_LEADERS = ("Premier", "Minister", "Envoy", "Vice-premier", "Ambassador", "UN official")
HEADLINE_DIALOGUE = ("Dialogue", "Cooperation", "Consultation", "Partnership")
HEADLINE_KEYS = ("key to", "vital for", "needed for", "crucial for")
HEADLINE_OUTCOMES = ("future", "growth", "security", "progress", "reform")

# Sentence-case China Daily headlines: short, one phrase, no final period.
HEADLINES = (
    "{actors} urge closer {hl} cooperation",
    "{leader} calls for closer {hl} cooperation",
    "China and {place} to expand {hl} ties",
    "China, {place} sign {hl} deal",
    "{Hl} talks open in {city}",
    "{cn_city} unveils plan to {goal}",
    "{dialogue} best way to {goal}, experts say",
    "Experts: {dialogue} best way to {goal}",
    "{dialogue} '{key} {hl} {outcome}'",
    "Forum calls for new {hl} rules",
    "China pledges more support for {hl} research",
    "New {hl} rules take effect in {month}",
    "{place} to host {hl} summit in {month}",
    "{Hl} cooperation gathers pace",
    "{Hl} ties 'on firm footing': {speaker}",
    "Report warns of gaps in {hl} funding",
    "{cn_city} launches {hl} pilot program",
)
# The deck under a China Daily web headline: headline-shaped, a little longer.
SUBTITLES = (
    "{actors} say closer {hl} cooperation would benefit both sides",
    "{actors} call for more dialogue on {thing}",
    "Plan to {goal} wins broad support",
    "Officials hope a deal on {thing} can be signed within months",
    "{actors} call {place} proposal on {thing} 'unrealistic'",
    "Both sides expected to {goal} under new framework",
)
# Beijing Review's "{Topic}: {Phrase}" headlines.
BR_PHRASES = ("Dialogue Beats Confrontation", "A Shared Stake in the Future", "Time to Build Trust",
              "Room for Cooperation", "Why Partnership Pays", "Beyond the War of Words",
              "The Case for Common Rules", "Turning Pledges Into Progress", "Common Ground Is Wider Than It Looks")
TITLE_SMALL_WORDS = frozenset("a an and as at but by for from in into of on or the to vs with".split())

# First sentence of a story.
LEADS = (
    "China and {partner} should step up cooperation on {field} to {goal}, officials and experts from both "
    "countries said on {day}.",
    "Officials from China and {partner} met in {city} on {day} to discuss {thing}, a subject that has become "
    "increasingly important to both sides in recent years.",
    "{cn_city} will invest {money} in {thing} over the next {n} years, according to a plan released by the "
    "local government on {day}.",
    "A new report by {org} says that closer attention to {thing} would make it easier for China to {goal} "
    "in the coming years.",
    "More than {num} delegates from around the world gathered in {city} on {day} for a three-day forum on "
    "{field}, with {thing} high on the agenda.",
    "Dialogue rather than confrontation is the best way for China and {partner} to manage their differences "
    "over {field}, analysts said on {day}.",
)
# Later sentences. {subj} is a source as a subject ("Zhang Wei, a professor at X," then "Zhang");
# {src} the same at a sentence end; {pron} refers back to the source named earlier in the sentence.
SENTENCES = (
    "The question of {thing} has become a key issue between the two countries, and both sides have common "
    "interests and responsibilities in the area, {subj} said at a forum in {city}.",
    "According to figures released by {org}, {metric} rose by {pct} percent in {year_prev}, the fastest pace "
    "in {n} years.",
    "The plan, first proposed in {month} {year_prev}, aims to {goal} by {year_next}.",
    "Analysts said the move reflects a broader shift in how governments approach {field}, with more attention "
    "now paid to {thing}.",
    "Critics have warned that the program could face delays unless more funding is secured before the end of "
    "the year.",
    "{subj} said that the two sides should respect each other's concerns and work together to {goal}.",
    "Both governments have pledged to {goal}, but progress has been uneven and many details remain to be "
    "worked out.",
    "The number of joint projects in the field has more than doubled since {year_prev}, according to {org}.",
    "{subj} noted that {thing} had attracted growing attention from investors, local governments and research "
    "institutes.",
    "Under the agreement, the two sides will set up a working group that meets twice a year to review "
    "progress on {thing}.",
    "By {year_next}, {metric} could double from current levels, the report said.",
    "The forum, the {ordinal} of its kind, is scheduled to end on {day}.",
    "In {month}, {org} announced that it would expand its work on {thing} and open a new office in {city}.",
    "Such measures are expected to create thousands of jobs and help China {goal}, said {src}.",
    "The meeting came weeks after the two sides agreed to resume talks on {thing} that had stalled for more "
    "than a year.",
    "Observers say the talks will test whether the two countries can turn broad agreement on {field} into "
    "concrete results.",
    "Local officials said the first phase of the project would be completed by the end of {year_next}, with "
    "a second phase to follow.",
    "{Partner} has long been one of China's largest partners in {field}, and companies on both sides have "
    "invested heavily in {thing}.",
    "Experts said that more dialogue between researchers, companies and regulators would help the two sides "
    "avoid misunderstandings.",
    "Despite the differences, {subj} said, there is plenty of room for cooperation in areas such as {thing} "
    "and {thing2}.",
    "Funding for {thing} has risen steadily in recent years, reaching {money} in {year_prev}, according to "
    "{org}.",
    "The survey, which polled more than {num} people in {n} cities, found that most respondents supported "
    "closer cooperation on {field}.",
    "{subj} told reporters that the government would release detailed rules on {thing} later this year.",
    "\"{quote},\" said {src}.",
    "\"{quote}. {quote2},\" {subj} said in a speech in {city} last week.",
    "{subj} said the agreement was \"an important first step\" but added that much work remained to be done.",
    "\"{quote},\" {subj} said, adding that {pron} expected the two sides to hold {n} rounds of talks this year.",
    "\"{quote},\" {subj} said in an interview with {agency}.",
    "Asked about {thing}, {subj} said the issue should be handled \"calmly and through proper channels\".",
)
# Commentary sentences for opinion pieces (Beijing Review), mixed with the reporting ones.
OPINIONS = (
    "Both countries stand to gain far more from cooperation on {field} than from rivalry.",
    "It is unnecessary for one side to lose so that the other can win in {field}.",
    "Confrontation would only erode the strategic trust that the two countries have built over decades.",
    "The message from recent talks is clear: on {field}, steady dialogue works better than pressure.",
    "If the two sides can manage their differences over {thing}, a difficult situation could be turned into "
    "an opportunity.",
    "China has repeatedly made clear that it welcomes practical cooperation on {thing} on the basis of mutual "
    "respect.",
    "Such an approach would also set an example for other countries facing similar challenges in {field}.",
    "History shows that pressure and sanctions rarely produce lasting solutions to problems of this kind.",
    "A more constructive path would be to set up regular channels of communication between experts and "
    "officials.",
    "{Partner} and China are both major players in {field}, and neither can solve the problems on its own.",
    "Unilateral measures would only invite countermeasures and hurt businesses and consumers on both sides.",
    "To narrow their differences, the two countries should start with areas where their interests clearly "
    "overlap, such as {thing}.",
    "Public opinion in both countries would benefit from more balanced reporting on {field}.",
    "The real test will be whether good intentions can be turned into concrete action in the coming years.",
    "It is in the long-term interest of both peoples to {goal} together rather than apart.",
    "Other countries are watching closely how the two sides handle their differences over {field}.",
    "Much remains to be done, but the direction of travel is clear.",
)
# A quotation running over two paragraphs: the first paragraph leaves its quote open.
QUOTE_RUN = (
    "\"{quote},\" {subj} said at a forum in {city} on {day}. \"{quote2}.",
    "\"{quote}. {quote2}.\"",
)
QUOTES = (
    "We should take dialogue and cooperation as our main approach",
    "The two sides have far more in common than many people realize",
    "Nobody gains from a war of words, and both countries have a lot to lose",
    "This is an area where the interests of our two countries clearly align",
    "We have seen real progress over the past year, but there is still a long way to go",
    "Cooperation is not a favor one side does for the other. It benefits both",
    "What matters now is turning these commitments into concrete projects",
    "Companies need clear and stable rules before they can make long-term investments",
    "Young people on both sides will shape the future of this relationship",
    "Our researchers learn a great deal from each other every time they work together",
    "It is precisely through our differences that we can complement each other",
    "The door to dialogue is always open",
    "Mutual trust is built step by step, through practical cooperation",
    "Without reliable data, it is very hard to make good policy",
    "We cannot solve these problems alone, and neither can anyone else",
    "Accusations without evidence only make the problem harder to solve",
    "Local communities must benefit from these projects, or they will not last",
    "The market is changing faster than the rules that govern it",
    "We hope the talks will produce a road map that both sides can accept",
    "There is still a lot of room for growth",
)
# Wire stories' ALL-CAPS in-body subheadings.
SUBHEAD_ADJECTIVES = ("NEW", "SHARED", "GROWING", "BROADER", "PRACTICAL", "LASTING", "COMMON")
SUBHEAD_NOUNS = ("MOMENTUM", "INTERESTS", "OPPORTUNITIES", "GROUND", "CHALLENGES", "PARTNERSHIP", "PROGRESS")
LINK_TEXTS = ("[Special coverage]", "[Full coverage]", "[Photos]", "[Video]")

# China Daily outlets as bylines and print references name them, with the years they existed.
EDITIONS: tuple[tuple[str, int, int], ...] = (
    ("China Daily", 2005, 2024), ("China Daily USA", 2009, 2019), ("China Daily Europe", 2010, 2019),
    ("China Daily Asia", 2010, 2019), ("China Daily Africa", 2012, 2019), ("China Daily Global", 2020, 2024),
)
WEB_ONLY_OUTLET = "chinadaily.com.cn"
CD_SECTIONS = ("China", "China / Across America", "China / Society", "China / Politics", "China / Innovation",
               "World", "World / Asia-Pacific", "World / Europe", "World / Americas", "World / Africa",
               "Business", "Business / Economy", "Business / Companies", "Business / Technology",
               "Opinion / Op-Ed Contributors", "Culture / Heritage", "Lifestyle / Travel", "Regional")

BR_BIO_ROLES = ("a senior international affairs researcher at", "a professor with the School of International "
                "Studies at", "a research fellow at", "an associate professor at", "deputy director of the "
                "Department of American Studies at")
BR_BIO_PLURAL_ROLES = ("researchers at", "research fellows at", "professors at")
BR_BIO_INSTITUTES = ("the China Institute of International Studies", "Peking University",
                     "Renmin University of China", "the Chinese Academy of Social Sciences",
                     "the China Institutes of Contemporary International Relations", "Fudan University",
                     "the Shanghai Institutes for International Studies", "Tsinghua University")
BR_PROVENANCE = (f"The article first published in Chinese in People's Daily{NBSP} Overseas Edition{NBSP}",
                 "This is an edited excerpt of an article first published in China Today",
                 "The article was first published on China.org.cn")

# Page chrome, byte-exact from the seeds (NBSP runs included).
CD_SHARE_ROW = f"{NBSP} Print Mail Large Medium{NBSP} Small 分享按钮 {{count}}"
CD_COPYRIGHT = ("Copyright 1995 - {end}. All rights reserved. The content (including but not limited to text, "
                "photo, multimedia information, etc) published in this site belongs to China Daily Information "
                "Co (CDIC). Without written authorization from CDIC, such content shall not be republished or "
                "used in any form. Note: Browsers with 1024*768 or higher resolution are suggested for this site.")
CD_LICENCE = "License for publishing multimedia online 0108263"
CD_REGISTRATION = "Registration Number: 130349"
BR_NAME = "Beijing Review"
BR_HEADER = (NBSP * 7).join((BR_NAME, "中文", "Deutsch", "Français", "日本語", "ChinAfrica"))
BR_FOLLOW = "Follow us on"
BR_ICONS = "  • descriptiondescription"
BR_FOOTER_NAV = f"{NBSP * 4}|{NBSP * 4}".join(("About Us", "Contact Us", "Advertise with Us", "Subscribe"))
_BAR = f"{NBSP * 3}|{NBSP * 3}"
BR_PARTNERS = (
    "Partners: ChinAfrica" + _BAR + "|" + NBSP * 3 + _BAR.join((
        "China Today", "China Pictorial", "People's Daily Online", "Women of China", "Xinhua News Agency",
        "China Daily")),
    _BAR.join(("CCTV", "China Tibet Online", "China Radio International", "Beijing Today", "gb times", "China",
               "Eastday", "CCN", "cheap glasses")) + NBSP * 6,
)
BR_PARTNERS_SPAM = _BAR.join(("prescription glasses", "dental loupes", "DHgate in Beijing"))
BR_COPYRIGHT = "Copyright Beijing Review All rights reserved 京ICP备08005356号 京公网安备110102005860号"

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def cap(text: str) -> str:
    """Upper-case the first letter only ("e-commerce talks" -> "E-commerce talks")."""
    return text[:1].upper() + text[1:]


def title_case(headline: str) -> str:
    """Beijing Review's headline case: every word capitalised except small words mid-phrase."""
    words = headline.split(" ")
    out = []
    for i, word in enumerate(words):
        core = word.lstrip("'\"")
        after_colon = i > 0 and words[i - 1].endswith(":")
        if i and not after_colon and core.lower() in TITLE_SMALL_WORDS:
            out.append(word)
        else:
            out.append(word[: len(word) - len(core)] + cap(core))
    return " ".join(out)


def join_names(names: Sequence[str]) -> str:
    """The seeds' list form: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Deck:
    """Draws items without replacement, reshuffling when empty, so a page rarely repeats itself."""

    def __init__(self, rng: random.Random, items: Sequence[str]) -> None:
        self._rng, self._items = rng, tuple(items)
        self._left: list[str] = []

    def draw(self) -> str:
        if not self._left:
            self._left = list(self._items)
            self._rng.shuffle(self._left)
        return self._left.pop()


# --------------------------------------------------------------------------------------------
# People and prose
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A byline author or quoted source; the surname is how later mentions name them."""

    name: str
    surname: str
    pronoun: str


def make_person(rng: random.Random, chinese: bool, avoid: set[str]) -> Person:
    """A pinyin (2-3 syllables, surname first) or Western name whose surname is not in `avoid`."""
    while True:
        if chinese:
            surname = rng.choice(CN_SURNAMES)
            given = "".join(rng.choice(CN_SYLLABLES) for _ in range(rng.randint(1, 2)))
            if given == surname.lower():
                continue
            person = Person(f"{surname} {cap(given)}", surname, rng.choice(("he", "she")))
        else:
            first, pronoun = rng.choice(WESTERN_FIRST)
            surname = rng.choice(WESTERN_LAST)
            person = Person(f"{first} {surname}", surname, pronoun)
        if person.surname not in avoid:
            avoid.add(person.surname)
            return person


def make_people(rng: random.Random, count: int, avoid: set[str], chinese_share: float) -> list[Person]:
    return [make_person(rng, rng.random() < chinese_share, avoid) for _ in range(count)]


class _Slots(dict[str, str]):
    """Template slots for one sentence: filled lazily, so a slot used twice keeps one value."""

    def __init__(self, writer: Writer, topic: Topic) -> None:
        super().__init__()
        self.writer, self.topic = writer, topic
        self.person: Person | None = None

    def __missing__(self, key: str) -> str:
        if key[0].isupper():
            value = cap(self[key[0].lower() + key[1:]])
        else:
            value = self.writer.slot(key, self)
        self[key] = value
        return value


class Writer:
    """Writes one article's headlines and paragraphs, keeping its topic and cast consistent."""

    def __init__(self, rng: random.Random, year: int, avoid_surnames: set[str], opinion: bool = False) -> None:
        self.rng, self.year = rng, year
        self.topic = rng.choice(TOPICS)
        self.partner = rng.choice(PARTNERS)
        self.cast = make_people(rng, rng.randint(2, 4), avoid_surnames, chinese_share=0.6)
        self.roles = {p.name: self._role(p) for p in self.cast}
        self.mentioned: set[str] = set()
        self.used_headlines: set[str] = set()
        self.leads = Deck(rng, LEADS)
        self.sentences = Deck(rng, SENTENCES + OPINIONS if opinion else SENTENCES)
        self.quotes = Deck(rng, QUOTES)
        self._makers: dict[str, Callable[[_Slots], str]] = {
            "partner": lambda s: self.partner[1],
            "place": lambda s: self.partner[0],
            "field": lambda s: s.topic.field,
            "hl": lambda s: rng.choice(s.topic.headline),
            "thing": lambda s: rng.choice(s.topic.things),
            "thing2": lambda s: rng.choice([t for t in s.topic.things if t != s["thing"]]),
            "goal": lambda s: rng.choice(s.topic.goals),
            "org": lambda s: rng.choice(s.topic.orgs),
            "metric": lambda s: rng.choice(s.topic.metrics),
            "city": lambda s: rng.choice(CN_CITIES + WORLD_CITIES),
            "cn_city": lambda s: rng.choice(CN_CITIES),
            "day": lambda s: rng.choice(WEEKDAYS),
            "month": lambda s: rng.choice(MONTHS),
            "n": lambda s: rng.choice(NUMBER_WORDS),
            "ordinal": lambda s: rng.choice(ORDINALS),
            "pct": lambda s: f"{rng.randint(2, 40)}.{rng.randint(1, 9)}",
            "num": lambda s: f"{rng.randint(3, 60) * 50:,}",
            "money": lambda s: rng.choice((f"{rng.randint(2, 90)}.{rng.randint(1, 9)} billion yuan",
                                           f"${rng.randint(12, 900)} million")),
            "year_prev": lambda s: str(self.year - 1),
            "year_next": lambda s: str(self.year + rng.randint(1, 10)),
            "agency": lambda s: rng.choice(AGENCIES),
            "quote": lambda s: self.quotes.draw(),
            "quote2": lambda s: self.quotes.draw(),
            "subj": lambda s: self._mention(s, subject=True),
            "src": lambda s: self._mention(s, subject=False),
            "pron": lambda s: s.person.pronoun if s.person else "they",
            "actors": lambda s: rng.choice(HEADLINE_ACTORS),
            "leader": lambda s: rng.choice(HEADLINE_LEADERS),
            "dialogue": lambda s: rng.choice(HEADLINE_DIALOGUE),
            "key": lambda s: rng.choice(HEADLINE_KEYS),
            "outcome": lambda s: rng.choice(HEADLINE_OUTCOMES),
            # a headline about this story quotes one of its sources; others anyone
            "speaker": lambda s: (rng.choice(self.cast).surname if s.topic is self.topic
                                  else rng.choice(CN_SURNAMES + WESTERN_LAST)),
        }

    def _role(self, person: Person) -> str:
        if self.rng.random() < 0.5:
            return f"{self.rng.choice(ACADEMIC_ROLES)} {self.rng.choice(INSTITUTES)}"
        return f"{self.rng.choice(OFFICIAL_ROLES)} {self.rng.choice(self.topic.orgs)}"

    def _mention(self, slots: _Slots, subject: bool) -> str:
        """Full name and role the first time a source speaks, surname after (news style)."""
        person = slots.person = self.rng.choice(self.cast)
        if person.name in self.mentioned:
            return person.surname
        self.mentioned.add(person.name)
        return f"{person.name}, {self.roles[person.name]}" + ("," if subject else "")

    def slot(self, key: str, slots: _Slots) -> str:
        return self._makers[key](slots)

    def fill(self, template: str, topic: Topic | None = None) -> str:
        return template.format_map(_Slots(self, topic or self.topic))

    def headline(self, other_topic: bool = False) -> str:
        """A fresh sentence-case headline (about another story when `other_topic`)."""
        while True:
            topic = self.rng.choice(TOPICS) if other_topic else self.topic
            text = cap(self.fill(self.rng.choice(HEADLINES), topic))
            if text not in self.used_headlines:
                self.used_headlines.add(text)
                return text

    def br_headline(self) -> str:
        if self.rng.random() < 0.5:
            return title_case(self.headline())
        return f"{title_case(self.rng.choice(self.topic.headline))}: {self.rng.choice(BR_PHRASES)}"

    def subtitle(self) -> str:
        return cap(self.fill(self.rng.choice(SUBTITLES)))

    def deck(self, paragraph: Sequence[str]) -> str:
        """An opinion piece's one-sentence deck: a comment of its own, or (judgement call 6) a
        restatement of a sentence of the given body paragraph that quotes nobody."""
        reusable = [s for s in paragraph
                    if '"' not in s and not any(re.search(rf"\b{p.surname}\b", s) for p in self.cast)]
        if reusable and self.rng.random() < 0.5:
            return self.rng.choice(reusable)
        return cap(self.fill(self.rng.choice(OPINIONS)))

    def sentence(self) -> str:
        return cap(self.fill(self.sentences.draw()))

    def lead(self) -> str:
        return cap(self.fill(self.leads.draw()))

    def paragraphs(self, count: int, sentences: tuple[int, int], quote_run: bool) -> list[list[str]]:
        """`count` prose paragraphs as sentence lists: a lead first, then paragraphs of >= 20 words
        and (when `quote_run`) one quotation running over two paragraphs."""
        paras: list[list[str]] = []
        run_at = self.rng.randint(1, count - 2) if quote_run and count >= 4 else -1
        while len(paras) < count:
            if len(paras) == run_at:
                paras.extend([self.fill(t)] for t in QUOTE_RUN)
                continue
            target = self.rng.randint(*sentences)
            parts = [self.lead()] if not paras else []
            while len(parts) < target or len(" ".join(parts).split()) < 20:
                parts.append(self.sentence())
            paras.append(parts)
        return paras

    def subhead(self) -> str:
        words = [self.rng.choice(SUBHEAD_ADJECTIVES), self.rng.choice(SUBHEAD_NOUNS)]
        if self.rng.random() < 0.5:
            words += ["IN", self.rng.choice(self.topic.headline).upper()]
        return " ".join(words)


# --------------------------------------------------------------------------------------------
# Pages and records
# --------------------------------------------------------------------------------------------


class Page:
    """A dump under construction: raw lines, each labelled body, a reason code, or blank (None)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str | None]] = []

    def add(self, raw: str, label: str) -> None:
        if label != BODY and label not in REASONS:
            raise ValueError(f"unknown label {label!r}")
        if not raw.strip():
            raise ValueError("a labelled line must not be blank")
        self.lines.append((raw, label))

    def blank(self, count: int = 1) -> None:
        self.lines.extend(("", None) for _ in range(count))

    def text(self) -> str:
        """The dump as the seeds store it: "\\n" line ends, no trailing blank lines or final newline."""
        lines = [raw for raw, _ in self.lines]
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)


def record(page: Page, *, title: str | None = None, subtitle: str | None = None,
           authors: Sequence[str] = (), published_at: str | None = None, publisher: str | None = None,
           section: str | None = None, print_edition: str | None = None,
           related_links: Sequence[str] = ()) -> dict:
    """The gold record (seed key order); body and removed lines come from the page's labels."""
    labelled = [(raw.strip(), label) for raw, label in page.lines if label is not None]
    return {
        "file": "",  # named by make_dump once the text is known
        "title": title, "subtitle": subtitle, "authors": list(authors), "published_at": published_at,
        "publisher": publisher, "section": section, "print_edition": print_edition, "language": "en",
        "body_lines": [line for line, label in labelled if label == BODY],
        "related_links": list(related_links),
        "removed": [{"line": line, "reason": label} for line, label in labelled if label != BODY],
    }


def random_stamp(rng: random.Random) -> datetime:
    """Any minute of 2005-2024 (calendar-correct)."""
    start, end = datetime(2005, 1, 1), datetime(2024, 12, 31, 23, 59)
    return start + timedelta(minutes=rng.randrange(int((end - start).total_seconds() // 60) + 1))


def beijing_iso(stamp: datetime) -> str:
    """China Daily stamps are Beijing time (UTC+08:00, no DST)."""
    return stamp.strftime("%Y-%m-%dT%H:%M:00+08:00")


def edition_for(rng: random.Random, year: int) -> str:
    return rng.choice([name for name, first, last in EDITIONS if first <= year <= last])


def view_count(rng: random.Random) -> str:
    """A view counter as China Daily prints it: "356", "1.2K", "8.03K"."""
    views = rng.choice((rng.randint(10, 999), rng.randint(1000, 30000)))
    if views < 1000:
        return str(views)
    return f"{views / 1000:.2f}".rstrip("0").rstrip(".") + "K"


def byline_names(rng: random.Random, authors: Sequence[Person]) -> str:
    """Names as China Daily prints them: bare, one shared city, or a city per author."""
    mode = rng.choice(("bare", "shared", "each"))
    if mode == "each":
        return join_names([f"{a.name} in {rng.choice(CN_CITIES + WORLD_CITIES)}" for a in authors])
    names = join_names([a.name for a in authors])
    return names + (f" in {rng.choice(CN_CITIES + WORLD_CITIES)}" if mode == "shared" else "")


def usual_order(rng: random.Random, items: list[tuple[str, str]], usual: float) -> list[tuple[str, str]]:
    """The seed's order with probability `usual`, else reversed: the header swaps real pages show."""
    return items if rng.random() < usual else items[::-1]


def add_paragraphs(page: Page, paragraphs: Sequence[Sequence[str]], blank_between: bool) -> None:
    for sentences in paragraphs:
        page.add(" ".join(sentences), BODY)
        if blank_between:
            page.blank()


def china_daily_print(rng: random.Random) -> tuple[Page, dict]:
    """Like seed 000: title, dateline and byline (either order), share row, body, footer refs."""
    stamp = random_stamp(rng)
    authors = make_people(rng, rng.choice((1, 1, 2, 3)), set(), chinese_share=0.8)
    writer = Writer(rng, stamp.year, {a.surname for a in authors})
    edition = edition_for(rng, stamp.year)
    title = writer.headline()
    dateline = f"Updated: {stamp:%Y-%m-%d %H:%M}"
    byline = f"By {byline_names(rng, authors)}{rng.choice(('', '', ' '))}({edition})"
    print_ref = f"{edition} {stamp:%m/%d/%Y} page{rng.randint(1, 32)}"

    page = Page()
    page.add(title, "title")
    page.blank()
    for line, reason in usual_order(rng, [(dateline, "dateline"), (byline, "byline")], 0.7):
        page.add(line, reason)
        page.blank()
    page.add(CD_SHARE_ROW.format(count=rng.choice((0, 0, 0, rng.randint(1, 99)))), "share_widget")
    page.blank()
    add_paragraphs(page, writer.paragraphs(rng.randint(3, 15), (1, 3), rng.random() < 0.4), True)
    for _ in range(rng.choice((0, 1, 2, 2))):
        page.add(title, "repeated_title")
        page.blank()
    page.add(f"({print_ref})", "print_edition")
    if rng.random() < 0.8:
        page.blank()
        page.add(view_count(rng), "view_counter")
    return page, record(page, title=title, authors=[a.name for a in authors], published_at=beijing_iso(stamp),
                        publisher=edition, print_edition=print_ref)


def china_daily_web(rng: random.Random) -> tuple[Page, dict]:
    """Like seed 001: breadcrumb, title, combined byline, deck, body, contact, link lists, legal footer."""
    stamp = random_stamp(rng)
    authors = make_people(rng, rng.choice((1, 1, 2, 2, 3)), set(), chinese_share=0.8)
    writer = Writer(rng, stamp.year, {a.surname for a in authors})
    outlet = rng.choice((edition_for(rng, stamp.year), WEB_ONLY_OUTLET))
    section = rng.choice(CD_SECTIONS)
    title = writer.headline()
    subtitle = writer.subtitle() if rng.random() < 0.6 else None
    byline = f"By {byline_names(rng, authors)} | {outlet} | Updated: {stamp:%Y-%m-%d %H:%M}"

    page = Page()
    page.add(f"Home / {section}", "breadcrumb")
    page.blank()
    page.add(title, "title")
    page.blank()
    header = [(byline, "byline")] + ([(subtitle, "subtitle")] if subtitle else [])
    for line, reason in usual_order(rng, header, 0.7):
        page.add(line, reason)
        page.blank()
    add_paragraphs(page, writer.paragraphs(rng.randint(3, 15), (1, 3), rng.random() < 0.3), True)
    if rng.random() < 0.7:
        page.add(contact_line(rng, authors, outlet), "contact")
        page.blank(2)
    links = rng.randint(0, 8)  # the unheaded list and the editor's picks together
    picked = rng.randint(1, min(3, links)) if links and rng.random() < 0.6 else 0
    related = [writer.headline(other_topic=True) for _ in range(links - picked)]
    for headline in related:
        page.add(headline, "related_links")
    picks = [writer.headline(other_topic=True) for _ in range(picked)]
    if picks:
        page.add("Editor's picks", "editors_picks")
        for headline in picks:
            page.add(headline, "editors_picks")
    end_year = rng.choice(("", str(rng.randint(stamp.year, 2024))))
    page.add(CD_COPYRIGHT.format(end=end_year), "copyright")
    page.add(CD_LICENCE, "licence")
    page.blank()
    page.add(CD_REGISTRATION, "registration")
    return page, record(page, title=title, subtitle=subtitle, authors=[a.name for a in authors],
                        published_at=beijing_iso(stamp), publisher=outlet, section=section,
                        related_links=related + picks)


def contact_line(rng: random.Random, authors: Sequence[Person], outlet: str) -> str:
    """The "Contact the writer(s) at" line; the address is usually lost, as in the seed."""
    head = "Contact the writer at" if len(authors) == 1 else "Contact the writers at"
    if rng.random() < 0.6:
        return head
    domain = "chinadailyusa.com" if outlet == "China Daily USA" else "chinadaily.com.cn"
    return f"{head} " + join_names([a.name.replace(" ", "").lower() + "@" + domain for a in authors])


def wire_no_header(rng: random.Random) -> tuple[Page, dict]:
    """Like seed 002: only running text, maybe link text on line 1 and ALL-CAPS subheadings."""
    writer = Writer(rng, random_stamp(rng).year, set())  # the page shows no date; its prose names years
    paras = writer.paragraphs(rng.randint(3, 15), (1, 3), False)
    if rng.random() < 0.6:
        paras[0][-1] += rng.choice(LINK_TEXTS)
    gaps = list(range(2, len(paras) - 1, 2))  # never first or last, never two in a row
    for gap in sorted(rng.sample(gaps, min(len(gaps), rng.randint(0, 2))), reverse=True):
        paras.insert(gap, [writer.subhead()])
    page = Page()
    add_paragraphs(page, paras, False)
    return page, record(page)


def bare_title_bullets(rng: random.Random) -> tuple[Page, dict]:
    """Like seed 003: a title line, the paragraphs without blank lines, then "- " related headlines."""
    writer = Writer(rng, random_stamp(rng).year, set())
    title = writer.headline()
    page = Page()
    page.add(title, "title")
    add_paragraphs(page, writer.paragraphs(rng.randint(3, 15), (1, 2), False), False)
    related = [writer.headline(other_topic=rng.random() < 0.4) for _ in range(rng.randint(0, 8))]
    for headline in related:
        page.add(f"- {headline}", "related_links")
    return page, record(page, title=title, related_links=related)


def issue_date(rng: random.Random) -> tuple[int, date]:
    """A Beijing Review issue: weekly, on Thursdays; issue N is the year's N-th Thursday."""
    year = rng.randint(2005, 2024)
    first = date(year, 1, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    number = rng.randint(1, 52)
    return number, first_thursday + timedelta(weeks=number - 1)


def beijing_review(rng: random.Random) -> tuple[Page, dict]:
    """Like seed 004: site header, title, deck, issue byline, op-ed body, bio, credits, footer."""
    number, issued = issue_date(rng)
    authors = make_people(rng, rng.choice((1, 1, 1, 2, 3)), set(), chinese_share=0.85)
    writer = Writer(rng, issued.year, {a.surname for a in authors}, opinion=True)
    title = writer.br_headline()
    paras = writer.paragraphs(rng.randint(3, 15), (2, 5), False)
    subtitle = writer.deck(paras[1]) if rng.random() < 0.8 else None
    issue = f"NO. {number} {MONTHS[issued.month - 1].upper()} {issued.day}, {issued.year}"
    byline = f"By {join_names([a.name for a in authors])}{NBSP}| {issue}"

    page = Page()
    page.add(BR_HEADER, "navigation")
    page.add(BR_FOLLOW, "share_widget")
    page.add(BR_ICONS, "share_widget")
    page.add(title, "title")
    if subtitle:  # the page template fixes this order; after the byline a deck would read as the lead
        page.add(subtitle, "subtitle")
    page.add(byline, "byline")
    page.blank()
    add_paragraphs(page, paras, True)
    if rng.random() < 0.7:
        page.add(author_bio(rng, len(authors)), "author_bio")
        page.blank()
    if rng.random() < 0.85:
        page.add(f"Copyedited by {make_person(rng, False, set()).name}", "editorial_credit")
        page.blank()
    if rng.random() < 0.8:
        page.add(rng.choice(("Comments to", f"Comments to {rng.choice(CN_SURNAMES).lower()}"
                                            f"{rng.choice(CN_SYLLABLES)}@bjreview.com")), "comments")
        page.blank()
    page.add(BR_NAME, "navigation")
    page.add(BR_FOOTER_NAV, "navigation")
    for line in BR_PARTNERS + ((BR_PARTNERS_SPAM,) if rng.random() < 0.7 else ()):
        page.add(line, "partners")
    page.add(BR_COPYRIGHT, "copyright")
    return page, record(page, title=title, subtitle=subtitle, authors=[a.name for a in authors],
                        published_at=issued.isoformat(), publisher=BR_NAME, print_edition=issue)


def author_bio(rng: random.Random, authors: int) -> str:
    """The "The author is ..." line, sometimes with a provenance note on the same line (seed 004)."""
    institute = rng.choice(BR_BIO_INSTITUTES)
    if authors == 1:
        bio = f"The author is {rng.choice(BR_BIO_ROLES)} {institute}."
    else:
        bio = f"The authors are {rng.choice(BR_BIO_PLURAL_ROLES)} {institute}."
    return bio + (f" {rng.choice(BR_PROVENANCE)}" if rng.random() < 0.5 else "")


BUILDERS: dict[str, Callable[[random.Random], tuple[Page, dict]]] = {
    "china_daily_print": china_daily_print,
    "china_daily_web": china_daily_web,
    "wire_no_header": wire_no_header,
    "bare_title_bullets": bare_title_bullets,
    "beijing_review": beijing_review,
}

# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def make_dump(style: str, rng: random.Random) -> tuple[str, dict]:
    """One made-up dump of `style` and its expected gold record (file "raw/<style>_<digest>.txt")."""
    if style not in BUILDERS:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    page, expected = BUILDERS[style](rng)
    text = page.text()
    expected["file"] = f"raw/{style}_{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}.txt"
    return text, expected


def iter_dumps(n: int, seed: int = 0) -> Iterator[tuple[str, str, dict]]:
    """(file name, text, expected) for n dumps cycling through STYLES.

    Each dump has its own generator seeded by (seed, index), so the first k dumps are the
    same whatever n is; names get an index prefix so file-name order is generation order.
    """
    width = max(4, len(str(n - 1)))
    for index in range(n):
        style = STYLES[index % len(STYLES)]
        text, expected = make_dump(style, random.Random(f"pressline-synthetic:{seed}:{index}"))
        name = f"{index:0{width}d}_{expected['file'].removeprefix('raw/')}"
        expected["file"] = f"raw/{name}"
        yield name, text, expected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="directory for <name>.txt and gold.jsonl")
    parser.add_argument("--n", type=int, default=50, help="number of dumps (default 50)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, text, expected in iter_dumps(args.n, args.seed):
        (args.out / name).write_bytes(text.encode("utf-8"))
        rows.append(json.dumps(expected, ensure_ascii=False))
    (args.out / "gold.jsonl").write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    print(f"wrote {args.n} dumps and gold.jsonl to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
