"""The corpus in one DuckDB file: schema, batched writes, reads, stats and export.

Layout and guarantees are described in docs/STORE.md.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
import threading
import uuid
from dataclasses import fields
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import numpy as np

from ..document import Document, Label, Segment, Span, text_hash
from ..errors import StoreError
from ..nlp.terms import WORDS_SQL, searchable, term_counts, word_count

# 2: the vectors table; 3: search terms (older stores gain them when opened for writing);
# 4: search_docs.words, each document's word count (counted in SQL once when an older store is opened for writing)
SCHEMA_VERSION = 4
EXPORT_FORMATS = ("csv", "jsonl", "parquet")
SOURCE_STATUSES = ("ok", "duplicate", "problem")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id VARCHAR PRIMARY KEY,
    seq BIGINT NOT NULL,
    source VARCHAR NOT NULL,
    outlet VARCHAR,
    url VARCHAR,
    title VARCHAR,
    authors VARCHAR[],
    published VARCHAR,
    language VARCHAR,
    fetched_at VARCHAR,
    text VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,
    meta JSON,
    versions JSON,
    run_id VARCHAR,
    stored_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    doc_id VARCHAR NOT NULL,
    doc_seq BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    title VARCHAR,
    outlet VARCHAR,
    authors VARCHAR[],
    published VARCHAR
);
CREATE TABLE IF NOT EXISTS spans (
    doc_id VARCHAR NOT NULL,
    doc_seq BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    label VARCHAR,
    score DOUBLE,
    attrs JSON
);
CREATE TABLE IF NOT EXISTS labels (
    doc_id VARCHAR NOT NULL,
    doc_seq BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    label VARCHAR,
    score DOUBLE,
    segment INTEGER,
    evidence JSON,
    attrs JSON
);
CREATE TABLE IF NOT EXISTS vectors (
    doc_id VARCHAR NOT NULL,
    doc_seq BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    vec BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS search_terms (
    doc_seq BIGINT NOT NULL,
    term VARCHAR NOT NULL,
    tf INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS search_docs (
    doc_seq BIGINT NOT NULL,
    len INTEGER NOT NULL,
    words INTEGER
);
CREATE TABLE IF NOT EXISTS duplicates (
    doc_id VARCHAR NOT NULL,
    duplicate_of VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    similarity DOUBLE,
    PRIMARY KEY (doc_id, duplicate_of)
);
CREATE TABLE IF NOT EXISTS signatures (
    doc_id VARCHAR PRIMARY KEY,
    text_hash VARCHAR NOT NULL,
    minhash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    source VARCHAR PRIMARY KEY,
    doc_id VARCHAR,
    status VARCHAR NOT NULL,
    problem VARCHAR,
    fingerprint VARCHAR,
    seen_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    config JSON,
    versions JSON,
    stats JSON,
    status VARCHAR NOT NULL
);
"""

_TABLES = ("documents", "segments", "spans", "labels", "vectors", "duplicates", "signatures", "sources", "runs")
# Each document's index terms for full-text search (nlp/terms.py), written with it; not counted in stats.
_SEARCH_TABLES = ("search_terms", "search_docs")
_CHILD_TABLES = ("segments", "spans", "labels", "vectors", *_SEARCH_TABLES)

_DOC_COLUMNS = (
    "id, seq, source, outlet, url, title, authors, published, language, fetched_at, "
    "text, text_hash, meta, versions, run_id, stored_at"
)
_SEGMENT_COLUMNS = 'doc_id, doc_seq, idx, start, "end", kind, title, outlet, authors, published'
_SPAN_COLUMNS = 'doc_id, doc_seq, idx, start, "end", layer, label, score, attrs'
_LABEL_COLUMNS = "doc_id, doc_seq, idx, layer, label, score, segment, evidence, attrs"
_VECTOR_COLUMNS = 'doc_id, doc_seq, idx, kind, start, "end", vec'
_SEARCH_TERM_COLUMNS = "doc_seq, term, tf"
_SEARCH_DOC_COLUMNS = "doc_seq, len, words"
VECTOR_DTYPE = "<f2"  # float16: 768 bytes per 384-d vector, ample precision for cosine similarity

_SIGNATURE_COLUMNS = "doc_id, text_hash, minhash"
_DUPLICATE_COLUMNS = "doc_id, duplicate_of, kind, similarity"
_SOURCE_COLUMNS = "source, doc_id, status, problem, fingerprint, seen_at"
_MAX_PENDING = 1000
_WRITE_ORDER = (
    ("documents", _DOC_COLUMNS),
    ("segments", _SEGMENT_COLUMNS),
    ("spans", _SPAN_COLUMNS),
    ("labels", _LABEL_COLUMNS),
    ("vectors", _VECTOR_COLUMNS),
    ("search_terms", _SEARCH_TERM_COLUMNS),
    ("search_docs", _SEARCH_DOC_COLUMNS),
    ("signatures", _SIGNATURE_COLUMNS),
)

_LOCK_PID = re.compile(r"\(PID (\d+)\)")



class StoredSource(NamedTuple):
    """What the store holds for one input (``sources`` rows stored as ok or duplicate)."""

    fingerprint: str | None
    # the run's versions["analysis"] ("stage+stage+...@digest", see engines.local.analysis_id), or for
    # documents stored before narrascope recorded it, its stage list alone
    analysis: str | None
    doc_id: str | None

class Store:
    """A narrascope corpus in one DuckDB file. Use as a context manager."""

    def __init__(self, path: str | Path = "narrascope.duckdb", read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        # One connection per Store; the lock makes a Store safe to share between threads.
        self._lock = threading.RLock()
        # Source outcomes and duplicate links wait here and are written with the next save's
        # transaction (one statement per batch instead of ~5-10 ms per row); see docs/STORE.md.
        self._pending_sources: dict[str, tuple] = {}
        self._pending_links: dict[tuple[str, str], tuple] = {}
        # source -> StoredSource (fingerprint, analysis, document id), loaded on first use
        self._done_sources: dict[str, StoredSource] | None = None
        self._run_analysis: str | None = None  # this Store's current run's, from start_run
        self.upgraded_from: int | None = None  # the schema version this opening brought up to date, if any
        self.scope: Any = None  # the corpus.scope.Scope the reads are restricted to (see restrict)
        self._con = _connect(self.path, read_only)
        try:
            self._check_or_create_schema()
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle -----------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                try:
                    self._flush_pending()
                finally:
                    self._con.close()
                    self._con = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_or_create_schema(self) -> None:
        tables = _tables(self._con)
        version = None
        if "schema_version" in tables:
            row = self._con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
            version = row[0] if row else None
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: store schema version {version} is newer than this narrascope supports "
                    f"({SCHEMA_VERSION}); upgrade narrascope to open it"
                )
            if version is not None and (self.read_only or (version == SCHEMA_VERSION and set(_TABLES) | set(_SEARCH_TABLES) <= tables)):
                return  # read-only: an older store lacks newer tables and columns; readers do without them
        if self.read_only:
            raise StoreError(f"{self.path}: a DuckDB file but not a narrascope store (no narrascope tables)")
        self._con.execute("BEGIN")
        try:
            self._con.execute(_SCHEMA)
            if "words" not in _columns(self._con, "search_docs"):  # a schema-3 store: count its words once, in SQL
                self._con.execute("ALTER TABLE search_docs ADD COLUMN words INTEGER")
                self._con.execute(f"UPDATE search_docs SET words = {WORDS_SQL} FROM documents d WHERE d.seq = search_docs.doc_seq")
            self._con.execute("DELETE FROM schema_version")
            self._con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
            self._con.execute("COMMIT")
            if version is not None and version < SCHEMA_VERSION:
                self.upgraded_from = version
        except duckdb.Error as e:
            _rollback(self._con)
            raise StoreError(f"{self.path}: could not create the store schema: {e}") from e

    def _require_writable(self) -> None:
        if self._con is None:
            raise StoreError(f"{self.path}: store is closed")
        if self.read_only:
            raise StoreError(f"{self.path}: store was opened read-only")

    def _conn(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._con

    def restrict(self, scope: Any) -> int:
        """Narrow every later read to the documents of ``scope`` (a ``corpus.scope.Scope``); returns how many.

        Temporary views named like the tables (documents, segments, spans, labels,
        vectors) are put in front of them for this connection, so every query of
        the corpus views reads the scoped corpus. Only a store opened read-only can
        be restricted: nothing may be written through the views.
        """
        if not self.read_only:
            raise StoreError(f"{self.path}: only a store opened read-only can be restricted to a scope")
        self.scope = scope
        where, params = scope.where()
        with self._lock:
            con = self._conn()
            catalog = con.execute("SELECT current_database()").fetchone()[0].replace('"', '""')
            tables = _tables(con)
            main = f'"{catalog}".main'
            # A view's text cannot hold parameters: the ids in scope go to a temporary table first.
            con.execute("CREATE OR REPLACE TEMP TABLE scope_ids AS SELECT id, seq FROM "
                        f"{main}.documents WHERE {where}", params)
            lo, hi = con.execute("SELECT coalesce(min(seq), 0), coalesce(max(seq), -1) FROM temp.scope_ids").fetchone()
            # The seq bounds (integers) let DuckDB skip row groups outside them by their min/max statistics.
            con.execute(f"CREATE OR REPLACE TEMP VIEW documents AS SELECT * FROM {main}.documents "
                        f"WHERE seq BETWEEN {int(lo)} AND {int(hi)} AND seq IN (SELECT seq FROM temp.scope_ids)")
            for table in _CHILD_TABLES:
                if table in tables:
                    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {main}.{table} "
                                f"WHERE doc_seq BETWEEN {int(lo)} AND {int(hi)} AND doc_seq IN (SELECT seq FROM temp.scope_ids)")
            return con.execute("SELECT count(*) FROM temp.scope_ids").fetchone()[0]

    def searchable(self) -> bool:
        """Whether every stored document has its search terms (a store written before schema 3 may not)."""
        with self._lock:
            con = self._conn()
            if not set(_SEARCH_TABLES) <= _tables(con):
                return False
            return not con.execute("SELECT count(*) FROM (SELECT 1 FROM documents WHERE seq NOT IN "
                                   "(SELECT doc_seq FROM search_docs) LIMIT 1)").fetchall()[0][0]

    def add_search_terms(self, batch_size: int = 500) -> int:
        """Give the stored documents that lack them their search terms (a store from before schema 3); returns how many."""
        self._require_writable()
        done = 0
        while True:
            with self._lock:
                con = self._con
                rows = con.execute("SELECT seq, title, text FROM documents WHERE seq NOT IN (SELECT doc_seq FROM search_docs) "
                                   "ORDER BY seq LIMIT ?", [batch_size]).fetchall()
                if not rows:
                    return done
                search_terms, search_docs = _search_columns(rows)
                con.execute("BEGIN")
                try:
                    _append(con, "search_terms", _SEARCH_TERM_COLUMNS, search_terms)
                    _append(con, "search_docs", _SEARCH_DOC_COLUMNS, search_docs)
                    con.execute("COMMIT")
                except BaseException:
                    _rollback(con)
                    raise
            done += len(rows)

    def temp_views(self, views: dict[str, str]) -> None:
        """Create (or replace) temporary views on this connection: name -> SELECT. A name may not be a table's."""
        clash = set(views) & (set(_TABLES) | set(_SEARCH_TABLES))
        if clash:
            raise StoreError(f"a temporary view may not be named like a table: {', '.join(sorted(clash))}")
        with self._lock:
            con = self._conn()
            for name, sql in views.items():
                con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    # -- runs ----------------------------------------------------------------
    def start_run(self, config: dict, versions: dict) -> str:
        """Record the start of a run; returns its id (sortable by start time)."""
        self._require_writable()
        self.add_search_terms()
        now = _utcnow()
        run_id = now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        with self._lock:
            self._run_analysis = versions.get("analysis")
            self._con.execute(
                "INSERT INTO runs (id, started_at, config, versions, status) VALUES (?, ?, ?, ?, 'running')",
                [run_id, now, _to_json(config), _to_json(versions)],
            )
        return run_id

    def finish_run(self, run_id: str, stats: dict, status: str = "done") -> None:
        self._require_writable()
        with self._lock:
            self._flush_pending()
            self._con.execute(
                "UPDATE runs SET finished_at = ?, stats = ?, status = ? WHERE id = ?",
                [_utcnow(), _to_json(stats), status, run_id],
            )

    # -- documents -----------------------------------------------------------
    def save(
        self,
        docs: list[Document],
        run_id: str,
        versions: dict[str, str],
        signatures: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Store a batch in one transaction, replacing any stored rows of the same ids.

        Either the whole batch is stored or none of it. Duplicate links are left
        alone (a doc id is a hash of its text, so a re-saved doc keeps its links).
        """
        self._require_writable()
        batch = _last_of_each_id(docs)
        if not batch:
            return
        signatures = signatures or {}
        by_id = {d.id: d for d in batch}
        # A changed input's new version replaces the document stored for it before (engines/local.py
        # checks that no other input or copy needs the old one): removed in the same transaction.
        replaced = [old for d in batch if (old := d.meta.pop("replaces", None)) and old not in by_id]
        unknown = [k for k in signatures if k not in by_id]
        if unknown:
            raise StoreError(f"signatures given for documents not in the batch: {', '.join(unknown[:5])}")
        # Columns are built before the transaction (seq numbers offset inside it) to keep it short.
        try:
            hashes = {d.id: text_hash(d.main_text()) for d in batch}  # the exact-duplicate key, once per doc
            tables = _batch_columns(batch, hashes, run_id, _to_json(versions), _utcnow())
            if signatures:
                tables["signatures"] = _signature_columns(signatures, hashes)
        except UnicodeEncodeError as e:
            raise StoreError(f"{self.path}: could not save a batch of {len(batch)} documents: {_explain(e, batch)}") from e
        ids = list(by_id)
        with self._lock:
            con = self._con
            con.execute("BEGIN")
            try:
                old = con.execute("SELECT seq FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids + replaced]).fetchall()
                if old:
                    _delete_children(con, [r[0] for r in old])
                    con.execute("DELETE FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids + replaced])
                if replaced:
                    con.execute("DELETE FROM signatures WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [replaced])
                    con.execute("DELETE FROM duplicates WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [replaced])
                if signatures:
                    con.execute("DELETE FROM signatures WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [list(signatures)])
                first_seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM documents").fetchall()[0][0]
                tables["documents"]["seq"] += first_seq
                for table in _CHILD_TABLES:
                    tables[table]["doc_seq"] += first_seq
                for table, columns in _WRITE_ORDER:
                    if table in tables:
                        _append(con, table, columns, tables[table])
                self._write_pending(con)
                con.execute("COMMIT")
                self._pending_sources.clear()
                self._pending_links.clear()
            except BaseException as e:
                _rollback(con)
                if isinstance(e, duckdb.Error):
                    raise StoreError(f"{self.path}: could not save a batch of {len(batch)} documents: {_explain(e, batch)}") from e
                raise

    def has(self, doc_id: str) -> bool:
        with self._lock:
            return self._conn().execute("SELECT 1 FROM documents WHERE id = ?", [doc_id]).fetchall() != []

    def known_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn().execute("SELECT id FROM documents").fetchall()}

    def count(self) -> int:
        with self._lock:
            return self._conn().execute("SELECT count(*) FROM documents").fetchall()[0][0]

    def find_ids(self, prefix: str) -> list[str]:
        """Stored ids starting with ``prefix`` (for short ids typed by a user)."""
        with self._lock:
            rows = self._conn().execute("SELECT id FROM documents WHERE starts_with(id, ?) ORDER BY id", [prefix]).fetchall()
        return [r[0] for r in rows]

    def get(self, doc_id: str) -> Document | None:
        with self._lock:
            con = self._conn()
            rows = con.execute("SELECT seq FROM documents WHERE id = ?", [doc_id]).fetchall()
            if not rows:
                return None
            docs = _load_documents(con, rows[0][0], rows[0][0])
        return docs[0] if docs else None

    def iter_documents(self, batch_size: int = 500) -> Iterator[Document]:
        """Every document stored when iteration starts, in stored order.

        Documents re-saved while iterating move to the end and are not revisited.
        """
        with self._lock:
            last = self._conn().execute("SELECT max(seq) FROM documents").fetchall()[0][0]
        if last is None:
            return
        after = 0
        while after < last:
            with self._lock:
                con = self._conn()
                bounds = con.execute(
                    "SELECT max(seq) FROM (SELECT seq FROM documents WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?)",
                    [after, last, batch_size],
                ).fetchall()[0][0]
                if bounds is None:
                    return
                docs = _load_documents(con, after + 1, bounds)
            yield from docs
            after = bounds

    # -- duplicates and signatures ------------------------------------------
    def add_duplicate(self, link: Any) -> None:
        """Record that ``link.doc_id`` duplicates ``link.duplicate_of`` (a dict works too).

        Written with the next save (or flush point, see docs/STORE.md).
        """
        self._require_writable()
        get = link.get if isinstance(link, Mapping) else lambda k: getattr(link, k)
        similarity = get("similarity")
        row = (str(get("doc_id")), str(get("duplicate_of")), str(get("kind")),
               None if similarity is None else float(similarity))
        with self._lock:
            self._pending_links[row[:2]] = row
            if len(self._pending_links) >= _MAX_PENDING:
                self._flush_pending()

    def duplicates(self) -> list[dict]:
        with self._lock:
            self._flush_pending()
            rows = self._conn().execute(
                "SELECT doc_id, duplicate_of, kind, similarity FROM duplicates ORDER BY doc_id, duplicate_of"
            ).fetchall()
        return [{"doc_id": a, "duplicate_of": b, "kind": k, "similarity": s} for a, b, k, s in rows]

    def signatures(self) -> Iterator[tuple[str, str, np.ndarray]]:
        """(doc_id, text_hash, minhash) of every stored signature, for rebuilding the dedup index."""
        after = ""
        while True:
            with self._lock:
                rows = self._conn().execute(
                    "SELECT doc_id, text_hash, minhash FROM signatures WHERE doc_id > ? ORDER BY doc_id LIMIT 10000", [after]
                ).fetchall()
            if not rows:
                return
            for doc_id, hash_, blob in rows:
                yield doc_id, hash_, np.frombuffer(blob, dtype="<u8").astype(np.uint64)
            after = rows[-1][0]

    def has_word_counts(self) -> bool:
        """Whether the store keeps each document's word count (``search_docs.words``, schema 4)."""
        with self._lock:
            return "words" in _columns(self._conn(), "search_docs")

    def has_vectors(self, kind: str = "document") -> bool:
        """Whether any embedding of this kind is stored (cheap, unlike :meth:`vectors`)."""
        with self._lock:
            con = self._conn()
            if "vectors" not in _tables(con):
                return False
            return bool(con.execute("SELECT count(*) FROM (SELECT 1 FROM vectors WHERE kind = ? LIMIT 1)", [kind]).fetchall()[0][0])

    def vectors(self, kind: str = "document", doc_ids: list[str] | None = None) -> tuple[list[tuple[str, int, int]], np.ndarray]:
        """Stored embeddings of one kind ("document" or "paragraph"): [(doc_id, start, end)] and a float32 matrix.

        Filled by the ``vectors`` stage; duplicates are never embedded. Empty for a
        store written before schema version 2.
        """
        with self._lock:
            con = self._conn()
            if "vectors" not in _tables(con):
                return [], np.zeros((0, 0), dtype=np.float32)
            sql = 'SELECT doc_id, start, "end", vec FROM vectors WHERE kind = ?'
            params: list = [kind]
            if doc_ids is not None:
                sql += " AND doc_id IN (SELECT unnest(?::VARCHAR[]))"
                params.append(list(doc_ids))
            rows = con.execute(sql + " ORDER BY doc_seq, idx", params).fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        keys = [(r[0], r[1], r[2]) for r in rows]
        matrix = np.stack([np.frombuffer(r[3], dtype=VECTOR_DTYPE) for r in rows]).astype(np.float32)
        return keys, matrix

    # -- sources -------------------------------------------------------------
    def record_source(
        self,
        source: str,
        doc_id: str | None,
        status: str,
        problem: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Remember an input and what became of it (the latest outcome per source wins).

        Written with the next save (or flush point, see docs/STORE.md).
        """
        self._require_writable()
        if status not in SOURCE_STATUSES:
            raise ValueError(f"unknown source status {status!r}; expected one of {', '.join(SOURCE_STATUSES)}")
        with self._lock:
            source = str(source)  # e.g. a Path
            self._pending_sources[source] = (source, doc_id, status, problem, fingerprint, _utcnow())
            if self._done_sources is not None:
                if status in ("ok", "duplicate"):
                    self._done_sources[source] = StoredSource(fingerprint, self._run_analysis, doc_id)
                else:
                    self._done_sources.pop(source, None)
            if len(self._pending_sources) >= _MAX_PENDING:
                self._flush_pending()

    def source_done(self, source: str, fingerprint: str) -> bool:
        """True if this exact input (same source, same fingerprint) was already stored."""
        stored = self.stored_source(source)
        return fingerprint is not None and stored is not None and stored.fingerprint == fingerprint

    def stored_source(self, source: str) -> StoredSource | None:
        """What is stored for ``source`` (whatever its fingerprint): its fingerprint, the analysis its document
        came from and the document's id; None when nothing is."""
        with self._lock:
            return self._sources_done().get(str(source))

    def replaceable(self, doc_id: str, source: str) -> bool:
        """Whether ``doc_id``, the stored document of ``source``, may give way to a new version of that
        input: no other input was stored as it, and no other document is linked to it as its copy."""
        with self._lock:
            self._flush_pending()
            con = self._conn()
            return not con.execute(
                "SELECT 1 FROM sources WHERE doc_id = ? AND source <> ? UNION ALL "
                "SELECT 1 FROM duplicates WHERE duplicate_of = ? LIMIT 1", [doc_id, str(source), doc_id]).fetchall()

    def _sources_done(self) -> dict[str, StoredSource]:
        """source -> StoredSource of every input stored (the lock held by the caller).
        One query, then lookups in memory: a re-run asks this for every input."""
        if self._done_sources is None:
            rows = self._conn().execute(
                "SELECT s.source, s.fingerprint, coalesce(json_extract_string(d.versions, '$.analysis'),"
                " json_extract_string(d.versions, '$.pipeline')), s.doc_id"
                " FROM sources s LEFT JOIN documents d ON d.id = s.doc_id WHERE s.status IN ('ok', 'duplicate')"
            ).fetchall()
            # a handful of distinct analyses over many sources: one string object each
            self._done_sources = {src: StoredSource(fp, sys.intern(a) if a else None, doc) for src, fp, a, doc in rows}
            for src, doc, status, _, fp, _ in self._pending_sources.values():
                if status in ("ok", "duplicate"):
                    self._done_sources[src] = StoredSource(fp, self._run_analysis, doc)
                else:
                    self._done_sources.pop(src, None)
        return self._done_sources

    def _flush_pending(self) -> None:
        """Write buffered source outcomes and duplicate links in one transaction."""
        if not (self._pending_sources or self._pending_links) or self._con is None:
            return
        con = self._con
        con.execute("BEGIN")
        try:
            self._write_pending(con)
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        self._pending_sources.clear()
        self._pending_links.clear()

    def _write_pending(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._pending_links:
            _append(con, "duplicates", _DUPLICATE_COLUMNS, _arrays(_DUPLICATE_COLUMNS, list(self._pending_links.values()),
                                                                    floats=("similarity",)), replace=True)
        if self._pending_sources:
            _append(con, "sources", _SOURCE_COLUMNS, _arrays(_SOURCE_COLUMNS, list(self._pending_sources.values())),
                    replace=True)

    # -- corpus-level reads --------------------------------------------------
    def stats(self) -> dict:
        """Corpus counts for the report: totals and breakdowns (None keys read "unknown")."""
        with self._lock:
            con = self._conn()
            self._flush_pending()

            def counts(sql: str) -> dict[str, int]:
                return {("unknown" if k is None else str(k)): n for k, n in con.execute(sql).fetchall()}

            present = _tables(con)
            totals = {t: (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] if t in present else 0)
                      for t in _TABLES}  # fixed names
            return {
                **totals,
                "by_outlet": counts("SELECT outlet, count(*) AS n FROM documents GROUP BY 1 ORDER BY n DESC, 1"),
                "by_language": counts("SELECT language, count(*) AS n FROM documents GROUP BY 1 ORDER BY n DESC, 1"),
                "by_month": counts(
                    "SELECT CASE WHEN regexp_matches(published, '^\\d{4}-\\d{2}') THEN substr(published, 1, 7) END AS month,"
                    " count(*) FROM documents GROUP BY 1 ORDER BY 1 NULLS LAST"
                ),
                "segments_by_kind": counts("SELECT kind, count(*) AS n FROM segments GROUP BY 1 ORDER BY n DESC, 1"),
                "duplicates_by_kind": counts("SELECT kind, count(*) AS n FROM duplicates GROUP BY 1 ORDER BY n DESC, 1"),
                "spans_by_layer": counts("SELECT layer, count(*) AS n FROM spans GROUP BY 1 ORDER BY n DESC, 1"),
                "labels_by_layer": counts("SELECT layer, count(*) AS n FROM labels GROUP BY 1 ORDER BY n DESC, 1"),
                "sources_by_status": counts("SELECT status, count(*) AS n FROM sources GROUP BY 1 ORDER BY n DESC, 1"),
            }

    def query(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        """Run one SQL statement and return its rows; any change it makes is rolled back."""
        with self._lock:
            con = self._conn()
            self._flush_pending()
            try:
                # One statement only: a second one could end the transaction that is rolled back.
                if len(con.extract_statements(sql)) != 1:
                    raise StoreError("query failed: give exactly one SQL statement")
            except duckdb.Error as e:
                raise StoreError(f"query failed: {e}") from e
            con.execute("BEGIN")
            try:
                return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
            except duckdb.Error as e:
                raise StoreError(f"query failed: {e}") from e
            finally:
                _rollback(con)

    def columns(self, sql: str, params: list | dict | None = None) -> dict[str, np.ndarray]:
        """Run one read-only SQL statement and return its columns as numpy arrays (for large results)."""
        with self._lock:
            con = self._conn()
            self._flush_pending()
            try:
                return con.execute(sql, params).fetchnumpy() if params is not None else con.execute(sql).fetchnumpy()
            except duckdb.Error as e:
                raise StoreError(f"query failed: {e}") from e

    # -- export --------------------------------------------------------------
    def export(self, path: str | Path, fmt: str) -> int:
        """Write every stored document to ``path`` as jsonl, csv or parquet; returns the count."""
        fmt = fmt.lower().lstrip(".")
        if fmt not in EXPORT_FORMATS:
            raise StoreError(f"unknown export format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")
        path = Path(path)
        if not path.parent.is_dir():
            raise StoreError(f"cannot export to {path}: directory {path.parent} does not exist")
        if path.is_dir():
            raise StoreError(f"cannot export to {path}: it is a directory")
        # Write next to the target and rename, so a failed export never leaves half a file.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            if fmt == "jsonl":
                n = self._export_jsonl(tmp)
            elif fmt == "csv":
                n = self._export_csv(tmp)
            else:
                n = self._export_parquet(tmp)
            os.replace(tmp, path)
        except OSError as e:
            raise StoreError(f"cannot export to {path}: {e.strerror or e}") from e
        finally:
            if tmp.exists():
                tmp.unlink()
        return n

    def _duplicate_of(self) -> dict[str, str]:
        with self._lock:
            self._flush_pending()
            rows = self._conn().execute(_DUPLICATE_OF_SQL).fetchall()
        return dict(rows)

    def _export_jsonl(self, path: Path) -> int:
        duplicate_of = self._duplicate_of()
        n = 0
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for doc in self.iter_documents():
                record = _document_record(doc)
                if doc.id in duplicate_of:
                    record["duplicate_of"] = duplicate_of[doc.id]
                fh.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
                n += 1
        return n

    def _export_csv(self, path: Path) -> int:
        header = ["id", "source", "outlet", "url", "title", "authors", "published", "language",
                  "n_segments", "n_spans", "duplicate_of", "text"]
        sql = f"""
            WITH dup AS ({_DUPLICATE_OF_SQL}),
                 seg AS (SELECT doc_seq, count(*) AS n FROM segments GROUP BY doc_seq),
                 spn AS (SELECT doc_seq, count(*) AS n FROM spans GROUP BY doc_seq)
            SELECT d.id, d.source, d.outlet, d.url, d.title, array_to_string(d.authors, '; '), d.published,
                   d.language, coalesce(seg.n, 0), coalesce(spn.n, 0), dup.duplicate_of, d.text
            FROM documents d
            LEFT JOIN seg ON seg.doc_seq = d.seq
            LEFT JOIN spn ON spn.doc_seq = d.seq
            LEFT JOIN dup ON dup.doc_id = d.id
            ORDER BY d.seq
        """
        n = 0
        # On this connection, not a cursor: a cursor is a connection of its own, which a scope's
        # temporary views (restrict) do not reach.
        with self._lock:
            self._flush_pending()
            result = self._conn().execute(sql)
            with open(path, "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
                writer.writerow(header)
                while rows := result.fetchmany(1000):
                    writer.writerows(rows)
                    n += len(rows)
        return n

    def _export_parquet(self, path: Path) -> int:
        # COPY takes no bound parameters for its target; the path is quoted as a SQL literal.
        target = str(path).replace("'", "''")
        with self._lock:
            self._flush_pending()
        sql = f"""
            COPY (
                WITH dup AS ({_DUPLICATE_OF_SQL}),
                seg AS (SELECT doc_seq, list({{'start': start, 'end': "end", 'kind': kind, 'title': title,
                            'outlet': outlet, 'authors': authors, 'published': published}} ORDER BY idx) AS segments
                        FROM segments GROUP BY doc_seq),
                spn AS (SELECT doc_seq, list({{'start': start, 'end': "end", 'layer': layer, 'label': label,
                            'score': score, 'attrs': attrs}} ORDER BY idx) AS spans
                        FROM spans GROUP BY doc_seq),
                lab AS (SELECT doc_seq, list({{'layer': layer, 'label': label, 'score': score, 'segment': segment,
                            'evidence': evidence, 'attrs': attrs}} ORDER BY idx) AS labels
                        FROM labels GROUP BY doc_seq)
                SELECT d.id, d.source, d.outlet, d.url, d.title, d.authors, d.published, d.language, d.fetched_at,
                       d.text, d.text_hash, d.meta, d.versions, d.run_id, d.stored_at,
                       coalesce(seg.segments, []) AS segments, coalesce(spn.spans, []) AS spans,
                       coalesce(lab.labels, []) AS labels, dup.duplicate_of
                FROM documents d
                LEFT JOIN seg ON seg.doc_seq = d.seq
                LEFT JOIN spn ON spn.doc_seq = d.seq
                LEFT JOIN lab ON lab.doc_seq = d.seq
                LEFT JOIN dup ON dup.doc_id = d.id
                ORDER BY d.seq
            ) TO '{target}' (FORMAT parquet)
        """
        with self._lock:
            con = self._conn()
            try:
                con.execute(sql)
            except duckdb.Error as e:
                raise StoreError(f"cannot export to {path}: {e}") from e
            return con.execute("SELECT count(*) FROM documents").fetchall()[0][0]


# One link per duplicate document: the closest original.
_DUPLICATE_OF_SQL = (
    "SELECT doc_id, arg_max(duplicate_of, (coalesce(similarity, 0), duplicate_of)) AS duplicate_of "
    "FROM duplicates GROUP BY doc_id"
)


# -- opening -----------------------------------------------------------------
def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise StoreError(f"{path}: no narrascope store here (file not found)")
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a DuckDB store file")
    if not read_only and not path.parent.is_dir():
        raise StoreError(f"{path}: cannot create the store, directory {path.parent} does not exist")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        message = str(e)
        if "not a valid DuckDB database file" in message:
            raise StoreError(f"{path}: not a DuckDB database file (is this the right path?)") from e
        if "Could not set lock" in message or "Conflicting lock" in message:
            pid = _LOCK_PID.search(message)
            who = f" (pid {pid.group(1)})" if pid else ""
            raise StoreError(f"{path} is in use by another narrascope process{who}? Wait for it to finish or stop it.") from e
        if "different configuration" in message:
            raise StoreError(f"{path}: already open in this process with another mode (read-only vs writable); close it first") from e
        raise StoreError(f"{path}: cannot open the store: {message}") from e


# -- writing -----------------------------------------------------------------
def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # After a fatal error DuckDB may refuse even ROLLBACK; the original error is the one to report.
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _last_of_each_id(docs: list[Document]) -> list[Document]:
    by_id: dict[str, Document] = {}
    for doc in docs:
        if not doc.id:
            raise StoreError(f"{doc.source}: document has no id (call Document.assign_id() first)")
        by_id.pop(doc.id, None)
        by_id[doc.id] = doc
    return list(by_id.values())


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The store's own tables in this file (not the temporary ones a scope adds)."""
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary").fetchall()}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of one of the store's own tables (empty when it has none)."""
    return {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = ?", [table]).fetchall()}


def _delete_children(con: duckdb.DuckDBPyConnection, seqs: list[int]) -> None:
    # The BETWEEN bounds let DuckDB skip row groups by their min/max statistics.
    lo, hi = min(seqs), max(seqs)
    for table in _CHILD_TABLES:
        con.execute(
            f"DELETE FROM {table} WHERE doc_seq BETWEEN ? AND ? AND doc_seq IN (SELECT unnest(?::BIGINT[]))",
            [lo, hi, seqs],
        )


def _append(con: duckdb.DuckDBPyConnection, table: str, columns: str, data: dict[str, np.ndarray], replace: bool = False) -> None:
    """Insert column arrays in one statement (DuckDB scans numpy arrays directly: ~10x executemany)."""
    if not len(next(iter(data.values()))):
        return
    view = f"_narrascope_{table}_batch"
    con.register(view, data)
    try:
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        con.execute(f"{verb} INTO {table} ({columns}) SELECT {columns} FROM {view}")
    finally:
        con.unregister(view)


def _batch_columns(batch: list[Document], hashes: dict[str, str], run_id: str, versions_json: str, stored_at: datetime) -> dict:
    """Column arrays for each table, seq numbered from 0 (row tuples transposed: far cheaper than per-field appends)."""
    seqs = range(len(batch))
    doc_rows = [
        (d.id, seq, d.source, d.outlet, d.url, d.title, list(d.authors or []), d.published, d.language,
         d.fetched_at, d.text, hashes[d.id], _to_json(d.meta), versions_json, run_id, stored_at)
        for seq, d in zip(seqs, batch)
    ]
    seg_rows = [
        (d.id, seq, i, g.start, g.end, g.kind, g.title, g.outlet, list(g.authors or []), g.published)
        for seq, d in zip(seqs, batch) for i, g in enumerate(d.segments)
    ]
    attrs_json = _AttrsJson()
    span_rows = [
        (d.id, seq, i, s.start, s.end, s.layer, s.label, s.score, attrs_json(s.attrs) if s.attrs else None)
        for seq, d in zip(seqs, batch) for i, s in enumerate(d.spans)
    ]
    label_rows = [
        (d.id, seq, i, lab.layer, lab.label, lab.score, -1 if lab.segment is None else lab.segment,
         _to_json([list(e) for e in lab.evidence]) if lab.evidence else None,
         _to_json(lab.attrs) if lab.attrs else None)
        for seq, d in zip(seqs, batch) for i, lab in enumerate(d.labels)
    ]
    vector_rows = [
        (d.id, seq, i, kind, start, end, np.asarray(vec, dtype=VECTOR_DTYPE).tobytes())
        for seq, d in zip(seqs, batch) for i, (kind, start, end, vec) in enumerate(d.cache.get("vectors") or [])
    ]
    search_terms, search_docs = _search_columns((seq, d.title, d.text, d.cache.get("search_terms")) for seq, d in zip(seqs, batch))
    return {
        "search_terms": search_terms,
        "search_docs": search_docs,
        "documents": _arrays(_DOC_COLUMNS, doc_rows, ints=("seq",)),
        "vectors": _arrays(_VECTOR_COLUMNS, vector_rows, ints=("doc_seq", "idx", "start", "end")),
        "segments": _arrays(_SEGMENT_COLUMNS, seg_rows, ints=("doc_seq", "idx", "start", "end")),
        "spans": _arrays(_SPAN_COLUMNS, span_rows, ints=("doc_seq", "idx", "start", "end"), floats=("score",)),
        "labels": _arrays(_LABEL_COLUMNS, label_rows, ints=("doc_seq", "idx"), floats=("score",), nullable=("segment",)),
    }


def _search_columns(docs) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``search_terms`` (doc_seq, term, tf) and ``search_docs`` (doc_seq, len, words) columns of (seq, title, text[, counted])
    tuples: what full-text search ranks by, and the text's word count. ``counted``: what a worker already counted
    (``doc.cache["search_terms"]``: the term counts, their total and the word count)."""
    seqs, lengths, words_of, distinct, terms, tfs = [], [], [], [], [], []
    for seq, title, text, *counted in docs:
        counts, length, words = (counted and counted[0]) or (*term_counts(searchable(title, text)), word_count(text))
        seqs.append(seq)
        lengths.append(length)
        words_of.append(words)
        distinct.append(len(counts))
        terms.extend(counts.keys())
        tfs.extend(counts.values())
    seq_array = np.array(seqs, dtype=np.int64)
    term_array = np.empty(len(terms), dtype=object)
    term_array[:] = terms
    return ({"doc_seq": np.repeat(seq_array, distinct), "term": term_array, "tf": np.array(tfs, dtype=np.int64)},
            {"doc_seq": seq_array, "len": np.array(lengths, dtype=np.int64), "words": np.array(words_of, dtype=np.int64)})


class _AttrsJson(dict):
    """``_to_json`` of span attrs, once per distinct attrs of string values (an actor's mentions share theirs)."""

    def __call__(self, attrs: dict[str, Any]) -> str:
        if not all(v is None or type(v) is str for v in attrs.values()):
            return _to_json(attrs)  # numbers and lists: 1 == 1.0 == True would share a key
        key = tuple(attrs.items())
        out = self.get(key)
        if out is None:
            out = self[key] = _to_json(attrs)
        return out


def _arrays(columns: str, rows: list[tuple], ints: tuple = (), floats: tuple = (), nullable: tuple = ()) -> dict[str, np.ndarray]:
    names = _names(columns)
    values_by_column = list(zip(*rows)) if rows else [()] * len(names)
    out: dict[str, np.ndarray] = {}
    for key, values in zip(names, values_by_column):
        if key in nullable:
            # -1 marks None in an int column; a masked array reaches DuckDB as NULL.
            arr = np.array(values, dtype=np.int64)
            out[key] = np.ma.masked_array(arr, mask=arr < 0)
        elif key in ints:
            out[key] = np.array(values, dtype=np.int64)
        elif key in floats:
            out[key] = np.array(values, dtype=np.float64)  # None becomes NaN, which reaches DuckDB as NULL
        else:
            arr = np.empty(len(values), dtype=object)
            if key == "authors":  # element-wise, so lists stay list objects instead of a 2-d array
                for i, v in enumerate(values):
                    arr[i] = v
            else:
                arr[:] = values
            out[key] = arr
    return out


def _signature_columns(signatures: dict[str, np.ndarray], hashes: dict[str, str]) -> dict[str, np.ndarray]:
    rows = [(i, hashes[i], np.asarray(sig, dtype="<u8").tobytes()) for i, sig in signatures.items()]
    return _arrays(_SIGNATURE_COLUMNS, rows)


def _names(columns: str) -> list[str]:
    return [c.strip().strip('"') for c in columns.split(",")]


def _explain(error: Exception, batch: list[Document]) -> str:
    """Name the document behind a conversion failure (e.g. a lone surrogate in its text)."""
    for doc in batch:
        try:
            json.dumps(doc.to_dict(), ensure_ascii=False, default=_json_default).encode("utf-8")
        except UnicodeEncodeError as ue:
            return f"document {doc.id} ({doc.source}) holds text that is not valid Unicode: {ue.reason}"
    return str(error)


# -- reading -----------------------------------------------------------------
def _load_documents(con: duckdb.DuckDBPyConnection, first_seq: int, last_seq: int) -> list[Document]:
    """Documents with seq in [first_seq, last_seq], children included, in seq order."""
    bounds = [first_seq, last_seq]
    rows = con.execute(
        "SELECT seq, id, source, outlet, url, title, authors, published, language, fetched_at, text, meta "
        "FROM documents WHERE seq BETWEEN ? AND ? ORDER BY seq",
        bounds,
    ).fetchall()
    docs: dict[int, Document] = {}
    for seq, id_, source, outlet, url, title, authors, published, language, fetched_at, text, meta in rows:
        docs[seq] = Document(
            source=source, text=text, id=id_, outlet=outlet, url=url, title=title, authors=list(authors or []),
            published=published, language=language, fetched_at=fetched_at, meta=json.loads(meta) if meta else {},
        )
    for seq, start, end, kind, title, outlet, authors, published in con.execute(
        'SELECT doc_seq, start, "end", kind, title, outlet, authors, published FROM segments '
        "WHERE doc_seq BETWEEN ? AND ? ORDER BY doc_seq, idx",
        bounds,
    ).fetchall():
        docs[seq].segments.append(Segment(start, end, kind, title, outlet, list(authors or []), published))
    for seq, start, end, layer, label, score, attrs in _rows(
        con,
        'SELECT doc_seq, start, "end", layer, label, score, attrs FROM spans '
        "WHERE doc_seq BETWEEN ? AND ? ORDER BY doc_seq, idx",
        bounds,
    ):
        docs[seq].spans.append(Span(start, end, layer, label, score, json.loads(attrs) if attrs else {}))
    for seq, layer, label, score, segment, evidence, attrs in _rows(
        con,
        "SELECT doc_seq, layer, label, score, segment, evidence, attrs FROM labels "
        "WHERE doc_seq BETWEEN ? AND ? ORDER BY doc_seq, idx",
        bounds,
    ):
        docs[seq].labels.append(Label(
            layer, label, score, segment,
            [tuple(e) for e in json.loads(evidence)] if evidence else [],
            json.loads(attrs) if attrs else {},
        ))
    return list(docs.values())


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> Iterator[tuple]:
    """Rows of a scalar-column query, fetched column-wise (about 2x faster than fetchall)."""
    columns = con.execute(sql, params).fetchnumpy()
    return zip(*(column.tolist() for column in columns.values()))  # masked (NULL) entries become None


def _document_record(doc: Document) -> dict[str, Any]:
    """Same dict as ``Document.to_dict()`` without ``dataclasses.asdict``'s deep copies (~10x faster)."""
    record = {name: getattr(doc, name) for name in _RECORD_FIELDS}
    record["segments"] = [{name: getattr(s, name) for name in _SEGMENT_FIELDS} for s in doc.segments]
    record["spans"] = [{name: getattr(s, name) for name in _SPAN_FIELDS} for s in doc.spans]
    record["labels"] = [{name: getattr(lab, name) for name in _LABEL_FIELDS} for lab in doc.labels]
    for lab in record["labels"]:
        lab["evidence"] = [list(e) for e in lab["evidence"]]
    return record


_RECORD_FIELDS = [f.name for f in fields(Document) if f.name not in ("raw", "raw_format", "cache")]
_SEGMENT_FIELDS = [f.name for f in fields(Segment)]
_SPAN_FIELDS = [f.name for f in fields(Span)]
_LABEL_FIELDS = [f.name for f in fields(Label)]


# -- helpers -----------------------------------------------------------------
def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


# One encoder for every row: json.dumps with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, default=_json_default, allow_nan=False)


def _to_json(value: Any) -> str:
    try:
        return _JSON.encode(value)
    except ValueError:  # NaN/inf are not JSON; DuckDB's JSON type would refuse them
        return json.dumps(_finite(json.loads(json.dumps(value, default=_json_default))), ensure_ascii=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value
