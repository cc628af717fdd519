"""Stories: documents about the same event, across outlets, clustered by document vector within a time window.

One pass over the dated documents in date order: each joins the active story
(one seen within ``window_days``) whose centroid is most similar, when that
similarity reaches ``threshold``, or starts a new story. Documents without a
date then join the most similar story of any date, or start their own. The
vectors are centred on the corpus mean first: every article of a corpus about
one campaign shares a "campaign" direction that says nothing about the event.
How the threshold was chosen: docs/CORPUS.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np

UNKNOWN = "(unknown)"
THRESHOLD = 0.45  # cosine of centred document vectors; tuned on PolNeAR (docs/CORPUS.md)
WINDOW_DAYS = 3


@dataclass
class StoryDocument:
    doc_id: str
    outlet: str
    published: str | None
    title: str | None
    similarity: float  # cosine to the story's centroid (centred vectors)


@dataclass
class Story:
    id: str  # "S" + position in first-seen order, stable for one store and settings
    label: str  # the title of the most central document
    documents: list[StoryDocument]
    outlets: list[str]  # in order of first appearance
    first_seen: str | None
    first_outlet: str | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class OutletTelling:
    """How one outlet told a story: what was found in its documents and its most distinctive paragraph."""

    outlet: str
    documents: int
    techniques: list[tuple[str, int]] | None = None  # None = layer not computed
    frames: list[tuple[str, int]] | None = None
    roles: list[tuple[str, str, int]] | None = None  # (actor, role, mentions)
    distinctive: str | None = None  # the paragraph least like anything the other outlets wrote
    distinctive_similarity: float | None = None  # its best cosine to another outlet's paragraph
    distinctive_doc: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _day(published: str | None) -> int | None:
    """Day number of an ISO date or datetime; None when absent or unreadable."""
    if not published:
        return None
    try:
        return dt.date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def _document_table(store) -> tuple[list[tuple], np.ndarray]:
    """[(doc_id, outlet, published, title)] and centred, re-normalised vectors of non-duplicate documents."""
    keys, matrix = store.vectors("document")
    if not keys:
        return [], np.zeros((0, 0), dtype=np.float32)
    meta = {r[0]: r[1:] for r in store.query(
        f"SELECT id, coalesce(outlet, '{UNKNOWN}'), published, title FROM documents "
        "WHERE id NOT IN (SELECT doc_id FROM duplicates)")}
    keep = [i for i, (doc_id, _, _) in enumerate(keys) if doc_id in meta]
    rows = [(keys[i][0], *meta[keys[i][0]]) for i in keep]
    return rows, centred(matrix[keep])


def centred(matrix: np.ndarray) -> np.ndarray:
    """Rows minus their mean, L2-normalised (a single row is left as it is)."""
    if len(matrix) < 2:
        return matrix.astype(np.float32)
    m = matrix - matrix.mean(axis=0, keepdims=True)
    return (m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)).astype(np.float32)


class _Centroids:
    """Running sums of clusters' vectors, kept as rows of one matrix so that a similarity is one product."""

    def __init__(self, dim: int) -> None:
        self.sums = np.zeros((64, dim))
        self.norms = np.zeros(64)
        self.ids = np.zeros(64, dtype=np.int64)  # the cluster of each row
        self.size = 0

    def add(self, cluster: int, vector: np.ndarray) -> None:
        if self.size == len(self.ids):
            self.sums = np.concatenate([self.sums, np.zeros_like(self.sums)])
            self.norms = np.concatenate([self.norms, np.zeros_like(self.norms)])
            self.ids = np.concatenate([self.ids, np.zeros_like(self.ids)])
        self.sums[self.size] = vector
        self.norms[self.size] = np.linalg.norm(self.sums[self.size])
        self.ids[self.size] = cluster
        self.size += 1

    def join(self, row: int, vector: np.ndarray) -> None:
        self.sums[row] += vector
        self.norms[row] = np.linalg.norm(self.sums[row])

    def best(self, vector: np.ndarray, threshold: float) -> int | None:
        """The row most similar to ``vector`` (the first of equals) when its cosine reaches ``threshold``."""
        if not self.size:
            return None
        sims = self.sums[:self.size] @ vector / np.maximum(self.norms[:self.size], 1e-9)
        j = int(np.argmax(sims))
        return j if sims[j] >= threshold else None

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (ascending), in order."""
        n = len(rows)
        self.sums[:n], self.norms[:n], self.ids[:n] = self.sums[rows], self.norms[rows], self.ids[rows]
        self.size = n


def cluster_documents(days: list[int | None], vectors: np.ndarray, window_days: int, threshold: float) -> list[list[int]]:
    """Clusters (lists of row indices) by centroid similarity inside a sliding date window; deterministic.

    Each dated document (in date order) joins the most similar cluster seen within
    ``window_days`` (the oldest of equals) or starts one; the clusters still inside
    the window are the rows of one matrix, pruned once a day. Undated documents then
    join the most similar cluster of any date.
    """
    order = sorted((i for i, d in enumerate(days) if d is not None), key=lambda i: (days[i], i))
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    members: list[list[int]] = []
    last_day: list[int] = []
    sums: list[np.ndarray] = []  # every cluster's sum, for the undated documents
    active = _Centroids(dim)
    today = None
    for i in order:
        day = days[i]
        if day != today:
            today = day
            active.keep(np.flatnonzero(np.array([last_day[c] >= day - window_days for c in active.ids[:active.size]], dtype=bool)))
        row = active.best(vectors[i], threshold)
        if row is None:
            members.append([i])
            last_day.append(day)
            sums.append(vectors[i].astype(np.float64))
            active.add(len(members) - 1, vectors[i])
        else:
            c = int(active.ids[row])
            active.join(row, vectors[i])
            members[c].append(i)
            last_day[c] = day
            sums[c] = active.sums[row].copy()
    undated = [i for i, d in enumerate(days) if d is None]
    if undated:  # by similarity only, to clusters of any date
        every = _Centroids(dim)
        for c, total in enumerate(sums):
            every.add(c, total)
        for i in undated:
            row = every.best(vectors[i], threshold)
            if row is None:
                members.append([i])
                every.add(len(members) - 1, vectors[i])
            else:
                every.join(row, vectors[i])
                members[int(every.ids[row])].append(i)
    return members


def find_stories(store, window_days: int = WINDOW_DAYS, threshold: float = THRESHOLD, min_outlets: int = 1,
                 min_documents: int = 1) -> list[Story]:
    """Stories of the stored corpus, those told by the most outlets first (then most documents, earliest)."""
    rows, vectors = _document_table(store)
    if not rows:
        return []
    days = [_day(r[2]) for r in rows]
    clusters = cluster_documents(days, vectors, window_days, threshold)
    stories = []
    for members in clusters:
        centroid = vectors[members].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        sims = vectors[members] @ centroid
        docs = [StoryDocument(rows[i][0], rows[i][1], rows[i][2], rows[i][3], round(float(s), 4)) for i, s in zip(members, sims)]
        docs.sort(key=lambda d: (d.published is None, d.published or "", d.outlet, d.doc_id))
        outlets = list(dict.fromkeys(d.outlet for d in docs))
        if len(outlets) < min_outlets or len(docs) < min_documents:
            continue
        central = rows[members[int(np.argmax(sims))]]
        dated = [d for d in docs if d.published]
        stories.append(Story("", central[3] or central[0], docs, outlets,
                             dated[0].published if dated else None, dated[0].outlet if dated else None))
    # Ids follow first-seen order, so they do not depend on the ranking below.
    for n, story in enumerate(sorted(stories, key=lambda s: (s.first_seen is None, s.first_seen or "", s.documents[0].doc_id)), 1):
        story.id = f"S{n}"
    stories.sort(key=lambda s: (-len(s.outlets), -len(s.documents), s.first_seen is None, s.first_seen or "", s.id))
    return stories


def how_outlets_told(store, story: Story) -> list[OutletTelling]:
    """Per outlet of the story: its techniques, frames and actor roles there (when computed) and its most distinctive paragraph."""
    from .outlets import layer_computed

    ids = [d.doc_id for d in story.documents]
    outlet_of = {d.doc_id: d.outlet for d in story.documents}
    tellings = {o: OutletTelling(o, sum(1 for d in story.documents if d.outlet == o)) for o in story.outlets}

    def per_outlet(sql: str) -> dict[str, list[tuple]]:
        by: dict[str, list[tuple]] = {}
        for doc_id, *rest in store.query(sql, [ids]):
            by.setdefault(outlet_of[doc_id], []).append(tuple(rest))
        return by

    def merged(rows: list[tuple]) -> list[tuple]:
        counts: dict[tuple, int] = {}
        for *key, n in rows:
            counts[tuple(key)] = counts.get(tuple(key), 0) + n
        return [(*k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    in_story = "doc_id IN (SELECT unnest(?::VARCHAR[]))"
    if layer_computed(store, "technique"):
        by = per_outlet(f"SELECT doc_id, label, count(*) FROM spans WHERE layer = 'technique' AND {in_story} GROUP BY ALL")
        for o, t in tellings.items():
            t.techniques = merged(by.get(o, []))[:8]
    if layer_computed(store, "frame"):
        by = per_outlet(f"SELECT doc_id, label, count(*) FROM labels WHERE layer = 'frame' AND segment IS NULL AND {in_story} GROUP BY ALL")
        for o, t in tellings.items():
            t.frames = merged(by.get(o, []))[:6]
    if layer_computed(store, "role"):
        by = per_outlet("SELECT doc_id, attrs->>'actor', attrs->>'role', count(*) FROM spans WHERE layer = 'entity' "
                        f"AND attrs->>'role' IS NOT NULL AND attrs->>'actor' IS NOT NULL AND {in_story} GROUP BY ALL")
        for o, t in tellings.items():
            t.roles = merged(by.get(o, []))[:8]
    _add_distinctive_paragraphs(store, ids, outlet_of, tellings)
    return list(tellings.values())


def _is_prose(paragraph: str) -> bool:
    """A paragraph worth showing: long enough, mostly letters, not embed markup (``<tweet ...>``)."""
    text = paragraph.strip()
    letters = sum(c.isalpha() for c in text)
    return len(text) >= 80 and letters >= 0.6 * len(text) and not text.startswith("<")


def _add_distinctive_paragraphs(store, ids: list[str], outlet_of: dict[str, str], tellings: dict[str, OutletTelling]) -> None:
    keys, matrix = store.vectors("paragraph", ids)
    if not keys or len(tellings) < 2:
        return
    outlets = np.array([outlet_of[k[0]] for k in keys])
    sims = matrix @ matrix.T
    texts = dict(store.query("SELECT id, text FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]))
    for outlet, telling in tellings.items():
        mine, others = np.nonzero(outlets == outlet)[0], np.nonzero(outlets != outlet)[0]
        if not len(mine) or not len(others):
            continue
        closest = sims[np.ix_(mine, others)].max(axis=1)
        closest[[not _is_prose(texts[keys[k][0]][keys[k][1]:keys[k][2]]) for k in mine]] = np.inf
        if not np.isfinite(closest).any():
            continue
        j = int(np.argmin(closest))
        doc_id, start, end = keys[mine[j]]
        telling.distinctive = texts[doc_id][start:end]
        telling.distinctive_similarity = round(float(closest[j]), 4)
        telling.distinctive_doc = doc_id
