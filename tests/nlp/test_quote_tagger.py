"""The learned quote tagger: its inputs, its decoding, the shipped files, and that it beats the rules on PolNeAR."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from narrascope.errors import ConfigError
from narrascope.nlp.encoder import DIM, get_encoder
from narrascope.nlp.quote_tagger import (
    CONFIG_FILE,
    N_RULE_FEATURES,
    WEIGHTS_FILE,
    borrow_from_rules,
    decode,
    get_tagger,
    middle_states,
    rule_features,
)
from narrascope.nlp.quotes import (MODEL_PACKAGE, Attribution, QuotesStage, extract_quotes, find_quotes, polnear_documents,
                                  quoted_spans, score_quotes)
from narrascope.pipeline import load_config

POLNEAR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "polnear"


def test_shipped_files_are_small_and_fit_the_encoder():
    files = resources.files(MODEL_PACKAGE)
    size = len(files.joinpath(WEIGHTS_FILE).read_bytes())
    assert 100_000 < size < 3_000_000, size
    config = json.loads(files.joinpath(CONFIG_FILE).read_text())
    assert config["inputs"] == ["mid", "emb", "rules"]
    assert config["d_in"] == 2 * DIM + N_RULE_FEATURES
    assert 0.0 < config["decode"]["content_threshold"] < 1.0
    tagger = get_tagger()
    p_content, p_cue, p_source = tagger.probabilities(np.zeros((7, config["d_in"]), dtype=np.float32))
    assert p_content.shape == (7, 3) and np.allclose(p_content.sum(axis=1), 1.0, atol=1e-5)
    assert p_cue.shape == p_source.shape == (7,)


def test_rule_features_mark_the_rule_frame_the_quote_marks_and_line_starts():
    text = "Minsk talks.\n“We will never give up our sovereignty,” Lukashenko said on Sunday."
    enc = get_encoder().encode_texts([text])[0]
    frames = extract_quotes(text)
    assert len(frames) == 1 and frames[0].kind == "direct"
    f = rule_features(text, enc.offsets, frames, quoted_spans(text))
    assert f.shape == (len(enc.offsets), N_RULE_FEATURES)

    def rows(words: str) -> np.ndarray:
        s = text.index(words)
        return f[enc.tokens_in(s, s + len(words))]

    assert rows("We will never give up")[:, 0].all()  # direct content
    assert not rows("Minsk talks")[:, :3].any()
    assert rows("said")[:, 5].all() and rows("Lukashenko")[:, 6].all()  # cue, source
    assert rows("our sovereignty")[:, 7].all() and not rows("on Sunday")[:, 7].any()  # inside quote marks
    first = enc.tokens_in(text.index("“"), text.index("“") + 1)[0]
    assert f[0, 8] == 1 and f[first, 8] == 1 and f[first + 1, 8] == 0  # opens a line
    # the middle states are the encoder's layer-4 states, one row per token
    mid = middle_states(enc)
    assert mid.shape == enc.token_embeddings.shape and not np.allclose(mid, enc.token_embeddings)


def test_decode_splits_contents_at_first_tokens_and_links_the_nearest_cue_and_source():
    text = "Smith said that taxes rise. Jones said that rates fall."
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\w+|\.", text)]
    offsets = np.array(words, dtype=np.int32)
    n = len(offsets)
    p = np.zeros((n, 3), dtype=np.float32)
    p[:, 0] = 1.0
    cue, src = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
    toks = [text[s:e] for s, e in words]
    for i, t in enumerate(toks):
        if t == "said":
            cue[i] = 0.9
        if t in ("Smith", "Jones"):
            src[i] = 0.8
    for start in (toks.index("taxes"), toks.index("rates")):
        p[start] = [0.0, 0.1, 0.9]
        p[start + 1 : start + 3] = [0.1, 0.9, 0.0]
    atts = decode(text, offsets, (p, cue, src), content_threshold=0.5, min_tokens=2)
    assert [text[a.content[0]:a.content[1]] for a in atts] == ["taxes rise.", "rates fall."]
    assert [text[a.cue[0]:a.cue[1]] for a in atts] == ["said", "said"]
    assert [text[a.source[0]:a.source[1]] for a in atts] == ["Smith", "Jones"]
    assert atts[1].cue[0] > atts[0].content[1]  # each content takes its own, nearest cue
    # a content of one token is dropped at min_tokens 2, kept at 1
    p[toks.index("fall")] = [1.0, 0.0, 0.0]
    p[len(toks) - 1] = [1.0, 0.0, 0.0]  # the last full stop
    assert len(decode(text, offsets, (p, cue, src), content_threshold=0.5, min_tokens=2)) == 1
    assert len(decode(text, offsets, (p, cue, src), content_threshold=0.5, min_tokens=1)) == 2


def test_a_content_stops_at_a_blank_line_unless_the_next_paragraph_opens_a_quote():
    # Seed 004 gave the quote 'Military “Balancing”\n\nThat’s not': a subheading run on into the next paragraph.
    import re

    def contents(text):
        offsets = np.array([(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)], dtype=np.int32)
        n = len(offsets)
        p = np.tile(np.array([0.0, 0.9, 0.1], dtype=np.float32), (n, 1))  # every token inside one content
        atts = decode(text, offsets, (p, np.zeros(n, np.float32), np.zeros(n, np.float32)), content_threshold=0.5, min_tokens=1)
        return [text[a.content[0]:a.content[1]] for a in atts]

    assert contents("Military balancing is over\n\nThat is not all") == ["Military balancing is over", "That is not all"]
    # a quotation printed over two paragraphs, each opening with a quote mark, stays one
    assert contents("“We will win.\n\n“And we will stay,” he said") == ["“We will win.\n\n“And we will stay,” he said"]
    # one line break is not a paragraph
    assert contents("We will win\nand we will stay") == ["We will win\nand we will stay"]


def test_a_rule_attribution_over_the_same_words_lends_cue_source_speaker_and_kind():
    text = "Belarus will not join, Lukashenko said on Sunday."
    tagged = [Attribution((0, 21), cue=None, source=None, score=0.9, kind="reported")]
    rule = Attribution((0, 22), cue=(34, 38), source=(23, 33), speaker="Alexander Lukashenko", kind="reported")
    (att,) = borrow_from_rules(text, tagged, [rule])
    assert (att.cue, att.source, att.speaker, att.content) == ((34, 38), (23, 33), "Alexander Lukashenko", (0, 21))
    far = Attribution((23, 49), cue=(34, 38), source=(23, 33), speaker="X")
    (att,) = borrow_from_rules(text, [Attribution((0, 21))], [far])
    assert att.speaker is None and att.cue is None


def test_unknown_method_is_a_clear_error_and_the_fast_profile_uses_the_rules():
    with pytest.raises(ConfigError, match="method"):
        QuotesStage({"method": "llm"})
    assert load_config(profile="fast")["stages"]["quotes"]["method"] == "rules"
    assert load_config(profile="full")["stages"]["quotes"]["method"] == "tagger"


@pytest.mark.skipif(not (POLNEAR / "dev").is_dir(), reason="PolNeAR not in ../shared/data")
def test_the_tagger_finds_more_of_polnear_than_the_rules_do():
    """On the first 16 PolNeAR dev articles (never used to train or choose): better content overlap F1 and
    cue F1 than the rule model, with the rules' sources kept on the attributions both find."""
    dev = polnear_documents(POLNEAR / "dev")[:16]
    encoded = get_encoder().encode_texts([t for _, t, _ in dev])
    tagger = score_quotes((t, g, find_quotes(t, None, None, e)) for (_, t, g), e in zip(dev, encoded))
    rules = score_quotes((t, g, find_quotes(t)) for _, t, g in dev)
    assert tagger.overlap_f1 > rules.overlap_f1 + 0.01, (tagger.as_dict(), rules.as_dict())
    assert tagger.cue_f1 > rules.cue_f1, (tagger.as_dict(), rules.as_dict())
    assert tagger.source_accuracy > 0.7


def test_a_cached_encoding_without_the_middle_states_is_encoded_again(seed_path):
    from narrascope.document import Document
    from narrascope.nlp.encoder import CACHE_KEY, EncodedText
    from narrascope.pipeline import Pipeline

    path = seed_path("003")
    doc = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text")
    Pipeline.from_names(["extract", "segment", "sentences"])([doc])
    full = get_encoder().encode_texts([doc.text])[0]
    doc.cache[CACHE_KEY] = EncodedText(full.token_embeddings, full.offsets, full.text_length)  # no layer-4 states
    QuotesStage().process([doc])
    assert not doc.meta.get("problem")
    assert doc.cache[CACHE_KEY].branch_input is not None
    assert any(s.attrs["speaker"] == "Jens Stoltenberg" for s in doc.spans_of("quote"))
