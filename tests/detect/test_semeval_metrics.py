"""The official metrics on small examples computed by hand."""

from __future__ import annotations

import pytest

from narrascope.semeval import (
    TechniqueSpan as S,
    line_spans,
    merge_overlapping,
    paragraph_labels_from_spans,
    paragraph_scores,
    span_scores,
    span_scores_per_technique,
    tc_scores,
)


def test_si_partial_overlap_credit():
    gold = [S("1", 0, 10), S("1", 20, 30)]
    pred = [S("1", 5, 15), S("1", 20, 30), S("1", 40, 50)]
    s = span_scores(gold, pred)
    # precision: (5/10 + 10/10 + 0) / 3 ; recall: (5/10 + 10/10) / 2
    assert s["precision"] == pytest.approx(0.5)
    assert s["recall"] == pytest.approx(0.75)
    assert s["f1"] == pytest.approx(0.6)


def test_si_ignores_other_articles_and_merges_overlaps():
    gold = [S("1", 0, 10)]
    pred = [S("1", 0, 4), S("1", 2, 8), S("2", 0, 10)]
    assert merge_overlapping(pred) == [S("1", 0, 8), S("2", 0, 10)]
    s = span_scores(gold, pred)
    # merged prediction 0-8 lies inside gold (credit 1), article 2's span earns nothing
    assert s["precision"] == pytest.approx(0.5)
    assert s["recall"] == pytest.approx(0.8)


def test_labelled_span_scores_need_the_same_technique():
    gold = [S("1", 0, 10, "Doubt"), S("1", 20, 30, "Loaded_Language")]
    pred = [S("1", 0, 10, "Loaded_Language"), S("1", 20, 25, "Loaded_Language")]
    s = span_scores(gold, pred, use_techniques=True)
    assert s["precision"] == pytest.approx(0.5)  # (0 + 5/5) / 2
    assert s["recall"] == pytest.approx(0.25)  # (0 + 5/10) / 2
    per = span_scores_per_technique(gold, pred)
    assert per["Doubt"]["f1"] == 0.0
    assert per["Loaded_Language"]["recall"] == pytest.approx(0.5)


def test_paragraph_micro_and_macro_f1():
    gold = {("a", 1): frozenset({"X"}), ("a", 3): frozenset({"X", "Y"}), ("a", 5): frozenset()}
    pred = {("a", 1): frozenset({"X"}), ("a", 3): frozenset({"Y", "Z"}), ("a", 5): frozenset({"X"})}
    s = paragraph_scores(gold, pred)
    assert s["micro_precision"] == pytest.approx(2 / 4)
    assert s["micro_recall"] == pytest.approx(2 / 3)
    assert s["micro_f1"] == pytest.approx(4 / 7)
    assert s["per_technique"]["X"]["f1"] == pytest.approx(0.5)
    assert s["per_technique"]["Y"]["f1"] == pytest.approx(1.0)
    assert s["macro_f1"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)


def test_tc_counts_each_label_of_a_multilabel_span():
    gold = [S("a", 0, 5, "X"), S("a", 0, 5, "Y"), S("a", 10, 20, "Z")]
    pred = [S("a", 0, 5, "X"), S("a", 0, 5, "X"), S("a", 10, 20, "Z")]
    assert tc_scores(gold, pred)["micro_f1"] == pytest.approx(2 / 3)


def test_lines_are_one_based_and_count_blank_lines():
    text = "Title\n\nFirst para.\n  \nSecond para."
    assert line_spans(text) == [(1, 0, 5), (3, 7, 18), (5, 22, 34)]
    labels = paragraph_labels_from_spans({"9": text}, [S("9", 8, 12, "Doubt")])
    assert labels == {("9", 1): frozenset(), ("9", 3): frozenset({"Doubt"}), ("9", 5): frozenset()}


def test_line_labels_from_spans_match_the_official_line_file(semeval_dir):
    from narrascope.semeval import read_articles, read_paragraph_labels, read_span_labels

    texts = read_articles(semeval_dir / "train-articles-subtask-3")
    texts = dict(sorted(texts.items())[:20])
    spans = [s for s in read_span_labels(semeval_dir / "train-labels-subtask-3-spans") if s.article_id in texts]
    gold = {k: v for k, v in read_paragraph_labels(semeval_dir / "train-labels-subtask-3.txt").items() if k[0] in texts}
    assert paragraph_labels_from_spans(texts, spans) == gold
