"""The one record every stage reads and extends.

Every span in the system is a pair of character offsets into ``Document.text``
(end exclusive). Paragraphs, sentences and segments are spans too.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Iterator


# Working data in ``Document.cache`` that the store saves (the vectors stage's embeddings, and the
# search terms a worker counts after the stages); engines drop every other cache entry before saving.
STORED_CACHE_KEYS = frozenset({"vectors", "search_terms"})


@dataclass
class Span:
    """A typed annotation over ``Document.text[start:end]``."""

    start: int
    end: int
    layer: str  # paragraph | sentence | technique | entity | quote | evidence | ...
    label: str = ""
    score: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def text_of(self, doc: "Document") -> str:
        return doc.text[self.start : self.end]

    def __reduce__(self):
        # Pickled as its field values (workers send documents back and forth): half the time of the
        # default, which pickles a dict per span. tests/test_document.py checks every field is here.
        return (Span, (self.start, self.end, self.layer, self.label, self.score, self.attrs))


@dataclass
class Segment:
    """One piece of a page: the main article, an appended teaser, an aggregator excerpt."""

    start: int
    end: int
    kind: str = "main"  # main | appended | excerpt | editorial
    title: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None

    def text_of(self, doc: "Document") -> str:
        return doc.text[self.start : self.end]


@dataclass
class Label:
    """A document- or segment-level label (genre, frame, narrative, role, ...)."""

    layer: str
    label: str
    score: float | None = None
    segment: int | None = None  # index into Document.segments; None = whole document
    evidence: list[tuple[int, int]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    def __reduce__(self):  # as Span's: the field values, in order
        return (Label, (self.layer, self.label, self.score, self.segment, self.evidence, self.attrs))


@dataclass
class Document:
    """An article: identity, provenance, clean text and everything found in it."""

    source: str  # path, URL or "path#record" it came from
    text: str = ""
    id: str = ""
    outlet: str | None = None
    url: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO 8601 date or datetime
    language: str | None = None
    fetched_at: str | None = None
    segments: list[Segment] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # affiliations, duplicate links, versions, ...
    # Input as read, before extraction. Not serialised: the store keeps the clean text only.
    raw: str | bytes | None = field(default=None, repr=False)
    raw_format: str | None = None  # "html" | "text"
    # Per-process working data shared between stages (e.g. one encoder pass feeding
    # several heads). Never serialised or stored.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- spans ---------------------------------------------------------------
    def spans_of(self, layer: str) -> list[Span]:
        return [s for s in self.spans if s.layer == layer]

    def add_span(self, start: int, end: int, layer: str, label: str = "", score: float | None = None, **attrs: Any) -> Span:
        if not (0 <= start <= end <= len(self.text)):
            raise ValueError(f"span {start}:{end} outside text of length {len(self.text)}")
        span = Span(start, end, layer, label, score, dict(attrs))
        self.spans.append(span)
        return span

    def labels_of(self, layer: str) -> list[Label]:
        return [lab for lab in self.labels if lab.layer == layer]

    @property
    def paragraphs(self) -> list[Span]:
        return self.spans_of("paragraph")

    @property
    def sentences(self) -> list[Span]:
        return self.spans_of("sentence")

    @property
    def main_segment(self) -> Segment | None:
        for seg in self.segments:
            if seg.kind == "main":
                return seg
        return self.segments[0] if self.segments else None

    def main_text(self) -> str:
        seg = self.main_segment
        return seg.text_of(self) if seg else self.text

    # -- identity ------------------------------------------------------------
    def assign_id(self) -> str:
        self.id = document_id(self.outlet, self.text)
        return self.id

    # -- serialisation -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _FIELDS}
        d["authors"] = list(self.authors)
        d["meta"] = dict(self.meta)
        d["segments"] = [
            {"start": s.start, "end": s.end, "kind": s.kind, "title": s.title, "outlet": s.outlet,
             "authors": list(s.authors), "published": s.published}
            for s in self.segments
        ]
        d["spans"] = [
            {"start": s.start, "end": s.end, "layer": s.layer, "label": s.label, "score": s.score, "attrs": dict(s.attrs)}
            for s in self.spans
        ]
        d["labels"] = [
            {"layer": lab.layer, "label": lab.label, "score": lab.score, "segment": lab.segment,
             "evidence": [list(e) for e in lab.evidence], "attrs": dict(lab.attrs)}
            for lab in self.labels
        ]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known and k not in ("segments", "spans", "labels", *_TRANSIENT)}
        doc = cls(**kwargs)
        doc.segments = [Segment(**s) for s in d.get("segments") or []]
        doc.spans = [Span(**s) for s in d.get("spans") or []]
        doc.labels = [
            Label(**{**lab, "evidence": [tuple(e) for e in lab.get("evidence") or []]}) for lab in d.get("labels") or []
        ]
        return doc

    @classmethod
    def from_json(cls, s: str) -> "Document":
        return cls.from_dict(json.loads(s))


_TRANSIENT = ("raw", "raw_format", "cache")
_FIELDS = [f.name for f in fields(Document) if f.name not in _TRANSIENT]


def normalise_text(text: str) -> str:
    """Text as compared for identity: NFKC, case-folded, whitespace collapsed, quotes unified."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split()).casefold()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def document_id(outlet: str | None, text: str) -> str:
    """Stable id: a hash of outlet + normalised text (16 hex chars)."""
    key = (outlet or "").strip().casefold() + "\x00" + normalise_text(text)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def write_jsonl(docs: Iterable[Document], path: str) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(doc.to_json() + "\n")
            n += 1
    return n


def read_jsonl(path: str) -> Iterator[Document]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield Document.from_json(line)
