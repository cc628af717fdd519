"""Full-text search over the corpus: a BM25 index kept in an in-memory DuckDB.

DuckDB's ``fts`` extension cannot be loaded here (no build for this DuckDB on the
package registry, and nothing is downloaded at run time), so the index is built with
plain SQL: every document is tokenised (lower-cased runs of letters and digits, title
included; Python's regex does this ~10x faster than DuckDB's here) and each word
stemmed (Snowball: Russian for Cyrillic words, English for the rest, so "sanction"
finds "sanctions" and "Россия" finds "России"), the postings go
into an in-memory DuckDB as column arrays, and a query is one BM25 SQL statement with
the filters joined in. The index is
rebuilt when the store's documents change.
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
from collections import Counter
from dataclasses import dataclass

import duckdb
import numpy as np

from ..corpus.scope import date_clause
from ..nlp.terms import TOKEN_RE, searchable, stem, term_counts

K1 = 1.2
B = 0.75

_DOCS_SQL = """
SELECT d.seq, d.id, coalesce(d.outlet, '(unknown)'), d.published, d.title, d.language, d.text,
       d.id IN (SELECT doc_id FROM duplicates)
FROM documents d
"""
# The same tables as the in-memory index, as views over a store that keeps its search terms
# (schema 3): the BM25 and filter SQL below run unchanged on either.
_NARRATIVE_LAYERS = "('narrative', 'subnarrative', 'user_narrative')"
_STORE_VIEWS = {
    "docs": "SELECT d.seq, d.id, coalesce(d.outlet, '(unknown)') AS outlet, d.published, d.title, d.language, s.len, "
            "d.id IN (SELECT doc_id FROM duplicates) AS duplicate FROM documents d JOIN search_docs s ON s.doc_seq = d.seq",
    "postings": "SELECT doc_seq AS seq, term, tf FROM search_terms",
    "doc_tech": "SELECT DISTINCT doc_seq AS seq, label FROM spans WHERE layer = 'technique'",
    "doc_narr": "SELECT DISTINCT doc_seq AS seq, label, coalesce(attrs->>'name', label) AS name FROM labels "
                f"WHERE layer IN {_NARRATIVE_LAYERS} AND label <> 'Other'",
    "doc_actor": "SELECT DISTINCT doc_seq AS seq, attrs->>'actor' AS actor FROM spans WHERE layer = 'entity' AND attrs->>'actor' IS NOT NULL",
}
_BM25_SQL = """
WITH q AS (SELECT DISTINCT unnest($terms::VARCHAR[]) AS term),
     n AS (SELECT count(*)::DOUBLE AS n, avg(len)::DOUBLE AS avgdl FROM docs),
     df AS (SELECT p.term, count(*)::DOUBLE AS df FROM postings p JOIN q USING (term) GROUP BY p.term),
     hits AS (
        SELECT p.seq, sum(ln(1 + (n.n - df.df + 0.5) / (df.df + 0.5))
                          * p.tf * ($k1 + 1) / (p.tf + $k1 * (1 - $b + $b * d.len / n.avgdl))) AS score,
               count(*) AS matched
        FROM postings p JOIN df USING (term) JOIN docs d USING (seq), n
        GROUP BY p.seq)
SELECT d.id, d.outlet, d.published, d.title, d.language, h.score, d.seq
FROM hits h JOIN docs d USING (seq)
WHERE {filters}
ORDER BY h.matched DESC, h.score DESC, d.id
LIMIT $limit OFFSET $offset
"""
_BROWSE_SQL = """
SELECT d.id, d.outlet, d.published, d.title, d.language, NULL AS score, d.seq FROM docs d
WHERE {filters}
ORDER BY d.published DESC NULLS LAST, d.outlet, d.id
LIMIT $limit OFFSET $offset
"""


@dataclass
class SearchFilters:
    outlet: str | None = None
    date_from: str | None = None  # ISO date prefix, inclusive
    date_to: str | None = None  # ISO date prefix, inclusive
    technique: str | None = None
    narrative: str | None = None  # a narrative label or a user taxonomy's narrative id
    include_duplicates: bool = False
    actor: str | None = None  # a canonical actor (the entities stage's attrs["actor"]), any spelling in the text


@dataclass
class SearchHit:
    id: str
    outlet: str
    published: str | None
    title: str | None
    language: str | None
    score: float | None
    seq: int = 0  # the store's row order: fetching texts by seq lets DuckDB skip row groups


def query_terms(text: str) -> list[str]:
    """The index terms of a query: stems of its lower-cased runs of letters and digits."""
    return list(dict.fromkeys(stem(t.lower()) for t in TOKEN_RE.findall(text)))


class SearchIndex:
    """BM25 over one store; call :meth:`refresh` with an open store before searching."""

    def __init__(self, terms: list[str] | None = None, actors: bool = True, use_store: bool = True) -> None:
        """``terms``: the only index terms (stems) that will be asked for, as a one-off search knows them:
        then only the words that can stem to one of them are stemmed (a cold Snowball cache makes stemming
        every word of a corpus most of the build: 2 s of 2.4 on 840 articles). None: every word (the dashboard).
        ``actors``: index the actors each document names and their spellings (the actor filter); a one-off
        search without that filter leaves them out (2 of 5 s on 10,000 articles). ``use_store``: False builds
        the index in memory even from a store that keeps its search terms (to compare the two)."""
        self._terms = None if terms is None else set(terms)
        self._with_actors = actors
        self._in_store = False  # True: searched through views over the store (see refresh)
        self._use_store = use_store
        self._con = duckdb.connect(":memory:")
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self.outlets: list[str] = []
        self.techniques: list[str] = []
        self.narratives: list[tuple[str, str]] = []  # (label, display name)
        self.actors: list[str] = []  # canonical actors, most mentioned first
        self._spellings: dict[str, str | None] = {}  # a spelling asked for, lower-cased -> its actor (actor_named)

    def refresh(self, store) -> bool:
        """Rebuild when the store's documents changed since the last build; True when rebuilt.

        A store that keeps every document's search terms (schema 3) is searched where it lies,
        through views; an older one is indexed here, in memory."""
        in_store = self._use_store and store.searchable()
        key = (in_store, *store.query(
            "SELECT count(*), max(seq), (SELECT count(*) FROM labels), (SELECT count(*) FROM duplicates) FROM documents")[0])
        with self._lock:
            if key == self._key:
                return False
            if in_store:
                store.temp_views(_STORE_VIEWS)
                self._facets(store.query, store)
            else:
                self._build(store)
            self._in_store = in_store
            self._key = key
            return True

    def _facets(self, run, store) -> None:
        """The outlets, techniques, narratives and actors a filter can name (``run(sql)`` reads the index's tables)."""
        self.outlets = [r[0] for r in run("SELECT DISTINCT outlet FROM docs ORDER BY 1")]
        self.techniques = [r[0] for r in run("SELECT DISTINCT label FROM doc_tech ORDER BY 1")]
        self.narratives = [tuple(r) for r in run("SELECT label, any_value(name) FROM doc_narr GROUP BY 1 ORDER BY 2")]
        # every canonical actor, most mentioned first; the spellings are looked up when asked for (actor_named)
        counted = store.query(
            "SELECT attrs->>'actor' AS actor, count(*) AS n FROM spans WHERE layer = 'entity' AND attrs->>'actor' IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1") if self._with_actors else []
        self.actors = [actor for actor, _ in counted]
        self._spellings = {}

    def _build(self, store) -> None:
        docs, postings = [], ([], [], [])
        wanted = _may_stem_to(self._terms)
        term_of: dict[str, str | None] = {}  # each distinct word's index term (None: not one asked for), decided once
        for seq, doc_id, outlet, published, title, language, text, duplicate in store.query(_DOCS_SQL):
            if wanted is None:  # every word: as the store counts them
                counts, length = term_counts(searchable(title, text))
            else:
                counts = Counter()
                words = Counter(TOKEN_RE.findall(searchable(title, text).lower()))
                for word, n in words.items():
                    term = term_of.get(word, "")
                    if term == "":
                        term = stem(word) if wanted(word) else None
                        term = term_of[word] = term if term in self._terms else None
                    if term is not None:
                        counts[term] += n
                length = sum(words.values())
            docs.append((seq, doc_id, outlet, published, title, language, length, duplicate))
            postings[0].extend([seq] * len(counts))
            postings[1].extend(counts.keys())
            postings[2].extend(counts.values())
        techs = store.query(_STORE_VIEWS["doc_tech"])
        narrs = store.query(_STORE_VIEWS["doc_narr"])
        doc_actors = store.query(_STORE_VIEWS["doc_actor"]) if self._with_actors else []
        con = self._con
        con.execute("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS postings; DROP TABLE IF EXISTS doc_tech; DROP TABLE IF EXISTS doc_narr; "
                    "DROP TABLE IF EXISTS doc_actor")
        con.execute("CREATE TABLE docs (seq BIGINT, id VARCHAR, outlet VARCHAR, published VARCHAR, title VARCHAR, language VARCHAR, "
                    "len INTEGER, duplicate BOOLEAN)")
        con.execute("CREATE TABLE postings (seq BIGINT, term VARCHAR, tf INTEGER)")
        con.execute("CREATE TABLE doc_tech (seq BIGINT, label VARCHAR)")
        con.execute("CREATE TABLE doc_narr (seq BIGINT, label VARCHAR, name VARCHAR)")
        con.execute("CREATE TABLE doc_actor (seq BIGINT, actor VARCHAR)")
        _insert(con, "docs", docs, ("seq", "id", "outlet", "published", "title", "language", "len", "duplicate"))
        _insert_columns(con, "postings", {"seq": np.array(postings[0], dtype=np.int64), "term": np.array(postings[1], dtype=object),
                                          "tf": np.array(postings[2], dtype=np.int32)})
        _insert(con, "doc_tech", techs, ("seq", "label"))
        _insert(con, "doc_narr", narrs, ("seq", "label", "name"))
        _insert(con, "doc_actor", doc_actors, ("seq", "actor"))
        self._facets(lambda sql: con.execute(sql).fetchall(), store)

    def actor_named(self, value: str, store=None) -> str | None:
        """The canonical actor ``value`` names, in any case: the actor itself or one of the spellings the
        texts use for it ("Lukashenka", "Lukahsneko" -> "Alexander Lukashenko"; the actor most often spelt
        so); None when none. Spellings are looked up in ``store`` (the one the index was refreshed from)
        and remembered until the next refresh."""
        key = value.strip().lower()
        exact = next((actor for actor in self.actors if actor.lower() == key), None)
        if exact is not None or store is None or not self._with_actors:
            return exact
        if key not in self._spellings:
            self._spellings[key] = spelt_actor(store, key)
        return self._spellings[key]

    def search(self, query: str, filters: SearchFilters | None = None, limit: int = 20, offset: int = 0,
               store=None) -> tuple[list[SearchHit], int]:
        """Hits best first (documents matching more query words rank first, then BM25), and the total count.
        ``store``: the store the index was refreshed from (needed when it is searched where it lies)."""
        filters = filters or SearchFilters()
        terms = query_terms(query)
        where, params = _filter_sql(filters)
        params.update(limit=limit, offset=offset)
        with self._lock:
            if terms:
                params.update(terms=terms, k1=K1, b=B)
                sql = _BM25_SQL.format(filters=where)
                count_sql = ("SELECT count(DISTINCT p.seq) FROM postings p JOIN docs d USING (seq) "
                             f"WHERE p.term IN (SELECT unnest($terms::VARCHAR[])) AND {where}")
            else:
                sql = _BROWSE_SQL.format(filters=where)
                count_sql = f"SELECT count(*) FROM docs d WHERE {where}"
            count_params = {k: v for k, v in params.items() if f"${k}" in count_sql}
            if self._in_store:
                if store is None:
                    raise ValueError("this index reads its store: pass the store to search()")
                store.temp_views(_STORE_VIEWS)  # again: a connection closed when idle forgets them
                rows = store.query(sql, params)
                total = store.query(count_sql, count_params)[0][0]
            else:
                rows = self._con.execute(sql, params).fetchall()
                total = self._con.execute(count_sql, count_params).fetchall()[0][0]
        return [SearchHit(*r) for r in rows], total

    def close(self) -> None:
        with self._lock:  # waits for a build or query in progress
            self._con.close()


def _head(word: str) -> str:
    """A word's first two letters as its stem keeps them: Snowball (English, Russian) rewrites a word's end,
    and at its start only turns y into i ("dying" -> "die", "cry" -> "cri") and ё into е. Checked on the
    24,660 distinct words of the PolNeAR training texts, the seeds and the bundled examples: no exception."""
    return word[:2].replace("y", "i").replace("ё", "е")


def _may_stem_to(terms: set[str] | None):
    """None (every word), or a test of whether a word may stem to one of ``terms`` (its head is one of theirs)."""
    if terms is None:
        return None
    heads = {_head(t) for t in terms}
    return lambda word: _head(word) in heads


# The actor most often spelt ``key`` (lower-cased) in the texts: only spans of the key's length read the text.
_SPELLING_SQL = (
    "SELECT s.actor FROM (SELECT doc_seq, start, \"end\", attrs->>'actor' AS actor FROM spans "
    "WHERE layer = 'entity' AND \"end\" - start = length(?) AND attrs->>'actor' IS NOT NULL) s "
    "JOIN documents d ON d.seq = s.doc_seq WHERE lower(substr(d.text, s.start + 1, s.\"end\" - s.start)) = ? "
    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")


def spelt_actor(store, spelling: str) -> str | None:
    """The actor the texts most often name with ``spelling`` (any case), or None."""
    key = spelling.strip().lower()
    rows = store.query(_SPELLING_SQL, [key, key]) if key else []
    return rows[0][0] if rows else None


def actor_named(store, value: str) -> str | None:
    """The canonical actor ``value`` names in ``store``: the actor itself (any case) or a spelling the texts use."""
    key = value.strip().lower()
    exact = store.query("SELECT DISTINCT attrs->>'actor' FROM spans WHERE layer = 'entity' AND lower(attrs->>'actor') = ? "
                        "ORDER BY 1 LIMIT 1", [key]) if key else []
    return exact[0][0] if exact else spelt_actor(store, key)


def search_store(store, index: SearchIndex, query: str, filters: SearchFilters | None = None, limit: int = 20,
                 offset: int = 0, width: int = 240) -> tuple[list[dict], int]:
    """One page of hits as dicts (id, title, outlet, published, language, score, snippet, matches:
    the query words' offsets in the snippet), and the total: the index refreshed from ``store`` first.
    ``filters.actor`` may be any spelling of an actor the texts use."""
    index.refresh(store)
    if filters and filters.actor:  # a spelling names its actor ("Lukashenka"); a name nobody uses matches nothing
        filters = dataclasses.replace(filters, actor=index.actor_named(filters.actor, store) or filters.actor)
    hits, total = index.search(query, filters, limit=limit, offset=offset, store=store)
    terms = query_terms(query)
    texts = dict(store.query("SELECT id, text FROM documents WHERE seq IN (SELECT unnest(?::BIGINT[]))",
                             [[h.seq for h in hits]])) if hits else {}
    results = []
    for h in hits:
        text, marks = snippet(texts.get(h.id, ""), terms, width)
        results.append({"id": h.id, "title": h.title, "outlet": h.outlet, "published": h.published, "language": h.language,
                        "score": None if h.score is None else round(h.score, 4), "snippet": text, "matches": marks})
    return results, total


def _filter_sql(f: SearchFilters) -> tuple[str, dict]:
    clauses, params = ["TRUE"], {}
    if not f.include_duplicates:
        clauses.append("NOT d.duplicate")
    if f.outlet:
        clauses.append("d.outlet = $outlet")
        params["outlet"] = f.outlet
    dates, date_params = date_clause("d.published", f.date_from, f.date_to)
    clauses += dates
    params.update(date_params)
    if f.technique:
        clauses.append("d.seq IN (SELECT seq FROM doc_tech WHERE label = $technique)")
        params["technique"] = f.technique
    if f.narrative:
        clauses.append("d.seq IN (SELECT seq FROM doc_narr WHERE label = $narrative)")
        params["narrative"] = f.narrative
    if f.actor:
        clauses.append("d.seq IN (SELECT seq FROM doc_actor WHERE actor = $actor)")
        params["actor"] = f.actor
    return " AND ".join(clauses), params


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple], columns: tuple[str, ...]) -> None:
    if rows:
        _insert_columns(con, table, {name: np.array([r[i] for r in rows], dtype=object) for i, name in enumerate(columns)})


def _insert_columns(con: duckdb.DuckDBPyConnection, table: str, data: dict[str, np.ndarray]) -> None:
    if not len(next(iter(data.values()))):
        return
    columns = list(data)
    view = f"_{table}_rows"
    con.register(view, data)
    try:
        con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM {view}")
    finally:
        con.unregister(view)


def snippet(text: str, terms: list[str], width: int = 240) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` around the densest run of query words, and the words' offsets in it."""
    if not text:
        return "", []
    wanted = set(terms)
    hits = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text) if stem(m.group().lower()) in wanted] if wanted else []
    if not hits:
        cut = text[:width]
        return cut + ("…" if len(text) > width else ""), []
    starts = [s for s, _ in hits]
    best, best_n = 0, 0
    for i, s in enumerate(starts):  # the window start that covers the most hits
        n = bisect.bisect_left(starts, s + width, i) - i
        if n > best_n:
            best, best_n = i, n
    start = max(0, starts[best] - width // 4)
    start = text.rfind(" ", 0, start) + 1 if start > 0 else 0
    end = min(len(text), start + width)
    if end < len(text) and text.rfind(" ", start, end) > start + width // 2:
        end = text.rfind(" ", start, end)  # end on a word boundary
    piece = text[start:end]
    marks = [(s - start, e - start) for s, e in hits if s >= start and e <= end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + piece + suffix, [(s + len(prefix), e + len(prefix)) for s, e in marks]
