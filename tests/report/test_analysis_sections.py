"""Report sections for genre/frames, narratives, actors and quotes, rendered from a real store."""

from __future__ import annotations

import re

import pytest

from narrascope import Document, Label
from narrascope.report.build import build_report
from narrascope.store import Store


def _seed_document(path, outlet: str) -> Document:
    text = "\n\n".join(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    doc = Document(source=path.name, text=text, outlet=outlet, title=f"{outlet} <b>piece</b>", language="en")
    doc.assign_id()
    return doc


def _mark(doc: Document, word: str, layer: str, label: str, **attrs) -> int:
    found = 0
    for m in re.finditer(re.escape(word), doc.text):
        doc.add_span(m.start(), m.end(), layer, label, None, **attrs)
        found += 1
    return found


@pytest.fixture()
def analysed_store(tmp_path, seeds_dir):
    seeds = sorted(seeds_dir.glob("*.txt"))
    if len(seeds) < 5:
        pytest.skip("no seed pages")
    a, b = _seed_document(seeds[3], "Tabloid"), _seed_document(seeds[4], "Eurasia <script>x</script>")
    for doc, role in ((a, "Antagonist"), (b, "Protagonist")):
        assert _mark(doc, "Lukashenko", "entity", "PERSON", actor="Alexander Lukashenko", role=role) > 0
        assert _mark(doc, "Russia", "entity", "GPE", actor="Russia", role="Antagonist") > 0
        first = doc.text.index("\n\n")
        doc.add_span(0, first, "quote", "direct", 0.9, speaker="Alexander Lukashenko")
        doc.labels += [
            Label("genre", "opinion" if doc is b else "reporting", 0.8),
            Label("frame", "Political", 0.7), Label("frame", "Security_and_defense", 0.6),
            Label("narrative", "URW: Blaming the war on others rather than the invader", 0.55, None, [(0, first)]),
            Label("user_narrative", "nato_threat", 0.7, None, [(0, first)],
                  {"taxonomy": "belarus_russia", "name": "NATO threatens <Belarus>"}),
        ]
    with Store(tmp_path / "r.duckdb") as store:
        run = store.start_run({}, {})
        store.save([a, b], run, {})
        store.finish_run(run, {})
        yield store, a, b


def test_report_shows_each_layer_with_its_numbers(analysed_store):
    store, a, b = analysed_store
    html = build_report(store)
    for section in ("genre-frames", "narratives", "actors", "quotes"):
        assert f'id="{section}"' in html
    # Actors: one row per canonical actor with its mentions across both documents.
    n_luka = a.text.count("Lukashenko") + b.text.count("Lukashenko")
    assert re.search(rf"<td>Alexander Lukashenko</td><td>PERSON</td><td class=\"num\">{n_luka}</td><td class=\"num\">2</td>", html)
    # Framing: each outlet casts Lukashenko differently.
    assert "Alexander Lukashenko · Tabloid" in html
    # Narratives with their evidence sentence; quotes with their speaker.
    first_para = a.text[: a.text.index("\n\n")]
    assert first_para[:60] in html
    assert "Quotes (2 found)" in html


def test_the_report_says_which_section_it_is_computing(analysed_store):
    from narrascope.report.build import SECTIONS

    store, _, _ = analysed_store
    seen = []
    html = build_report(store, on_section=lambda name, k, n: seen.append((name, k, n)))
    assert [k for _, k, _ in seen] == list(range(1, len(SECTIONS) + 1)) and {n for _, _, n in seen} == {len(SECTIONS)}
    names = [name for name, _, _ in seen]
    assert names[:2] == ["overview", "techniques"] and "echoes" in names and "genre frames" in names
    undated = lambda page: re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "", page)  # noqa: E731
    assert undated(html) == undated(build_report(store))  # the callback changes nothing in the report


def test_untrusted_names_are_escaped(analysed_store):
    store, _, _ = analysed_store
    html = build_report(store)
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "NATO threatens &lt;Belarus&gt;" in html
    assert "<b>piece</b>" not in html


def test_sections_are_left_out_when_the_layer_was_not_computed(tmp_path, seeds_dir):
    doc = _seed_document(sorted(seeds_dir.glob("*.txt"))[0], "Plain")
    with Store(tmp_path / "p.duckdb") as store:
        run = store.start_run({}, {})
        store.save([doc], run, {})
        html = build_report(store)
    for section in ("genre-frames", "narratives", "actors", "quotes"):
        assert f'id="{section}"' not in html
