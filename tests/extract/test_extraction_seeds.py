"""The extract + segment stages on the five real seed pages (../shared/data/seeds)."""

from __future__ import annotations

import pytest

from narrascope.document import Document
from narrascope.pipeline import Pipeline

# Boilerplate lines of the seeds that must not survive anywhere in doc.text.
SEED_JUNK = [
    "Connect with us", "Staff Picks", "1,406 Views", "Liked it? Take a second to support The Duran on Patreon!",
    "Advertisement", "Click to comment", "Leave a Reply", "avatar", "Subscribe", "Notify of", "Continue Reading",
    "JOIN OUR YOUTUBE CHANNEL", "Your donations make all the difference", "Amount to donate in USD$:",
    "Validating payment information", "Waiting for PayPal", "Quick Donate", "DONATE", "Donate a quick 10 spot!",
    "The Duran Newsletter", "Trending", "EURO", "5 100", "We use your sign-up to provide content", "JUST IN:",
    "[LATEST]", "[INSIGHT]", "[ANALYSIS]", "Source: Read Full Article", "Similar Posts",
    "Your email address will not be published", "Source: Eurasia Future", "By Andrew Korybko", "</end editorial>",
    "Via RT", "Reported by Robert Peston", "Information operations · Information Warfare",
]


def run_stages(path) -> Document:
    doc = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text")
    Pipeline.from_names(["extract", "segment"])([doc])
    assert not doc.meta.get("problem"), doc.meta.get("problem")
    return doc


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    return {p.name[:3]: run_stages(p) for p in sorted(seeds_dir.glob("*.txt"))}


def lines_of(text: str) -> set[str]:
    return {line for line in text.split("\n") if line}


def test_every_seed_is_clean_and_well_formed(seeds):
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    for name, doc in seeds.items():
        assert sum(s.kind == "main" for s in doc.segments) == 1, name
        assert len(doc.id) == 16
        # One paragraph per line, paragraphs separated by exactly one blank line.
        assert "\n\n\n" not in doc.text and not doc.text.startswith("\n") and not doc.text.endswith("\n")
        assert all(line.strip() == line for line in doc.text.split("\n\n"))
        prev_end = -1
        for seg in doc.segments:
            body = seg.text_of(doc)
            assert body and body == body.strip() and seg.start > prev_end, (name, seg)
            prev_end = seg.end
        for junk in SEED_JUNK:
            for line in doc.text.split("\n"):
                assert not line.startswith(junk) and line != junk, (name, junk)
        for junk in ("Patreon", "PayPal", "Leave a Reply", "Notify of", "[LATEST]", "Read Full Article"):
            assert junk not in doc.text, (name, junk)


def test_001_main_article_and_three_appended_articles(seeds, seed_path):
    doc = seeds["001"]
    kinds = [s.kind for s in doc.segments]
    assert kinds == ["main", "appended", "appended", "appended"]
    main, galustian, google, brexit = doc.segments
    assert main.title == doc.title == "Is Belarus on the brink of pivoting away from Russia?"
    assert main.authors == doc.authors == ["Andrew Korybko"]
    assert galustian.title == "The consolidation of power of the global military industrial complex"
    assert galustian.authors == ["Richard Galustian"]
    assert google.title.startswith("Google flipped seats") and google.outlet == "RT"
    assert brexit.title.startswith("May tells Brexiters") and brexit.outlet == "iTV"
    assert brexit.authors == ["Robert Peston"]
    # Bodies: the main text starts after the header and ends with the disclaimer.
    main_text = main.text_of(doc)
    assert main_text.startswith("The past couple of days have seen a flurry of statements")
    assert main_text.endswith("Nothing written by me should ever be conflated with Sputnik or the Russian government’s official position on any issue.")
    assert "Galustian" not in main_text and "Humanity faces two imminent existential threats" in galustian.text_of(doc)
    assert google.text_of(doc).startswith("Google’s biased search algorithm actually flipped seats")
    assert brexit.text_of(doc).endswith("for May’s doomed project?")
    # The standfirst is header, like the title: kept in meta, not in the body.
    standfirsts = {s["segment"]: s["text"] for s in doc.meta["standfirsts"]}
    assert standfirsts[0].startswith("President Lukashenko’s recent actions and statements suggest")
    # Structure markers and the header lines are gone from the text.
    for marker in ("Published", "on", "By", "Latest", "Andrew Korybko", "Richard Galustian", "RT", "The Duran"):
        assert marker not in lines_of(doc.text), marker
    # Real sentences right next to removed widgets stay.
    assert "In the words of the Belarussian President himself" in lines_of(doc.text)
    assert "Implicit in this statement is change by either elections or revolutions." in lines_of(doc.text)
    # Every long line of the seed is kept: in a body, as a title or as a standfirst.
    kept = "\n".join([doc.text, *standfirsts.values(), *(s.title for s in doc.segments)])
    seed_prose = [" ".join(l.split()) for l in seed_path("001").read_text(encoding="utf-8").splitlines() if len(l.split()) >= 12]
    missing = [line for line in seed_prose if line not in kept]
    assert missing == ["Your donations make all the difference. Together we can expose fake news lies and deliver truth."]


def test_001_affiliation_disclaimer_is_recorded_and_kept(seeds):
    doc = seeds["001"]
    [aff] = doc.meta["affiliations"]
    assert aff["organisation"] == "Sputnik News"
    assert aff["evidence"].startswith("DISCLAIMER: All personal views are my own")
    assert doc.text[aff["start"] : aff["end"]] == aff["evidence"]


def test_000_aggregator_editorial_and_credited_excerpts(seeds):
    doc = seeds["000"]
    assert doc.title == "Is Belarus The Next Invasion Target For Russia? – Update (32)"
    assert [s.kind for s in doc.segments] == ["main", "editorial"] + ["excerpt"] * 7
    main, comment, *excerpts = doc.segments
    assert main.text_of(doc).endswith("which has been a Western fear for years.")
    assert "Imperialism. In the context of blameshifting" in main.text_of(doc)
    assert comment.text_of(doc).startswith("Not satisfied with producing mayhem in Ukraine")
    got = [(s.title, s.outlet, s.authors) for s in excerpts]
    assert got == [
        ("Lukashenka Says Belarus Will Never Be Part Of Russia", None, []),
        ("New Series: When Moscow Talks of ‘Deep Integration’ of Belarus, It Means Annexation, Lukashenka Says",
         "Window on Eurasia", []),
        ("Belarus’ leader slams Russian talk of taking over his nation", "Fox News", []),
        ("Russia offers aid to Belarus in what could be an attempted takeover", None, []),
        ("Russia’s Ally Fears Kremlin Takeover as Oil Cash Shortfall Looms", "Bloomberg", []),
        ("Russian PM Medvedev insists on deepening integration, Minsk wants to solve economic issues first", None, []),
        ("In Belarus’ energy rage against Vladimir Putin, America’s opportunity", None, ["Tom Rogan"]),
    ]
    assert excerpts[2].text_of(doc).startswith("The leader of Belarus on Friday accused some politicians")
    assert excerpts[-1].text_of(doc).endswith("There’s an opportunity here for the U.S.")
    # Headlines are titles, not text.
    assert "Belarus’ leader slams Russian talk of taking over his nation | Fox News" not in doc.text


def test_003_tabloid_body_without_inserts_or_consent(seeds):
    doc = seeds["003"]
    assert doc.title == "Belarus-Russia: History of alliance explained as Putin ‘will do anything’ to keep power"
    assert [s.kind for s in doc.segments] == ["main"]
    assert doc.text.startswith("Belarus served as a launchpad for Putin last month")
    assert doc.text.endswith("spreading democracy, freedom, and prosperity across Europe.”")
    # The video caption under the title is not text; it is kept in meta.
    assert "Ukraine: Belarus urged to refrain" not in doc.text
    assert doc.meta["captions"] == ["Ukraine: Belarus urged to refrain from aiding Russia by NATO"]
    for teaser in ("Putin final lifeline ruined", "Lord Sugar", "Max Verstappen", "‘Real problem’ Europe threatened"):
        assert teaser not in doc.text
    # The sentences around the removed inserts stay.
    lines = lines_of(doc.text)
    assert "The landlocked eastern European nation declared its independence in 1991 as the Soviet Union disintegrated." in lines
    assert "It remains Russia’s oldest post-Soviet ally, with Minsk having signed the Union State Treaty with Moscow in 1999." in lines
    assert "The expert said the Kremlin has tried to assimilate Belarusians into Russian culture for years through a far-reaching propaganda campaign." in lines
    assert doc.meta["boilerplate_removed"]["teaser_tag"] == 3


def test_004_single_article_with_sections_and_source_credit(seeds):
    doc = seeds["004"]
    assert doc.title == "Belarus Just Threw Russia Under the Bus"
    assert [s.kind for s in doc.segments] == ["main"]
    assert doc.authors == ["Andrew Korybko"] and doc.segments[0].authors == ["Andrew Korybko"]
    assert doc.outlet == "Eurasia Future" and doc.meta["source_credit"] == "Eurasia Future"
    lines = lines_of(doc.text)
    for heading in ("Is Russia Really Exporting Hybrid Threats To Europe?", "Military “Balancing”", "Concluding Thoughts"):
        assert heading in lines
    assert doc.text.startswith("While some of President Lukashenko’s recent statements")
    assert doc.text.endswith("is of course an entirely different matter.")


def test_002_untitled_single_newline_paragraphs(seeds, seed_path):
    doc = seeds["002"]
    assert doc.title is None and [s.kind for s in doc.segments] == ["main"]
    seed_lines = [l.strip() for l in seed_path("002").read_text(encoding="utf-8").splitlines() if l.strip()]
    assert doc.text.split("\n\n") == seed_lines
    assert "This is all about distraction." in lines_of(doc.text)


def test_id_is_stable_and_depends_on_outlet(seed_path):
    a = run_stages(seed_path("004"))
    b = run_stages(seed_path("004"))
    assert a.id == b.id
    c = Document(source="x", raw=seed_path("004").read_text(encoding="utf-8"), raw_format="text", outlet="other.example")
    Pipeline.from_names(["extract", "segment"])([c])
    assert c.text == a.text and c.id != a.id
