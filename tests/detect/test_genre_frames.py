"""Genre and frames heads: shipped files, the seeds, the SemEval commands and the label metrics."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from narrascope.cli_genre_frames import evaluate_2023_st1, evaluate_2023_st2, semeval_2023_st1, semeval_2023_st2
from narrascope.detect.genre_frames import (
    GENRES,
    FramesStage,
    GenreStage,
    frames_model,
    genre_model,
    paragraph_ranges,
    predict_frames,
    predict_genre,
    word_ngrams,
)
from narrascope.document import Document
from narrascope.metrics_labels import frame_scores, genre_scores, read_frame_labels, read_genre_labels
from narrascope.pipeline import Pipeline, get_stage


# -- shipped files ------------------------------------------------------------------
def test_shipped_models_load_with_consistent_labels_and_thresholds(semeval_dir):
    frames = [l.strip() for l in (semeval_dir / "frames_subtask2.txt").read_text().splitlines() if l.strip()]
    g, f = genre_model(), frames_model()
    assert g.labels == list(GENRES) and not g.multilabel
    assert sorted(f.labels) == sorted(frames) and f.multilabel
    assert set(f.config["thresholds"]) == set(f.labels)
    assert all(0.0 < t < 1.0 for t in f.thresholds)
    for m in (g, f):
        assert m.coef.shape == (len(m.labels), 3 * 384 + len(m.config["vocabulary"]))
        assert np.isfinite(m.coef).all() and np.isfinite(m.idf).all() and (m.idf >= 1.0).all()
        assert len(set(m.config["vocabulary"])) == len(m.config["vocabulary"])
    assert get_stage("genre") is GenreStage and get_stage("frames") is FramesStage


def test_tfidf_terms_are_words_and_word_pairs():
    assert word_ngrams("The U.S. army, a big army") == ["the", "army", "big", "army", "the army", "army big", "big army"]
    text = "Title\n\n  First para. \n\nSecond"
    assert [text[s:e] for s, e in paragraph_ranges(text)] == ["Title", "First para.", "Second"]


# -- the seeds ------------------------------------------------------------------------
def extracted(path) -> Document:
    doc = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text")
    Pipeline.from_names(["extract", "segment", "genre", "frames"])([doc])
    assert not doc.meta.get("problem"), doc.meta.get("problem")
    return doc


@pytest.fixture(scope="module")
def seeds(seed_path):
    return {name: extracted(seed_path(name)) for name in ("001", "002", "004")}


@pytest.mark.parametrize("name", ["002", "004"])
def test_op_eds_are_opinion(seeds, name):
    doc = seeds[name]
    genre = [lab for lab in doc.labels_of("genre") if lab.segment is None]
    assert [lab.label for lab in genre] == ["opinion"]
    ranked = predict_genre(doc)
    assert [g for g, _ in ranked][0] == "opinion" and sorted(g for g, _ in ranked) == sorted(GENRES)
    assert abs(sum(p for _, p in ranked) - 1.0) < 1e-4 and ranked[0][1] == pytest.approx(genre[0].score, abs=1e-3)


def test_frames_of_the_seeds(seeds):
    for name, doc in seeds.items():
        frames = [lab for lab in doc.labels_of("frame") if lab.segment is None]
        ranked = predict_frames(doc)
        assert len(ranked) == 14 and [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
        # at least the best frame, and only frames the thresholds allow after it
        assert frames and frames[0].label == ranked[0][0], name
        th = dict(zip(frames_model().labels, frames_model().thresholds))
        assert all(lab.score >= th[lab.label] - 1e-4 for lab in frames[1:])
    # Seed 002: Putin and Lukashenko, the FSB and troops at the border.
    top3 = {f for f, _ in predict_frames(seeds["002"])[:3]}
    assert top3 & {"Security_and_defense", "Political", "External_regulation_and_reputation"}


def test_appended_articles_get_their_own_labels(seeds):
    doc = seeds["001"]  # one article followed by three unrelated "Latest" articles
    long_segments = {i for i, s in enumerate(doc.segments) if s.kind != "main" and len(s.text_of(doc).split()) >= 80}
    assert long_segments
    assert {lab.segment for lab in doc.labels_of("genre")} == {None, *long_segments}
    assert {lab.segment for lab in doc.labels_of("frame")} == {None, *long_segments}


def test_other_languages_get_a_warning_and_no_labels():
    doc = Document(source="t", text="Правительство объявило новые меры поддержки.", language="ru")
    GenreStage().process([doc])
    FramesStage().process([doc])
    assert doc.labels == [] and len(doc.meta["warnings"]) == 2 and "English-only" in doc.meta["warnings"][0]


# -- SemEval commands on real articles ------------------------------------------------------
IDS = ("111111111", "111111112", "832913653")  # two opinion pieces, one report (test split)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, semeval_dir):
    root = tmp_path_factory.mktemp("st12")
    (root / "articles").mkdir()
    for aid in IDS:
        shutil.copy(semeval_dir / "train-articles-subtask-2" / f"article{aid}.txt", root / "articles")
    for n in (1, 2):
        rows = [r for r in (semeval_dir / f"train-labels-subtask-{n}.txt").read_text().splitlines() if r.split("\t")[0] in IDS]
        (root / f"gold{n}.txt").write_text("\n".join(rows) + "\n")
    return root


def invoke(command, *args):
    result = CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_st1_and_st2_write_official_rows_and_score(folder):
    invoke(semeval_2023_st1, folder / "articles", "-o", folder / "pred1.txt")
    invoke(semeval_2023_st2, folder / "articles", "-o", folder / "pred2.txt")
    rows1 = [r.split("\t") for r in (folder / "pred1.txt").read_text().splitlines()]
    rows2 = [r.split("\t") for r in (folder / "pred2.txt").read_text().splitlines()]
    assert sorted(r[0] for r in rows1) == sorted(IDS) and all(len(r) == 2 and r[1] in GENRES for r in rows1)
    assert sorted(r[0] for r in rows2) == sorted(IDS)
    for r in rows2:
        assert len(r) == 2 and r[1] and set(r[1].split(",")) <= set(frames_model().labels)
    gold1, gold2 = read_genre_labels(folder / "gold1.txt"), read_frame_labels(folder / "gold2.txt")
    assert set(gold1) == set(IDS) and read_genre_labels(folder / "pred1.txt").keys() == gold1.keys()
    # real frames of real articles: most predicted frames are gold frames
    pred2 = read_frame_labels(folder / "pred2.txt")
    assert frame_scores(gold2, pred2)["micro_precision"] >= 0.5

    text = invoke(evaluate_2023_st2, folder / "gold2.txt", folder / "pred2.txt")
    assert "micro_f1" in text and "Political" in text
    scores = json.loads(invoke(evaluate_2023_st1, folder / "gold1.txt", folder / "pred1.txt", "--json"))
    assert scores == genre_scores(gold1, read_genre_labels(folder / "pred1.txt"))
    # a perfect prediction scores 1
    assert json.loads(invoke(evaluate_2023_st2, folder / "gold2.txt", folder / "gold2.txt", "--json"))["micro_f1"] == 1.0


# -- metrics on hand-computed cases ------------------------------------------------------------
def test_genre_macro_f1_toy():
    gold = {"a": "opinion", "b": "opinion", "c": "reporting", "d": "satire"}
    pred = {"a": "opinion", "b": "reporting", "c": "reporting", "d": "opinion", "zz": "satire"}
    s = genre_scores(gold, pred)
    # opinion P 1/2 R 1/2 F 1/2; reporting P 1/2 R 1 F 2/3; satire F 0
    assert s["per_label"]["opinion"]["f1"] == pytest.approx(0.5)
    assert s["per_label"]["reporting"]["f1"] == pytest.approx(2 / 3)
    assert s["per_label"]["satire"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    assert s["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3) and s["accuracy"] == 0.5
    # a gold article without a prediction is a miss; genres seen in neither file do not count
    s = genre_scores({"a": "opinion", "b": "opinion"}, {"a": "opinion"})
    assert s["per_label"]["opinion"]["recall"] == 0.5 and s["macro_f1"] == pytest.approx(2 / 3)


def test_frames_micro_f1_toy():
    gold = {"a": {"X", "Y"}, "b": {"Z"}}
    pred = {"a": {"X"}, "b": {"Z", "Y"}, "c": {"X"}}  # c is not in gold: ignored
    s = frame_scores(gold, pred)
    assert s["micro_precision"] == pytest.approx(2 / 3) and s["micro_recall"] == pytest.approx(2 / 3)
    assert s["micro_f1"] == pytest.approx(2 / 3)
    assert s["per_label"]["Y"]["f1"] == 0.0 and s["macro_f1"] == pytest.approx(2 / 3)
    assert frame_scores({"a": {"X"}}, {})["micro_f1"] == 0.0


def test_label_files_round_trip(tmp_path):
    from narrascope.metrics_labels import write_frame_labels, write_genre_labels

    write_genre_labels([("1", "opinion"), ("2", "satire")], tmp_path / "g.txt")
    write_frame_labels([("1", ["Political", "Morality"]), ("2", [])], tmp_path / "f.txt")
    assert read_genre_labels(tmp_path / "g.txt") == {"1": "opinion", "2": "satire"}
    assert read_frame_labels(tmp_path / "f.txt") == {"1": frozenset({"Political", "Morality"}), "2": frozenset()}
