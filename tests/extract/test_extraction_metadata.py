"""Metadata from URLs and text: outlet domains, dates, headline credits, affiliations."""

from __future__ import annotations

import pytest

from narrascope.extract import find_affiliations, outlet_from_url, split_headline_credit
from narrascope.extract.metadata import parse_date


@pytest.mark.parametrize(
    "url, outlet",
    [
        ("https://www.foxnews.com/world/belarus-leader", "foxnews.com"),
        ("http://news.bbc.co.uk/2/hi/europe/1.stm", "bbc.co.uk"),
        ("https://M.RIA.RU/20181214/x.html", "ria.ru"),
        ("theduran.com/some-article", "theduran.com"),
        ("http://127.0.0.1:8000/page", "127.0.0.1"),
        ("not a url", None),
        ("", None),
        (None, None),
    ],
)
def test_outlet_from_url(url, outlet):
    assert outlet_from_url(url) == outlet


@pytest.mark.parametrize(
    "written, iso",
    [
        ("December 14, 2018", "2018-12-14"),
        ("14 Dec. 2018", "2018-12-14"),
        ("Sept 3rd, 2020", "2020-09-03"),
        ("2018-12-14T10:00:00Z", "2018-12-14"),
        ("Dec 14, 2018 10:30 AM", "2018-12-14"),
        ("yesterday", None),
    ],
)
def test_parse_date(written, iso):
    assert parse_date(written) == iso


@pytest.mark.parametrize(
    "headline, expected",
    [
        ("Belarus’ leader slams Russian talk of taking over his nation | Fox News",
         ("Belarus’ leader slams Russian talk of taking over his nation", "Fox News", [])),
        ("Russia’s Ally Fears Kremlin Takeover as Oil Cash Shortfall Looms – Bloomberg",
         ("Russia’s Ally Fears Kremlin Takeover as Oil Cash Shortfall Looms", "Bloomberg", [])),
        ("Window on Eurasia — New Series: Moscow Wants Annexation, Lukashenka Says",
         ("New Series: Moscow Wants Annexation, Lukashenka Says", "Window on Eurasia", [])),
        ("Tom Rogan | In Belarus’ energy rage against Vladimir Putin, America’s opportunity",
         ("In Belarus’ energy rage against Vladimir Putin, America’s opportunity", None, ["Tom Rogan"])),
        # Not credits: a person before a dash, a section name, a page-number suffix.
        ("Vladimir Putin — the man who would be tsar again", ("Vladimir Putin — the man who would be tsar again", None, [])),
        ("Russia invades Ukraine – Live Updates", ("Russia invades Ukraine – Live Updates", None, [])),
        ("Is Belarus The Next Invasion Target For Russia? – Update (32)",
         ("Is Belarus The Next Invasion Target For Russia? – Update (32)", None, [])),
        ("Lukashenka Says Belarus Will Never Be Part Of Russia", ("Lukashenka Says Belarus Will Never Be Part Of Russia", None, [])),
    ],
)
def test_split_headline_credit(headline, expected):
    assert split_headline_credit(headline) == expected


def test_affiliation_from_employer_disclaimer():
    text = (
        "Belarus will not pivot.\n\nDISCLAIMER: All personal views are my own and do not necessarily coincide with "
        "the positions of my employer (Sputnik News) or partners. I write in a private capacity."
    )
    [aff] = find_affiliations(text)
    assert aff["organisation"] == "Sputnik News"
    assert aff["evidence"] == text[aff["start"] : aff["end"]]
    assert aff["evidence"].startswith("DISCLAIMER:") and aff["evidence"].endswith("or partners.")


def test_affiliation_without_parentheses_and_no_false_positive():
    text = "The views expressed here do not reflect the views of his employer, Radio Free Europe, in any way."
    assert [a["organisation"] for a in find_affiliations(text)] == ["Radio Free Europe"]
    assert find_affiliations("His employer was furious about the leak, the minister said.") == []
