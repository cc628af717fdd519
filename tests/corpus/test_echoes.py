"""Echoes on real PolNeAR articles with planted copies: the first outlet, the direction, and the block-wise matching."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from click.testing import CliRunner

from narrascope.cli_corpus import echoes as echoes_command
from narrascope.corpus.echoes import find_echoes, matching_pairs, propagation_edges


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


def test_blockwise_matching_equals_the_full_matrix():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 384)).astype(np.float32)
    v = np.concatenate([base, base[:25] + 0.05 * rng.normal(size=(25, 384)).astype(np.float32)])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    groups = np.arange(len(v)) % 3
    i, j, s = matching_pairs(v, groups, 0.9, block=7)
    full = v @ v.T
    expected = {(a, b) for a in range(len(v)) for b in range(a + 1, len(v)) if full[a, b] >= 0.9 and groups[a] != groups[b]}
    assert set(zip(i.tolist(), j.tolist())) == expected and len(expected) > 5
    assert np.allclose(s, full[i, j], atol=1e-5)


def _planted_match_seconds(n: int) -> float:
    rng = np.random.default_rng(1)
    v = rng.normal(size=(n, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v[n - 1] = v[8]  # 8 and n - 1 are in different groups below
    groups = np.arange(n) % 7
    assert groups[8] != groups[n - 1]
    t0 = time.perf_counter()
    i, j, _ = matching_pairs(v, groups, 0.9)
    seconds = time.perf_counter() - t0
    assert set(zip(i.tolist(), j.tolist())) == {(8, n - 1)}  # random 384-d vectors are never close
    return seconds


def test_four_thousand_paragraphs_match_quickly():
    assert _planted_match_seconds(4_000) < 20  # ~0.1 s on one idle core


@pytest.mark.slow
def test_twenty_thousand_paragraphs_match_in_seconds():
    assert _planted_match_seconds(20_000) < 60  # ~3 s on one idle core; generous for a loaded machine


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
