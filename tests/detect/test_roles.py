"""Entity roles: the SemEval-2025 offset convention, metrics, the shipped model, the stage and the CLI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from narrascope.cli_roles import (
    MAIN_ROLES,
    RoleRow,
    evaluate_2025_st1,
    locate_mentions,
    read_documents,
    read_role_rows,
    role_scores,
    semeval_2025_st1,
)
from narrascope.document import Document
from narrascope.errors import InputError

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
ROLES_DATA = SHARED / "semeval2025t10" / "train"
SEEDS = SHARED / "seeds"


def seed_paragraph(name_start: str, needle: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip("../shared/data/seeds is not present")
    path = next(SEEDS.glob(name_start + "*.txt"))
    for line in path.read_text(encoding="utf-8").splitlines():
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not in {path}")


# -- offsets ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["EN", "BG", "PT", "RU", "HI"])
def test_official_offsets_round_trip_on_the_real_annotations(lang):
    """Every annotated mention lands exactly on its entity string (end inclusive, UTF-16 units, CRLF per doc)."""
    path = ROLES_DATA / lang / "subtask-1-annotations.txt"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    rows = read_role_rows(path, labelled=True)
    texts = read_documents(ROLES_DATA / lang / "raw-documents")
    spans = locate_mentions(rows, texts, str(path))
    wrong = [(r.line, r.entity, texts[r.doc][s:e]) for r, (s, e) in zip(rows, spans) if texts[r.doc][s:e] != r.entity]
    assert len(rows) > 300 and not wrong, wrong[:5]
    # the naive reading (end exclusive) is wrong: the convention is end inclusive
    naive = sum(texts[r.doc][r.start : r.end] == r.entity for r in rows)
    assert naive < len(rows) * 0.05


def test_offsets_count_utf16_units_and_crlf_line_ends():
    text = "Title 🙂\n\nNATO threatens Minsk.\nPutin 😀 smiles."
    # LF reading: the emoji counts two units, so "NATO" (character 9) starts at unit 10
    rows = [RoleRow("a.txt", "NATO", 10, 13, line=1), RoleRow("a.txt", "Putin", 32, 36, line=2)]
    spans = locate_mentions(rows, {"a.txt": text})
    assert [text[s:e] for s, e in spans] == ["NATO", "Putin"]
    # CRLF reading of the same text (as most Russian files were annotated): each "\n" counts two
    rows = [RoleRow("a.txt", "NATO", 12, 15, line=1), RoleRow("a.txt", "Putin", 35, 39, line=2)]
    spans = locate_mentions(rows, {"a.txt": text})
    assert [text[s:e] for s, e in spans] == ["NATO", "Putin"]


def test_bad_mention_rows_name_the_file_and_line(tmp_path):
    texts = {"a.txt": "NATO threatens Minsk."}
    with pytest.raises(InputError, match=r"m\.txt:7: unknown document 'b\.txt'"):
        locate_mentions([RoleRow("b.txt", "X", 0, 0, line=7)], texts, "m.txt")
    with pytest.raises(InputError, match=r"m\.txt:3: offsets 18\.\.40 outside"):
        locate_mentions([RoleRow("a.txt", "Minsk", 18, 40, line=3)], texts, "m.txt")
    bad = tmp_path / "mentions.txt"
    bad.write_text("a.txt\tNATO\t0\t3\na.txt\tMinsk\tfifteen\t19\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mentions\.txt:2: start and end must be integers"):
        read_role_rows(bad, labelled=False)
    bad.write_text("a.txt\tNATO\t0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mentions\.txt:1: expected 4 tab-separated columns"):
        read_role_rows(bad, labelled=False)


# -- metrics ------------------------------------------------------------------------
def _row(doc, start, main, *fine):
    return RoleRow(doc, "e", start, start + 3, main, list(fine))


def test_metrics_on_toy_cases():
    gold = [
        _row("d", 0, "Antagonist", "Instigator"),
        _row("d", 10, "Protagonist", "Guardian", "Virtuous"),
        _row("d", 20, "Innocent", "Victim"),
        _row("e", 0, "Antagonist", "Tyrant"),
    ]
    pred = [
        _row("d", 0, "Antagonist", "Instigator"),  # exact
        _row("d", 10, "Protagonist", "Guardian"),  # main right, fine set partly
        _row("d", 20, "Antagonist", "Tyrant"),  # all wrong
        # ("e", 0) missing: wrong on every count
    ]
    s = role_scores(gold, pred)
    assert s["mentions"] == 4 and s["missing"] == 1
    assert s["main_accuracy"] == pytest.approx(2 / 4)
    assert s["exact_match"] == pytest.approx(1 / 4)
    # tp 2 (Instigator, Guardian); predicted 3; gold 5
    assert s["fine_precision"] == pytest.approx(2 / 3)
    assert s["fine_recall"] == pytest.approx(2 / 5)
    assert s["fine_micro_f1"] == pytest.approx(2 * (2 / 3) * (2 / 5) / (2 / 3 + 2 / 5))
    # per gold role F1: Instigator 1, Guardian 1, Virtuous 0, Victim 0, Tyrant 0 (predicted once, wrongly)
    assert s["fine_macro_f1"] == pytest.approx(2 / 5)
    perfect = role_scores(gold, gold)
    assert perfect["exact_match"] == perfect["main_accuracy"] == perfect["fine_micro_f1"] == perfect["fine_macro_f1"] == 1.0


# -- the model ----------------------------------------------------------------------
def test_shipped_model_loads_small_with_a_consistent_taxonomy():
    from narrascope.detect.roles import MODEL_PACKAGE, RoleModel

    files = resources.files(MODEL_PACKAGE)
    size = sum(len(files.joinpath(n).read_bytes()) for n in ("head.npz", "model.json", "syntax_probe.npz"))
    assert 0 < size < 3_000_000
    model = RoleModel.load()
    assert model.main_roles == list(MAIN_ROLES)
    assert len(model.fine_roles) == 22
    assert set(model.parent.values()) == set(MAIN_ROLES)
    assert model.fine_coef.shape == (22, model.mean.shape[0])


def test_shipped_taxonomy_is_the_one_the_annotations_use():
    from narrascope.detect.roles import RoleModel

    if not ROLES_DATA.is_dir():
        pytest.skip("../shared/data/semeval2025t10 is not present")
    parent = RoleModel.load().parent
    for lang in ("EN", "BG", "PT", "RU", "HI"):
        for r in read_role_rows(ROLES_DATA / lang / "subtask-1-annotations.txt", labelled=True):
            assert all(parent[f] == r.main_role for f in r.fine_roles), (lang, r)


def test_predict_roles_on_a_seed_where_nato_is_cast_as_the_threat():
    from narrascope.detect.roles import RoleModel, predict_roles

    text = seed_paragraph("002_", "Lukashenko blamed NATO")
    doc = Document(source="seed", text=text, language="en")
    mentions = [(text.index("NATO"), text.index("NATO") + 4), (text.index("Lukashenko"), text.index("Lukashenko") + 10)]
    preds = predict_roles(doc, mentions)
    parent = RoleModel.load().parent
    assert [(p.start, p.end) for p in preds] == mentions
    for p in preds:
        assert set(p.main_scores) == set(MAIN_ROLES)
        assert sum(p.main_scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert p.main_role == max(p.main_scores, key=p.main_scores.get)
        assert p.fine_roles and all(parent[f] == p.main_role for f in p.fine_roles)
        assert p.fine_roles[0] == max(p.fine_scores, key=p.fine_scores.get)
    # the sentence blames NATO for inciting unrest: an antagonist framing
    assert preds[0].main_role == "Antagonist"
    assert "encoder" in doc.cache  # one shared pass, kept for other heads


def test_the_probes_teacher_reads_who_acts_and_who_is_acted_upon_from_the_parse():
    from narrascope.detect.roles import SYNTAX_CLASSES, parse_class
    from narrascope.nlp.entities import get_spacy

    sentence = seed_paragraph("002_", "Lukashenko blamed NATO")
    sentence = sentence[: sentence.index(" He told")] + " The protesters were beaten by riot police."
    parsed = get_spacy()(sentence)

    def role(words: str) -> str:
        start = sentence.index(words)
        tokens = [t for t in parsed if start <= t.idx < start + len(words)]
        return SYNTAX_CLASSES[parse_class(tokens)]

    assert role("Lukashenko") == "agent"
    assert role("NATO") == "patient"
    assert role("his people") == "patient"  # "inciting his people"
    assert role("him") == "prep_object"  # "to rise against him"
    assert role("protesters") == "patient"  # the subject of a passive verb is acted upon
    assert role("riot police") == "agent"  # "by riot police": the agent of a passive verb


def test_the_syntax_probe_agrees_with_the_parser_on_articles_it_was_not_trained_on():
    """The probe reads the shared encoder pass; spaCy's parse of unseen PolNeAR articles is the reference."""
    from narrascope.detect.roles import SYNTAX_CLASSES, get_syntax_probe, parse_class, probe_input
    from narrascope.nlp.encoder import encode_documents
    from narrascope.nlp.entities import get_spacy
    from narrascope.nlp.sentences import split_sentences

    texts = SHARED / "polnear" / "train" / "text"
    if not texts.is_dir():
        pytest.skip("../shared/data/polnear is not present")
    unseen = sorted(texts.glob("*.txt"))[300:312]  # training/roles_probe.py reads the first 300
    nlp, probe = get_spacy(), get_syntax_probe()
    agree = total = 0
    counts = np.zeros(len(SYNTAX_CLASSES))
    for path in unseen:
        text = path.read_text(encoding="utf-8")
        spans, gold = [], []
        for a, b in split_sentences(text, "en"):
            for ent in nlp(text[a:b]).ents:
                if ent.label_ in ("PERSON", "ORG", "GPE", "NORP"):
                    spans.append((a + ent.start_char, a + ent.end_char))
                    gold.append(parse_class(list(ent)))
        if not spans:
            continue
        encoded = encode_documents([Document(source=path.name, text=text)])[0]
        predicted = probe.probabilities(probe_input(encoded, spans)).argmax(axis=1)
        agree += int((predicted == np.array(gold)).sum())
        total += len(gold)
        counts += np.bincount(gold, minlength=len(SYNTAX_CLASSES))
    assert total >= 200
    assert agree / total >= 0.7
    assert agree / total > counts.max() / total + 0.3  # far above always answering the most frequent class


def test_syntax_features_tell_the_annotated_roles_apart():
    """On English training annotations, the probe calls Protagonists agents and Innocents acted upon most often."""
    from narrascope.detect.roles import SYNTAX_FEATURES, syntax_features
    from narrascope.nlp.encoder import encode_documents

    if not ROLES_DATA.is_dir():
        pytest.skip("../shared/data/semeval2025t10 is not present")
    path = ROLES_DATA / "EN" / "subtask-1-annotations.txt"
    rows = read_role_rows(path, labelled=True)
    texts = read_documents(ROLES_DATA / "EN" / "raw-documents")
    spans = locate_mentions(rows, texts, str(path))
    share: dict[str, list[np.ndarray]] = {role: [] for role in MAIN_ROLES}
    for doc in sorted({r.doc for r in rows})[:60]:
        idx = [i for i, r in enumerate(rows) if r.doc == doc]
        encoded = encode_documents([Document(source=doc, text=texts[doc])])[0]
        for i, f in zip(idx, syntax_features(encoded, texts[doc], [spans[i] for i in idx])):
            share[rows[i].main_role].append(f)
    agent = {role: np.mean([f[SYNTAX_FEATURES.index("agent")] for f in v]) for role, v in share.items()}
    acted_upon = {role: np.mean([f[SYNTAX_FEATURES.index("patient")] + f[SYNTAX_FEATURES.index("prep_object")] for f in v])
                  for role, v in share.items()}
    assert agent["Protagonist"] > agent["Antagonist"] > agent["Innocent"]
    assert acted_upon["Innocent"] > acted_upon["Antagonist"] > acted_upon["Protagonist"]
    assert agent["Protagonist"] - agent["Innocent"] > 0.3
    assert acted_upon["Innocent"] - acted_upon["Protagonist"] > 0.3


def test_a_model_that_expects_other_features_is_refused():
    from narrascope.detect.roles import RoleModel
    from narrascope.errors import ModelError

    model = RoleModel.load()
    arrays = {k: getattr(model, k) for k in ("mean", "scale", "main_coef", "main_intercept", "fine_coef", "fine_intercept")}
    flipped = dict(model.config, syntax=not model.syntax)
    with pytest.raises(ModelError, match="features"):
        RoleModel(arrays, flipped)


def test_stage_fills_attrs_of_entity_spans_of_the_chosen_types_only():
    from narrascope.detect.roles import RolesStage
    from narrascope.pipeline import Pipeline

    text = seed_paragraph("002_", "Lukashenko blamed NATO")
    doc = Document(source="seed", text=text, language="en")
    nato = doc.add_span(text.index("NATO"), text.index("NATO") + 4, "entity", "ORG", actor="NATO")
    luka = doc.add_span(text.index("Lukashenko"), text.index("Lukashenko") + 10, "entity", "PERSON", actor="Alexander Lukashenko")
    day = doc.add_span(text.index("Wednesday"), text.index("Wednesday") + 9, "entity", "DATE")
    Pipeline([RolesStage()])([doc])
    assert not doc.meta.get("problem")
    for span in (nato, luka):
        assert span.attrs["role"] in MAIN_ROLES
        assert 0 < span.attrs["role_score"] <= 1
        assert span.attrs["fine_roles"]
    assert nato.attrs["actor"] == "NATO"  # other attrs kept
    assert "role" not in day.attrs
    # types is configurable: PERSON only leaves the ORG span alone
    doc2 = Document(source="seed", text=text, language="en")
    nato2 = doc2.add_span(nato.start, nato.end, "entity", "ORG")
    luka2 = doc2.add_span(luka.start, luka.end, "entity", "PERSON")
    RolesStage({"types": ["PERSON"]}).process([doc2])
    assert "role" not in nato2.attrs and luka2.attrs["role"] in MAIN_ROLES


def test_stage_skips_languages_it_was_not_measured_on_with_a_warning():
    from narrascope.detect.roles import RolesStage, supported_languages

    assert "de" not in supported_languages()
    doc = Document(source="x", text="Die NATO bedroht Minsk.", language="de")
    span = doc.add_span(0, 4, "entity", "ORG")
    RolesStage().process([doc])
    assert "role" not in span.attrs
    assert any(w.startswith("roles:") for w in doc.meta["warnings"])


# -- the TF-IDF heads (bg, pt, ru, hi) ----------------------------------------------
def test_tfidf_heads_are_shipped_for_bg_pt_ru_hi_within_the_size_budget():
    from narrascope.detect.roles import MODEL_PACKAGE, TfidfRoleHead, tfidf_languages

    assert set(tfidf_languages()) == {"bg", "pt", "ru", "hi"}
    files = resources.files(MODEL_PACKAGE)
    size = sum(len(p.read_bytes()) for p in files.iterdir() if p.name.endswith((".npz", ".json")))
    assert size <= 3_000_000
    for lang in tfidf_languages():
        head = TfidfRoleHead.load(lang)
        assert head.main_roles == list(MAIN_ROLES) and len(head.fine_roles) == 22
        assert head.idf.shape == (len(head.terms),) and head.fine_coef.shape == (22, len(head.terms))


def _annotated(lang: str, n_docs: int):
    path = ROLES_DATA / lang / "subtask-1-annotations.txt"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    rows = read_role_rows(path, labelled=True)
    texts = read_documents(ROLES_DATA / lang / "raw-documents")
    spans = locate_mentions(rows, texts, str(path))
    docs = sorted({r.doc for r in rows})[:n_docs]
    return [(d, texts[d], [sp for r, sp in zip(rows, spans) if r.doc == d], [r for r in rows if r.doc == d]) for d in docs]


def test_tfidf_numpy_inference_equals_sklearn_on_real_russian_windows():
    """The shipped arrays, put into sklearn's own TfidfVectorizer and LogisticRegression, give the same numbers."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from narrascope.detect.roles import get_tfidf_head, window_terms

    head = get_tfidf_head("ru")
    windows = [w for _, text, spans, _ in _annotated("RU", 6) for w in head.windows(text, spans)]
    assert len(windows) >= 10
    vec = TfidfVectorizer(analyzer=lambda w: window_terms(w, head.char_min, head.char_max), sublinear_tf=True,
                          vocabulary={t: j for j, t in enumerate(head.terms)}).fit(windows)
    vec.idf_ = head.idf
    x_sk = vec.transform(windows).toarray()
    assert x_sk.any(axis=1).all()
    assert head.features(windows) == pytest.approx(x_sk, abs=1e-9)
    for coef, intercept, which in ((head.main_coef, head.main_intercept, 0), (head.fine_coef, head.fine_intercept, 1)):
        lr = LogisticRegression()
        lr.coef_, lr.intercept_, lr.classes_ = coef, intercept, np.arange(len(intercept))
        saved = head.main_mix
        head.main_mix = 0.0  # sklearn knows only the plain regression
        try:
            assert head.probabilities(windows)[which] == pytest.approx(lr.predict_proba(x_sk), abs=1e-9)
        finally:
            head.main_mix = saved


@pytest.mark.parametrize("lang", ["RU", "PT"])
def test_a_russian_or_portuguese_mention_gets_a_consistent_role(lang):
    from narrascope.detect.roles import RolesStage, get_tfidf_head, predict_roles

    (name, text, spans, rows), *_ = _annotated(lang, 1)
    head = get_tfidf_head(lang.lower())
    doc = Document(source=name, text=text, language=lang.lower())
    preds = predict_roles(doc, spans)
    assert "encoder" not in doc.cache  # the TF-IDF head needs no transformer pass
    assert [(p.start, p.end) for p in preds] == spans
    for p in preds:
        assert sum(p.main_scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert p.main_role == max(p.main_scores, key=p.main_scores.get)
        assert p.fine_roles and all(head.parent[f] == p.main_role for f in p.fine_roles)
    # through the stage: entity spans get the same roles, no warning
    doc2 = Document(source=name, text=text, language=lang.lower())
    ents = [doc2.add_span(s, e, "entity", "ORG") for s, e in spans]
    RolesStage().process([doc2])
    assert not doc2.meta.get("warnings")
    assert [sp.attrs["role"] for sp in ents] == [p.main_role for p in preds]
    assert [sp.attrs["fine_roles"] for sp in ents] == [p.fine_roles for p in preds]


def test_tfidf_heads_beat_always_antagonist_on_training_documents():
    """Sanity on real data: on (seen) training documents the Russian head is far above the majority class."""
    from narrascope.detect.roles import predict_roles

    gold, pred = [], []
    for name, text, spans, rows in _annotated("RU", 40):
        for r, p in zip(rows, predict_roles(Document(source=name, text=text, language="ru"), spans)):
            gold.append(r)
            pred.append(RoleRow(r.doc, r.entity, r.start, r.end, p.main_role, p.fine_roles))
    majority = sum(r.main_role == "Antagonist" for r in gold) / len(gold)
    assert role_scores(gold, pred)["main_accuracy"] > majority + 0.05


# -- CLI ----------------------------------------------------------------------------
def test_cli_predicts_and_scores_the_official_format(tmp_path):
    text = seed_paragraph("002_", "Lukashenko blamed NATO")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "EN_seed.txt").write_text("Lukashenko blames NATO\n\n" + text + "\n", encoding="utf-8")
    body = 24
    n, l = body + text.index("NATO"), body + text.index("Lukashenko")
    mentions = tmp_path / "mentions.txt"
    mentions.write_text(f"EN_seed.txt\tNATO\t{n}\t{n + 3}\nEN_seed.txt\tLukashenko\t{l}\t{l + 9}\n", encoding="utf-8")
    out = tmp_path / "pred.txt"
    res = CliRunner().invoke(semeval_2025_st1, [str(docs), "--mentions", str(mentions), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r[:4] for r in rows] == [["EN_seed.txt", "NATO", str(n), str(n + 3)], ["EN_seed.txt", "Lukashenko", str(l), str(l + 9)]]
    assert all(r[4] in MAIN_ROLES and len(r) >= 6 for r in rows)

    gold = tmp_path / "gold.txt"
    gold.write_text(f"EN_seed.txt\tNATO\t{n}\t{n + 3}\tAntagonist\tInstigator\n"
                    f"EN_seed.txt\tLukashenko\t{l}\t{l + 9}\tAntagonist\tTyrant\n", encoding="utf-8")
    res = CliRunner().invoke(evaluate_2025_st1, [str(gold), str(out), "--json"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.output)
    assert scores["mentions"] == 2 and 0 <= scores["exact_match"] <= scores["main_accuracy"] + 0.5
    assert scores == role_scores(read_role_rows(gold, True), read_role_rows(out, True))

    # a mention outside its document: a clear error naming file and line
    mentions.write_text(f"EN_seed.txt\tNATO\t{n}\t{n + 3}\nEN_seed.txt\tNATO\t90000\t90003\n", encoding="utf-8")
    res = CliRunner().invoke(semeval_2025_st1, [str(docs), "--mentions", str(mentions), "-o", str(out)])
    assert res.exit_code != 0 and f"{mentions}:2" in res.output and "outside document" in res.output


def test_cli_takes_the_language_from_the_file_name_or_the_option(tmp_path):
    from narrascope.cli_roles import document_language

    assert document_language("RU-URW-1001.txt", "") == "ru"
    assert document_language("A9_BG_2566.txt", "") == "bg"
    assert document_language("EN_CC_100000.txt", "") == "en"
    (name, text, spans, rows), *_ = _annotated("PT", 1)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "article.txt").write_text(text, encoding="utf-8")  # no code in the name: detected from the text
    assert document_language("article.txt", text) == "pt"
    r = rows[0]
    mentions = tmp_path / "m.txt"
    mentions.write_text(f"article.txt\t{r.entity}\t{r.start}\t{r.end}\n", encoding="utf-8")
    out = tmp_path / "pred.txt"
    for extra in ([], ["--language", "pt"]):
        res = CliRunner().invoke(semeval_2025_st1, [str(docs), "--mentions", str(mentions), "-o", str(out), *extra])
        assert res.exit_code == 0, res.output
        cols = out.read_text(encoding="utf-8").rstrip("\n").split("\t")
        p = predict_roles_pt(text, spans[0])
        assert cols[4:] == [p.main_role, *p.fine_roles]


def predict_roles_pt(text, span):
    from narrascope.detect.roles import predict_roles

    return predict_roles(Document(source="pt", text=text, language="pt"), [span])[0]
