"""The "narratives" stage and the 2025-st2 commands on real SemEval-2025 documents."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrascope.cli_narratives import evaluate_2025_st2, semeval_2025_st2
from narrascope.detect.narratives import OTHER, NarrativesStage, get_model, parent_of, predict_narratives
from narrascope.document import Document
from narrascope.nlp.sentences import split_sentences
from narrascope.pipeline import get_stage
from narrascope.semeval import read_article

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "semeval2025t10"
# Held-out (test split) documents whose gold narratives were checked by hand against the prediction.
NUCLEAR = "EN_UA_027676.txt"  # gold: URW: Amplifying war-related fears (nuclear weapons)
OTHER_DOC = "EN_UA_018789.txt"  # gold: Other


@pytest.fixture(scope="module")
def en_dir() -> Path:
    d = DATA / "train" / "EN"
    if not d.is_dir():
        pytest.skip("../shared/data/semeval2025t10 is not present")
    return d


def load(en_dir: Path, name: str) -> Document:
    text = read_article(en_dir / "raw-documents" / name)
    doc = Document(source=name, text=text, id=name, language="en")
    for s, e in split_sentences(text, "en"):
        doc.add_span(s, e, "sentence")
    return doc


@pytest.fixture(scope="module")
def analysed(en_dir):
    docs = [load(en_dir, NUCLEAR), load(en_dir, OTHER_DOC)]
    NarrativesStage().process(docs)
    return {d.id: d for d in docs}


def test_shipped_model_loads_and_is_small():
    model = get_model()
    assert OTHER in model.labels
    assert sum(l.startswith("URW: ") for l in model.labels) > 40 and sum(l.startswith("CC: ") for l in model.labels) > 30
    files = resources.files("narrascope.models.narratives")
    assert sum(len(f.read_bytes()) for f in files.iterdir() if f.name.endswith((".npz", ".json"))) < 3_000_000
    assert get_stage("narratives") is NarrativesStage


def test_nuclear_fears_article_is_labelled(analysed):
    doc = analysed[NUCLEAR]
    narratives = {l.label for l in doc.labels_of("narrative")}
    assert "URW: Amplifying war-related fears" in narratives


def test_hierarchy_is_consistent(analysed):
    for doc in analysed.values():
        narratives = [l.label for l in doc.labels_of("narrative")]
        subs = doc.labels_of("subnarrative")
        if OTHER in narratives:
            assert narratives == [OTHER] and not subs  # Other only when nothing else
            continue
        assert subs, "every predicted narrative gets at least one subnarrative (or '<narrative>: Other')"
        for s in subs:
            assert s.attrs["parent"] == parent_of(s.label) and s.attrs["parent"] in narratives


def test_evidence_points_at_sentences(analysed):
    doc = analysed[NUCLEAR]
    sentences = {(s.start, s.end) for s in doc.sentences}
    labels = doc.labels_of("narrative") + doc.labels_of("subnarrative")
    assert labels and all(l.evidence for l in labels)
    for lab in labels:
        for s, e in lab.evidence:
            assert 0 <= s < e <= len(doc.text) and (s, e) in sentences
        first = " ".join(doc.text[slice(*lab.evidence[0])].split())
        assert lab.attrs["explanation"].startswith("Supported by: “" + first[:40])
    # The evidence for the nuclear narrative talks about nuclear weapons.
    fears = next(l for l in doc.labels_of("narrative") if l.label == "URW: Amplifying war-related fears")
    assert any("nuclear" in doc.text[s:e].lower() for s, e in fears.evidence)


def test_prediction_is_deterministic(en_dir):
    a, b = predict_narratives(load(en_dir, NUCLEAR)), predict_narratives(load(en_dir, NUCLEAR))
    assert a.narrative_labels() == b.narrative_labels() and a.probabilities == b.probabilities


def test_non_english_is_skipped_with_a_warning():
    doc = Document(source="x", text="Россия и Беларусь подписали договор о союзном государстве.", language="ru")
    NarrativesStage().process([doc])
    assert not doc.labels_of("narrative")
    assert "English-only" in doc.meta["warnings"][0]


def test_semeval_and_evaluate_commands(en_dir, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in (NUCLEAR, OTHER_DOC):
        shutil.copy(en_dir / "raw-documents" / name, docs / name)
    runner = CliRunner()
    out = tmp_path / "pred.txt"
    res = runner.invoke(semeval_2025_st2, [str(docs), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = dict(line.split("\t", 1) for line in out.read_text(encoding="utf-8").splitlines())
    assert set(rows) == {NUCLEAR, OTHER_DOC}
    gold = tmp_path / "gold.txt"
    gold.write_text("".join(l + "\n" for l in (en_dir / "subtask-2-annotations.txt").read_text(encoding="utf-8").splitlines()
                            if l.split("\t")[0] in rows), encoding="utf-8")
    res = runner.invoke(evaluate_2025_st2, [str(gold), str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert '"f1_samples_coarse"' in res.output
    res = runner.invoke(evaluate_2025_st2, [str(gold), str(gold)])
    assert "F1@coarse: 1.000" in res.output
