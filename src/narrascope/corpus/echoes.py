"""Echoes: paragraphs that travel between outlets (copies, wire copy, close paraphrases).

Paragraphs of documents of different outlets match in three ways: identical
normalised text; shared word 3-grams (a lightly edited copy: at least half the
shorter paragraph's 3-grams); or paragraph vectors with cosine ≥ threshold,
matched block by block (memory stays at ``block`` × n floats). The vectors come
from the shared encoder pass over the whole article, so they carry some of the
surrounding text: an edited copy inside an article on another subject can fall
below the threshold, which is why the word overlap is there. Matched paragraphs
are joined into chains (connected components) and ordered by publication time:
the first outlet and time seen, then who repeated it and when.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from ..document import normalise_text, text_hash

UNKNOWN = "(unknown)"
THRESHOLD = 0.85  # cosine of paragraph vectors; tuned on PolNeAR (docs/CORPUS.md)
MIN_CHARS = 80  # shorter paragraphs (datelines, "Read more") match too easily
BLOCK = 1024
MIN_OVERLAP = 0.5  # shared word 3-grams / 3-grams of the shorter paragraph
MIN_SHARED = 8  # and at least this many shared 3-grams
MAX_POSTING = 50  # a 3-gram in more paragraphs than this ("according to the") links nothing


@dataclass
class EchoMember:
    doc_id: str
    outlet: str
    published: str | None
    title: str | None
    start: int
    end: int
    text: str
    similarity: float  # cosine to the first paragraph of the chain (1.0 for the first, and for exact copies)
    overlap: float  # share of word 3-grams shared with the first paragraph (of the shorter of the two)


@dataclass
class Echo:
    id: str  # "E" + position in first-seen order
    members: list[EchoMember]  # ordered by published time (undated last); members[0] is the first seen
    outlets: list[str]  # in order of first appearance

    @property
    def first(self) -> EchoMember:
        return self.members[0]

    def to_dict(self) -> dict:
        return {"id": self.id, "outlets": self.outlets, "first_outlet": self.first.outlet,
                "first_seen": self.first.published, "members": [asdict(m) for m in self.members]}


def matching_pairs(vectors: np.ndarray, groups: np.ndarray, threshold: float, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cosine) with i < j, ``groups[i] != groups[j]`` and cosine ≥ threshold, computed block-wise."""
    n = len(vectors)
    found_i, found_j, found_s = [], [], []
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        sims = vectors[lo:hi] @ vectors[lo:].T  # only columns from lo: pairs below were seen as (j, i)
        rows, cols = np.nonzero(sims >= threshold)
        cols = cols + lo
        keep = (cols > rows + lo) & (groups[rows + lo] != groups[cols])
        rows, cols = rows[keep], cols[keep]
        found_i.append(rows + lo)
        found_j.append(cols)
        found_s.append(sims[rows, cols - lo])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)


def _shingles(text: str) -> set[int]:
    words = re.findall(r"\w+", normalise_text(text))
    return {hash((words[k], words[k + 1], words[k + 2])) for k in range(len(words) - 2)}


def overlap(a: set[int], b: set[int]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def text_overlap_pairs(shingles: list[set[int]], groups: np.ndarray, min_overlap: float = MIN_OVERLAP) -> set[tuple[int, int]]:
    """(i, j), i < j, of different groups sharing at least ``min_overlap`` of the shorter paragraph's 3-grams."""
    postings: dict[int, list[int]] = {}
    for n, sh in enumerate(shingles):
        for h in sh:
            postings.setdefault(h, []).append(n)
    shared: Counter = Counter()
    for members in postings.values():
        if 1 < len(members) <= MAX_POSTING:
            for x, a in enumerate(members):
                for b in members[x + 1:]:
                    if groups[a] != groups[b]:
                        shared[(a, b)] += 1
    return {(a, b) for (a, b), n in shared.items()
            if n >= MIN_SHARED and n / min(len(shingles[a]), len(shingles[b])) >= min_overlap}


def _components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components (each a sorted list of nodes) of the nodes that appear in ``pairs``."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in sorted({x for pair in pairs for x in pair}):
        groups.setdefault(root(x), []).append(x)
    return list(groups.values())


def find_echoes(store, threshold: float = THRESHOLD, min_chars: int = MIN_CHARS, block: int = BLOCK) -> list[Echo]:
    """Echo chains across outlets, those reaching the most outlets first (then most members, earliest)."""
    keys, matrix = store.vectors("paragraph")
    if not keys:
        return []
    meta = {r[0]: r[1:] for r in store.query(
        f"SELECT id, coalesce(outlet, '{UNKNOWN}'), published, title, text FROM documents "
        "WHERE id NOT IN (SELECT doc_id FROM duplicates)")}
    keep = [i for i, (doc_id, s, e) in enumerate(keys) if doc_id in meta and e - s >= min_chars]
    keys = [keys[i] for i in keep]
    matrix = matrix[keep]
    outlets = [meta[k[0]][0] for k in keys]
    outlet_codes = {o: n for n, o in enumerate(sorted(set(outlets)))}
    groups = np.array([outlet_codes[o] for o in outlets], dtype=np.int32)
    texts = [meta[d][3][s:e] for d, s, e in keys]

    i, j, _ = matching_pairs(matrix, groups, threshold, block)
    pairs = set(zip(i.tolist(), j.tolist()))
    shingles = [_shingles(t) for t in texts]
    pairs |= text_overlap_pairs(shingles, groups)
    by_hash: dict[str, list[int]] = {}
    for n, text in enumerate(texts):  # exact copies match whatever their vectors say
        by_hash.setdefault(text_hash(text), []).append(n)
    for same in by_hash.values():
        for a in same[1:]:
            if groups[a] != groups[same[0]]:
                pairs.add((same[0], a))

    echoes = []
    for component in _components(len(keys), sorted(pairs)):
        members = sorted(component, key=lambda n: (meta[keys[n][0]][1] is None, meta[keys[n][0]][1] or "", outlets[n], keys[n]))
        first = members[0]
        sims = matrix[members] @ matrix[first]
        chain = [EchoMember(keys[n][0], outlets[n], meta[keys[n][0]][1], meta[keys[n][0]][2], keys[n][1], keys[n][2], texts[n],
                            1.0 if text_hash(texts[n]) == text_hash(texts[first]) else round(float(min(1.0, s)), 4),
                            round(overlap(shingles[n], shingles[first]), 4))
                 for n, s in zip(members, sims)]
        if len({m.outlet for m in chain}) > 1:
            echoes.append(Echo("", chain, list(dict.fromkeys(m.outlet for m in chain))))
    for n, echo in enumerate(sorted(echoes, key=lambda e: (e.first.published is None, e.first.published or "", e.first.doc_id, e.first.start)), 1):
        echo.id = f"E{n}"
    echoes.sort(key=lambda e: (-len(e.outlets), -len(e.members), e.first.published is None, e.first.published or "", e.id))
    return echoes


def propagation_edges(echoes: list[Echo]) -> list[tuple[str, str, int]]:
    """(from_outlet, to_outlet, echoes): the first outlet of each chain to every other outlet that repeated it later.

    Members without a date give no edge (their order is unknown); a chain whose first
    member is undated gives none. Same-day repeats count: dates are often day-precise.
    """
    counts: dict[tuple[str, str], int] = {}
    for echo in echoes:
        source = echo.first
        if not source.published:
            continue
        seen = set()
        for m in echo.members[1:]:
            if m.published and m.outlet != source.outlet and m.outlet not in seen:
                seen.add(m.outlet)
                counts[(source.outlet, m.outlet)] = counts.get((source.outlet, m.outlet), 0) + 1
    return sorted(((a, b, n) for (a, b), n in counts.items()), key=lambda e: (-e[2], e[0], e[1]))
