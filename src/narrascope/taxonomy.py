"""User-defined narrative taxonomies (stage "taxonomy"): few-shot matching of an analyst's own narratives.

A taxonomy is a YAML or TOML file: a ``name``, a ``description``, an optional
``version`` and a list of narratives, each with ``id``, ``name``, ``description``,
``examples`` (a few sentences that push the narrative), optional ``keywords``,
``parent`` (another narrative's id) and ``negative_examples``. See
``docs/NARRATIVES.md`` and ``taxonomies/belarus_russia.yaml``.

Matching is fitted at run time, in well under a second and deterministically:
the examples (and description) are encoded once, and every sentence of a
document (from the shared encoder pass) is compared with them. A sentence
supports the narrative whose examples it comes closest to (nearest prototype);
a logistic on its best similarity to that narrative's examples and keyword hits
gives the probability; its constants were fitted offline on SemEval-2025 narratives
(``python training/narratives.py --calibrate-taxonomy``) and ship in ``models/taxonomy/``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .document import Document, Label
from .errors import ConfigError, ModelError
from .pipeline import Stage, register_stage

BUILTIN_PREFIX = "builtin:"
CALIBRATION_PACKAGE = "narrascope.models.taxonomy"
_TOP_FIELDS = {"name", "description", "version", "narratives"}
_NARRATIVE_FIELDS = {"id", "name", "description", "examples", "keywords", "parent", "negative_examples"}
EVIDENCE_SENTENCES = 3


@dataclass(frozen=True)
class UserNarrative:
    id: str
    name: str
    description: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    parent: str | None = None
    negative_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    name: str
    description: str
    narratives: tuple[UserNarrative, ...]
    version: str | None = None
    source: str = ""

    def get(self, narrative_id: str) -> UserNarrative:
        for n in self.narratives:
            if n.id == narrative_id:
                return n
        raise KeyError(narrative_id)

    def ancestors(self, narrative_id: str) -> list[str]:
        out, cur = [], self.get(narrative_id).parent
        while cur is not None:
            out.append(cur)
            cur = self.get(cur).parent
        return out

    def digest(self) -> str:
        payload = json.dumps([self.name, self.version, [n.__dict__ for n in self.narratives]], sort_keys=True, default=list)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


# -- loading and validation ------------------------------------------------------------
def builtin_taxonomies() -> list[str]:
    """Names usable as ``builtin:<name>``."""
    files = resources.files("narrascope.taxonomies")
    return sorted(p.name.rsplit(".", 1)[0] for p in files.iterdir() if p.name.endswith((".yaml", ".yml", ".toml")))


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file (``.yaml``/``.yml``/``.toml``, or ``builtin:<name>``).

    Raises :class:`ConfigError` naming the file, the narrative and the problem.
    """
    where = str(path)
    if where.startswith(BUILTIN_PREFIX):
        name = where[len(BUILTIN_PREFIX):]
        files = resources.files("narrascope.taxonomies")
        for ext in (".yaml", ".yml", ".toml"):
            f = files.joinpath(name + ext)
            if f.is_file():
                return parse_taxonomy(f.read_text(encoding="utf-8"), where, ext)
        raise ConfigError(f"{where}: no built-in taxonomy of that name; built-in: {', '.join(builtin_taxonomies())}")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: taxonomy file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{where}: cannot read taxonomy file: {e}") from None
    return parse_taxonomy(text, where, p.suffix.lower())


def parse_taxonomy(text: str, source: str, suffix: str = ".yaml") -> Taxonomy:
    """Validate a taxonomy given as YAML or TOML text (``source`` names it in errors)."""
    if suffix == ".toml":
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{source}: invalid TOML: {e}") from None
    elif suffix in (".yaml", ".yml", ""):
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"{source}: invalid YAML: {e}") from None
    else:
        raise ConfigError(f"{source}: unknown taxonomy format {suffix!r} (use .yaml, .yml or .toml)")
    return _validate(raw, source)


def _fail(source: str, problem: str, narrative: str | None = None) -> ConfigError:
    where = f"{source}: narrative {narrative!r}" if narrative is not None else source
    return ConfigError(f"{where}: {problem}")


def _text(value: Any, source: str, what: str, narrative: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"{what} must be a non-empty string", narrative)
    return value.strip()


def _texts(value: Any, source: str, what: str, narrative: str, required: bool = False) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(source, f"{what} must be a list of non-empty strings", narrative)
    if required and not value:
        raise _fail(source, f"no {what} (give at least one sentence that pushes this narrative)", narrative)
    return tuple(v.strip() for v in value)


def _validate(raw: Any, source: str) -> Taxonomy:
    if not isinstance(raw, dict):
        raise _fail(source, "a taxonomy must be a mapping with name, description and narratives")
    unknown = sorted(set(raw) - _TOP_FIELDS)
    if unknown:
        raise _fail(source, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_TOP_FIELDS))}")
    for key in ("name", "description", "narratives"):
        if key not in raw:
            raise _fail(source, f"missing field {key!r}")
    name = _text(raw["name"], source, "name")
    description = _text(raw["description"], source, "description")
    version = raw.get("version")
    if version is not None and not isinstance(version, (str, int, float)):
        raise _fail(source, "version must be a string or a number")
    items = raw["narratives"]
    if not isinstance(items, list) or not items:
        raise _fail(source, "narratives must be a non-empty list")
    narratives: list[UserNarrative] = []
    seen: set[str] = set()
    for k, item in enumerate(items, start=1):
        label = f"#{k}"
        if not isinstance(item, dict):
            raise _fail(source, "must be a mapping with id, name, description and examples", label)
        if isinstance(item.get("id"), str) and item["id"].strip():
            label = item["id"].strip()
        unknown = sorted(set(item) - _NARRATIVE_FIELDS)
        if unknown:
            raise _fail(source, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_NARRATIVE_FIELDS))}", label)
        for key in ("id", "name", "description", "examples"):
            if key not in item:
                raise _fail(source, f"missing field {key!r}", label)
        nid = _text(item["id"], source, "id", label)
        if nid in seen:
            raise _fail(source, "duplicate id (each narrative needs its own)", nid)
        seen.add(nid)
        parent = item.get("parent")
        if parent is not None:
            parent = _text(parent, source, "parent", nid)
        narratives.append(UserNarrative(
            id=nid,
            name=_text(item["name"], source, "name", nid),
            description=_text(item["description"], source, "description", nid),
            examples=_texts(item["examples"], source, "examples", nid, required=True),
            keywords=_texts(item.get("keywords"), source, "keywords", nid),
            parent=parent,
            negative_examples=_texts(item.get("negative_examples"), source, "negative_examples", nid),
        ))
    ids = {n.id for n in narratives}
    for n in narratives:
        if n.parent is not None and n.parent not in ids:
            raise _fail(source, f"unknown parent {n.parent!r} (no narrative has that id)", n.id)
        if n.parent == n.id:
            raise _fail(source, "is its own parent", n.id)
    parents = {n.id: n.parent for n in narratives}
    for n in narratives:
        chain, cur = [n.id], n.parent
        while cur is not None:
            if cur in chain:
                raise _fail(source, f"parent cycle: {' -> '.join(chain + [cur])}", n.id)
            chain.append(cur)
            cur = parents[cur]
    return Taxonomy(name, description, tuple(narratives), None if version is None else str(version), source)


# -- the few-shot matcher ---------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """Logistic over per-sentence features, fitted offline on SemEval-2025 (see the docs)."""

    weights: tuple[float, ...]  # one per FEATURES entry
    bias: float
    threshold: float  # document matches when its best sentence reaches this probability
    evidence_threshold: float  # further evidence sentences must reach this

    FEATURES = ("best_example", "centroid", "margin_other", "margin_background", "keyword")


@lru_cache(maxsize=1)
def load_calibration() -> tuple[Calibration, np.ndarray]:
    """The shipped calibration constants and generic news sentence vectors (the background)."""
    try:
        files = resources.files(CALIBRATION_PACKAGE)
        c = json.loads(files.joinpath("calibration.json").read_text(encoding="utf-8"))
        with files.joinpath("background.npz").open("rb") as fh:
            background = np.load(fh)["vectors"].astype(np.float32)
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError, KeyError) as e:
        raise ModelError(f"taxonomy calibration files missing or corrupt in {CALIBRATION_PACKAGE}: {e}") from e
    return Calibration(tuple(c["weights"]), float(c["bias"]), float(c["threshold"]), float(c["evidence_threshold"])), background


def _normalise(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-9)


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k.lower()) for k in sorted(keywords, key=len, reverse=True)) + r")", re.IGNORECASE)


@dataclass
class TaxonomyMatcher:
    """A taxonomy fitted for matching: example vectors per narrative, competitors, keyword patterns."""

    taxonomy: Taxonomy
    examples: list[np.ndarray]  # per narrative: [n_examples (+1 description), 384]
    centroids: np.ndarray  # [N, 384]
    competitors: list[np.ndarray]  # per narrative: other narratives' examples + its own negative examples
    background: np.ndarray
    calibration: Calibration
    keywords: list[re.Pattern[str] | None] = field(default_factory=list)

    def features(self, sentence_vectors: np.ndarray, sentence_texts: list[str]) -> np.ndarray:
        """[S, N, 5] per-sentence, per-narrative features (see :class:`Calibration`)."""
        S, N = len(sentence_vectors), len(self.examples)
        out = np.zeros((S, N, len(Calibration.FEATURES)), dtype=np.float32)
        if S == 0:
            return out
        bg = (sentence_vectors @ self.background.T).max(axis=1) if len(self.background) else np.zeros(S)
        cen = sentence_vectors @ self.centroids.T
        for j in range(N):
            best = (sentence_vectors @ self.examples[j].T).max(axis=1)
            comp = (sentence_vectors @ self.competitors[j].T).max(axis=1) if len(self.competitors[j]) else np.zeros(S)
            kw = self.keywords[j]
            out[:, j, 0] = best
            out[:, j, 1] = cen[:, j]
            out[:, j, 2] = best - comp
            out[:, j, 3] = best - bg
            out[:, j, 4] = [1.0 if kw is not None and kw.search(t) else 0.0 for t in sentence_texts]
        return out

    def sentence_probabilities(self, sentence_vectors: np.ndarray, sentence_texts: list[str]) -> np.ndarray:
        """[S, N] probability that a sentence carries each narrative."""
        z = self.features(sentence_vectors, sentence_texts) @ np.asarray(self.calibration.weights, dtype=np.float32) + self.calibration.bias
        return 1.0 / (1.0 + np.exp(-z))

    def match(self, doc: Document, sentence_vectors: np.ndarray, sentences: list[tuple[int, int]]) -> list[Label]:
        """``user_narrative`` labels for the narratives the document matches (parents inherit children's matches)."""
        texts = [doc.text[s:e] for s, e in sentences]
        F = self.features(sentence_vectors, texts)
        P = 1.0 / (1.0 + np.exp(-(F @ np.asarray(self.calibration.weights, dtype=np.float32) + self.calibration.bias)))
        # Nearest prototype: a sentence supports only the narrative(s) whose examples it is
        # closest to (ancestors and descendants excepted). The calibrated score alone mostly
        # says "on topic", and on a corpus about one subject every narrative would match.
        if len(P):
            P = np.where(F[:, :, 2] >= 0, P, 0.0)
        cal = self.calibration
        found: dict[str, tuple[float, list[int]]] = {}
        for j, n in enumerate(self.taxonomy.narratives):
            if len(P) == 0:
                break
            order = np.argsort(-P[:, j], kind="stable")
            if P[order[0], j] < cal.threshold:
                continue
            evidence = [int(i) for i in order[:EVIDENCE_SENTENCES] if i == order[0] or P[i, j] >= cal.evidence_threshold]
            found[n.id] = (float(P[order[0], j]), evidence)
        # A child's match is also its ancestors' match (evidence included).
        inherited: dict[str, str] = {}
        for nid in list(found):
            for anc in self.taxonomy.ancestors(nid):
                score, ev = found[nid]
                if anc not in found or found[anc][0] < score:
                    merged = sorted(set(ev) | set(found.get(anc, (0.0, []))[1]), key=lambda i: -P[i, self._index(nid)])
                    found[anc] = (score, merged[:EVIDENCE_SENTENCES])
                    inherited[anc] = nid
        labels = []
        for n in self.taxonomy.narratives:
            if n.id not in found:
                continue
            score, ev = found[n.id]
            spans = sorted(sentences[i] for i in ev)
            attrs = {"taxonomy": self.taxonomy.name, "name": n.name, "explanation": _explain(doc.text, spans)}
            if n.id in inherited:
                attrs["via"] = inherited[n.id]
            labels.append(Label("user_narrative", n.id, round(score, 4), evidence=spans, attrs=attrs))
        return labels

    def _index(self, narrative_id: str) -> int:
        return [n.id for n in self.taxonomy.narratives].index(narrative_id)


def _explain(text: str, spans: list[tuple[int, int]], limit: int = 160) -> str:
    from .detect.narratives import explanation

    return explanation(text, spans, limit)


def encode_sentences(texts: list[str]) -> np.ndarray:
    """Sentence vectors of standalone texts through the shared encoder (as the examples are encoded)."""
    from .nlp.encoder import get_encoder

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([e.sentence_embedding for e in get_encoder().encode_texts(texts)]).astype(np.float32)


def fit_taxonomy(taxonomy: Taxonomy, encode=encode_sentences, calibration: tuple[Calibration, np.ndarray] | None = None) -> TaxonomyMatcher:
    """Fit the matcher: encode examples, descriptions and negatives once (deterministic, fast)."""
    cal, background = calibration or load_calibration()
    narratives = taxonomy.narratives
    texts: list[str] = []
    spans = []
    for n in narratives:
        a = len(texts)
        texts.extend([*n.examples, f"{n.name}. {n.description}"])
        b = len(texts)
        texts.extend(n.negative_examples)
        spans.append((a, b, len(texts)))
    vectors = _normalise(encode(texts))
    examples = [vectors[a:b] for a, b, _ in spans]
    negatives = [vectors[b:c] for _, b, c in spans]
    centroids = _normalise(np.stack([e.mean(axis=0) for e in examples]))
    competitors = []
    for j, n in enumerate(narratives):
        # Ancestors and descendants are not competitors: a child sentence also supports its parent.
        related = {n.id, *taxonomy.ancestors(n.id)} | {m.id for m in narratives if n.id in taxonomy.ancestors(m.id)}
        others = [examples[k] for k, m in enumerate(narratives) if m.id not in related]
        competitors.append(np.concatenate([*others, negatives[j]]) if others or len(negatives[j]) else np.zeros((0, vectors.shape[1]), dtype=np.float32))
    return TaxonomyMatcher(taxonomy, examples, centroids, competitors, background, cal, [_keyword_pattern(n.keywords) for n in narratives])


_FITTED: dict[str, TaxonomyMatcher] = {}
_LOCK = threading.Lock()


def matcher_for(taxonomy: Taxonomy) -> TaxonomyMatcher:
    """The fitted matcher of a taxonomy, fitted once per process."""
    key = taxonomy.digest()
    with _LOCK:
        if key not in _FITTED:
            _FITTED[key] = fit_taxonomy(taxonomy)
        return _FITTED[key]


def match_document(doc: Document, taxonomy: Taxonomy) -> list[Label]:
    """``user_narrative`` labels of one document against one taxonomy (encodes the document if needed)."""
    from .detect.narratives import document_sentences, sentence_embeddings
    from .nlp.encoder import encode_documents

    encoded = encode_documents([doc])[0]
    vectors, kept = sentence_embeddings(encoded, document_sentences(doc))
    return matcher_for(taxonomy).match(doc, vectors, kept)


def _calibration_digest() -> str:
    try:
        files = resources.files(CALIBRATION_PACKAGE)
        return hashlib.sha256(b"".join(files.joinpath(n).read_bytes() for n in ("calibration.json", "background.npz"))).hexdigest()[:10]
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return "missing"


def _configured_taxonomies(options: dict[str, Any]) -> list[Taxonomy]:
    """The taxonomies named by a taxonomy stage's ``files`` option (one name or a list)."""
    files = options.get("files", [])
    return [load_taxonomy(f) for f in ([files] if isinstance(files, str) else files)]


def _taxonomies_digest(taxonomies: list[Taxonomy]) -> str:
    """The calibration's digest and each taxonomy's content digest."""
    return "+".join([_calibration_digest(), *(t.digest() for t in taxonomies)])


@register_stage
class TaxonomyStage(Stage):
    """Adds ``user_narrative`` labels for the taxonomies in ``files`` (none configured: does nothing)."""

    name = "taxonomy"
    version = "2"

    @classmethod
    def does_anything(cls, options: dict[str, Any]) -> bool:
        return bool(options.get("files"))

    @classmethod
    def options_digest(cls, options: dict[str, Any]) -> str:
        taxonomies = _configured_taxonomies(options)
        return _taxonomies_digest(taxonomies) if taxonomies else ""

    def __init__(self, config: dict[str, Any] | None = None):
        super().__init__(config)
        self.taxonomies = _configured_taxonomies(self.config)
        # The version records the calibration and every configured taxonomy's content.
        self.version = "2+" + hashlib.sha256(_taxonomies_digest(self.taxonomies).encode()).hexdigest()[:10]

    def process(self, batch: list[Document]) -> list[Document]:
        if not self.taxonomies:
            return batch
        from .detect.narratives import document_sentences, sentence_embeddings
        from .nlp.encoder import encode_documents

        # Sentence vectors come from the English MiniLM pass; other languages would be noise.
        docs = [d for d in batch if d.text.strip() and d.language in (None, "en", "und")]
        analysed = {id(d) for d in docs}
        for d in batch:
            if d.text.strip() and id(d) not in analysed:
                d.meta.setdefault("warnings", []).append(
                    f"taxonomy: not analysed, matching is English-only (text is {d.language!r})")
        if not docs:
            return batch
        matchers = [matcher_for(t) for t in self.taxonomies]
        for doc, encoded in zip(docs, encode_documents(docs)):
            vectors, kept = sentence_embeddings(encoded, document_sentences(doc))
            doc.labels = [l for l in doc.labels if l.layer != "user_narrative"]
            for m in matchers:
                doc.labels.extend(m.match(doc, vectors, kept))
        return batch
