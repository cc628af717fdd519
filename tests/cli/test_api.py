"""The Python API: analyze_text and Corpus."""

from __future__ import annotations

import pytest

import narrascope


def test_analyze_text_on_a_seed(seed_path):
    text = seed_path("002").read_text(encoding="utf-8")
    doc = narrascope.analyze_text(text)
    assert doc.language == "en"
    assert doc.id and len(doc.id) == 16
    sentences = [s.text_of(doc) for s in doc.sentences]
    assert any(s.startswith("Facing popular protests across Belarus in response to his Aug. 9 election theft") and
               s.endswith("steal his nation.") for s in sentences)
    # every span is an offset pair into the clean text
    for span in doc.spans:
        assert 0 <= span.start < span.end <= len(doc.text)
    again = narrascope.Document.from_json(doc.to_json())
    assert again.to_dict() == doc.to_dict()


def test_analyze_text_html_uses_page_metadata():
    html = ("<html><head><title>Talks stall | Example Times</title><meta property='og:site_name' content='Example Times'>"
            "</head><body><nav>Home News Sport</nav><article><h1>Talks stall</h1>"
            + "".join(f"<p>Negotiators from both countries met again on day {i} and failed to agree on the price of gas "
                      f"for the coming winter, officials said.</p>" for i in range(1, 6))
            + "</article><footer>All rights reserved</footer></body></html>")
    doc = narrascope.analyze_text(html, url="https://www.example-times.com/world/talks")
    assert doc.outlet == "Example Times"
    assert "failed to agree on the price of gas" in doc.text
    assert "All rights reserved" not in doc.text


def test_analyze_text_with_nothing_in_it_raises_input_error():
    with pytest.raises(narrascope.InputError):
        narrascope.analyze_text("   \n\n  ")


def test_corpus_round_trip(tmp_path, seeds_dir):
    corpus = narrascope.Corpus(tmp_path / "c.duckdb")
    stats = corpus.analyze([str(seeds_dir)])
    assert stats.stored == 5 and not stats.problems
    assert len(corpus) == 5
    titles = {doc.title for doc in corpus}
    assert "Belarus Just Threw Russia Under the Bus" in titles
    some = next(iter(corpus))
    assert corpus.get(some.id[:8]).text == some.text
    # search: only seed 000 spells him "Lukashenka" (the others Lukashenko, 004 once Lukahsneko)
    hits, total = corpus.search("Lukashenka")
    assert total == 1 and "Next Invasion Target" in hits[0]["title"]
    start, end = hits[0]["matches"][0]
    assert hits[0]["snippet"][start:end].startswith("Lukashenka")
    assert corpus.search()[1] == 5 and corpus.search(outlet="Eurasia Future")[1] == 1
    # the seeds carry no dates: every narrative's outlets come undated, the first one included
    spreads = corpus.narratives()
    assert spreads and all(s["first_seen"] is None and all(a["lag_days"] is None for a in s["arrivals"]) for s in spreads)
    assert all(s["outlets"] >= 2 for s in corpus.narratives(min_outlets=2))
