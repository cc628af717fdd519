"""Taxonomy files: loading YAML and TOML, and one clear error per kind of mistake."""

from __future__ import annotations

import textwrap

import pytest

from narrascope.errors import ConfigError
from narrascope.taxonomy import builtin_taxonomies, load_taxonomy

GOOD = """
name: test
description: A test taxonomy.
version: 2
narratives:
  - id: energy
    name: Energy as leverage
    description: Gas prices are used to pressure a neighbour.
    examples: [Moscow raised the gas price to punish Minsk.]
    keywords: [gas]
  - id: gas_cut
    name: Gas supply cut
    parent: energy
    description: Supplies are cut off.
    examples: [The pipeline was shut for a week.]
"""


def write(tmp_path, text, name="t.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_yaml_loads(tmp_path):
    tax = load_taxonomy(write(tmp_path, GOOD))
    assert tax.name == "test" and tax.version == "2"
    assert [n.id for n in tax.narratives] == ["energy", "gas_cut"]
    assert tax.get("gas_cut").parent == "energy"
    assert tax.ancestors("gas_cut") == ["energy"]
    assert tax.get("energy").keywords == ("gas",)


def test_toml_loads(tmp_path):
    p = write(tmp_path, """
        name = "test"
        description = "A test taxonomy."
        [[narratives]]
        id = "energy"
        name = "Energy as leverage"
        description = "Gas prices as pressure."
        examples = ["Moscow raised the gas price to punish Minsk."]
        """, "t.toml")
    assert load_taxonomy(p).get("energy").examples == ("Moscow raised the gas price to punish Minsk.",)


def test_builtin_belarus_russia_is_valid():
    assert "belarus_russia" in builtin_taxonomies()
    tax = load_taxonomy("builtin:belarus_russia")
    ids = {n.id for n in tax.narratives}
    assert {"russia_absorbs_belarus", "belarus_pivots_west", "nato_threatens_belarus", "unrest_foreign_funded", "energy_leverage"} <= ids
    assert all(len(n.examples) >= 3 for n in tax.narratives)


def broken(tmp_path, old, new):
    return write(tmp_path, GOOD.replace(old, new))


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("    description: Supplies are cut off.\n", "", "narrative 'gas_cut': missing field 'description'"),
        ("    examples: [The pipeline was shut for a week.]\n", "    examples: []\n", "narrative 'gas_cut': no examples"),
        ("parent: energy", "parent: oil", "narrative 'gas_cut': unknown parent 'oil'"),
        ("id: gas_cut", "id: energy", "narrative 'energy': duplicate id"),
        ("  - id: energy\n", "  - id: energy\n    parent: gas_cut\n", "parent cycle"),
        ("    keywords: [gas]", "    keywords: [gas]\n    colour: red", "narrative 'energy': unknown field(s) colour"),
        ("name: test\n", "", "missing field 'name'"),
        ("    keywords: [gas]", "    keywords: gas: 1", "invalid YAML"),
    ],
)
def test_each_mistake_gets_its_own_error(tmp_path, old, new, message):
    p = broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_taxonomy(p)
    assert message in str(err.value)
    assert str(p) in str(err.value)  # the file is named


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="belarus_russia"):
        load_taxonomy("builtin:nope")


# -- matching: the built-in Belarus–Russia taxonomy on the seed pages -------------------------
import time  # noqa: E402

import numpy as np  # noqa: E402

from narrascope.document import Document  # noqa: E402
from narrascope.pipeline import Pipeline  # noqa: E402
from narrascope.taxonomy import TaxonomyStage, fit_taxonomy  # noqa: E402


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    """Seeds 002 (2020 op-ed), 003 (2022 tabloid on NATO/Stoltenberg), 004 (Belarus 'balancing' op-ed), fully prepared."""
    pipeline = Pipeline.from_names(["extract", "segment", "language", "sentences", "taxonomy"],
                                   {"stages": {"taxonomy": {"files": ["builtin:belarus_russia"]}}})
    out = {}
    for prefix in ("002", "003", "004"):
        path = next(seeds_dir.glob(f"{prefix}_*.txt"))
        doc = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text")
        pipeline([doc])
        assert not doc.meta.get("problem"), doc.meta.get("problem")
        out[prefix] = doc
    return out


def matched(doc: Document) -> set[str]:
    return {l.label for l in doc.labels_of("user_narrative")}


def test_seed_003_nato_and_launchpad(seeds):
    doc = seeds["003"]
    found = matched(doc)
    assert {"belarus_war_accomplice", "nato_threatens_belarus"} <= found
    assert not found & {"belarus_pivots_west", "energy_leverage", "hybrid_threats_migration"}
    accomplice = next(l for l in doc.labels_of("user_narrative") if l.label == "belarus_war_accomplice")
    evidence = " ".join(doc.text[s:e] for s, e in accomplice.evidence)
    assert "launchpad" in evidence and "staging post" in evidence
    assert accomplice.attrs["taxonomy"] == "belarus_russia" and accomplice.attrs["explanation"].startswith("Supported by: “")


def test_parent_inherits_child_match(seeds):
    labels = {l.label: l for l in seeds["003"].labels_of("user_narrative")}
    parent = labels["western_pressure"]
    assert parent.attrs.get("via") == "nato_threatens_belarus"
    assert parent.score >= labels["nato_threatens_belarus"].score


def test_scores_are_probabilities_not_certainties(seeds):
    # Fitted with balanced class weights, the logistic gave every match on these pages 0.86-0.99,
    # where a score of 0.87 meant a match rate of 0.32 on the SemEval test documents.
    import json
    from importlib import resources

    scores = [l.score for doc in seeds.values() for l in doc.labels_of("user_narrative")]
    assert len(scores) >= 10 and max(scores) < 0.9 and min(scores) >= 0.1
    record = json.loads(resources.files("narrascope.models.taxonomy").joinpath("calibration.json").read_text(encoding="utf-8"))
    assert abs(record["scores"]["test_mean_score"] - record["scores"]["test_match_rate"]) < 0.02


def test_seed_004_pivot_west_and_hybrid_threats(seeds):
    assert {"belarus_pivots_west", "hybrid_threats_migration"} <= matched(seeds["004"])


def test_seed_002_repression_not_energy(seeds):
    found = matched(seeds["002"])
    assert "regime_repression" in found and "energy_leverage" not in found


def test_evidence_is_sentences_of_the_text(seeds):
    for doc in seeds.values():
        sentences = {(s.start, s.end) for s in doc.sentences}
        for lab in doc.labels_of("user_narrative"):
            assert lab.evidence and all(span in sentences for span in lab.evidence)


def test_no_files_means_no_work():
    doc = Document(source="x", text="NATO moved troops to the border of Belarus.", language="en")
    TaxonomyStage().process([doc])
    assert not doc.labels


def test_fit_is_fast_and_deterministic():
    tax = load_taxonomy("builtin:belarus_russia")
    # Fitting proper, with the example sentences' vectors already computed (the encoder pass is timed in benchmarks/narratives.py).
    cache: dict[str, np.ndarray] = {}

    def encode(texts):
        rng = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=384) for t in texts]
        for t, v in zip(texts, rng):
            cache.setdefault(t, v.astype(np.float32))
        return np.stack([cache[t] for t in texts])

    fit_taxonomy(tax, encode=encode)
    t0 = time.perf_counter()
    a = fit_taxonomy(tax, encode=encode)
    assert time.perf_counter() - t0 < 1.0
    b = fit_taxonomy(tax, encode=encode)
    assert np.array_equal(a.centroids, b.centroids)
    assert all(np.array_equal(x, y) for x, y in zip(a.competitors, b.competitors))


def test_matching_is_deterministic(seeds):
    doc = seeds["003"]
    again = Document(source=doc.source, text=doc.text, language="en")
    for s in doc.sentences:
        again.add_span(s.start, s.end, "sentence")
    TaxonomyStage({"files": ["builtin:belarus_russia"]}).process([again])
    first = [(l.label, l.score, l.evidence) for l in doc.labels_of("user_narrative")]
    assert [(l.label, l.score, l.evidence) for l in again.labels_of("user_narrative")] == first
