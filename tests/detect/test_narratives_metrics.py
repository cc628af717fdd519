"""SemEval-2025 subtask-2 format and metrics, checked against hand-computed values."""

from __future__ import annotations

import pytest

from narrascope.detect.narratives import (
    f1_samples,
    label_text,
    macro_f1,
    narrative_scores,
    parent_of,
    read_narrative_labels,
    write_narrative_labels,
)
from narrascope.errors import InputError

A, B, C = "URW: Discrediting Ukraine", "URW: Praise of Russia", "CC: Criticism of climate movement"


def test_f1_samples_is_the_mean_of_per_document_f1():
    gold = {"d1": [A, B], "d2": ["Other"], "d3": [C]}
    pred = {"d1": [A], "d2": ["Other"], "d3": [A]}
    # d1: P=1, R=1/2 -> 2/3; d2: Other matches Other -> 1; d3: 0
    mean, sd = f1_samples(gold, pred)
    assert mean == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert sd > 0


def test_duplicates_count_once_and_unknown_labels_are_ignored():
    gold = {"d": [A, A, B]}
    pred = {"d": [A, B, "URW: not a class"]}
    assert f1_samples(gold, pred, classes=[A, B, "Other"])[0] == pytest.approx(1.0)
    # Without the class list the unknown label is a false positive.
    assert f1_samples(gold, pred)[0] == pytest.approx(2 * 2 / (2 + 3))


def test_nothing_on_either_side_scores_zero_as_the_official_scorer():
    assert f1_samples({"d": ["x"]}, {"d": ["y"]}, classes=["Other"])[0] == 0.0


def test_macro_f1_averages_over_classes_seen():
    gold = {"d1": [A], "d2": [B], "d3": ["Other"]}
    pred = {"d1": [A], "d2": [A], "d3": ["Other"]}
    # A: tp1 fp1 fn0 -> 2/3; B: 0; Other: 1
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 0 + 1) / 3)


def test_scores_refuse_mismatched_documents():
    with pytest.raises(InputError, match="missing"):
        narrative_scores({"d1": ([A], [A + ": Other"])}, {"d2": ([A], [A + ": Other"])})


def test_file_round_trip(tmp_path):
    path = tmp_path / "pred.txt"
    write_narrative_labels([("EN_1.txt", [A, B], [A + ": Other"]), ("EN_2.txt", [], [])], path)
    assert path.read_text(encoding="utf-8").splitlines()[1] == "EN_2.txt\tOther\tOther"
    rows = read_narrative_labels(path)
    assert rows["EN_1.txt"] == ([A, B], [A + ": Other"])
    scores = narrative_scores(rows, rows)
    assert scores["f1_samples_coarse"] == scores["f1_samples_fine"] == 1.0


def test_label_names():
    assert label_text("URW: Discrediting Ukraine: Ukraine is a puppet of the West") == "Discrediting Ukraine: Ukraine is a puppet of the West"
    assert label_text("URW: Discrediting Ukraine: Other") == "Discrediting Ukraine"
    assert parent_of("CC: Criticism of climate movement: Climate movement is alarmist") == C
