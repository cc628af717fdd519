"""Report sections for outlets, stories and echoes: rendered from the real store, self-contained and escaped."""

from __future__ import annotations

import shutil

import duckdb

from narrascope.report.charts_graph import propagation_graph
from narrascope.report.corpus_sections import echoes_section, outlets_section, stories_section
from narrascope.store import Store


def test_sections_render_from_the_store(store, polnear_subset):
    outlets, stories, echoes = outlets_section(store), stories_section(store), echoes_section(store)
    assert outlets and stories and echoes
    assert "west-journal" in outlets.html and "not computed" in outlets.html and "<svg" in outlets.html
    assert "How each outlet told it" in stories.html and "<svg" in stories.html
    plant = polnear_subset["planted"]["copied"]
    assert "<svg" in echoes.html and plant["source"]["outlet"] in echoes.html
    for section in (outlets, stories, echoes):
        assert "http://" not in section.html.replace("http://www.w3.org/2000/svg", "") and "https://" not in section.html
        assert "<script" not in section.html


def test_untrusted_titles_and_text_are_escaped(polnear_store, tmp_path):
    db = tmp_path / "hostile.duckdb"
    shutil.copy(polnear_store, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE documents SET title = '<script>alert(1)</script>' || title, outlet = outlet || '<i onclick=x>'")
    con.close()
    with Store(db, read_only=True) as s:
        html = "".join(str(sec.html) for sec in (outlets_section(s), stories_section(s), echoes_section(s)) if sec)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<i onclick" not in html and "&lt;i onclick=x&gt;" in html


def test_empty_store_has_no_corpus_sections(tmp_path):
    with Store(tmp_path / "empty.duckdb") as s:
        assert outlets_section(s) is None and stories_section(s) is None and echoes_section(s) is None


def test_propagation_graph_draws_weighted_arrows():
    svg = str(propagation_graph([("a<x>", "b", 4), ("b", "a<x>", 1), ("c", "b", 2)]))
    assert svg.count("marker-end=") == 3 and svg.count("<circle") == 3 and "a&lt;x&gt;" in svg
    widths = [float(part.split('"')[0]) for part in svg.split('stroke-width="')[1:]]
    assert widths[0] > widths[2] > widths[1]  # width follows the count
