"""The technique corpus as the training and benchmark scripts see it, and its split by article.

Reads ``../shared/data`` (never copied): SemEval-2023 T3 English articles with their
23-technique spans, and the SemEval-2020 T11 (PTC) versions of the same articles
with their 14-technique spans. The two corpora share article ids; a split by id
keeps every version of an article on one side.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrascope.semeval import TechniqueSpan, read_articles, read_span_labels

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data"
CACHE = REPO / ".cache" / "techniques"


@dataclass
class Article:
    id: str
    text: str  # the 2023 version: one paragraph per line
    spans: list[TechniqueSpan]  # 23-technique spans into ``text``
    ptc_text: str | None = None  # the 2020 version: one sentence per line
    ptc_spans: list[TechniqueSpan] = field(default_factory=list)  # 14-technique spans into ``ptc_text``
    split: str = "train"


def split_of(article_id: str) -> str:
    """Fixed split by article id: 70% train, 15% validation, 15% test."""
    h = int(hashlib.sha1(f"narrascope-techniques:{article_id}".encode()).hexdigest(), 16) % 100
    return "test" if h < 15 else "val" if h < 30 else "train"


def load_corpus(data: Path = DATA) -> list[Article]:
    st3 = data / "semeval2023t3-en"
    texts = read_articles(st3 / "train-articles-subtask-3")
    spans: dict[str, list[TechniqueSpan]] = {k: [] for k in texts}
    for s in read_span_labels(st3 / "train-labels-subtask-3-spans"):
        spans[s.article_id].append(s)
    ptc = data / "ptc"
    ptc_texts = read_articles(ptc / "train-articles")
    ptc_spans: dict[str, list[TechniqueSpan]] = {}
    for s in read_span_labels(ptc / "train-task2-TC.labels"):
        ptc_spans.setdefault(s.article_id, []).append(s)
    return [
        Article(aid, text, sorted(spans[aid]), ptc_texts.get(aid), sorted(ptc_spans.get(aid, [])), split_of(aid))
        for aid, text in sorted(texts.items())
    ]


def offset_mapper(source: str, target: str):
    """A function taking a char offset in ``source`` to the aligned offset in ``target``.

    The two versions of an article differ only in whitespace, so offsets are aligned
    through the positions of the non-whitespace characters.
    """
    src = np.array([i for i, c in enumerate(source) if not c.isspace()], dtype=np.int64)
    dst = np.array([i for i, c in enumerate(target) if not c.isspace()], dtype=np.int64)
    if len(src) != len(dst):
        raise ValueError("texts differ in more than whitespace")

    def mapped(pos: int) -> int:
        k = int(np.searchsorted(src, pos))  # first non-space char at or after pos
        if k >= len(dst):
            return len(target)
        return int(dst[k]) - (int(src[k]) - pos if src[k] - pos <= 0 else 0)

    return mapped


def ptc_spans_on_2023_text(article: Article) -> list[TechniqueSpan]:
    """The article's 2020 spans moved onto its 2023 text (the texts differ in whitespace and a few chars)."""
    if not article.ptc_text:
        return []
    to_2023 = offset_mapper(article.ptc_text, article.text)
    return [TechniqueSpan(article.id, to_2023(s.start), to_2023(s.end - 1) + 1, s.technique) for s in article.ptc_spans if s.end > s.start]


def spans_on_ptc_text(article: Article) -> list[TechniqueSpan]:
    """The article's 2023 spans moved onto its 2020 (PTC) text, one of the organisers' sentences per
    line; ValueError when the two texts differ in more than whitespace (no faithful offsets)."""
    if not article.ptc_text:
        return []
    to_ptc = offset_mapper(article.text, article.ptc_text)
    return [TechniqueSpan(article.id, to_ptc(s.start), to_ptc(s.end - 1) + 1, s.technique) for s in article.spans if s.end > s.start]


def sentence_per_line(text: str) -> str:
    """The same text with each sentence on its own line, as the 2023 dev/test files are.

    Only the whitespace between two sentences becomes a newline, so every offset,
    and every span, stays valid.
    """
    from narrascope.nlp.sentences import split_sentences

    chars = list(text)
    bounds = split_sentences(text)
    for (_, end), (nxt, _) in zip(bounds, bounds[1:]):
        if "\n" not in text[end:nxt]:
            for i in range(end, nxt):
                if chars[i] in " \t\u00a0":
                    chars[i] = "\n"
                    break
    return "".join(chars)
