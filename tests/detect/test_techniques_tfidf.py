"""The word n-gram TF-IDF layer of the technique model and the layout-aware line decisions, on real text."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.detect.techniques import (
    ANY,
    TfidfVocabulary,
    get_model,
    ngram_terms,
    sentence_per_line_layout,
)
from narrascope.document import Document
from narrascope.nlp.sentences import split_sentences

SEED_004 = "004_341afdb3e50d01d3.txt"


@pytest.fixture(scope="module")
def seed_text(seeds_dir) -> str:
    return (seeds_dir / SEED_004).read_text(encoding="utf-8")


def test_numpy_tfidf_is_scikit_learns(seed_text):
    from sklearn.feature_extraction.text import TfidfVectorizer

    sentences = [seed_text[s:e] for s, e in split_sentences(seed_text)]
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(sentences[::2])
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    ours = TfidfVocabulary(terms, vec.idf_)
    expected = vec.transform(sentences).toarray()
    for row, text in zip(expected, sentences):
        cols, values = ours.vector(text)
        dense = np.zeros(len(terms))
        dense[cols] = values
        assert np.abs(dense - row).max() < 1e-5
    assert "deep state" in ngram_terms("the so-called “deep state”")


def test_shipped_tfidf_layer_loads_and_separates_loaded_from_plain_sentences():
    model = get_model()
    assert model.tfidf is not None and len(model.tfidf.index) > 1000
    loaded = "These corrupt globalist elites are destroying our great nation with their disgusting lies."
    plain = "The city council will meet on Tuesday at 10 a.m. to review the budget for road maintenance."
    p = model.sentence_tfidf_probs([loaded, plain])
    assert p.shape == (2, len(model.labels) - 1)
    j = model.labels.index("Loaded_Language")
    assert p[0, j] > p[1, j] + 0.1
    assert 0.0 <= float(p.min()) and float(p.max()) <= 1.0


def test_tfidf_block_changes_the_span_classifier(seed_text):
    model = get_model()
    # validation chose the block for the schemes listed here (2020 TC at least)
    schemes = [k for k, info in model.config["span_classifier_info"].items() if info["tfidf_scale"]]
    assert "2020" in schemes
    doc = Document(source="test", text=seed_text, language="en")
    enc = model.encode([doc])[0]
    start = seed_text.index("“deep state”")
    span = [(start, start + len("“deep state”"))]
    for scheme in schemes:
        with_words = model.classify_spans(enc, seed_text, span, scheme)[0]
        saved, model.tfidf = model.tfidf, None
        try:
            without = model.classify_spans(enc, seed_text, span, scheme)[0]
        finally:
            model.tfidf = saved
        assert dict(with_words) != pytest.approx(dict(without), abs=1e-4)
        assert abs(sum(p for _, p in with_words) - 1.0) < 1e-4


def test_layout_is_told_from_sentences_per_line():
    one_each = [np.array([k]) for k in range(20)]
    assert sentence_per_line_layout(one_each)
    paragraphs = [np.array([3 * k, 3 * k + 1, 3 * k + 2]) for k in range(6)] + [np.array([99])]
    assert not sentence_per_line_layout(paragraphs)
    assert not sentence_per_line_layout([np.zeros(0, dtype=np.int64)])


def test_both_layouts_of_the_seed_give_line_labels(seed_text):
    """One paragraph per line and one sentence per line: the same smear labels are found either way."""
    model = get_model()
    doc = Document(source="test", text=seed_text, language="en")
    enc = model.encode([doc])[0]  # the adapted encoding the head was trained on
    sentences = split_sentences(seed_text)
    pred = model.predict(enc, sentences, seed_text)
    assert pred.sentence_probs.shape == (len(pred.sentences), len(model.labels))
    # paragraph layout: the file's own lines
    lines = []
    pos = 0
    for line in seed_text.split("\n"):
        if line.strip():
            lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    par = model.line_techniques(pred, lines)
    # sentence layout: each sentence its own line (offsets unchanged)
    sent = model.line_techniques(pred, pred.sentences)
    found_par = set().union(*par)
    found_sent = set().union(*sent)
    assert ANY not in found_par | found_sent
    smear = {"Loaded_Language", "Name_Calling-Labeling"}
    assert found_par & smear and found_sent & smear
    # the line holding plain attribution stays unlabelled in both layouts
    k = next(i for i, (s, e) in enumerate(pred.sentences) if seed_text[s:e].startswith("TASS quoted"))
    assert "Loaded_Language" not in sent[k]
