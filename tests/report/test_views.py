"""`narrascope show`: the terminal view of one document shows every layer it has."""

from __future__ import annotations

from rich.console import Console

from narrascope import Document, Label
from narrascope.views import render_document_text


def _render(doc: Document) -> str:
    console = Console(width=120, record=True, color_system=None)
    render_document_text(doc, console)
    return console.export_text()


def test_show_groups_actors_quotes_labels_and_evidence():
    text = ("President Lukashenka said the Kremlin wants Belarus.\n\n"
            "\u201cWe will never be part of Russia,\u201d Lukashenko said.")
    doc = Document(source="x", text=text, title="<Union State>")
    for word, actor in (("Lukashenka", "Alexander Lukashenko"), ("Lukashenko", "Alexander Lukashenko"), ("Kremlin", "Government of Russia")):
        start = text.index(word)
        doc.add_span(start, start + len(word), "entity", "PERSON" if "Luka" in word else "ORG", actor=actor,
                     role="Protagonist" if "Luka" in word else "Antagonist")
    q = text.index("\u201c") + 1
    doc.add_span(q, text.index(",\u201d"), "quote", "direct", 0.9, speaker="Alexander Lukashenko")
    doc.add_span(0, text.index("\n"), "technique", "Appeal_to_Fear-Prejudice", 0.61)
    doc.labels = [Label("genre", "opinion", 0.8), Label("frame", "Sovereignty", 0.4, segment=None),
                  Label("user_narrative", "absorb", 0.7, None, [(0, text.index("\n"))],
                        {"name": "Russia seeks to absorb Belarus", "taxonomy": "belarus_russia"})]
    out = _render(doc)
    assert "<Union State>" in out  # shown as text, not interpreted as markup
    assert "genre (document) opinion 0.80" in out
    assert "Russia seeks to absorb Belarus 0.70 (belarus_russia)" in out
    assert "evidence \u201cPresident Lukashenka said the Kremlin wants Belarus.\u201d" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("Alexander Lukashenko"))
    assert "2" in row and "Lukashenka" in row and "Lukashenko" in row and "Protagonist \u00d72" in row
    assert "Alexander Lukashenko direct: \u201cWe will never be part of Russia\u201d" in out
    assert "Appeal_to_Fear-Prejudice 0.61" in out
    assert "raising fear" in out  # the technique's definition
