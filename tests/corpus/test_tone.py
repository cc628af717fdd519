"""The tone stage on the real seed pages: negative wording about an actor gives negative tone; an actor's own
quoted words are left out when asked; labels carry their evidence; outlet profiles and commands show tone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrascope.document import Document
from narrascope.nlp import tone  # noqa: F401 - registers the stage
from narrascope.nlp.tone import ToneOptions, actor_tones, compound, mention_contexts, context_text, mention_tones, vader
from narrascope.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "data" / "seeds"
# The seed pages carry no outlet of their own (one does); distinct names make them a corpus of five outlets.
SEED_OUTLETS = {"000": "euromaidan-press", "001": "oriental-review", "002": "belta-copy", "003": "express", "004": "eurasia-future"}


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    if not SEEDS.exists():
        pytest.skip("../shared/data/seeds is not present")
    docs = {}
    for path in sorted(SEEDS.glob("*.txt")):
        docs[path.name[:3]] = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text",
                                       outlet=SEED_OUTLETS.get(path.name[:3]))
    Pipeline.from_names(["extract", "segment", "language", "sentences", "entities", "quotes", "tone"])(list(docs.values()))
    for doc in docs.values():
        assert not doc.meta.get("problem"), doc.meta.get("problem")
    return docs


def _mention(doc: Document, needle: str, surface: str):
    at = doc.text.index(needle)
    span = next(s for s in doc.spans_of("entity") if at <= s.start < at + len(needle) and doc.text[s.start:s.end] == surface)
    return span.start, span.end, span.attrs["actor"]


def test_negative_wording_about_an_actor_gives_negative_tone(seeds):
    doc = seeds["001"]
    (tone_of,) = mention_tones(doc, [_mention(doc, "Russia tried to murder the Skripals", "Russia")])
    assert tone_of <= -0.5
    # Praise in the same page reads positive: the scorer is not negative across the board.
    assert compound("one of its most trusted and longest allies") > 0.3


def test_every_actor_label_is_a_mean_over_its_evidence_sentences(seeds):
    for doc in seeds.values():
        labels = doc.labels_of("tone")
        assert labels, doc.source
        actors = {s.attrs["actor"] for s in doc.spans_of("entity") if s.attrs.get("actor")}
        sentences = {(s.start, s.end) for s in doc.sentences}
        for lab in labels:
            assert lab.label in actors and -1.0 <= lab.score <= 1.0 and lab.segment is None
            assert lab.evidence and set(lab.evidence) <= sentences
            assert lab.attrs["mentions"] >= len(lab.evidence) >= 1
            assert lab.attrs["positive"] + lab.attrs["negative"] <= lab.attrs["mentions"]
            assert lab.attrs["type"] in ("PERSON", "ORG", "GPE", "NORP")
        assert len({lab.label for lab in labels}) == len(labels)  # one label per actor
    # The tabloid seed casts Belarus-related actors in dark terms; the Lukashenko actor is scored there.
    by_actor = {lab.label: lab for lab in seeds["000"].labels_of("tone")}
    assert by_actor["Alexander Lukashenko"].attrs["mentions"] >= 10


def test_own_quote_is_not_counted_when_that_variant_is_on(seeds):
    doc = seeds["000"]
    sentence = "It is useless to blackmail Belarus, to bend it, [to choke us],” Lukashenka said."
    mention = _mention(doc, sentence, "Lukashenka")
    assert mention[2] == "Alexander Lukashenko"
    quote = next(q for q in doc.spans_of("quote") if q.start <= doc.text.index("useless") < q.end)
    assert quote.attrs["speaker"] == "Alexander Lukashenko"
    kept = ToneOptions(exclude_own_quotes=False)
    left_out = ToneOptions(exclude_own_quotes=True)
    (with_quote,), (without_quote,) = mention_tones(doc, [mention], kept), mention_tones(doc, [mention], left_out)
    assert with_quote <= -0.5  # "useless to blackmail ... to choke us" is his own wording
    assert without_quote is None or abs(without_quote) < 0.05
    (ctx,) = mention_contexts(doc, [mention], left_out)
    assert "blackmail" not in context_text(doc.text, ctx) and "said" in context_text(doc.text, ctx)
    # Belarus, mentioned inside that quote, is not its speaker: its context keeps the words.
    belarus = _mention(doc, sentence, "Belarus")
    assert mention_tones(doc, [belarus], left_out)[0] <= -0.5
    # At the actor level too, the variant changes Lukashenko's score and only by leaving sentences' quoted words out.
    on = {t.actor: t for t in actor_tones(doc, left_out)}["Alexander Lukashenko"]
    off = {t.actor: t for t in actor_tones(doc, kept)}["Alexander Lukashenko"]
    assert on.score != off.score and on.mentions == off.mentions


def test_domain_lexicon_and_name_masking():
    doc = Document(source="t", text="The junta in Minsk is a puppet regime of the Kremlin.", language="en")
    Pipeline.from_names(["sentences", "entities"])([doc])
    plain = actor_tones(doc, ToneOptions(domain_lexicon=False))
    domain = actor_tones(doc, ToneOptions(domain_lexicon=True))
    assert plain and all(abs(t.score) < 0.05 for t in plain)  # VADER alone does not know these words
    assert domain and all(t.score <= -0.5 for t in domain)
    assert vader(True).lexicon["regime"] < 0 and "regime" not in vader(False).lexicon
    # A name is not framing: "Justice" in an actor's name does not make the sentence positive.
    named = Document(source="t", text="Senator John Smith met the Justice Department on Monday.", language="en")
    Pipeline.from_names(["sentences", "entities"])([named])
    masked = {t.actor: t.score for t in actor_tones(named, ToneOptions(mask_names=True))}
    unmasked = {t.actor: t.score for t in actor_tones(named, ToneOptions(mask_names=False))}
    assert masked["John Smith"] == 0.0 < unmasked["John Smith"]


def test_other_languages_get_a_warning_and_no_tone():
    doc = Document(source="t", text="Лукашенко встретился с Путиным в Минске.", language="ru")
    Pipeline.from_names(["sentences", "entities", "tone"])([doc])
    assert doc.spans_of("entity") and not doc.labels_of("tone")
    assert any(w.startswith("tone: not analysed") for w in doc.meta["warnings"])
