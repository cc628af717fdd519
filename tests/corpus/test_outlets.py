"""Outlet profiles and comparison on real PolNeAR articles: numbers equal direct SQL counts; missing layers say so."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from narrascope.cli_corpus import outlets as outlets_command
from narrascope.document import Label
from narrascope.corpus.outlets import compare_outlets, outlet_profiles
from narrascope.errors import InputError
from narrascope.store import Store


def test_profiles_equal_direct_sql_counts(store):
    profiles = {p.outlet: p for p in outlet_profiles(store)}
    direct = store.query("SELECT outlet, count(*), min(published), max(published) FROM documents "
                         "WHERE id NOT IN (SELECT doc_id FROM duplicates) GROUP BY outlet")
    assert {o: (n, lo, hi) for o, n, lo, hi in direct} == {
        o: (p.articles, p.first_published, p.last_published) for o, p in profiles.items()}
    texts = store.query("SELECT outlet, text FROM documents WHERE id NOT IN (SELECT doc_id FROM duplicates)")
    words: dict[str, int] = {}
    for outlet, text in texts:
        words[outlet] = words.get(outlet, 0) + len(text.split())
    assert words == {o: p.words for o, p in profiles.items()}
    spans = dict(store.query("SELECT d.outlet, count(*) FROM spans s JOIN documents d ON d.id = s.doc_id "
                             "WHERE s.layer = 'technique' GROUP BY d.outlet"))
    assert sum(spans.values()) > 20  # the techniques stage ran and found something
    for o, p in profiles.items():
        assert p.technique_spans == spans.get(o, 0) == sum(s.count for s in p.techniques)
        assert p.technique_density == round(1000 * p.technique_spans / p.words, 2)
        # Layers whose stage did not run are "not computed", not empty.
        assert p.frames is None and p.genres is None and p.narratives is None and p.actors is None and p.speakers is None
    assert compare_outlets(store, ["nyt", "breitbart"]).framing is None  # no entities: no actor framing
    assert list(profiles) == [p.outlet for p in sorted(profiles.values(), key=lambda p: (-p.articles, p.outlet))]


def test_compare_outlets_side_by_side(store):
    c = compare_outlets(store, ["nyt", "breitbart"])
    assert [p.outlet for p in c.profiles] == ["nyt", "breitbart"]
    by = {p.outlet: p for p in outlet_profiles(store)}
    assert [p.articles for p in c.profiles] == [by["nyt"].articles, by["breitbart"].articles]
    assert [d.magnitude for d in c.differences] == sorted((d.magnitude for d in c.differences), reverse=True)
    for d in c.differences:
        assert d.kind.startswith("technique") and ("nyt" in d.text and "breitbart" in d.text)
    with pytest.raises(InputError, match="no outlet 'pravda'"):
        compare_outlets(store, ["nyt", "pravda"])


def test_added_layers_and_actors_cast_differently_stand_out(polnear_store, tmp_path):
    """Role-labelled entity spans (as the entities and roles stages write them) make a framing difference."""
    db = tmp_path / "roles.duckdb"
    shutil.copy(polnear_store, db)
    with Store(db) as s:
        ids = dict(s.query("SELECT outlet, min(id) FROM documents WHERE outlet IN ('nyt', 'breitbart') "
                           "AND text LIKE '%Trump%Trump%Trump%' GROUP BY outlet"))
        docs = [s.get(ids["nyt"]), s.get(ids["breitbart"])]
        for doc, role in zip(docs, ("Protagonist", "Antagonist")):
            for k, start in enumerate(m.start() for m in re.finditer("Trump", doc.text)):
                doc.add_span(start, start + 5, "entity", "PER", actor="Donald Trump", role=role if k < 4 else None)
        docs[0].labels.append(Label("frame", "Political", 0.9))
        docs[0].add_span(0, 40, "quote", "direct", 0.9, speaker="Paul Ryan")
        docs[0].add_span(50, 90, "quote", "direct", 0.9, speaker="Paul Ryan")
        run = s.start_run({}, {})
        s.save(docs, run, {"entities": "test", "roles": "test", "frames": "test", "quotes": "test"})
        c = compare_outlets(s, ["nyt", "breitbart"])
        profile = {p.outlet: p for p in c.profiles}
    nyt, breitbart = profile["nyt"], profile["breitbart"]
    assert [(f.label, f.count, f.share) for f in nyt.frames] == [("Political", 1, round(1 / nyt.articles, 4))]
    assert breitbart.frames == [] and breitbart.speakers == []  # computed, nothing found: not "not computed"
    assert [(q.label, q.count, q.share) for q in nyt.speakers] == [("Paul Ryan", 2, 1.0)]
    assert nyt.genres is None  # still never computed
    trump = {o: next(a for a in p.actors if a.actor == "Donald Trump") for o, p in profile.items()}
    assert trump["nyt"].roles["Protagonist"] == 1.0 and trump["breitbart"].roles["Antagonist"] == 1.0
    assert trump["nyt"].mentions == docs[0].text.count("Trump")
    cast = [d for d in c.differences if d.kind == "actor_role"]
    assert cast and cast[0].subject == "Donald Trump"
    assert "protagonist by nyt" in cast[0].text and "antagonist by breitbart" in cast[0].text
    # The actor framing puts both outlets' casting side by side; tone was not computed, which is not "neutral".
    (framed,) = [x for x in c.framing if x.actor == "Donald Trump"]
    assert [(v.outlet, v.role, v.tone, v.tone_documents) for v in framed.outlets] == [
        ("nyt", "Protagonist", None, None), ("breitbart", "Antagonist", None, None)]
    assert trump["nyt"].tone is None and trump["nyt"].tone_documents is None
    assert not [d for d in c.differences if d.kind == "actor_tone"]


def test_tone_labels_make_a_tone_difference(polnear_store, tmp_path):
    """Tone labels (as the tone stage writes them) far apart between two outlets are a ranked difference."""
    db = tmp_path / "tone.duckdb"
    shutil.copy(polnear_store, db)
    with Store(db) as s:
        ids = s.query("SELECT outlet, id FROM documents WHERE outlet IN ('usa-today', 'breitbart') AND text LIKE '%Clinton%' "
                      "AND id NOT IN (SELECT doc_id FROM duplicates) ORDER BY outlet, id")
        picked: dict[str, list[str]] = {}
        for outlet, doc_id in ids:
            picked.setdefault(outlet, [])
            if len(picked[outlet]) < 2:
                picked[outlet].append(doc_id)
        docs = []
        for outlet, scores in (("usa-today", (0.30, 0.10)), ("breitbart", (-0.50, -0.30))):
            for doc_id, score in zip(picked[outlet], scores):
                doc = s.get(doc_id)
                start = doc.text.index("Clinton")
                doc.add_span(start, start + 7, "entity", "PERSON", actor="Hillary Clinton")
                doc.labels.append(Label("tone", "Hillary Clinton", score, None, [(0, 10)], {"mentions": 1, "positive": 0, "negative": 0, "type": "PERSON"}))
                docs.append(doc)
        run = s.start_run({}, {})
        s.save(docs, run, {"entities": "test", "tone": "test"})
        c = compare_outlets(s, ["usa-today", "breitbart"])
    (framed,) = [x for x in c.framing if x.actor == "Hillary Clinton"]
    assert [(v.outlet, v.tone, v.tone_documents) for v in framed.outlets] == [("usa-today", 0.2, 2), ("breitbart", -0.4, 2)]
    assert framed.tone_gap == pytest.approx(0.6)
    (diff,) = [d for d in c.differences if d.kind == "actor_tone"]
    assert diff.subject == "Hillary Clinton" and "usa-today" in diff.text and "+0.20" in diff.text and "-0.40" in diff.text
    assert diff.magnitude == pytest.approx(7.0)


def test_outlets_command(polnear_store):
    runner = CliRunner()
    result = runner.invoke(outlets_command, ["--db", str(polnear_store)])
    assert result.exit_code == 0, result.output
    assert "outlets in" in result.output and "west-journal" in result.output and "not computed" in result.output
    result = runner.invoke(outlets_command, ["--db", str(polnear_store), "--compare", "nyt", "breitbart"])
    assert result.exit_code == 0, result.output
    assert "outlets compared" in result.output and "techniques / 1k words" in result.output
    data = json.loads(runner.invoke(outlets_command, ["--db", str(polnear_store), "--json"]).output)
    assert {p["outlet"] for p in data} >= {"nyt", "breitbart", "wash-post"} and all(p["frames"] is None for p in data)
    bad = runner.invoke(outlets_command, ["--db", str(polnear_store), "--compare", "nyt"])
    assert bad.exit_code == 2 and "at least two" in bad.output
    unknown = runner.invoke(outlets_command, ["--db", str(polnear_store), "--compare", "nyt", "pravda"])
    assert unknown.exit_code == 1 and "no outlet 'pravda'" in unknown.output
