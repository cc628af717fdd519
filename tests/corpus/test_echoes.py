"""Echoes on real PolNeAR articles with planted copies: the first outlet, the direction, and the block-wise matching."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from narrascope.cli_corpus import echoes as echoes_command
from narrascope.corpus.echoes import find_echoes, propagation_edges, text_overlap_pairs, windowed_pairs, _shingles
from narrascope.corpus.scope import Scope


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()  # the stored text has its whitespace normalised (no-break spaces)


def _chain_with(echoes, text):
    found = [e for e in echoes if any(_same(m.text, text) for m in e.members)]
    assert len(found) == 1, f"{len(found)} chains hold {text[:60]!r}"
    return found[0]


@pytest.mark.parametrize("kind", ["copied", "reworded"])
def test_a_planted_paragraph_is_found_with_its_first_outlet_and_direction(store, polnear_subset, kind):
    plant = polnear_subset["planted"][kind]
    echoes = find_echoes(store)
    chain = _chain_with(echoes, plant["planted"])
    source, target = plant["source"], plant["target"]
    assert chain.first.outlet == source["outlet"] and chain.first.published == source["published"]
    assert _same(chain.first.text, plant["paragraph"])
    repeat = next(m for m in chain.members[1:] if _same(m.text, plant["planted"]))
    assert repeat.outlet == target["outlet"] and repeat.published == target["published"] > source["published"]
    if kind == "copied":
        assert repeat.similarity == 1.0 and repeat.overlap == 1.0
    else:  # not identical: found by the words it shares
        assert 0.5 <= repeat.overlap < 1.0 and repeat.similarity < 1.0
    assert (source["outlet"], target["outlet"]) in {(a, b) for a, b, _ in propagation_edges(echoes)}
    assert (target["outlet"], source["outlet"]) not in {(a, b) for a, b, n in propagation_edges([chain])}


def test_chains_span_outlets_in_time_order(store):
    echoes = find_echoes(store)
    assert echoes
    for e in echoes:
        assert len(set(m.outlet for m in e.members)) >= 2 and e.outlets[0] == e.first.outlet
        dates = [m.published for m in e.members if m.published]
        assert dates == sorted(dates)
    # Nothing shorter than min_chars, and a stricter threshold finds no more chains' members.
    assert all(m.end - m.start >= 80 for e in echoes for m in e.members)
    strict = find_echoes(store, threshold=0.97)
    assert sum(len(e.members) for e in strict) <= sum(len(e.members) for e in echoes)


def _brute_force(v, days, groups, threshold, window):
    full = v @ v.T
    return {(a, b) for a in range(len(v)) for b in range(a + 1, len(v))
            if full[a, b] >= threshold and groups[a] != groups[b]
            and (window is None or days[a] < 0 or days[b] < 0 or abs(int(days[a]) - int(days[b])) <= window)}


@pytest.mark.parametrize("window", [None, 0, 2, 9])
def test_windowed_matching_equals_the_full_matrix(window):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(60, 384)).astype(np.float32)
    v = np.concatenate([base, base[:40] + 0.05 * rng.normal(size=(40, 384)).astype(np.float32)])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    groups = np.arange(len(v)) % 7  # a copy (row k + 60) is never in its original's group
    days = rng.integers(0, 15, size=len(v))
    days[rng.random(len(v)) < 0.15] = -1  # undated: compared with everything
    loads = []

    def load(rows):
        loads.append(len(rows))
        return v[rows]

    i, j, s = windowed_pairs(load, days, groups, 0.9, window, block=5, chunk=11)
    expected = _brute_force(v, days, groups, 0.9, window)
    found = list(zip(i.tolist(), j.tolist()))
    assert sorted(found) == sorted(expected) and len(found) == len(set(found)) and len(expected) > 5
    assert np.allclose(s, (v @ v.T)[i, j], atol=1e-5)
    if window is not None:
        assert max(loads) < len(v)  # a chunk and its window, never the whole matrix at once


def test_one_planted_copy_among_four_thousand_paragraphs_is_the_only_match():
    n = 4_000
    rng = np.random.default_rng(1)
    v = rng.normal(size=(n, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v[n - 1] = v[8]  # 8 and n - 1 are in different groups below
    groups = np.arange(n) % 7
    days = np.arange(n) // 100  # 40 days: the copy is 39 days after its original
    for window in (None, 39):
        i, j, _ = windowed_pairs(lambda rows: v[rows], days, groups, 0.9, window)
        assert set(zip(i.tolist(), j.tolist())) == {(8, n - 1)}  # random 384-d vectors are never close
    i, _, _ = windowed_pairs(lambda rows: v[rows], days, groups, 0.9, 38)
    assert not len(i)


def test_echoes_command(polnear_store, polnear_subset):
    runner = CliRunner()
    result = runner.invoke(echoes_command, ["--db", str(polnear_store)])
    assert result.exit_code == 0, result.output
    assert "echoed passages" in result.output and "propagation" in result.output
    plant = polnear_subset["planted"]["copied"]
    assert f"{plant['source']['outlet']}" in result.output
    lines = [json.loads(x) for x in runner.invoke(echoes_command, ["--db", str(polnear_store), "--json"]).output.splitlines()]
    first = {(x["first_outlet"], " ".join(x["members"][0]["text"].split())) for x in lines}
    assert (plant["source"]["outlet"], " ".join(plant["paragraph"].split())) in first


def test_copies_are_found_at_any_time_paraphrases_within_the_window(store, polnear_subset):
    anytime = find_echoes(store, window_days=None)
    same_day = find_echoes(store, window_days=0)
    chains = {frozenset((m.doc_id, m.start) for m in e.members) for e in anytime}
    for e in same_day:  # a narrower window only drops links
        assert any(frozenset((m.doc_id, m.start) for m in e.members) <= c for c in chains)
    for plant in polnear_subset["planted"].values():  # planted days apart, found by their words
        assert plant["target"]["published"][:10] > plant["source"]["published"][:10]
        _chain_with(same_day, plant["planted"])


def test_text_overlap_pairs_match_a_direct_count(store):
    texts = [t for (t,) in store.query("SELECT text FROM documents ORDER BY seq LIMIT 40")]
    paragraphs = [p for t in texts for p in t.split("\n") if len(p) >= 80]
    paragraphs += [p.replace(" the ", " a ", 1) for p in paragraphs[:30:3]]  # edited copies
    shingles = [_shingles(p) for p in paragraphs]
    groups = np.arange(len(paragraphs)) % 4
    expected = {(a, b) for a in range(len(paragraphs)) for b in range(a + 1, len(paragraphs))
                if groups[a] != groups[b] and len(shingles[a] & shingles[b]) >= 8
                and len(shingles[a] & shingles[b]) >= 0.5 * min(len(shingles[a]), len(shingles[b]))}
    assert text_overlap_pairs(shingles, groups) == expected and len(expected) >= 5


def test_echoes_of_a_scope_hold_only_its_documents(polnear_store):
    from narrascope.store import Store

    with Store(polnear_store, read_only=True) as store:
        everything = find_echoes(store)
        outlets = sorted({m.outlet for e in everything for m in e.members})[:3]
        expected = store.query("SELECT count(*) FROM documents WHERE outlet IN (SELECT unnest(?::VARCHAR[])) "
                               "AND published >= '2016-07-25' AND substr(published, 1, 7) <= '2016-08'", [outlets])[0][0]
        assert store.restrict(Scope("2016-07-25", "2016-08", tuple(outlets))) == expected > 0
        assert store.count() == expected
        scoped = find_echoes(store)
    assert scoped and len(scoped) < len(everything)
    for e in scoped:
        assert all(m.outlet in outlets and "2016-07-25" <= m.published[:10] <= "2016-08-31" for m in e.members)
    kept = {frozenset((m.doc_id, m.start) for m in e.members) for e in everything}
    for e in scoped:  # the same links, among fewer paragraphs
        assert any(frozenset((m.doc_id, m.start) for m in e.members) <= c for c in kept)
