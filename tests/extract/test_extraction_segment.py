"""Segmentation on constructed pages: appended articles, aggregators, section headings."""

from __future__ import annotations

from narrascope.extract import segment_page, segment_text
from narrascope.extract.segment import assemble

P1 = "Minsk announced on Friday that it would not join a currency union with Moscow, officials said."
P2 = "The decision follows months of talks over oil prices and a dispute about subsidies for Belarusian industry."
P3 = "Analysts in Warsaw said the move showed how little trust is left between the two governments."


def test_article_without_markers_then_latest_teasers_with_markers():
    text = "\n\n".join([
        "Minsk rejects currency union", P1, P2,
        "Latest",
        "Poland to build canal to bypass Russian waters", "Warsaw says the new canal will end its dependence on Russia.",
        "Jan Kowalski", "Published", "on", P3,
        "Continue Reading",
    ])
    page = segment_page(text)
    assert [(s.kind, s.title, s.authors) for s in page.segments] == [
        ("main", "Minsk rejects currency union", []),
        ("appended", "Poland to build canal to bypass Russian waters", ["Jan Kowalski"]),
    ]
    assert page.segments[0].paragraphs == [P1, P2]
    assert page.segments[1].paragraphs == [P3]
    assert page.segments[1].standfirst == "Warsaw says the new canal will end its dependence on Russia."


def test_section_headings_stay_inside_a_single_article():
    text = "\n\n".join(["Belarus Just Threw Russia Under the Bus", P1, "Military “Balancing”", P2, "Concluding Thoughts", P3])
    [main] = segment_text(text)
    assert main.kind == "main" and main.title == "Belarus Just Threw Russia Under the Bus"
    assert main.paragraphs == [P1, "Military “Balancing”", P2, "Concluding Thoughts", P3]


def test_aggregator_without_editorial_marker_needs_two_credited_headlines():
    text = "\n\n".join([
        "Belarus roundup", "Our own short comment on the week in Minsk, written by the blog's editor.",
        "Minsk rejects currency union | Reuters", P1,
        "Lukashenko defies Moscow again – Bloomberg", P2,
        "An uncredited piece about the talks", P3,
    ])
    page = segment_page(text)
    assert [(s.kind, s.title, s.outlet) for s in page.segments] == [
        ("main", "Belarus roundup", None),
        ("excerpt", "Minsk rejects currency union", "Reuters"),
        ("excerpt", "Lukashenko defies Moscow again", "Bloomberg"),
        ("excerpt", "An uncredited piece about the talks", None),
    ]
    # One credited headline is not enough: it is a plain article with a heading.
    single = "\n\n".join(["Belarus roundup", P1, "Minsk rejects currency union | Reuters", P2])
    assert [s.kind for s in segment_text(single)] == ["main"]


def test_known_title_is_dropped_only_when_the_first_line_repeats_it():
    text = "\n\n".join(["Minsk rejects currency union", P1, P2])
    page = segment_page(text, title="Minsk rejects currency union | The Site")
    assert page.title == "Minsk rejects currency union | The Site"
    assert page.segments[0].paragraphs == [P1, P2]
    other = segment_page("\n\n".join(["A section heading", P1]), title="Something else entirely")
    assert other.segments[0].paragraphs == ["A section heading", P1]


def test_trailing_byline_and_source_become_metadata():
    text = "\n\n".join(["Title of the piece here", P1, P2, "By Jane Doe and John Roe", "Source: Eurasia Future"])
    page = segment_page(text)
    assert page.main.authors == ["Jane Doe", "John Roe"]
    assert page.source_credit == "Eurasia Future"
    assert page.main.paragraphs == [P1, P2]


def test_assemble_places_segments_as_offsets_into_one_text():
    page = segment_page("\n\n".join([
        "Belarus roundup", P3, "</end editorial>", "Minsk rejects currency union | Reuters", P1, P2,
    ]))
    text, segments = assemble(page.segments)
    assert [s.kind for s in segments] == ["main", "excerpt"]
    assert text[segments[0].start : segments[0].end] == P3
    assert text[segments[1].start : segments[1].end] == f"{P1}\n\n{P2}"
    assert text == f"{P3}\n\n{P1}\n\n{P2}"


def test_page_of_only_boilerplate_has_no_segments():
    assert segment_text("Advertisement\n\nLeave a Reply\n\nSubscribe") == []


def test_first_line_titles_with_abbreviations_teaser_shape_or_bom():
    for first in (
        "Here are all the sexual misconduct accusations against Sen. Al Franken",
        "WATCH: John Bolton promises the US would overthrow Iran by 2019",
        "\ufeffVatican Theologian Sacked for Questioning the Pope’s Pontificate",
    ):
        page = segment_page(f"{first}\n\n{P1}\n\nWATCH: a teaser inside the body is still removed\n\n{P2}")
        assert page.title == first.lstrip("\ufeff")
        assert page.main.paragraphs == [P1, P2]
    # Two sentences on the first line are a paragraph, not a title.
    page = segment_page(f"Imperialism. In the context of blameshifting, Russia accuses the US\n\n{P1}")
    assert page.title is None and len(page.main.paragraphs) == 2
