"""Genre (stage "genre") and framing (stage "frames") of an article, SemEval-2023 Task 3 subtasks 1 and 2.

Both heads are logistic regressions over the same article features: pooled
embeddings from the shared encoder pass (mean of the paragraphs, mean of the
first three paragraphs, the headline) next to a TF-IDF vector of the words and
word pairs. Genre is one of opinion | reporting | satire (softmax); frames are
14 independent yes/no decisions with thresholds tuned on held-out articles.
The files live in ``models/genre/`` and ``models/frames/`` and are rebuilt by
``training/genre_frames.py``; inference is numpy only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..document import Document, Label
from ..errors import ModelError
from ..nlp.encoder import DIM, EncodedText, encode_documents, get_encoder
from ..pipeline import Stage, register_stage

GENRE_PACKAGE = "narrascope.models.genre"
FRAMES_PACKAGE = "narrascope.models.frames"
GENRES = ("opinion", "reporting", "satire")
SEGMENT_MIN_WORDS = 80  # shorter segments (teasers, captions) are too thin to classify
FIRST_PARAGRAPHS = 3
_WORD = re.compile(r"\b\w\w+\b")


# -- features -------------------------------------------------------------------
def paragraph_ranges(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the non-blank lines of ``text[start:end]`` (our paragraphs)."""
    end = len(text) if end is None else end
    out, pos = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            s = pos + line.index(stripped[0])
            out.append((s, s + len(stripped)))
        pos += len(line) + 1
    return out


def body_paragraphs(text: str, title: str | None, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Paragraph spans, without a first line that repeats the headline (as SemEval files have)."""
    paras = paragraph_ranges(text, start, end)
    if paras and title and text[paras[0][0] : paras[0][1]].strip() == title.strip():
        paras = paras[1:]
    return paras


def dense_features(encoded: EncodedText, paragraphs: list[tuple[int, int]], title_vec: np.ndarray | None) -> np.ndarray:
    """[mean paragraph embedding, mean of the first paragraphs, headline embedding] (3 x 384).

    Paragraphs are averaged one vote each so a long paragraph does not drown the rest;
    the opening is where reporting and opinion differ most. Without a headline the
    first paragraph stands in for it.
    """
    vecs = [encoded.pooled(s, e) for s, e in paragraphs]
    vecs = [v for v in vecs if np.any(v)]
    if not vecs:
        zero = np.zeros(DIM, dtype=np.float32)
        return np.concatenate([zero, zero, title_vec if title_vec is not None else zero])
    mean_all = _unit(np.mean(vecs, axis=0))
    mean_first = _unit(np.mean(vecs[:FIRST_PARAGRAPHS], axis=0))
    title = title_vec if title_vec is not None and np.any(title_vec) else vecs[0]
    return np.concatenate([mean_all, mean_first, title]).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)


def word_ngrams(text: str) -> list[str]:
    """Lower-cased words of two or more characters and their adjacent pairs (the TF-IDF terms)."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def lexical_text(text: str, paragraphs: list[tuple[int, int]], title: str | None) -> str:
    """Headline and paragraphs as one string, the input of the TF-IDF part."""
    return "\n".join([title or "", *(text[s:e] for s, e in paragraphs)])


@dataclass
class ArticleInput:
    """What both heads read about one article or segment."""

    dense: np.ndarray  # dense_features
    lexical: str  # lexical_text


# -- the model files -------------------------------------------------------------
class LinearTextModel:
    """Logistic regression over [dense * dense_weight, tf-idf]: softmax (genre) or one-vs-rest (frames)."""

    def __init__(self, arrays: dict[str, np.ndarray], config: dict[str, Any]):
        self.config = config
        self.labels: list[str] = list(config["labels"])
        self.multilabel = config["kind"] == "one-vs-rest"
        self.vocabulary = {term: i for i, term in enumerate(config["vocabulary"])}
        self.idf = np.asarray(arrays["idf"], dtype=np.float32)
        self.coef = np.asarray(arrays["coef"], dtype=np.float32)
        self.intercept = np.asarray(arrays["intercept"], dtype=np.float32)
        self.dense_weight = float(config["dense_weight"])
        self.thresholds = np.array([config.get("thresholds", {}).get(l, 0.5) for l in self.labels], dtype=np.float32)
        if self.coef.shape != (len(self.labels), 3 * DIM + len(self.idf)) or len(self.vocabulary) != len(self.idf):
            raise ModelError(f"{config.get('name')}: model arrays do not match its labels and vocabulary")

    @classmethod
    def load(cls, package: str) -> "LinearTextModel":
        files = resources.files(package)
        try:
            config = json.loads(files.joinpath("model.json").read_text(encoding="utf-8"))
            with files.joinpath("weights.npz").open("rb") as fh:
                arrays = dict(np.load(fh))
        except (FileNotFoundError, OSError, ValueError, KeyError) as e:
            raise ModelError(f"model files missing or corrupt in {package}: {e}") from e
        return cls(arrays, config)

    def tfidf(self, text: str) -> np.ndarray:
        """Sublinear tf x idf, L2-normalised (as sklearn's TfidfVectorizer with sublinear_tf)."""
        v = np.zeros(len(self.idf), dtype=np.float32)
        for term, n in Counter(word_ngrams(text)).items():
            j = self.vocabulary.get(term)
            if j is not None:
                v[j] = (1.0 + math.log(n)) * self.idf[j]
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    def features(self, item: ArticleInput) -> np.ndarray:
        return np.concatenate([item.dense * self.dense_weight, self.tfidf(item.lexical)])

    def probabilities(self, items: list[ArticleInput]) -> np.ndarray:
        """[n_items, n_labels]: softmax rows (genre) or independent sigmoids (frames)."""
        if not items:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        z = np.stack([self.features(it) for it in items]) @ self.coef.T + self.intercept
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-z))
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def decide(self, probs: np.ndarray) -> list[tuple[str, float]]:
        """The labels this row's probabilities assign: the best (genre), or every frame over its threshold, at least one."""
        order = np.argsort(-probs)
        if not self.multilabel:
            return [(self.labels[order[0]], float(probs[order[0]]))]
        chosen = [j for j in order if probs[j] >= self.thresholds[j]] or [int(order[0])]
        return [(self.labels[j], float(probs[j])) for j in chosen]


@lru_cache(maxsize=None)
def get_model(package: str) -> LinearTextModel:
    return LinearTextModel.load(package)


def genre_model() -> LinearTextModel:
    return get_model(GENRE_PACKAGE)


def frames_model() -> LinearTextModel:
    return get_model(FRAMES_PACKAGE)


def _model_digest(package: str) -> str:
    """Short hash of the shipped files, recorded with every stored row as the stage version."""
    try:
        files = resources.files(package)
    except ModuleNotFoundError:  # not trained yet: loading will say so
        return "missing"
    digest = hashlib.sha256()
    for name in sorted(n.name for n in files.iterdir() if n.name.endswith((".npz", ".json"))):
        digest.update(files.joinpath(name).read_bytes())
    return digest.hexdigest()[:10]


# -- documents --------------------------------------------------------------------
def encode_titles(titles: list[str]) -> list[np.ndarray]:
    """Headline embeddings from the shared encoder (headlines are not part of ``Document.text``)."""
    if not titles:
        return []
    return [e.pooled() for e in get_encoder().encode_texts(titles)]


def _pieces(doc: Document) -> list[tuple[int | None, int, int, str | None]]:
    """``(segment index or None, start, end, title)`` of what gets a label.

    The document is read as its main segment (teasers and widgets after an
    article are not the article); other segments of at least
    ``SEGMENT_MIN_WORDS`` words get their own label when there are several.
    """
    main = doc.main_segment
    if main is None:
        return [(None, 0, len(doc.text), doc.title)]
    pieces: list[tuple[int | None, int, int, str | None]] = [(None, main.start, main.end, doc.title or main.title)]
    long_ones = [
        (i, seg) for i, seg in enumerate(doc.segments) if len(seg.text_of(doc).split()) >= SEGMENT_MIN_WORDS
    ]
    if len(long_ones) >= 2:
        pieces += [(i, seg.start, seg.end, seg.title) for i, seg in long_ones if seg is not main]
    return pieces


def article_inputs(docs: list[Document]) -> list[list[tuple[int | None, ArticleInput]]]:
    """For each document, ``(segment index or None, ArticleInput)`` per piece; cached in ``doc.cache``."""
    todo = [d for d in docs if "genre_frames" not in d.cache]
    if todo:
        encoded = encode_documents(todo)
        pieces = [_pieces(d) for d in todo]
        titles = sorted({t for ps in pieces for *_, t in ps if t})
        title_vecs = dict(zip(titles, encode_titles(titles)))
        for doc, enc, ps in zip(todo, encoded, pieces):
            items = []
            for seg, start, end, title in ps:
                paras = body_paragraphs(doc.text, title, start, end)
                items.append((seg, ArticleInput(dense_features(enc, paras, title_vecs.get(title)), lexical_text(doc.text, paras, title))))
            doc.cache["genre_frames"] = items
    return [d.cache["genre_frames"] for d in docs]


def semeval_document(aid: str, text: str) -> Document:
    """A SemEval article file as a Document: the file's text (offsets are the file's), line 1 as the title."""
    first = text.split("\n", 1)[0].strip()
    return Document(source=aid, text=text, id=aid, title=first or None, language="en")


def _ranked(model: LinearTextModel, doc: Document) -> list[tuple[str, float]]:
    if not doc.text.strip():
        return []
    (_, item), *_ = article_inputs([doc])[0]
    probs = model.probabilities([item])[0]
    return [(model.labels[j], float(probs[j])) for j in np.argsort(-probs)]


def predict_genre(doc: Document) -> list[tuple[str, float]]:
    """The three genres with their probabilities, best first (the document's main text and title)."""
    return _ranked(genre_model(), doc)


def predict_frames(doc: Document) -> list[tuple[str, float]]:
    """The 14 frames with their probabilities, most likely first."""
    return _ranked(frames_model(), doc)


def _english_docs(batch: list[Document], stage: str) -> list[Document]:
    # Both models are English-only: other languages get no labels rather than noise.
    out = []
    for d in batch:
        if not d.text.strip():
            d.meta.setdefault("warnings", []).append(f"{stage}: empty text, nothing to analyse")
        elif d.language not in (None, "en", "und"):
            d.meta.setdefault("warnings", []).append(f"{stage}: not analysed, the model is English-only (text is {d.language!r})")
        else:
            out.append(d)
    return out


def _label_batch(batch: list[Document], stage: str, layer: str, model: LinearTextModel) -> list[Document]:
    docs = _english_docs(batch, stage)
    if not docs:
        return batch
    per_doc = article_inputs(docs)
    flat = [item for items in per_doc for _, item in items]
    probs = model.probabilities(flat)
    k = 0
    for doc, items in zip(docs, per_doc):
        for seg, _ in items:
            for name, score in model.decide(probs[k]):
                doc.labels.append(Label(layer, name, round(score, 4), segment=seg))
            k += 1
    return batch


@register_stage
class GenreStage(Stage):
    """Adds ``Label("genre", opinion|reporting|satire, probability)`` for the document (and long extra segments)."""

    name = "genre"
    version = "1+" + _model_digest(GENRE_PACKAGE)

    def process(self, batch: list[Document]) -> list[Document]:
        return _label_batch(batch, self.name, "genre", genre_model())


@register_stage
class FramesStage(Stage):
    """Adds one ``Label("frame", name, probability)`` per frame over its threshold (at least the best one)."""

    name = "frames"
    version = "1+" + _model_digest(FRAMES_PACKAGE)

    def process(self, batch: list[Document]) -> list[Document]:
        return _label_batch(batch, self.name, "frame", frames_model())
