"""The "techniques" stage on real text: flags propaganda passages, leaves neutral prose alone."""

from __future__ import annotations

import pytest

from narrascope.detect.techniques import TechniquesStage, technique_table
from narrascope.document import Document
from narrascope.pipeline import get_stage

SEED_004 = "004_341afdb3e50d01d3.txt"


def analyse(text: str) -> Document:
    doc = Document(source="test", text=text, language="en")
    TechniquesStage().process([doc])
    return doc


@pytest.fixture(scope="module")
def seed_doc(seeds_dir):
    return analyse((seeds_dir / SEED_004).read_text(encoding="utf-8"))


def labels_over(doc: Document, phrase: str, occurrence: int = 0) -> set[str]:
    start = -1
    for _ in range(occurrence + 1):
        start = doc.text.index(phrase, start + 1)
    end = start + len(phrase)
    return {s.label for s in doc.spans_of("technique") if s.start < end and s.end > start}


def test_stage_is_registered():
    assert get_stage("techniques") is TechniquesStage


def test_scare_quoted_labels_are_flagged(seed_doc):
    # Seed 004 labels its targets in scare quotes: "think tanks", "deep state", 'Western partners'.
    from narrascope.detect.techniques import get_model

    smear = {"Name_Calling-Labeling", "Loaded_Language"}
    # "deep state" comes twice, in scare quotes then bare: both are labelled a smear.
    assert labels_over(seed_doc, "“deep state’") & smear
    assert labels_over(seed_doc, "deep state", occurrence=1) & smear
    # so is the "brainwashed" of the same paragraph
    assert labels_over(seed_doc, "brainwashed") & smear
    # (neoconservative “think tanks” is missed since the adapted encoder: see the card)
    # 'Western partners' is found as a passage (the scare-quote rule); the span classifier
    # ranks it Repetition first (it recurs), Name_Calling-Labeling second, and the stage's
    # score floor drops it: a known miss, kept visible here.
    model = get_model()
    start = seed_doc.text.index("‘Western partners’")
    found = [(s, e) for s, e, _ in model.propaganda_spans(seed_doc.cache["techniques"], seed_doc.text) if s < start + 18 and e > start]
    assert found
    ranked = model.classify_spans(seed_doc.cache["techniques_encoded"], seed_doc.text, found[:1], "2023")[0]
    assert smear & {name for name, _ in ranked[:2]}


def test_plain_facts_in_the_seed_are_not_flagged(seed_doc):
    assert labels_over(seed_doc, "TASS quoted the Belarusian leader as saying the following remarks on Sunday") == set()


def test_spans_are_valid_and_carry_definitions_and_2020_labels(seed_doc):
    spans = seed_doc.spans_of("technique")
    assert len(spans) >= 5
    table = technique_table()
    for s in spans:
        assert 0 <= s.start < s.end <= len(seed_doc.text)
        assert seed_doc.text[s.start : s.end].strip()
        assert "\n" not in seed_doc.text[s.start : s.end]
        assert s.label in table
        assert s.attrs["ptc_label"] == table[s.label].ptc
        assert 0.0 <= s.score <= 1.0


def test_neutral_reporting_is_not_flagged():
    doc = analyse(
        "The city council will meet on Tuesday at 10 a.m. to review the budget for road maintenance.\n\n"
        "The meeting is open to the public and will be held in room 204 of the municipal building."
    )
    assert doc.spans_of("technique") == []


def test_empty_text_gives_a_warning_not_a_problem():
    doc = analyse("")
    assert not doc.meta.get("problem")
    assert any("techniques" in w for w in doc.meta["warnings"])


def test_the_head_reads_its_adapted_encoding_not_the_shared_pass(seed_doc):
    shared, adapted = seed_doc.cache["encoder"], seed_doc.cache["techniques_encoded"]
    assert adapted is shared.branches["techniques"]
    assert adapted.token_embeddings.shape == shared.token_embeddings.shape
    assert (adapted.offsets == shared.offsets).all()
    # the bottom layers are shared, the top ones are the head's own
    cos = (adapted.token_embeddings * shared.token_embeddings).sum(1) / (
        (adapted.token_embeddings ** 2).sum(1) ** 0.5 * (shared.token_embeddings ** 2).sum(1) ** 0.5)
    assert 0.3 < float(cos.mean()) < 0.999


def test_si_spans_join_the_runs_of_a_sentence_while_stage_spans_keep_them_apart(seed_doc):
    from narrascope.detect.techniques import get_model

    model = get_model()
    assert model.config["si_join_runs_in_sentence"] is True  # chosen on validation (SI F1 0.400 -> 0.416)
    pred, text = seed_doc.cache["techniques"], seed_doc.text
    apart = model.propaganda_spans(pred, text, join_in_sentence=False)
    joined = model.propaganda_spans(pred, text)
    assert len(joined) < len(apart)
    sentence_of = {}
    for k, (s, e) in enumerate(pred.sentences):
        for pos in range(s, e):
            sentence_of[pos] = k
    # a joined span lies in one sentence and covers every run of that sentence
    for s, e, _ in joined:
        inside = [r for r in apart if r[0] >= s and r[1] <= e]
        if not inside:  # a scare-quoted phrase, added whole
            assert text[s] in "\"'‘’“”«"
            continue
        assert sentence_of[s] == sentence_of[e - 1]
        assert inside[0][0] == s and inside[-1][1] == e
    # the stage's technique spans are the runs kept apart (less any function words they end on)
    from narrascope.detect.techniques import only_function_words

    runs = {s: e for s, e, _ in apart} | {s: e for s, e, _ in joined if s not in {a for a, _, _ in apart}}
    for sp in seed_doc.spans_of("technique"):
        start = sp.start - 2 if text[sp.start - 3 : sp.start] in ("’s ", "'s ") and sp.start - 2 in runs else sp.start  # a possessive's "s" left out
        assert start in runs and sp.end <= runs[start], text[sp.start : sp.end]
        cut = text[sp.end : runs[start]]
        assert not cut.strip(" ,;:.") or only_function_words(cut), cut


def test_runs_join_only_inside_one_sentence_and_line():
    from narrascope.detect.techniques import _merge_in_sentences

    text = "Those lying mobsters, he said, are traitors. Good people\nvote. Next"
    sentences = [(0, 44), (45, 63), (64, 68)]
    runs = [(6, 20, 0.6), (35, 43, 0.4), (50, 56, 0.5), (57, 61, 0.5), (64, 68, 0.9)]
    joined = _merge_in_sentences(runs, sentences, text)
    assert [(s, e) for s, e, _ in joined] == [(6, 43), (50, 56), (57, 61), (64, 68)]  # no join across the line break
    assert abs(joined[0][2] - (0.6 * 14 + 0.4 * 8) / 22) < 1e-9  # length-weighted mean score


def test_sentence_lines_mix_in_the_token_layer_and_paragraph_lines_do_not():
    """One sentence per line: a line's score is 0.8 x its sentence probability + 0.2 x the highest
    token probability inside it (chosen on validation halves); paragraph lines read the sentence
    layer alone. Hand-made probabilities, the shipped model's cuts."""
    import numpy as np

    from narrascope.detect.techniques import TechniquePrediction, get_model, sentence_token_max

    model = get_model()
    assert model.config["sentence_line_token_weight"] == 0.2 and model.config["line_token_weight"] == 0.0
    j = model.labels.index("Loaded_Language")
    cut = model.sentence_line_thresholds[j]
    text = "Brutal thugs came.\nThey left.\nAll went home."
    offsets = np.array([[0, 6], [7, 12], [13, 17], [19, 23], [24, 28], [30, 33], [34, 38], [39, 43]])
    token_probs = np.zeros((len(offsets), len(model.labels)), dtype=np.float32)
    token_probs[0, j] = 0.95  # "Brutal"
    sentences = [(0, 18), (19, 29), (30, 44)]
    sentence_probs = np.zeros((3, len(model.labels)), dtype=np.float32)
    sentence_probs[0, j] = sentence_probs[1, j] = cut - 0.02  # just under the cut on their own
    pred = TechniquePrediction(offsets, token_probs, sentences, sentence_probs)
    assert sentence_token_max(pred)[:, j].tolist() == pytest.approx([0.95, 0.0, 0.0])
    lines = [(0, 18), (19, 29), (30, 44)]
    found = model.line_techniques(pred, lines)
    assert "Loaded_Language" in found[0]  # 0.8 x (cut - 0.02) + 0.2 x 0.95 passes the cut
    assert found[0]["Loaded_Language"] == pytest.approx(0.8 * (cut - 0.02) + 0.2 * 0.95, abs=1e-6)
    assert "Loaded_Language" not in found[1]  # no token evidence: 0.8 x (cut - 0.02) stays under
    # the same sentences as one paragraph line: the sentence layer alone, under its own cut
    para_cut = model.line_thresholds[j]
    pred.sentence_probs[:, j] = [para_cut - 0.01, 0.0, 0.0]
    assert "Loaded_Language" not in model.line_techniques(pred, [(0, 29), (30, 44)])[0]


def test_sentence_lines_also_read_the_spans_found_in_them(seeds_dir):
    """2023-st3 output on a one-sentence-per-line file: each line's score is 0.8 x (sentence and
    token layers) + 0.2 x the best span in the line (P(span) x P(technique | span)), on seed 004."""
    import numpy as np

    from narrascope.cli_semeval import analyse_texts
    from narrascope.detect.techniques import get_model, mix_token_max, sentence_token_max
    from narrascope.nlp.sentences import split_sentences
    from narrascope.semeval import line_spans

    text = (seeds_dir / SEED_004).read_text(encoding="utf-8")
    text = "\n".join(text[s:e] for s, e in split_sentences(text, "en"))
    a = analyse_texts({"004": text})[0]
    model = get_model()
    assert model.config["sentence_line_span_weight"] == 0.2 and model.config["line_span_weight"] == 0.0
    lines = [(s, e) for _, s, e in line_spans(text)]
    with_spans = model.line_techniques(a.prediction, lines, a.encoded, text)
    from_spans = model.line_span_scores(a.encoded, a.prediction, text, lines)
    assert from_spans.max() > 0.3  # seed 004 is full of flagged passages
    mixed = mix_token_max(a.prediction.sentence_probs, sentence_token_max(a.prediction), 0.2)
    starts = np.array([s for s, _ in a.prediction.sentences])
    checked = 0
    for i, (ls, le) in enumerate(lines):
        rows = np.nonzero((starts >= ls) & (starts < le))[0]
        for name, score in with_spans[i].items():
            j = model.labels.index(name)
            assert score == pytest.approx(0.8 * mixed[rows, j].max() + 0.2 * from_spans[i, j], abs=1e-6)
            assert score >= model.sentence_line_thresholds[j]
            checked += 1
    assert checked >= 10
    # without the encoding and text, the spans are left out (as before this weight existed)
    assert model.line_techniques(a.prediction, lines) != with_spans


def test_seed_spans_are_passages_not_function_words_or_stray_quote_marks(seeds_dir):
    # Before these rules the seeds gave "for" and "his" (Repetition), '“deep state' and
    # 'been brainwashed”': a stray mark of a scare quote, or words with no technique of their own.
    from narrascope.detect.techniques import only_function_words

    spans = 0
    for path in sorted(seeds_dir.glob("*.txt")):
        doc = analyse(path.read_text(encoding="utf-8"))
        for s in doc.spans_of("technique"):
            passage = doc.text[s.start : s.end]
            spans += 1
            assert not only_function_words(passage), (path.name, passage)
            opens, closes = passage[0] in "“‘«", passage[-1] in "”’»"
            assert not (opens and not any(c in "”’»" for c in passage[1:])), (path.name, passage)
            assert not (closes and not any(c in "“‘«" for c in passage[:-1])), (path.name, passage)
            assert not passage.endswith((" de", " of", " the")), (path.name, passage)  # cut words, dangling words
    assert spans > 50  # the seeds are full of loaded language: the rules must not empty them


def test_function_word_spans_and_unmatched_quote_marks():
    from narrascope.detect.techniques import _balanced_quotes, only_function_words

    assert only_function_words("for") and only_function_words("was those") and only_function_words("Why? I have")
    assert not only_function_words("our")  # a Flag_Waving span in the training data
    assert not only_function_words("the deep state") and not only_function_words("")
    text = 'a “deep state’ and "bad" and been brainwashed” here'
    first = text.index("“")
    assert text[slice(*_balanced_quotes(text, first, first + len("“deep state")))] == "deep state"
    both = text.index('"bad"')
    assert text[slice(*_balanced_quotes(text, both, both + 5))] == '"bad"'  # a pair stays whole
    last = text.index("been")
    assert text[slice(*_balanced_quotes(text, last, last + len("been brainwashed”")))] == "been brainwashed"
    # a quote opened inside the run and closed right after it: the closing mark comes in
    text = "its longest allies ‘defecting’ to the enemy"
    allies = text.index("longest")
    assert text[slice(*_balanced_quotes(text, allies, text.index("’")))] == "longest allies ‘defecting’"


def test_span_edges_take_whole_words_and_leave_out_what_annotators_leave_out():
    from narrascope.detect.techniques import _word_bounds, tidy_span

    text = "Ukraine’s uncomfortable de-facto integration, a pro-Kremlin outlet"
    de = text.index("uncomfortable")
    assert text[slice(*_word_bounds(text, de, text.index("-facto")))] == "uncomfortable de-facto"
    kremlin = text.index("Kremlin")
    assert text[slice(*_word_bounds(text, kremlin, kremlin + 3))] == "pro-Kremlin"
    text = "a milder form of pressure"
    assert text[slice(*tidy_span(text, 0, len("a milder form of")))] == "a milder form"
    assert tidy_span(text, 0, 1) == (0, 1)  # "a" alone: nothing else to keep
    text = "what he called imperialism. The BBC’s “dramatically biased” coverage, a muted outcry?"
    for run, tidy in (("called imperialism.", "called imperialism"), ("s “dramatically biased”", "“dramatically biased”"),
                      ("a muted outcry?", "a muted outcry?")):
        at = text.index(run)
        assert text[slice(*tidy_span(text, at, at + len(run)))] == tidy


def test_a_name_alone_is_not_a_technique_passage(seeds_dir):
    """Seed 004 flagged "Belarus" (Repetition) and "TASS" (Loaded_Language) as passages of their own: with the
    entities stage run first, a span that is exactly one name mention is dropped; longer passages stay."""
    from narrascope.pipeline import Pipeline

    doc = Document(source="004", text=(seeds_dir / SEED_004).read_text(encoding="utf-8"), language="en")
    bare = analyse(doc.text)  # no entity spans: the rule has nothing to read
    Pipeline.from_names(["sentences", "entities", "techniques"])([doc])
    names = {(s.start, s.end) for s in doc.spans_of("entity")}
    flagged = {(s.start, s.end) for s in doc.spans_of("technique")}
    alone = {(s.start, s.end) for s in bare.spans_of("technique")} & names
    assert {doc.text[a:b] for a, b in alone} >= {"Belarus", "TASS"}
    assert not flagged & names and flagged
    assert any(any(a <= s < e <= b and (a, b) != (s, e) for s, e in names) for a, b in flagged)  # passages naming someone stay
