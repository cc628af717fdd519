"""Entity roles (stage "roles"): is a named actor framed as Protagonist, Antagonist or Innocent, and how.

The taxonomy is SemEval-2025 Task 10 subtask 1: three main roles, 22 fine roles, each
fine role under exactly one main role (``models/roles/model.json``). Two
multinomial logistic regressions read the shared encoder pass (frozen
all-MiniLM-L6-v2, ``nlp/encoder.py``): features of a mention are the mean of its
token embeddings, its sentence, a character window around it and the whole
document, plus its syntax: whether it acts or is acted upon in its sentence, as a
probe on the same pass reads it (trained to predict spaCy's parse), and the valence
of the words around it. The fine roles offered are always those of the predicted main role: the
most likely one, plus others close to it in probability. The files are rebuilt by
``training/roles.py``; inference is numpy.

MiniLM's vocabulary cuts Cyrillic and Devanagari into characters, so Bulgarian,
Portuguese, Russian and Hindi documents (``doc.language``) use a per-language
TF-IDF head instead (``tfidf_<lang>.json`` + ``.npz``): word and character
n-grams of a window of words around the mention, the same two regressions, the
same fine-role rule. It needs no encoder pass.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..document import Document
from ..errors import ModelError
from ..nlp.encoder import DIM, EncodedText, encode_documents
from ..pipeline import Stage, register_stage

MODEL_PACKAGE = "narrascope.models.roles"
CONTEXT_CHARS = 200  # each side of a mention, inside its line
DEFAULT_TYPES = ("PERSON", "ORG", "GPE", "NORP")
TFIDF_LANGUAGES = ("bg", "pt", "ru", "hi")  # languages that may have a tfidf_<lang> head
# words: letters, digits and the combining marks of Latin/Cyrillic and Devanagari (\w alone splits Hindi words at vowel signs)
_TOKEN = re.compile(r"[\w\u0300-\u036f\u0900-\u0963\u0966-\u097f]+")


@dataclass
class RolePrediction:
    """The roles of one mention ``text[start:end]``."""

    start: int
    end: int
    main_role: str
    main_scores: dict[str, float]  # all three main roles, summing to 1
    fine_roles: list[str]  # at least one, all under ``main_role``, most likely first
    fine_scores: dict[str, float] = field(default_factory=dict)  # the fine roles of ``main_role``, P(fine | main)

    @property
    def score(self) -> float:
        return self.main_scores[self.main_role]


# -- features ------------------------------------------------------------------------
def mention_features(encoded: EncodedText, text: str, mentions: list[tuple[int, int]],
                     sentences: list[tuple[int, int]]) -> np.ndarray:
    """``[n_mentions, 4 * 384]``: mention, sentence, context window and document embeddings.

    The mention vector says who (the encoder knows "NATO" from "Zelensky"); sentence,
    window and document say how the text speaks of them and what the article argues.
    """
    doc_vec = encoded.pooled()
    starts = np.array([s for s, _ in sentences], dtype=np.int64)
    rows = []
    for s, e in mentions:
        mention = encoded.pooled(s, e)
        k = int(np.searchsorted(starts, s, side="right")) - 1 if len(starts) else -1
        ss, se = sentences[k] if k >= 0 and sentences[k][1] >= e else _line_around(text, s, e)
        ls, le = _line_around(text, s, e)
        ws, we = max(ls, s - CONTEXT_CHARS), min(le, e + CONTEXT_CHARS)
        window = _pooled_without(encoded, ws, we, s, e)
        rows.append(np.concatenate([mention, encoded.pooled(ss, se), window, doc_vec]))
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 4 * DIM), dtype=np.float32)


# What the mention does in its sentence: who acts is more often a Protagonist, who is acted
# upon an Innocent. A linear probe on the shared pass (``syntax_probe.npz``, trained by
# ``training/roles_probe.py`` to predict spaCy's parse) gives the grammatical role of the
# mention; the valence of the words next to it stands in for the word that governs it.
SYNTAX_CLASSES = ("agent", "patient", "prep_object", "possessor", "modifier", "conjunct", "apposition", "other")
SYNTAX_FEATURES = SYNTAX_CLASSES + (
    "agent*valence_after", "patient*valence_before", "prep_object*valence_before",
    "agent*valence_before", "patient*valence_after",
)
VALENCE_WORDS = 4  # words each side of the mention, inside its line
_WORD = re.compile(r"[A-Za-z']+")


class SyntaxProbe:
    """Multinomial logistic regression from :func:`probe_input` to P(SYNTAX_CLASSES)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        a = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
        self.mean, self.scale, self.coef, self.intercept = a["mean"], a["scale"], a["coef"], a["intercept"]
        if self.coef.shape != (len(SYNTAX_CLASSES), 4 * DIM) or self.mean.shape != (4 * DIM,):
            raise ModelError(f"roles syntax probe: coefficients {self.coef.shape}, the code expects {(len(SYNTAX_CLASSES), 4 * DIM)}")

    @classmethod
    def load(cls) -> "SyntaxProbe":
        try:
            with resources.files(MODEL_PACKAGE).joinpath("syntax_probe.npz").open("rb") as fh:
                return cls(dict(np.load(fh)))
        except (FileNotFoundError, OSError, ValueError, KeyError) as e:
            raise ModelError(f"roles syntax probe missing or corrupt in {MODEL_PACKAGE}: {e}") from e

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        return _softmax(((inputs - self.mean) / self.scale) @ self.coef.T + self.intercept)


def parse_class(tokens: list[Any]) -> int:
    """The probe's teacher: the index in SYNTAX_CLASSES of a mention's role in spaCy's dependency
    parse, given the mention's spaCy tokens (from its highest token: "shelled by Russia" makes
    Russia the agent; "against NATO", "for Kyiv" a prepositional object)."""
    root = min(tokens, key=lambda t: sum(1 for _ in t.ancestors))
    dep, head = root.dep_, root.head
    if dep == "pobj" and head.dep_ == "agent":
        dep = "nsubj"
    if dep == "nsubj":
        return 0
    if dep in ("dobj", "nsubjpass"):
        return 1
    found = {"pobj": 2, "poss": 3, "compound": 4, "amod": 4, "nmod": 4, "conj": 5, "appos": 6}
    return found.get(dep, 7)


def probe_input(encoded: EncodedText, mentions: list[tuple[int, int]]) -> np.ndarray:
    """``[n_mentions, 4 * 384]``: the embeddings of the mention's last token (the head of an English
    noun phrase), of the token after it and the one before it, and the mean of its tokens."""
    emb = encoded.token_embeddings
    zero = np.zeros(DIM, dtype=np.float32)
    rows = []
    for s, e in mentions:
        idx = encoded.tokens_in(s, e)
        if len(idx) == 0:
            rows.append(np.zeros(4 * DIM, dtype=np.float32))
            continue
        first, last = int(idx[0]), int(idx[-1])
        rows.append(np.concatenate([emb[last], emb[last + 1] if last + 1 < len(emb) else zero,
                                    emb[first - 1] if first > 0 else zero, emb[idx].mean(axis=0)]))
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 4 * DIM), dtype=np.float32)


def syntax_features(encoded: EncodedText, text: str, mentions: list[tuple[int, int]]) -> np.ndarray:
    """``[n_mentions, len(SYNTAX_FEATURES)]``: P(grammatical role) from the probe, and those of acting
    and being acted upon times the strongest VADER valence among the words after / before the mention."""
    from ..nlp.tone import vader

    p = get_syntax_probe().probabilities(probe_input(encoded, mentions))
    lexicon = vader().lexicon
    valence = np.array([_valence_around(text, s, e, lexicon) for s, e in mentions], dtype=np.float32).reshape(-1, 2)
    after, before = valence[:, 0], valence[:, 1]
    agent, patient, prep = p[:, 0], p[:, 1], p[:, 2]
    return np.column_stack([p, agent * after, patient * before, prep * before, agent * before, patient * after]).astype(np.float32)


def _valence_around(text: str, start: int, end: int, lexicon: dict[str, float]) -> tuple[float, float]:
    ls, le = _line_around(text, start, end)
    after = _WORD.findall(text[end:le])[:VALENCE_WORDS]
    before = _WORD.findall(text[ls:start])[-VALENCE_WORDS:]
    return _strongest([_valence(w, lexicon) for w in after]), _strongest([_valence(w, lexicon) for w in before])


def _strongest(values: list[float]) -> float:
    return max(values, key=abs) if values else 0.0


def _valence(word: str, lexicon: dict[str, float]) -> float:
    """VADER's valence (``lexicon``) of a word or of its stem (-s, -ed, -d, -ing), scaled to [-1, 1]; 0 if unknown."""
    w = word.lower()
    for cand in (w, w[:-1] if w.endswith("s") else "", w[:-2] if w.endswith("ed") else "",
                 w[:-1] if w.endswith("ed") else "", w[:-3] if w.endswith("ing") else ""):
        if cand and cand in lexicon:
            return lexicon[cand] / 4.0
    return 0.0


def role_features(encoded: EncodedText, text: str, mentions: list[tuple[int, int]], sentences: list[tuple[int, int]],
                  syntax: bool) -> np.ndarray:
    """What the English head reads: :func:`mention_features`, then (``syntax``) :func:`syntax_features`."""
    x = mention_features(encoded, text, mentions, sentences)
    return np.hstack([x, syntax_features(encoded, text, mentions)]) if syntax else x


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    return ls, len(text) if le < 0 else le


def _pooled_without(encoded: EncodedText, start: int, end: int, hole_start: int, hole_end: int) -> np.ndarray:
    """Mean of the tokens in ``[start, end)`` outside the mention, L2-normalised."""
    idx = encoded.tokens_in(start, end)
    off = encoded.offsets[idx] if len(idx) else np.zeros((0, 2))
    keep = idx[(off[:, 1] <= hole_start) | (off[:, 0] >= hole_end)] if len(idx) else idx
    if len(keep) == 0:
        return encoded.pooled(start, end)
    v = encoded.token_embeddings[keep].mean(axis=0)
    return (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)


# -- the model ------------------------------------------------------------------------
class RoleModel:
    """Standardisation, the main-role and fine-role regressions, and the taxonomy."""

    def __init__(self, arrays: dict[str, np.ndarray], config: dict[str, Any]):
        self.config = config
        self.main_roles: list[str] = list(config["main_roles"])
        self.fine_roles: list[str] = list(config["fine_roles"])
        self.parent: dict[str, str] = dict(config["taxonomy"])  # fine role -> main role
        if set(self.parent) != set(self.fine_roles) or not set(self.parent.values()) <= set(self.main_roles):
            raise ModelError("roles model: taxonomy does not match the role lists")
        a = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
        self.mean, self.scale = a["mean"], a["scale"]
        self.main_coef, self.main_intercept = a["main_coef"], a["main_intercept"]
        self.fine_coef, self.fine_intercept = a["fine_coef"], a["fine_intercept"]
        self.main_mix = float(config.get("main_mix", 0.0))  # weight of the fine model's view of the main role
        self.second_ratio = float(config.get("second_ratio", 1.01))  # > 1: one fine role only
        # the features end with SYNTAX_FEATURES (their weight is folded into ``scale``)
        self.syntax = bool(config.get("syntax", False))
        expected = 4 * DIM + (len(SYNTAX_FEATURES) if self.syntax else 0)
        if self.mean.shape != (expected,) or self.main_coef.shape[1] != expected:
            raise ModelError(f"roles model: {self.mean.shape[0]} features, the code computes {expected}")
        self.group = np.array([[self.parent[f] == m for f in self.fine_roles] for m in self.main_roles], dtype=np.float32)

    @classmethod
    def load(cls) -> "RoleModel":
        files = resources.files(MODEL_PACKAGE)
        try:
            config = json.loads(files.joinpath("model.json").read_text(encoding="utf-8"))
            with files.joinpath("head.npz").open("rb") as fh:
                arrays = dict(np.load(fh))
            return cls(arrays, config)
        except (FileNotFoundError, OSError, ValueError, KeyError) as e:
            raise ModelError(f"roles model files missing or corrupt in {MODEL_PACKAGE}: {e}") from e

    def probabilities(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(P(main) [n,3], P(fine) [n,22])`` for feature rows."""
        x = (features - self.mean) / self.scale
        fine = _softmax(x @ self.fine_coef.T + self.fine_intercept)
        main = _softmax(x @ self.main_coef.T + self.main_intercept)
        main = (1 - self.main_mix) * main + self.main_mix * (fine @ self.group.T)
        return main, fine

    def decide(self, start: int, end: int, main_p: np.ndarray, fine_p: np.ndarray) -> RolePrediction:
        m = int(np.argmax(main_p))
        main = self.main_roles[m]
        cols = np.nonzero(self.group[m])[0]
        within = fine_p[cols] / max(float(fine_p[cols].sum()), 1e-12)
        ranked = sorted(zip(cols.tolist(), within.tolist()), key=lambda jp: -jp[1])
        top = ranked[0][1]
        # the best fine role always; another only when nearly as likely (ratio tuned on validation)
        chosen = [self.fine_roles[j] for k, (j, p) in enumerate(ranked) if k == 0 or p * self.second_ratio >= top]
        return RolePrediction(
            start, end, main,
            {r: round(float(p), 4) for r, p in zip(self.main_roles, main_p)},
            chosen,
            {self.fine_roles[j]: round(float(p), 4) for j, p in zip(cols, within)},
        )


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


@lru_cache(maxsize=1)
def get_syntax_probe() -> SyntaxProbe:
    return SyntaxProbe.load()


@lru_cache(maxsize=1)
def get_model() -> RoleModel:
    return RoleModel.load()


# -- the TF-IDF heads (bg, pt, ru, hi) ----------------------------------------------
def context_window(text: str, start: int, end: int, n_words: int) -> str:
    """Lower-cased words around a mention inside its line: ``n_words`` each side, the mention's own marked ``m_``."""
    ls, le = _line_around(text, start, end)
    left = _TOKEN.findall(text[max(ls, start - 30 * n_words) : start])[-n_words:] if n_words else []
    right = _TOKEN.findall(text[end : min(le, end + 30 * n_words)])[:n_words] if n_words else []
    mention = ["m_" + w for w in _TOKEN.findall(text[start:end])]
    return " ".join([*left, *mention, *right]).lower()


def window_terms(window: str, char_min: int = 0, char_max: int = 0) -> list[str]:
    """Terms of a window: each word (``"w word"``) and, if ``char_max``, the character n-grams of ``<word>``.

    Training hands this very function to sklearn's TfidfVectorizer as its analyzer,
    so numpy inference sees the same terms.
    """
    words = window.split()
    terms = ["w " + w for w in words]
    if char_max:
        for w in words:
            padded = f"<{w}>"
            for n in range(char_min, char_max + 1):
                terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return terms


class TfidfRoleHead:
    """TF-IDF (sublinear tf, smooth idf, l2) over :func:`window_terms`, then the two regressions."""

    decide = RoleModel.decide

    def __init__(self, arrays: dict[str, np.ndarray], config: dict[str, Any]):
        self.config = config
        self.main_roles: list[str] = list(config["main_roles"])
        self.fine_roles: list[str] = list(config["fine_roles"])
        self.parent: dict[str, str] = dict(config["taxonomy"])
        if set(self.parent) != set(self.fine_roles) or not set(self.parent.values()) <= set(self.main_roles):
            raise ModelError("roles TF-IDF head: taxonomy does not match the role lists")
        self.terms: list[str] = list(config["terms"])
        self.index = {t: j for j, t in enumerate(self.terms)}
        self.n_words, self.char_min, self.char_max = int(config["n_words"]), int(config["char_min"]), int(config["char_max"])
        a = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
        self.idf = a["idf"]
        self.main_coef, self.main_intercept = a["main_coef"], a["main_intercept"]
        self.fine_coef, self.fine_intercept = a["fine_coef"], a["fine_intercept"]
        if not (len(self.idf) == len(self.terms) == self.main_coef.shape[1] == self.fine_coef.shape[1]):
            raise ModelError("roles TF-IDF head: vocabulary and arrays differ in size")
        self.main_mix = float(config.get("main_mix", 0.0))
        self.second_ratio = float(config.get("second_ratio", 1.01))
        self.group = np.array([[self.parent[f] == m for f in self.fine_roles] for m in self.main_roles], dtype=np.float64)

    @classmethod
    def load(cls, language: str) -> "TfidfRoleHead":
        files = resources.files(MODEL_PACKAGE)
        try:
            config = json.loads(files.joinpath(f"tfidf_{language}.json").read_text(encoding="utf-8"))
            with files.joinpath(f"tfidf_{language}.npz").open("rb") as fh:
                arrays = dict(np.load(fh))
            return cls(arrays, config)
        except (FileNotFoundError, OSError, ValueError, KeyError) as e:
            raise ModelError(f"roles model for {language!r} missing or corrupt in {MODEL_PACKAGE}: {e}") from e

    def windows(self, text: str, mentions: list[tuple[int, int]]) -> list[str]:
        return [context_window(text, s, e, self.n_words) for s, e in mentions]

    def features(self, windows: list[str]) -> np.ndarray:
        """``[n, vocabulary]`` TF-IDF rows, as sklearn's ``TfidfVectorizer.transform`` computes them."""
        x = np.zeros((len(windows), len(self.terms)), dtype=np.float64)
        for r, w in enumerate(windows):
            counts = Counter(j for j in (self.index.get(t) for t in window_terms(w, self.char_min, self.char_max)) if j is not None)
            for j, c in counts.items():
                x[r, j] = (1.0 + math.log(c)) * self.idf[j]
            norm = float(np.linalg.norm(x[r]))
            if norm > 0:
                x[r] /= norm
        return x

    def probabilities(self, windows: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(P(main) [n,3], P(fine) [n,22])`` for context windows."""
        x = self.features(windows)
        fine = _softmax(x @ self.fine_coef.T + self.fine_intercept)
        main = _softmax(x @ self.main_coef.T + self.main_intercept)
        main = (1 - self.main_mix) * main + self.main_mix * (fine @ self.group.T)
        return main, fine


@lru_cache(maxsize=None)
def get_tfidf_head(language: str) -> TfidfRoleHead:
    return TfidfRoleHead.load(language)


@lru_cache(maxsize=1)
def tfidf_languages() -> tuple[str, ...]:
    """The languages whose TF-IDF head is shipped."""
    files = resources.files(MODEL_PACKAGE)
    return tuple(l for l in TFIDF_LANGUAGES if files.joinpath(f"tfidf_{l}.npz").is_file())


def supported_languages() -> set[str]:
    return set(get_model().config.get("languages", ["en"])) | set(tfidf_languages())


def _sentences(doc: Document) -> list[tuple[int, int]]:
    if doc.sentences:
        return sorted((s.start, s.end) for s in doc.sentences)
    from ..nlp.sentences import split_sentences

    return split_sentences(doc.text, doc.language or "en")


def predict_roles(doc: Document, mentions: list[tuple[int, int]]) -> list[RolePrediction]:
    """Main role (with all three probabilities) and fine roles of each ``(start, end)`` mention in ``doc.text``.

    ``doc.language`` in bg/pt/ru/hi picks that language's TF-IDF head; anything else the
    English head, which uses ``doc.cache["encoder"]`` when an earlier stage filled it,
    else encodes the document.
    """
    for s, e in mentions:
        if not (0 <= s < e <= len(doc.text)):
            raise ValueError(f"mention {s}:{e} outside text of length {len(doc.text)}")
    if not mentions:
        return []
    if doc.language in tfidf_languages():
        head = get_tfidf_head(doc.language)
        main_p, fine_p = head.probabilities(head.windows(doc.text, mentions))
        return [head.decide(s, e, mp, fp) for (s, e), mp, fp in zip(mentions, main_p, fine_p)]
    model = get_model()
    encoded = encode_documents([doc])[0]
    main_p, fine_p = model.probabilities(role_features(encoded, doc.text, mentions, _sentences(doc), model.syntax))
    return [model.decide(s, e, mp, fp) for (s, e), mp, fp in zip(mentions, main_p, fine_p)]


def _model_digest() -> str:
    files = resources.files(MODEL_PACKAGE)
    digest = hashlib.sha256()
    try:
        for name in sorted(n.name for n in files.iterdir() if n.name.endswith((".npz", ".json"))):
            digest.update(files.joinpath(name).read_bytes())
    except (FileNotFoundError, OSError):  # model not built yet
        return "none"
    return digest.hexdigest()[:10]


@register_stage
class RolesStage(Stage):
    """Writes ``role``, ``role_score`` and ``fine_roles`` into the attrs of every ``entity`` span of the chosen types.

    English documents use the MiniLM head, bg/pt/ru/hi their TF-IDF head; other
    languages get a warning. Config: ``types`` (entity labels to classify; default
    PERSON, ORG, GPE, NORP).
    """

    name = "roles"
    version = "1+" + _model_digest()

    def process(self, batch: list[Document]) -> list[Document]:
        types = set(self.config.get("types", DEFAULT_TYPES))
        supported = supported_languages()
        todo: list[tuple[Document, list]] = []
        for doc in batch:
            spans = [s for s in doc.spans_of("entity") if s.label in types and s.end > s.start]
            if not spans:
                continue
            if doc.language not in supported and doc.language not in (None, "und"):
                doc.meta.setdefault("warnings", []).append(
                    (f"roles: not analysed, the model is English-only (text is {doc.language!r})" if supported == {"en"} else
                     f"roles: not analysed, the model is measured for {', '.join(sorted(supported))} only (text is {doc.language!r})"))
                continue
            todo.append((doc, spans))
        if not todo:
            return batch
        encode_documents([d for d, _ in todo if d.language not in tfidf_languages()])
        for doc, spans in todo:
            for span, pred in zip(spans, predict_roles(doc, [(s.start, s.end) for s in spans])):
                span.attrs["role"] = pred.main_role
                span.attrs["role_score"] = round(pred.score, 4)
                span.attrs["fine_roles"] = list(pred.fine_roles)
        return batch
