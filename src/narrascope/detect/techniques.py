"""Persuasion techniques (stage "techniques"): which passages use which of the 23 SemEval-2023 techniques.

A small head reads all-MiniLM-L6-v2 token embeddings whose top two layers are
adapted for techniques (LoRA, ``adapters.npz``), computed on the hidden states
the shared encoder pass keeps (see ``nlp/encoder.py``, ``AdaptedBranch``): a
projection and two convolutions give,
for every token, the probability of each technique and of "any technique", and
for every sentence the probability that it uses each technique. Spans are runs of
tokens above a per-technique threshold tuned on validation articles; a
sentence-level decision makes the paragraph labels independent of the line
layout (one paragraph or one sentence per line). The files live in
``models/techniques/`` and are rebuilt by ``training/techniques.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..document import Document
from ..errors import ModelError
from ..nlp.encoder import AdaptedBranch, EncodedText, encode_documents, get_encoder, tokens_overlapping
from ..pipeline import Stage, register_stage

MODEL_PACKAGE = "narrascope.models.techniques"
ANY = "any"  # the extra output: "some technique here"


@dataclass(frozen=True)
class TechniqueInfo:
    name: str
    ptc: str | None  # SemEval-2020 Task 11 label, None where 2020 had no such technique
    definition: str


@lru_cache(maxsize=1)
def technique_table() -> dict[str, TechniqueInfo]:
    """The 23 techniques with their one-line definitions and 2020 labels (``techniques.json``)."""
    raw = json.loads(resources.files(MODEL_PACKAGE).joinpath("techniques.json").read_text(encoding="utf-8"))
    return {t["name"]: TechniqueInfo(t["name"], t["ptc"], t["definition"]) for t in raw["techniques"]}


def ptc_label(technique: str) -> str | None:
    info = technique_table().get(technique)
    return info.ptc if info else None


# -- the head -----------------------------------------------------------------
def build_head(n_outputs: int, dim_in: int = 384, dim_proj: int = 160, width: int = 3):
    """The tagging head as a torch module (shared by training and inference).

    Two residual 1-D convolutions (the second dilated) over the projected token
    embeddings: the encoder already gives context, the convolutions smooth span
    edges. (A BiGRU took 140 s per training epoch on this 2-core machine; the
    convolutions take a fraction of that.)
    """
    import torch
    from torch import nn

    class TechniqueHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.proj = nn.Linear(dim_in, dim_proj)
            self.conv1 = nn.Conv1d(dim_proj, dim_proj, width, padding=width // 2)
            self.conv2 = nn.Conv1d(dim_proj, dim_proj, width, padding=2 * (width // 2), dilation=2)
            self.token_out = nn.Linear(dim_proj, n_outputs)
            self.sentence_out = nn.Linear(2 * dim_proj, n_outputs)

        def hidden(self, x: "torch.Tensor") -> "torch.Tensor":
            gelu = torch.nn.functional.gelu
            h = gelu(self.proj(self.drop(x)))
            c = h.transpose(1, 2).contiguous()
            c = c + gelu(self.conv1(self.drop(c)))
            c = c + gelu(self.conv2(self.drop(c)))
            return self.drop(c.transpose(1, 2))

        def forward(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
            h = self.hidden(x)
            return self.token_out(h), h

        def sentence_logits(self, h: "torch.Tensor", ranges: list[tuple[int, int, int]]) -> "torch.Tensor":
            # (row, first token, last token + 1) -> max- and mean-pooled hidden state,
            # as one scatter (per-sentence slicing makes the backward pass 50x slower)
            rows, length, dim = h.shape
            flat = h.reshape(rows * length, dim)
            pos = np.concatenate([np.arange(b * length + s, b * length + e) for b, s, e in ranges])
            sid = np.concatenate([np.full(e - s, k) for k, (b, s, e) in enumerate(ranges)])
            pos_t, sid_t = torch.from_numpy(pos), torch.from_numpy(sid)
            tokens = flat[pos_t]
            n = len(ranges)
            counts = torch.from_numpy(np.array([e - s for _, s, e in ranges], dtype=np.float32))[:, None]
            mean = torch.zeros(n, dim, dtype=h.dtype).index_add(0, sid_t, tokens) / counts
            idx = sid_t[:, None].expand(-1, dim)
            high = torch.full((n, dim), -1e4, dtype=h.dtype).scatter_reduce(0, idx, tokens, "amax", include_self=False)
            return self.sentence_out(torch.cat([high, mean], dim=-1))

    return TechniqueHead()


@dataclass
class TechniquePrediction:
    """What the head says about one text, before thresholds."""

    offsets: np.ndarray  # [n_tokens, 2]
    token_probs: np.ndarray  # [n_tokens, n_outputs]
    sentences: list[tuple[int, int]]  # character spans
    sentence_probs: np.ndarray  # [n_sentences, n_outputs]; blended with the TF-IDF layer when the text is given


class TechniqueModel:
    """The trained head, the span classifiers, and the thresholds tuned on validation."""

    def __init__(self, weights: dict[str, np.ndarray], config: dict[str, Any], span_classifiers: dict[str, np.ndarray] | None = None,
                 vocabulary: list[str] | None = None, adapters: dict[str, np.ndarray] | None = None):
        import torch

        self.config = config
        # LoRA updates of the encoder's top layers (adapters.npz; config "branch"): the head
        # reads its own adapted encoding; without them it reads the shared pass.
        self.adapters = adapters
        self._branch: AdaptedBranch | None = None
        self.labels: list[str] = list(config["labels"])  # 23 techniques then ANY
        self.head = build_head(len(self.labels), **config.get("head", {}))
        state = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in weights.items()}
        self.head.load_state_dict(state)
        self.head.eval()
        self.span_threshold = float(config.get("span_threshold", 0.5))
        self.line_thresholds = np.array([config["line_thresholds"].get(l, 1.1) for l in self.labels])
        # "2023" / "2020": multinomial logistic regressions over span_features (span.npz)
        self.span_classifiers = {k: np.asarray(v, dtype=np.float32) for k, v in (span_classifiers or {}).items()}
        # Word n-gram TF-IDF (vocabulary in tfidf.json, idf and coefficients in span.npz): optional layer
        self.tfidf: TfidfVocabulary | None = None
        if vocabulary is not None and "tfidf_idf" in self.span_classifiers:
            self.tfidf = TfidfVocabulary(vocabulary, self.span_classifiers["tfidf_idf"])
        sentence_t = config.get("sentence_line_thresholds")
        self.sentence_line_thresholds = np.array([sentence_t.get(l, 1.1) for l in self.labels]) if sentence_t else self.line_thresholds

    @classmethod
    def load(cls) -> "TechniqueModel":
        files = resources.files(MODEL_PACKAGE)
        try:
            config = json.loads(files.joinpath("model.json").read_text(encoding="utf-8"))
            with files.joinpath("head.npz").open("rb") as fh:
                weights = dict(np.load(fh))
            with files.joinpath("span.npz").open("rb") as fh:
                span = dict(np.load(fh))
            vocab_file = files.joinpath("tfidf.json")
            vocabulary = json.loads(vocab_file.read_text(encoding="utf-8"))["terms"] if vocab_file.is_file() else None
            adapters = None
            if "branch" in config:
                with files.joinpath("adapters.npz").open("rb") as fh:
                    adapters = dict(np.load(fh))
        except (FileNotFoundError, OSError, ValueError, KeyError) as e:
            raise ModelError(f"technique model files missing or corrupt in {MODEL_PACKAGE}: {e}") from e
        return cls(weights, config, span, vocabulary, adapters)

    def encode(self, docs: list[Document]) -> list[EncodedText]:
        """What the head reads for each document: the adapted branch's encoding, or the shared pass."""
        if self.adapters is None:
            return encode_documents(docs)
        encoder = get_encoder()
        if self._branch is None or self._branch.encoder is not encoder:  # (re)configured encoder: rebuild
            branch = self.config["branch"]
            self._branch = AdaptedBranch("techniques", self.adapters, float(branch["alpha"]) / float(branch["rank"]), encoder,
                                         layer=int(branch["layer"]))
        return self._branch.encode_documents(docs)

    # -- raw scores ------------------------------------------------------------
    def predict(self, encoded: EncodedText, sentences: list[tuple[int, int]], text: str | None = None) -> TechniquePrediction:
        """Token and sentence probabilities; with ``text``, sentence probabilities blend in the TF-IDF layer."""
        import torch

        n = len(encoded.offsets)
        if n == 0:
            z = np.zeros((0, len(self.labels)), dtype=np.float32)
            return TechniquePrediction(encoded.offsets, z, [], z)
        x = torch.from_numpy(np.ascontiguousarray(encoded.token_embeddings, dtype=np.float32))[None]
        ranges, kept = [], []
        for s, e in sentences:
            idx = encoded.tokens_in(s, e)
            if len(idx):
                ranges.append((0, int(idx[0]), int(idx[-1]) + 1))
                kept.append((s, e))
        with torch.inference_mode():
            logits, h = self.head(x)
            token_probs = torch.sigmoid(logits[0]).numpy()
            sent_probs = torch.sigmoid(self.head.sentence_logits(h, ranges)).numpy() if ranges else np.zeros((0, len(self.labels)), dtype=np.float32)
        if text is not None and kept:
            sent_probs = self.blend_sentence_probs(sent_probs, self.sentence_tfidf_probs([text[s:e] for s, e in kept]))
        return TechniquePrediction(encoded.offsets, token_probs, kept, sent_probs)

    def sentence_tfidf_probs(self, sentences: list[str]) -> np.ndarray | None:
        """P(sentence uses technique) from the word n-gram layer ([n, n_outputs]), None without one."""
        if self.tfidf is None or "line_tfidf_coef" not in self.span_classifiers:
            return None
        z = self.tfidf.scores(sentences, self.span_classifiers["line_tfidf_coef"]) + self.span_classifiers["line_tfidf_intercept"]
        return 1.0 / (1.0 + np.exp(-z))

    def blend_sentence_probs(self, head: np.ndarray, tfidf: np.ndarray | None) -> np.ndarray:
        """Weighted mean of the head's and the TF-IDF layer's sentence probabilities (weight tuned on validation)."""
        w = float(self.config.get("tfidf_sentence_weight", 0.0))
        if tfidf is None or w == 0.0:
            return head
        out = head.copy()
        k = tfidf.shape[1]  # the layer covers the techniques, not "any"
        out[:, :k] = (1 - w) * head[:, :k] + w * tfidf
        return out

    # -- decisions -------------------------------------------------------------
    def propaganda_spans(self, pred: TechniquePrediction, text: str, join_in_sentence: bool | None = None) -> list[tuple[int, int, float]]:
        """Spans that use some technique, whichever (SemEval-2020 SI), with their mean token probability.

        ``join_in_sentence``: join the runs of one sentence into one span (default: as tuned for
        SI on validation); the stage's technique spans keep them apart (better technique-aware F1).
        """
        j = self.labels.index(ANY)
        probs = pred.token_probs[:, j]
        spans = _runs(probs, self.span_threshold, pred.offsets, text, int(self.config.get("max_gap", 2)))
        if self.config.get("si_join_runs_in_sentence", False) if join_in_sentence is None else join_in_sentence:
            spans = _merge_in_sentences(spans, pred.sentences, text)
        # Scare quotes: a short quoted phrase ('Western partners') is a label even when its
        # tokens score below the span threshold; its own, lower cut is tuned on validation.
        quoted = float(self.config.get("quoted_span_threshold", 1.1))
        if quoted <= 1.0:
            for s, e in quoted_phrases(text):
                idx = tokens_overlapping(pred.offsets, s, e)
                if len(idx) and float(probs[idx].mean()) >= quoted and not any(a < e and b > s for a, b, _ in spans):
                    spans.append((s, e, float(probs[idx].mean())))
            spans.sort()
        return spans

    def ranked_spans(self, encoded: EncodedText, pred: TechniquePrediction, text: str) -> tuple[list[tuple[int, int, float]], list[list[tuple[str, float]]]]:
        """The stage's propaganda spans (runs kept apart) and, for each, its 2023 techniques ranked best first."""
        spans = self.propaganda_spans(pred, text, join_in_sentence=False)
        return spans, self.classify_spans(encoded, text, [(s, e) for s, e, _ in spans], scheme="2023")

    def technique_spans(self, encoded: EncodedText, pred: TechniquePrediction, text: str) -> list[tuple[int, int, str, float]]:
        """``(start, end, technique, score)``: each propaganda span with its most likely technique.

        score = P(span uses a technique) x P(this technique | span).
        """
        spans, ranked = self.ranked_spans(encoded, pred, text)
        floor = float(self.config.get("technique_span_min_score", 0.0))
        # A span may use several techniques (a repeated label is Name_Calling and Repetition).
        also = float(self.config.get("technique_second_label_min", 1.0))
        found = []
        for (s, e, p), r in zip(spans, ranked):
            if only_function_words(text[s:e]):  # "for", "his", "the union"'s "the": no passage of their own
                continue
            s, e = tidy_span(text, s, e)
            if p * r[0][1] >= floor:  # the span is kept on its best technique's score
                found.append((s, e, r[0][0], p * r[0][1]))
                found.extend((s, e, name, p * q) for name, q in r[1:3] if q >= also)
        return found

    def line_span_scores(self, encoded: EncodedText, pred: TechniquePrediction, text: str, lines: list[tuple[int, int]]) -> np.ndarray:
        """[n_lines, n_outputs]: for each line and technique, the best P(span uses a technique) x
        P(technique | span) over the propaganda spans that touch the line (no score floor)."""
        out = np.zeros((len(lines), len(self.labels)), dtype=np.float32)
        spans, ranked = self.ranked_spans(encoded, pred, text)
        if not spans or not lines:
            return out
        column = {name: j for j, name in enumerate(self.labels)}
        line_spans = np.array(lines)
        for (s, e, p), r in zip(spans, ranked):
            touched = tokens_overlapping(line_spans, s, e)
            for name, q in r:
                j = column[name]
                out[touched, j] = np.maximum(out[touched, j], p * q)
        return out

    def line_techniques(self, pred: TechniquePrediction, lines: list[tuple[int, int]],
                        encoded: EncodedText | None = None, text: str | None = None) -> list[dict[str, float]]:
        """For each line (a char span), ``{technique: score}`` of the techniques it uses.

        A line uses a technique when one of its sentences does; sentences come from
        the prediction and never cross a line break. On one-sentence-per-line files the
        token layer is mixed into the sentence scores, and, given ``encoded`` and ``text``,
        so are the spans found in the line (``line_span_scores``), with weights from training.
        """
        out = []
        starts = np.array([s for s, _ in pred.sentences]) if pred.sentences else np.zeros(0)
        rows_of = [np.nonzero((starts >= ls) & (starts < le))[0] if len(starts) else np.zeros(0, dtype=np.int64) for ls, le in lines]
        # One sentence per line (the 2023 dev/test files) has its own thresholds: a line's
        # gold labels then include spans that merely cross into it.
        per_line = sentence_per_line_layout(rows_of)
        thresholds = self.sentence_line_thresholds if per_line else self.line_thresholds
        weight = float(self.config.get("sentence_line_token_weight" if per_line else "line_token_weight", 0.0))
        span_weight = float(self.config.get("sentence_line_span_weight" if per_line else "line_span_weight", 0.0))
        from_spans = self.line_span_scores(encoded, pred, text, lines) if span_weight > 0 and encoded is not None and text is not None else None
        line_of = np.full(len(pred.sentences), -1, dtype=np.int64)  # -1: a sentence in none of the lines
        for i, rows in enumerate(rows_of):
            line_of[rows] = i
        kept = line_of >= 0
        mixed = mix_token_max(pred.sentence_probs, sentence_token_max(pred), weight) if weight > 0 else pred.sentence_probs
        scores = line_scores(mixed[kept], line_of[kept], len(lines), from_spans, span_weight)
        for i, rows in enumerate(rows_of):
            found: dict[str, float] = {}
            if len(rows):
                best = scores[i]
                for j, label in enumerate(self.labels):
                    if label != ANY and best[j] >= thresholds[j]:
                        found[label] = float(best[j])
            out.append(found)
        return out

    def classify_spans(self, encoded: EncodedText, text: str, spans: list[tuple[int, int]], scheme: str = "2020") -> list[list[tuple[str, float]]]:
        """For each given span, its techniques ranked best first, in the 2023 or the 2020 (TC) scheme."""
        if not spans:
            return []
        names = self.config["span_classifiers"][scheme]
        coef, intercept = self.span_classifiers[f"{scheme}_coef"], self.span_classifiers[f"{scheme}_intercept"]
        z = np.stack([span_features(encoded, text, s, e) for s, e in spans]) @ coef.T + intercept
        words = self.span_classifiers.get(f"{scheme}_tfidf_coef")
        if words is not None and self.tfidf is not None:
            z = z + self.tfidf.scores([text[s:e] for s, e in spans], words)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return [[(names[k], float(row[k])) for k in np.argsort(-row)] for row in p]


_QUOTED = re.compile(r"[‘“\"«]([^‘’“”\"«»\n]{2,40})[’”\"»]")


def quoted_phrases(text: str, max_words: int = 4) -> list[tuple[int, int]]:
    """Spans of short quoted phrases (scare quotes), quote marks included; longer quotes are speech."""
    return [(m.start(), m.end()) for m in _QUOTED.finditer(text) if len(m.group(1).split()) <= max_words]


def sentence_token_max(pred: TechniquePrediction) -> np.ndarray:
    """[n_sentences, n_outputs]: each technique's highest token probability inside each sentence."""
    out = np.zeros_like(pred.sentence_probs)
    for i, (s, e) in enumerate(pred.sentences):
        idx = tokens_overlapping(pred.offsets, s, e)
        if len(idx):
            out[i] = pred.token_probs[idx].max(axis=0)
    return out


def mix_token_max(sentence_scores: np.ndarray, token_max: np.ndarray, weight: float) -> np.ndarray:
    """Sentence scores mixed with the token layer's maximum in each sentence:
    (1 - weight) x sentence + weight x token max (weight 0: the sentence scores alone)."""
    if weight <= 0.0:
        return sentence_scores
    return (1.0 - weight) * sentence_scores + weight * token_max


def line_scores(sentence_scores: np.ndarray, line_of: np.ndarray, n_lines: int,
                span_scores: np.ndarray | None = None, span_weight: float = 0.0) -> np.ndarray:
    """[n_lines, n_outputs]: each line's best sentence score (``line_of``: the line of each
    sentence), mixed with its best span score when given: (1 - span_weight) x sentences +
    span_weight x spans. A line without a sentence scores 0. Training tunes the cuts on exactly
    these scores (``training/techniques.py``)."""
    out = np.zeros((n_lines, sentence_scores.shape[1]), dtype=np.float32)
    np.maximum.at(out, line_of, sentence_scores)
    if span_scores is not None and span_weight > 0:
        has = np.zeros(n_lines, dtype=bool)
        has[line_of] = True
        out[has] = (1.0 - span_weight) * out[has] + span_weight * span_scores[has]
    return out


def sentence_per_line_layout(rows_of_lines: list[np.ndarray]) -> bool:
    """True when (nearly) every line holds one sentence, as in the 2023 dev/test files."""
    counts = [len(r) for r in rows_of_lines if len(r)]
    return bool(counts) and sum(c > 1 for c in counts) <= 0.1 * len(counts)


_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def ngram_terms(text: str) -> list[str]:
    """Word 1- and 2-grams of ``text`` exactly as ``TfidfVectorizer(ngram_range=(1, 2))`` makes them."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class TfidfVocabulary:
    """Sublinear, L2-normalised TF-IDF over a fixed n-gram vocabulary (exported from scikit-learn), in numpy."""

    def __init__(self, terms: list[str], idf: np.ndarray):
        self.index = {t: i for i, t in enumerate(terms)}
        self.idf = np.asarray(idf, dtype=np.float32)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the text's non-zero TF-IDF entries."""
        counts = Counter(i for i in map(self.index.get, ngram_terms(text)) if i is not None)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[cols]
        norm = float(np.linalg.norm(values))
        return cols, (values / norm if norm else values).astype(np.float32)

    def scores(self, texts: list[str], coef: np.ndarray) -> np.ndarray:
        """``tfidf(texts) @ coef.T`` for a coefficient matrix [k, vocabulary]."""
        out = np.zeros((len(texts), coef.shape[0]), dtype=np.float32)
        for r, text in enumerate(texts):
            cols, values = self.vector(text)
            if len(cols):
                out[r] = coef[:, cols].astype(np.float32) @ values
        return out


_QUOTES = "\"“”‘’'«»"


def span_features(encoded: EncodedText, text: str, start: int, end: int) -> np.ndarray:
    """Features of one span for technique classification: pooled embeddings and surface cues.

    The cues are the ones annotators name: scare quotes (labels), the same words
    again elsewhere in the article (repetition), questions (doubt), shouting.
    """
    idx = encoded.tokens_in(start, end)
    if len(idx) == 0:
        idx = np.array([min(int(np.searchsorted(encoded.offsets[:, 0], start)), len(encoded.offsets) - 1)])
    emb = encoded.token_embeddings[idx]
    span = text[start:end]
    key = span.lower().strip()
    repeats = text.lower().count(key) if key else 0
    words = len(span.split())
    before, after = text[max(0, start - 1) : start], text[end : end + 1]
    cues = [
        np.log1p(repeats), float(repeats > 1), np.log1p(words), float(words <= 2), float("?" in span),
        float(span[:1] in _QUOTES or before in _QUOTES), float(span[-1:] in _QUOTES or after in _QUOTES),
        float(span.isupper()), float("!" in span), np.log1p(len(idx)),
    ]
    return np.concatenate([emb.mean(axis=0), emb.max(axis=0), cues]).astype(np.float32)


def _runs(probs: np.ndarray, threshold: float, offsets: np.ndarray, text: str, max_gap: int) -> list[tuple[int, int, float]]:
    """Character spans of runs of tokens with ``probs >= threshold``, bridging gaps of up to ``max_gap`` tokens."""
    on = np.nonzero(probs >= threshold)[0]
    if len(on) == 0:
        return []
    runs, first, last = [], int(on[0]), int(on[0])
    for i in on[1:]:
        i = int(i)
        # Bridge a short gap only inside one line: spans never cross a line break.
        if i - last - 1 <= max_gap and "\n" not in text[offsets[last, 1] : offsets[i, 0]]:
            last = i
        else:
            runs.append((first, last))
            first = last = i
    runs.append((first, last))
    out = []
    for a, b in runs:
        s, e = _balanced_quotes(text, *_word_bounds(text, int(offsets[a, 0]), int(offsets[b, 1])))
        if sum(c.isalnum() for c in text[s:e]) >= 3:  # "to", "t": fragments, not passages
            out.append((s, e, float(probs[a : b + 1].mean())))
    return out


_OPENING, _CLOSING = "“‘«\"", "”’»\""


def _balanced_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """A run that starts on an opening quote mark without its closing one (or ends on a closing one
    without its opening one) leaves it out: '“deep state' becomes 'deep state'. Annotators mostly
    leave scare quotes' marks out of a span. A run that opens a quote inside it and stops just
    before the closing mark takes the mark in: "allies ‘defecting’", not "allies ‘defecting"."""
    if end - start > 1 and text[start] in _OPENING and not any(c in _CLOSING for c in text[start + 1 : end]):
        start += 1
    if end - start > 1 and text[end - 1] in _CLOSING and not any(c in _OPENING for c in text[start : end - 1]):
        end -= 1
    for opening, closing in ("‘’", "“”"):
        k = text.rfind(opening, start, end)
        if k > start and closing not in text[k:end] and text[end : end + 1] == closing:
            end += 1
    return start, end


# Words that carry no technique of their own. First-person plurals stay out of the list:
# "our" alone is a Flag_Waving span in the training data.
FUNCTION_WORDS = frozenset("""
a an the of for to in on at by with as from into onto about over under than then and or but nor so yet
his her hers its their theirs my your yours him them me it he she they you i this that these those
is was are were be been being has have had do does did not no who whom which what when where why how
all any some such own same there here
""".split())
_SPAN_WORD = re.compile(r"[\w’'-]+")


def only_function_words(span: str) -> bool:
    """Whether every word of ``span`` is a function word (and it has one)."""
    words = _SPAN_WORD.findall(span)
    return bool(words) and all(w.lower() in FUNCTION_WORDS for w in words)


def tidy_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A stage span's edges as an annotator would draw them: without a possessive's stray "s" in
    front ("BBC’s “biased”" read from its "s"), without function words or a comma or full stop at
    its end ("milder form of" → "milder form", "called imperialism." → "called imperialism").
    Closing quote marks, "?" and "!" stay. Annotated spans rarely end on a function word (1% of the
    training spans), though a quarter start on one ("a bunch of ..."), so only the end is cut."""
    if text.startswith("s ", start) and start > 0 and text[start - 1] in "’'" and end - start > 2:
        start += 2
    words = list(_SPAN_WORD.finditer(text, start, end))
    k = len(words)
    while k > 1 and words[k - 1].group().lower() in FUNCTION_WORDS:
        k -= 1
    if k == 0:
        return start, end
    cut = words[k - 1].end()
    while cut < end and text[cut] in "”\"»)?!":
        cut += 1
    return start, cut


def _merge_in_sentences(spans: list[tuple[int, int, float]], sentences: list[tuple[int, int]], text: str) -> list[tuple[int, int, float]]:
    """Join the runs that fall in one sentence (and one line) into one span, whatever the gap.

    Annotators mark a technique's whole phrase ("a bunch of ... experts"), where the
    token layer often lights up only its loaded words. The score is the mean of the
    parts, weighted by length.
    """
    starts = np.array([s for s, _ in sentences], dtype=np.int64)

    def sentence_of(pos: int) -> int:
        return int(np.searchsorted(starts, pos, side="right")) - 1

    out: list[tuple[int, int, float]] = []
    for s, e, p in spans:
        k = sentence_of(s)
        if out and k >= 0 and s < sentences[k][1]:
            ps, pe, pp = out[-1]
            if sentence_of(ps) == k and "\n" not in text[pe:s]:
                left, right = pe - ps, e - s
                out[-1] = (ps, e, (pp * left + p * right) / max(left + right, 1))
                continue
        out.append((s, e, p))
    return out


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to whole words (wordpieces cut words), hyphenated ones too ("de-facto", not "de")."""
    while True:
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        if start > 1 and text[start - 1] == "-" and text[start - 2].isalnum():
            start -= 1
            continue
        break
    while True:
        while end < len(text) and text[end].isalnum():
            end += 1
        if end + 1 < len(text) and text[end] == "-" and text[end + 1].isalnum():
            end += 1
            continue
        break
    return start, end


@lru_cache(maxsize=1)
def get_model() -> TechniqueModel:
    return TechniqueModel.load()


def document_sentences(doc: Document) -> list[tuple[int, int]]:
    """The document's sentence spans, splitting it here when no stage did."""
    if doc.sentences:
        return [(s.start, s.end) for s in doc.sentences]
    from ..nlp.sentences import split_sentences

    return split_sentences(doc.text, doc.language or "en")


def _model_digest() -> str:
    """Short hash of the shipped weights, recorded with every stored row as the stage version."""
    files = resources.files(MODEL_PACKAGE)
    digest = hashlib.sha256()
    for name in sorted(n.name for n in files.iterdir() if n.name.endswith((".npz", ".json"))):
        digest.update(files.joinpath(name).read_bytes())
    return digest.hexdigest()[:10]


@register_stage
class TechniquesStage(Stage):
    """Adds ``technique`` spans: label = 2023 technique, score = head probability, ``ptc_label`` = 2020 name."""

    name = "techniques"
    version = "3+" + _model_digest()  # 2: span edges tidied (2026-12-07); 3: a name alone is no passage (2026-12-08)

    def process(self, batch: list[Document]) -> list[Document]:
        # The model is English-only: other languages get no spans rather than noise.
        docs = [d for d in batch if d.text.strip() and d.language in (None, "en", "und")]
        analysed = {id(d) for d in docs}
        for d in batch:
            if not d.text.strip():
                d.meta.setdefault("warnings", []).append("techniques: empty text, nothing to analyse")
            elif id(d) not in analysed:
                d.meta.setdefault("warnings", []).append(
                    f"techniques: not analysed, the model is English-only (text is {d.language!r})")
        if not docs:
            return batch
        model = get_model()
        for doc, encoded in zip(docs, model.encode(docs)):
            pred = model.predict(encoded, document_sentences(doc), doc.text)
            doc.cache["techniques"] = pred
            doc.cache["techniques_encoded"] = encoded
            table = technique_table()
            # A span that is exactly one name ("Belarus", "TASS", "America") is not a passage of its own: of the 11
            # such spans on the 55 validation articles, none overlapped a gold span of its technique.
            names = {(span.start, span.end) for span in doc.spans_of("entity")}
            for start, end, label, score in model.technique_spans(encoded, pred, doc.text):
                if (start, end) in names:
                    continue
                info = table.get(label)
                doc.add_span(start, end, "technique", label=label, score=round(score, 4), ptc_label=info.ptc if info else None)
        return batch
