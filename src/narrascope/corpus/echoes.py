"""Echoes: paragraphs that travel between outlets (copies, wire copy, close paraphrases).

Paragraphs of documents of different outlets match in three ways: identical
normalised text; shared word 3-grams (a lightly edited copy: at least half the
shorter paragraph's 3-grams), whenever each was published; or paragraph vectors
with cosine ≥ threshold, published within ``window_days`` of each other, matched
block by block a chunk of days at a time (time and memory grow with the paragraphs
of one window, not with the corpus squared). The vectors come
from the shared encoder pass over the whole article, so they carry some of the
surrounding text: an edited copy inside an article on another subject can fall
below the threshold, which is why the word overlap is there. Matched paragraphs
are joined into chains (connected components) and ordered by publication time:
the first outlet and time seen, then who repeated it and when.
"""

from __future__ import annotations

import os
import re
from array import array
from itertools import repeat
from dataclasses import asdict, dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..document import normalise_text, text_hash
from .stories import _day

UNKNOWN = "(unknown)"
THRESHOLD = 0.85  # cosine of paragraph vectors; tuned on PolNeAR (docs/CORPUS.md)
MIN_CHARS = 80  # shorter paragraphs (datelines, "Read more") match too easily
BLOCK = 1024
MIN_OVERLAP = 0.5  # shared word 3-grams / 3-grams of the shorter paragraph
MIN_SHARED = 8  # and at least this many shared 3-grams
MAX_POSTING = 50  # a 3-gram in more paragraphs than this ("according to the") links nothing
WINDOW_DAYS = 30  # paraphrases (vectors alone) are looked for within this many days; copies at any time
CHUNK = 16384  # paragraphs of the days compared at a time (with the window after them)
TEXT_BATCH = 500  # documents whose texts are read at a time


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


def windowed_pairs(load, days: np.ndarray, groups: np.ndarray, threshold: float, window_days: int | None,
                   block: int = BLOCK, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cosine), i < j, of rows of different groups with cosine ≥ threshold, published at most
    ``window_days`` apart (None: any time); rows without a date (day < 0) are compared with every row.

    ``load(rows)`` returns the vectors of those rows, in that order. Rows are taken a
    chunk of days at a time (whole days, about ``chunk`` rows) with the ``window_days``
    after it, so time and memory grow with the rows inside one window, not with the
    corpus squared.
    """
    dated = np.flatnonzero(days >= 0)
    by_day = dated[np.argsort(days[dated], kind="stable")]
    day_sorted = days[by_day] if window_days is not None else np.zeros(len(by_day), dtype=days.dtype)
    span = window_days if window_days is not None else 0
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pos = 0
    while pos < len(by_day):
        end = int(np.searchsorted(day_sorted, day_sorted[min(pos + chunk, len(by_day)) - 1], side="right"))
        stop = int(np.searchsorted(day_sorted, day_sorted[end - 1] + span, side="right"))
        rows = by_day[pos:stop]  # this chunk's days first, then the window after them
        vectors = load(rows)
        for lo in range(0, end - pos, block):
            hi = min(end - pos, lo + block)
            # Only later columns (earlier pairs were seen as (c, r)), up to the window after the block's last day.
            cols = int(np.searchsorted(day_sorted, day_sorted[pos + hi - 1] + span, side="right")) - pos
            sims = vectors[lo:hi] @ vectors[lo:cols].T
            np.fill_diagonal(sims[:, :hi - lo], -1.0)  # each row against itself
            hit = np.flatnonzero(sims.max(axis=1) >= threshold)  # few rows have a match: look only there
            r, c = np.nonzero(sims[hit] >= threshold)
            r = hit[r]
            c = c + lo
            keep = (c > r + lo) & (groups[rows[r + lo]] != groups[rows[c]]) & (day_sorted[pos + c] - day_sorted[pos + r + lo] <= span)
            r, c = r[keep], c[keep]
            found.append((rows[r + lo], rows[c], sims[r, c - lo]))
        pos = end
    undated = np.flatnonzero(days < 0)
    for lo in range(0, len(undated), chunk):  # every undated row against every dated row and the undated after it
        mine = undated[lo:lo + chunk]
        mine_vectors = load(mine)
        others = np.concatenate([undated[lo:], dated])
        for o_lo in range(0, len(others), chunk):
            theirs = others[o_lo:o_lo + chunk]
            sims = mine_vectors @ load(theirs).T
            r, c = np.nonzero(sims >= threshold)
            keep = (groups[mine[r]] != groups[theirs[c]]) & (o_lo + c > r)  # others starts with mine: each pair once
            r, c = r[keep], c[keep]
            found.append((mine[r], theirs[c], sims[r, c]))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    a, b, s = (np.concatenate(x) for x in zip(*found))
    return np.minimum(a, b), np.maximum(a, b), s


def _shingles(text: str) -> set[int]:
    words = re.findall(r"\w+", normalise_text(text))
    return {hash((words[k], words[k + 1], words[k + 2])) for k in range(len(words) - 2)}


def overlap(a: set[int], b: set[int]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def shingle_pairs(hashes: np.ndarray, owners: np.ndarray, sizes: np.ndarray, groups: np.ndarray,
                  min_overlap: float = MIN_OVERLAP) -> set[tuple[int, int]]:
    """(i, j), i < j, of different groups sharing at least ``min_overlap`` of the shorter one's 3-grams.

    ``hashes[k]`` is a 3-gram of paragraph ``owners[k]`` (each once per paragraph),
    ``sizes[i]`` paragraph i's number of 3-grams. Sorting the 3-grams puts each one's
    paragraphs together; a 3-gram in more than MAX_POSTING paragraphs links nothing.
    """
    if not len(hashes):
        return set()
    order = np.argsort(hashes, kind="stable")  # a 3-gram's paragraphs keep their (ascending) order
    hashes = hashes[order]
    same = hashes[1:] == hashes[:-1]
    shared = np.zeros(len(hashes), dtype=bool)  # 3-grams in more than one paragraph: the few that can link
    shared[1:] |= same
    shared[:-1] |= same
    del same
    hashes, owners = hashes[shared], owners[order[shared]]
    del order, shared
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    lengths = np.diff(np.r_[starts, len(hashes)])
    n = np.int64(len(sizes))
    keys = []
    for length in np.unique(lengths[(lengths > 1) & (lengths <= MAX_POSTING)]):
        members = owners[starts[lengths == length][:, None] + np.arange(length)].astype(np.int64)  # runs × length, ascending
        a, b = np.triu_indices(int(length), 1)
        left, right = members[:, a].ravel(), members[:, b].ravel()
        other = groups[left] != groups[right]
        keys.append(left[other] * n + right[other])
    if not keys:
        return set()
    pairs, shared = np.unique(np.concatenate(keys), return_counts=True)
    left, right = pairs // n, pairs % n
    ok = (shared >= MIN_SHARED) & (shared >= min_overlap * np.minimum(sizes[left], sizes[right]))
    return set(zip(left[ok].tolist(), right[ok].tolist()))


def text_overlap_pairs(shingles: list[set[int]], groups: np.ndarray, min_overlap: float = MIN_OVERLAP) -> set[tuple[int, int]]:
    """(i, j), i < j, of different groups sharing at least ``min_overlap`` of the shorter paragraph's 3-grams."""
    sizes = np.array([len(s) for s in shingles], dtype=np.int64)
    hashes = np.fromiter((h for s in shingles for h in s), dtype=np.int64, count=int(sizes.sum()))
    return shingle_pairs(hashes, np.repeat(np.arange(len(shingles)), sizes), sizes, np.asarray(groups), min_overlap)


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


class _Paragraphs:
    """The paragraphs an echo can be made of: long enough, in documents that are not linked duplicates.

    Rows are in the store's order (document, then paragraph); per row the document
    number ``doc`` (into ``docs``: id, outlet, published, title), ``start``, ``end``.
    """

    def __init__(self, store, min_chars: int) -> None:
        self.store = store
        self.docs = store.query(
            f"SELECT seq, id, coalesce(outlet, '{UNKNOWN}'), published, title FROM documents "
            "WHERE id NOT IN (SELECT doc_id FROM duplicates) ORDER BY seq")
        cols = store.columns('SELECT doc_seq, start, "end" FROM vectors WHERE kind = \'paragraph\' AND "end" - start >= ? '
                             "ORDER BY doc_seq, idx", [min_chars])
        seqs = np.array([d[0] for d in self.docs], dtype=np.int64)
        doc = np.searchsorted(seqs, cols["doc_seq"])
        known = (doc < len(seqs)) & (seqs[np.minimum(doc, len(seqs) - 1)] == cols["doc_seq"])
        self.doc, self.start, self.end = doc[known], cols["start"][known], cols["end"][known]
        self.min_chars = min_chars

    def __len__(self) -> int:
        return len(self.doc)

    def texts(self, rows: np.ndarray) -> list[str]:
        """The texts of ``rows`` (ascending), reading each document's text once."""
        ids = sorted({self.docs[d][1] for d in self.doc[rows]})
        full = dict(self.store.query("SELECT id, text FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]))
        return [full[self.docs[self.doc[r]][1]][self.start[r]:self.end[r]] for r in rows]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of ``rows``, in the order given."""
        needed = np.unique(self.doc[rows])
        keys, matrix = self.store.vectors("paragraph", [self.docs[d][1] for d in needed])
        matrix = matrix[[k for k, (_, s, e) in enumerate(keys) if e - s >= self.min_chars]]
        loaded = np.flatnonzero(np.isin(self.doc, needed))  # the same rows, in the same order
        if len(matrix) != len(loaded):
            raise RuntimeError("paragraph vectors changed while echoes were being found")
        return matrix[np.searchsorted(loaded, rows)]


def find_echoes(store, threshold: float = THRESHOLD, min_chars: int = MIN_CHARS, block: int = BLOCK,
                window_days: int | None = WINDOW_DAYS) -> list[Echo]:
    """Echo chains across outlets, those reaching the most outlets first (then most members, earliest).

    Copies and edited copies (shared word 3-grams) are found whenever they were
    published; close paraphrases (vectors alone) only within ``window_days`` of
    each other (None: any time; this compares every paragraph with every other).
    """
    paragraphs = _Paragraphs(store, min_chars)
    n = len(paragraphs)
    if not n:
        return []
    outlet_codes = {o: k for k, o in enumerate(sorted({d[2] for d in paragraphs.docs}))}
    doc_groups = np.array([outlet_codes[d[2]] for d in paragraphs.docs], dtype=np.int32)
    doc_days = np.array([-1 if day is None else day for day in (_day(d[3]) for d in paragraphs.docs)], dtype=np.int64)
    groups, days = doc_groups[paragraphs.doc], doc_days[paragraphs.doc]

    with threadpool_limits(os.cpu_count() or 1):  # narrascope holds OpenBLAS to one thread for the models
        i, j, _ = windowed_pairs(paragraphs.vectors, days, groups, threshold, window_days, block)
    pairs = set(zip(i.tolist(), j.tolist()))
    # Exact and edited copies: every paragraph's text, a batch of documents at a time.
    sizes = np.zeros(n, dtype=np.int64)
    exact = np.zeros(n, dtype=np.uint64)  # the first 64 bits of each paragraph's text hash
    hashes, owners = array("q"), array("i")
    bounds = np.flatnonzero(np.r_[True, paragraphs.doc[1:] != paragraphs.doc[:-1], True])
    for lo in range(0, len(bounds) - 1, TEXT_BATCH):
        rows = np.arange(bounds[lo], bounds[min(lo + TEXT_BATCH, len(bounds) - 1)])
        for row, text in zip(rows.tolist(), paragraphs.texts(rows)):
            exact[row] = int(text_hash(text)[:16], 16)
            shingles = _shingles(text)
            sizes[row] = len(shingles)
            hashes.extend(shingles)
            owners.extend(repeat(row, len(shingles)))
    order = np.argsort(exact, kind="stable")  # exact copies match whatever their vectors say: each to the first
    firsts = order[np.r_[True, exact[order][1:] != exact[order][:-1]]]
    first_of = firsts[np.searchsorted(exact[firsts], exact)]  # exact[firsts] ascends: one key each
    copies = np.flatnonzero((first_of != np.arange(n)) & (groups[first_of] != groups))
    pairs.update(zip(first_of[copies].tolist(), copies.tolist()))
    del exact, order, firsts, first_of
    if hashes:
        pairs |= shingle_pairs(np.frombuffer(hashes, dtype=np.int64), np.frombuffer(owners, dtype=np.int32), sizes, groups)
    del hashes, owners

    components = _components(n, sorted(pairs))
    linked = np.array(sorted(r for c in components for r in c), dtype=np.int64)
    texts = dict(zip(linked.tolist(), paragraphs.texts(linked))) if len(linked) else {}
    vectors = dict(zip(linked.tolist(), paragraphs.vectors(linked))) if len(linked) else {}
    echoes = []
    for component in components:
        doc = {r: paragraphs.docs[paragraphs.doc[r]] for r in component}
        members = sorted(component, key=lambda r: (doc[r][3] is None, doc[r][3] or "", doc[r][2], doc[r][1],
                                                   int(paragraphs.start[r]), int(paragraphs.end[r])))
        first = members[0]
        first_shingles = _shingles(texts[first])
        chain = [EchoMember(doc[r][1], doc[r][2], doc[r][3], doc[r][4], int(paragraphs.start[r]), int(paragraphs.end[r]), texts[r],
                            1.0 if text_hash(texts[r]) == text_hash(texts[first]) else round(float(min(1.0, vectors[r] @ vectors[first])), 4),
                            round(overlap(_shingles(texts[r]), first_shingles), 4))
                 for r in members]
        if len({m.outlet for m in chain}) > 1:
            echoes.append(Echo("", chain, list(dict.fromkeys(m.outlet for m in chain))))
    for k, echo in enumerate(sorted(echoes, key=lambda e: (e.first.published is None, e.first.published or "", e.first.doc_id, e.first.start)), 1):
        echo.id = f"E{k}"
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
