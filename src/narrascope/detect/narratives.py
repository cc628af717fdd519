"""Narratives (stage "narratives"): which SemEval-2025 narratives and subnarratives a document pushes.

The taxonomy is SemEval-2025 Task 10 subtask 2 (Ukraine–Russia war ``URW:`` and
climate change ``CC:``). A one-vs-rest logistic regression per label reads the
shared encoder pass: the document's mean token embedding, the max over its
sentence embeddings, and how close its sentences come to the label's own name
(the taxonomy names are descriptive, which helps the rare labels). Decisions are
hierarchical: a subnarrative is only given under a predicted narrative, and
``Other`` only when no narrative is. Evidence = the sentences that push the
label's score up most. The files live in ``models/narratives/`` and are rebuilt
by ``training/narratives.py``.

This module also holds the official file format (``doc<TAB>narr;narr<TAB>sub;sub``)
and metrics (F1-samples coarse and fine, macro-F1 coarse).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from ..document import Document, Label
from ..errors import InputError, ModelError
from ..nlp.encoder import DIM, EncodedText, encode_documents
from ..pipeline import Stage, register_stage

MODEL_PACKAGE = "narrascope.models.narratives"
OTHER = "Other"
N_LABEL_SIMILARITIES = 2  # per label: best sentence, mean of the best three
EVIDENCE_SENTENCES = 2


# -- features (shared by training and inference) --------------------------------
def sentence_embeddings(encoded: EncodedText, sentences: list[tuple[int, int]]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """L2-normalised mean token embedding of each sentence that has tokens, and those sentences."""
    kept, rows = [], []
    for s, e in sentences:
        v = encoded.pooled(s, e)
        if np.any(v):
            kept.append((s, e))
            rows.append(v)
    return (np.stack(rows) if rows else np.zeros((0, DIM), dtype=np.float32)), kept


def document_vector(encoded: EncodedText, sentence_vectors: np.ndarray) -> np.ndarray:
    """[mean token embedding, max over sentence embeddings] (768 floats)."""
    mean = encoded.pooled()
    high = sentence_vectors.max(axis=0) if len(sentence_vectors) else np.zeros(DIM, dtype=np.float32)
    return np.concatenate([mean, high]).astype(np.float32)


def label_similarities(sentence_vectors: np.ndarray, label_vectors: np.ndarray) -> np.ndarray:
    """[n_labels, 2]: each label name's best cosine with a sentence, and its mean over the best three."""
    if len(sentence_vectors) == 0:
        return np.zeros((len(label_vectors), N_LABEL_SIMILARITIES), dtype=np.float32)
    sims = label_vectors @ sentence_vectors.T  # [L, S]
    top = -np.sort(-sims, axis=1)[:, :3]
    return np.stack([top[:, 0], top.mean(axis=1)], axis=1).astype(np.float32)


def label_text(label: str) -> str:
    """What a label's name says, without the domain prefix ("URW: a: b" -> "a: b"; "a: Other" -> "a")."""
    parts = [p.strip() for p in label.split(":")]
    if parts and parts[0] in ("URW", "CC"):
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] == OTHER:
        parts = parts[:-1]
    return ": ".join(parts)


def parent_of(subnarrative: str) -> str:
    """``"URW: Narrative: Sub"`` -> ``"URW: Narrative"``."""
    return subnarrative.rsplit(":", 1)[0].strip()


# -- the model ------------------------------------------------------------------
@dataclass
class NarrativeScore:
    label: str
    score: float
    evidence: list[tuple[int, int]] = field(default_factory=list)
    parent: str | None = None


@dataclass
class NarrativePrediction:
    """A document's narratives and subnarratives (both empty = ``Other``) and every label's probability."""

    narratives: list[NarrativeScore]
    subnarratives: list[NarrativeScore]
    other_score: float
    probabilities: dict[str, float]

    def narrative_labels(self) -> list[str]:
        return [n.label for n in self.narratives] or [OTHER]

    def subnarrative_labels(self) -> list[str]:
        return [s.label for s in self.subnarratives] or [OTHER]


class NarrativeModel:
    """Per-label logistic regressions over document features, hierarchical decision rule."""

    def __init__(self, arrays: Mapping[str, np.ndarray], config: dict[str, Any]):
        self.config = config
        self.labels: list[str] = list(config["labels"])  # Other, narratives, subnarratives
        self.index = {l: i for i, l in enumerate(self.labels)}
        self.label_vectors = np.asarray(arrays["label_vectors"], dtype=np.float32)
        self.coef = np.asarray(arrays["coef"], dtype=np.float32)  # [L, doc dims + 2]
        self.intercept = np.asarray(arrays["intercept"], dtype=np.float32)
        self.narrative_names = [l for l in self.labels if l != OTHER and l.count(":") == 1]
        self.children: dict[str, list[str]] = {n: [] for n in self.narrative_names}
        for l in self.labels:
            if l.count(":") == 2:
                self.children.setdefault(parent_of(l), []).append(l)
        self.rule = dict(config["decision"])

    @classmethod
    def load(cls) -> "NarrativeModel":
        try:
            files = resources.files(MODEL_PACKAGE)
            config = json.loads(files.joinpath("model.json").read_text(encoding="utf-8"))
            with files.joinpath("weights.npz").open("rb") as fh:
                arrays = dict(np.load(fh))
        except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError, KeyError) as e:
            raise ModelError(f"narrative model files missing or corrupt in {MODEL_PACKAGE}: {e}") from e
        return cls(arrays, config)

    def probabilities(self, doc_vector: np.ndarray, similarities: np.ndarray) -> np.ndarray:
        """P(label) for every label, given the document vector and [L, 2] label similarities."""
        d = len(doc_vector)
        z = self.coef[:, :d] @ doc_vector + np.einsum("lk,lk->l", self.coef[:, d:], similarities) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def decide(self, p: np.ndarray) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Narratives and subnarratives from the label probabilities (see the model card for the rule)."""
        return decide_labels(p, self.labels, self.children, self.rule)

    def predict(self, encoded: EncodedText, sentences: list[tuple[int, int]], text: str) -> NarrativePrediction:
        vectors, kept = sentence_embeddings(encoded, sentences)
        p = self.probabilities(document_vector(encoded, vectors), label_similarities(vectors, self.label_vectors))
        narr, sub = self.decide(p)
        out_n = [NarrativeScore(l, s, self.evidence(l, vectors, kept)) for l, s in narr]
        out_s = [NarrativeScore(l, s, self.evidence(l, vectors, kept), parent=parent_of(l)) for l, s in sub]
        return NarrativePrediction(out_n, out_s, float(p[self.index[OTHER]]), {l: float(x) for l, x in zip(self.labels, p)})

    def evidence(self, label: str, vectors: np.ndarray, sentences: list[tuple[int, int]], k: int = EVIDENCE_SENTENCES) -> list[tuple[int, int]]:
        """The ``k`` sentences that support ``label`` most, in text order.

        A sentence's support = how much the label's classifier likes it on its own
        (its weights on the mean embedding, applied to the sentence) plus its
        cosine with the label's name.
        """
        if not sentences:
            return []
        i = self.index[label]
        w = self.coef[i, :DIM]
        support = vectors @ (w / max(float(np.linalg.norm(w)), 1e-9)) + vectors @ self.label_vectors[i]
        best = np.argsort(-support, kind="stable")[:k]
        return sorted(sentences[j] for j in best)


def decide_labels(p: np.ndarray, labels: list[str], children: Mapping[str, list[str]], rule: Mapping[str, Any]) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The hierarchical decision: narratives above ``narrative_threshold`` (at most ``max_narratives``),
    within each the children above ``sub_threshold`` (at most ``max_subs``, else ``"<narrative>: Other"``).

    A child far above its threshold lifts its parent (a subnarrative implies its
    narrative); no narrative means ``Other``.
    """
    index = {l: i for i, l in enumerate(labels)}
    t_n, t_s = float(rule["narrative_threshold"]), float(rule["sub_threshold"])
    lift = float(rule.get("child_lifts_parent", 1.1))
    scores = {}
    for n, kids in children.items():
        s = float(p[index[n]])
        kid_best = max((float(p[index[c]]) for c in kids if not c.endswith(f": {OTHER}")), default=0.0)
        scores[n] = max(s, kid_best) if kid_best >= lift else s
    ranked = sorted((n for n in scores if scores[n] >= t_n), key=lambda n: -scores[n])[: int(rule["max_narratives"])]
    narratives = [(n, round(scores[n], 4)) for n in ranked]
    subs: list[tuple[str, float]] = []
    for n in ranked:
        kids = [c for c in children.get(n, []) if not c.endswith(f": {OTHER}")]
        good = sorted((c for c in kids if p[index[c]] >= t_s), key=lambda c: -p[index[c]])[: int(rule["max_subs"])]
        if good:
            subs.extend((c, round(float(p[index[c]]), 4)) for c in good)
        else:
            other = f"{n}: {OTHER}"
            subs.append((other, round(float(p[index[other]]) if other in index else scores[n], 4)))
    return narratives, subs


@lru_cache(maxsize=1)
def get_model() -> NarrativeModel:
    return NarrativeModel.load()


def document_sentences(doc: Document) -> list[tuple[int, int]]:
    if doc.sentences:
        return [(s.start, s.end) for s in doc.sentences]
    from ..nlp.sentences import split_sentences

    return split_sentences(doc.text, doc.language or "en")


def explanation(text: str, evidence: list[tuple[int, int]], limit: int = 160) -> str:
    """'Supported by: “…”; “…”' from the evidence sentences (each cut to ``limit`` characters)."""
    quoted = []
    for s, e in evidence:
        sentence = " ".join(text[s:e].split())
        if len(sentence) > limit:
            sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
        quoted.append(f"“{sentence}”")
    return "Supported by: " + "; ".join(quoted) if quoted else ""


def predict_narratives(doc: Document) -> NarrativePrediction:
    """Narratives and subnarratives of one document (encodes it if no stage did)."""
    encoded = encode_documents([doc])[0]
    return get_model().predict(encoded, document_sentences(doc), doc.text)


def add_narrative_labels(doc: Document, pred: NarrativePrediction) -> None:
    """Append the prediction to ``doc.labels`` (``narrative`` and ``subnarrative`` layers)."""
    if not pred.narratives:
        doc.labels.append(Label("narrative", OTHER, round(pred.other_score, 4)))
        return
    for n in pred.narratives:
        doc.labels.append(Label("narrative", n.label, n.score, evidence=list(n.evidence),
                                attrs={"explanation": explanation(doc.text, n.evidence)}))
    for s in pred.subnarratives:
        doc.labels.append(Label("subnarrative", s.label, s.score, evidence=list(s.evidence),
                                attrs={"parent": s.parent, "explanation": explanation(doc.text, s.evidence)}))


def _model_digest() -> str:
    digest = hashlib.sha256()
    try:
        files = resources.files(MODEL_PACKAGE)
        for name in sorted(n.name for n in files.iterdir() if n.name.endswith((".npz", ".json"))):
            digest.update(files.joinpath(name).read_bytes())
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return "missing"
    return digest.hexdigest()[:10]


@register_stage
class NarrativesStage(Stage):
    """Adds document-level ``narrative`` and ``subnarrative`` labels (SemEval-2025 taxonomy)."""

    name = "narratives"
    version = "1+" + _model_digest()

    def process(self, batch: list[Document]) -> list[Document]:
        # Trained on English news: other languages get a warning, not noise.
        docs = [d for d in batch if d.text.strip() and d.language in (None, "en", "und")]
        analysed = {id(d) for d in docs}
        for d in batch:
            if not d.text.strip():
                d.meta.setdefault("warnings", []).append("narratives: empty text, nothing to analyse")
            elif id(d) not in analysed:
                d.meta.setdefault("warnings", []).append(
                    f"narratives: not analysed, the model is English-only (text is {d.language!r})")
        if not docs:
            return batch
        model = get_model()
        for doc, encoded in zip(docs, encode_documents(docs)):
            doc.labels = [l for l in doc.labels if l.layer not in ("narrative", "subnarrative")]
            add_narrative_labels(doc, model.predict(encoded, document_sentences(doc), doc.text))
        return batch


# -- official format and metrics (SemEval-2025 Task 10 subtask 2) ----------------
NarrativeRows = dict[str, tuple[list[str], list[str]]]


def read_narrative_labels(path: str | Path) -> NarrativeRows:
    """``{doc: ([narr, ...], [subnarr, ...])}`` from a ``doc<TAB>narr;narr<TAB>sub;sub`` file."""
    out: NarrativeRows = {}
    try:
        rows = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from None
    for n, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        cols = row.rstrip("\r").split("\t")
        if len(cols) < 3:
            raise InputError(str(path), f"line {n}: expected doc<TAB>narratives<TAB>subnarratives")
        split = lambda s: [x.strip() for x in s.split(";") if x.strip()]  # noqa: E731
        out[cols[0]] = (split(cols[1]), split(cols[2]))
    return out


def write_narrative_labels(rows: Iterable[tuple[str, list[str], list[str]]], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for doc_id, narr, sub in rows:
            fh.write(f"{doc_id}\t{';'.join(narr) or OTHER}\t{';'.join(sub) or OTHER}\n")
            n += 1
    return n


def f1_samples(gold: Mapping[str, Iterable[str]], pred: Mapping[str, Iterable[str]], classes: Iterable[str] | None = None) -> tuple[float, float]:
    """Mean and standard deviation over documents of each document's label-set F1 (the official F1-samples).

    As the official scorer: labels outside ``classes`` are ignored, duplicates count
    once, ``Other`` is a class like any other (gold Other + predicted Other = 1.0),
    and a document with nothing on either side scores 0. Documents are matched by id.
    """
    allowed = set(classes) if classes is not None else None
    scores = []
    for doc_id, g in gold.items():
        gs, ps = set(g), set(pred.get(doc_id, ()))
        if allowed is not None:
            gs, ps = gs & allowed, ps & allowed
        tp = len(gs & ps)
        scores.append(2 * tp / (len(gs) + len(ps)) if tp else 0.0)
    a = np.array(scores, dtype=np.float64)
    return (float(a.mean()), float(a.std())) if len(a) else (0.0, 0.0)


def macro_f1(gold: Mapping[str, Iterable[str]], pred: Mapping[str, Iterable[str]], classes: Iterable[str] | None = None) -> float:
    """Per-class F1 over documents, averaged over the classes seen in gold or predictions."""
    gs = {d: set(v) for d, v in gold.items()}
    ps = {d: set(pred.get(d, ())) for d in gold}
    seen = set().union(*gs.values(), *ps.values()) if gs else set()
    names = sorted(seen & set(classes)) if classes is not None else sorted(seen)
    f1s = []
    for c in names:
        tp = sum(1 for d in gs if c in gs[d] and c in ps[d])
        n_g = sum(1 for d in gs if c in gs[d])
        n_p = sum(1 for d in gs if c in ps[d])
        f1s.append(2 * tp / (n_g + n_p) if tp else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def narrative_scores(gold: NarrativeRows, pred: NarrativeRows, coarse_classes: Iterable[str] | None = None, fine_classes: Iterable[str] | None = None) -> dict[str, float]:
    """Official subtask-2 scores: F1-samples coarse and fine (mean and sd) and macro-F1 coarse.

    Every gold document must have a prediction, and no other document (as the official scorer).
    """
    missing, extra = sorted(set(gold) - set(pred)), sorted(set(pred) - set(gold))
    if missing or extra:
        raise InputError("predictions", f"documents differ from gold: missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                                        f"extra {extra[:5]}{'...' if len(extra) > 5 else ''}")
    coarse_classes = list(coarse_classes) if coarse_classes is not None else None
    gc, pc = {d: v[0] for d, v in gold.items()}, {d: v[0] for d, v in pred.items()}
    gf, pf = {d: v[1] for d, v in gold.items()}, {d: v[1] for d, v in pred.items()}
    f1_c, sd_c = f1_samples(gc, pc, coarse_classes)
    f1_f, sd_f = f1_samples(gf, pf, fine_classes)
    return {"f1_samples_coarse": f1_c, "sd_coarse": sd_c, "f1_samples_fine": f1_f, "sd_fine": sd_f,
            "macro_f1_coarse": macro_f1(gc, pc, coarse_classes), "documents": len(gold)}


def read_taxonomy_classes(path: str | Path) -> list[str]:
    """One class per line (``subtask2_narratives.txt`` / ``subtask2_subnarratives.txt``)."""
    return [l.strip() for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]


def shipped_classes() -> tuple[list[str], list[str]]:
    """(narratives incl. Other, subnarratives incl. Other) of the shipped model's taxonomy."""
    labels = get_model().labels
    coarse = [OTHER] + [l for l in labels if l != OTHER and l.count(":") == 1]
    fine = [OTHER] + [l for l in labels if l.count(":") == 2]
    return coarse, fine
