"""Read-only queries behind the dashboard's pages; each returns plain data (the pages' JSON twins)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from ..cli_actors import actor_table
from ..corpus.outlets import MEAN_SCORE

ORIGINALS = "d.id NOT IN (SELECT doc_id FROM duplicates)"
DAY_BUCKETS_UP_TO = 92  # a corpus spanning up to ~3 months is charted by day, a longer one by month
TOP_SERIES = 6


def overview(store) -> dict:
    """Counts by outlet, language and date, timelines of techniques and narratives, the latest documents."""
    stats = store.stats()
    dated = store.query("SELECT min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM documents d "
                        f"WHERE regexp_matches(published, '^\\d{{4}}-\\d{{2}}-\\d{{2}}') AND {ORIGINALS}")[0]
    bucket_len = _bucket_length(*dated)
    bucket = f"substr(d.published, 1, {bucket_len})"
    dated_only = f"regexp_matches(d.published, '^\\d{{4}}-\\d{{2}}') AND {ORIGINALS}"
    documents = store.query(f"SELECT {bucket}, count(*) FROM documents d WHERE {dated_only} GROUP BY 1 ORDER BY 1")
    techniques = store.query(
        f"SELECT {bucket}, s.label, count(*) FROM spans s JOIN documents d ON d.id = s.doc_id "
        f"WHERE s.layer = 'technique' AND {dated_only} GROUP BY 1, 2")
    narratives = store.query(
        f"SELECT {bucket}, coalesce(l.attrs->>'name', l.label), count(DISTINCT d.id) FROM labels l JOIN documents d ON d.id = l.doc_id "
        f"WHERE l.layer IN ('narrative', 'user_narrative') AND l.label <> 'Other' AND {dated_only} GROUP BY 1, 2")
    buckets = sorted({r[0] for r in documents})
    latest = store.query(
        "SELECT d.id, d.title, d.outlet, d.published, d.language, "
        "  (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.layer = 'technique') AS techniques, "
        "  d.id IN (SELECT doc_id FROM duplicates) AS duplicate "
        "FROM documents d ORDER BY d.published DESC NULLS LAST, d.seq DESC LIMIT 25")
    return {
        "documents": stats["documents"],
        "by_outlet": stats["by_outlet"], "by_language": stats["by_language"], "by_month": stats["by_month"],
        "spans_by_layer": stats["spans_by_layer"], "labels_by_layer": stats["labels_by_layer"],
        "duplicates": stats["duplicates"], "segments_by_kind": stats["segments_by_kind"],
        "bucket": "day" if bucket_len == 10 else "month",
        "timeline": {
            "buckets": buckets,
            "documents": [dict(documents).get(b, 0) for b in buckets],
            "techniques": _series(techniques, buckets),
            "narratives": _series(narratives, buckets),
        },
        "latest": [dict(zip(("id", "title", "outlet", "published", "language", "techniques", "duplicate"), r)) for r in latest],
    }


def _bucket_length(first: str | None, last: str | None) -> int:
    try:
        days = (date.fromisoformat(last) - date.fromisoformat(first)).days
    except (TypeError, ValueError):
        return 7
    return 10 if days <= DAY_BUCKETS_UP_TO else 7


def _series(rows: list[tuple], buckets: list[str], top: int = TOP_SERIES) -> list[dict]:
    """The ``top`` labels by total as series over ``buckets``; the rest summed as "other"."""
    by_label: dict[str, dict[str, int]] = defaultdict(dict)
    for b, label, n in rows:
        by_label[label][b] = by_label[label].get(b, 0) + n
    ranked = sorted(by_label, key=lambda k: (-sum(by_label[k].values()), k))
    series = [{"name": k, "values": [by_label[k].get(b, 0) for b in buckets]} for k in ranked[:top]]
    rest = ranked[top:]
    if rest:
        series.append({"name": f"{len(rest)} others", "values": [sum(by_label[k].get(b, 0) for k in rest) for b in buckets]})
    return series


def actors(store, top: int = 200) -> list[dict]:
    return actor_table(store, top=top)


def actor_detail(store, name: str) -> dict | None:
    """How each outlet frames one actor over time (mentions, roles, tone), what the actor is quoted saying, where."""
    rows = actor_table(store, top=1, actor=name)
    if not rows:
        return None
    info = rows[0]
    framing = store.query(
        "SELECT coalesce(d.outlet, '(unknown)') AS o, substr(d.published, 1, 7) AS m, count(*) AS mentions, "
        "  count(DISTINCT d.id) AS docs, "
        "  count(*) FILTER (WHERE s.attrs->>'role' = 'Protagonist'), count(*) FILTER (WHERE s.attrs->>'role' = 'Antagonist'), "
        "  count(*) FILTER (WHERE s.attrs->>'role' = 'Innocent') "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'entity' AND s.attrs->>'actor' = ? AND {ORIGINALS} "
        "GROUP BY ALL ORDER BY o, m NULLS FIRST", [name])
    tone = {(o, m): (t, n) for o, m, t, n in store.query(
        f"SELECT coalesce(d.outlet, '(unknown)'), substr(d.published, 1, 7), {MEAN_SCORE}, count(*) FROM labels l "
        f"JOIN documents d ON d.id = l.doc_id WHERE l.layer = 'tone' AND l.label = ? AND l.score IS NOT NULL AND {ORIGINALS} "
        "GROUP BY ALL", [name])}
    by_outlet = []
    for o, m, mentions, docs, pro, ant, inn in framing:
        t = tone.get((o, m))
        by_outlet.append({"outlet": o, "month": m, "mentions": mentions, "documents": docs,
                          "roles": {"Protagonist": pro, "Antagonist": ant, "Innocent": inn} if pro + ant + inn else None,
                          "tone": None if t is None else round(t[0], 4), "tone_documents": None if t is None else t[1]})
    quotes = store.query(
        "SELECT d.id, d.title, coalesce(d.outlet, '(unknown)'), d.published, s.label, s.start, s.\"end\", "
        "  substr(d.text, s.start + 1, s.\"end\" - s.start) "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'quote' AND s.attrs->>'speaker' = ? AND {ORIGINALS} "
        "ORDER BY d.published NULLS LAST, d.id, s.start LIMIT 200", [name])
    documents = store.query(
        "SELECT d.id, d.title, coalesce(d.outlet, '(unknown)'), d.published, count(*) AS mentions, "
        "  list(DISTINCT s.attrs->>'role' ORDER BY s.attrs->>'role') FILTER (WHERE s.attrs->>'role' IS NOT NULL) "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'entity' AND s.attrs->>'actor' = ? AND {ORIGINALS} "
        "GROUP BY ALL ORDER BY d.published DESC NULLS LAST, d.id LIMIT 200", [name])
    return {
        **{k: info[k] for k in ("actor", "type", "actor_id", "wikidata", "mentions", "documents", "as_metonym", "variants", "tone")},
        "outlets": info["outlets"],
        "framing": by_outlet,
        "quotes": [dict(zip(("doc", "title", "outlet", "published", "kind", "start", "end", "text"), q)) for q in quotes],
        "in_documents": [{"doc": d, "title": t, "outlet": o, "published": p, "mentions": n, "roles": r or []}
                         for d, t, o, p, n, r in documents],
    }


def duplicates_of(store, doc_id: str) -> list[dict]:
    """Copies of this document and the document it copies, with kind and similarity."""
    rows = store.query(
        "SELECT x.doc_id, x.duplicate_of, x.kind, x.similarity, a.title, a.outlet, b.title, b.outlet "
        "FROM duplicates x LEFT JOIN documents a ON a.id = x.doc_id LEFT JOIN documents b ON b.id = x.duplicate_of "
        "WHERE x.doc_id = ? OR x.duplicate_of = ? ORDER BY x.similarity DESC NULLS LAST", [doc_id, doc_id])
    out = []
    for dup, orig, kind, sim, a_title, a_outlet, b_title, b_outlet in rows:
        other, title, outlet, relation = (orig, b_title, b_outlet, "copy of") if dup == doc_id else (dup, a_title, a_outlet, "copied by")
        out.append({"relation": relation, "id": other, "title": title, "outlet": outlet, "kind": kind, "similarity": sim})
    return out


def outlet_names(store) -> list[str]:
    """Outlets with at least one original (a linked duplicate does not count towards a profile)."""
    return [r[0] for r in store.query(f"SELECT DISTINCT coalesce(d.outlet, '(unknown)') FROM documents d WHERE {ORIGINALS} ORDER BY 1")]


def as_json(value):
    """Dataclasses and tuples to JSON-ready values."""
    return json.loads(json.dumps(value, default=lambda o: o.to_dict() if hasattr(o, "to_dict") else str(o)))
