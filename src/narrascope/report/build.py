"""Build the report from the store: a list of sections, each a small function.

Later capabilities add a section by appending to ``SECTIONS``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .. import __version__
from .charts import bar_chart, column_chart

MAX_DOCS_LISTED = 500


@dataclass
class Section:
    id: str
    title: str
    html: Markup


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("narrascope", "report/templates"), autoescape=select_autoescape(default=True))


def overview_section(store) -> Section:
    by_outlet = store.query("SELECT coalesce(outlet, '(unknown)') AS o, count(*) FROM documents GROUP BY o ORDER BY 2 DESC, 1")
    by_lang = store.query("SELECT coalesce(language, 'und') AS l, count(*) FROM documents GROUP BY l ORDER BY 2 DESC, 1")
    by_month = store.query(
        "SELECT substr(published, 1, 7) AS m, count(*) FROM documents WHERE published IS NOT NULL AND length(published) >= 7 "
        "GROUP BY m ORDER BY m"
    )
    html = _env().get_template("overview.html.j2").render(
        outlet_chart=bar_chart([(o, n) for o, n in by_outlet]),
        language_chart=bar_chart([(lang, n) for lang, n in by_lang]),
        month_chart=column_chart([(m, n) for m, n in by_month]),
        undated=store.query("SELECT count(*) FROM documents WHERE published IS NULL")[0][0],
    )
    return Section("overview", "Documents by outlet, language and date", Markup(html))


def documents_section(store) -> Section:
    rows = store.query(
        "SELECT d.id, d.title, d.outlet, d.published, d.language, d.source, "
        "(SELECT count(*) FROM segments s WHERE s.doc_id = d.id) AS n_segments, "
        "(SELECT count(*) FROM spans p WHERE p.doc_id = d.id AND p.layer = 'sentence') AS n_sentences, "
        "(SELECT arg_max(duplicate_of, (coalesce(similarity, 0), duplicate_of)) FROM duplicates x WHERE x.doc_id = d.id) AS dup "
        f"FROM documents d ORDER BY d.published DESC NULLS LAST, d.outlet, d.title, d.id LIMIT {MAX_DOCS_LISTED}"
    )
    total = store.count()
    html = _env().get_template("documents.html.j2").render(rows=rows, total=total, limit=MAX_DOCS_LISTED)
    return Section("documents", f"Documents ({total})", Markup(html))


def segments_section(store) -> Section:
    rows = store.query(
        "SELECT d.id, d.title, s.idx, s.kind, s.title, s.outlet, s.\"end\" - s.start AS chars "
        "FROM segments s JOIN documents d ON d.id = s.doc_id "
        "WHERE s.doc_id IN (SELECT doc_id FROM segments GROUP BY doc_id HAVING count(*) > 1) "
        "ORDER BY d.id, s.idx"
    )
    by_kind = store.query("SELECT kind, count(*) FROM segments GROUP BY kind ORDER BY 2 DESC")
    html = _env().get_template("segments.html.j2").render(rows=rows, kind_chart=bar_chart(by_kind))
    return Section("segments", "Pages with several pieces", Markup(html))


def duplicates_section(store) -> Section:
    rows = store.query(
        "SELECT x.doc_id, a.outlet, a.title, x.duplicate_of, b.outlet, x.kind, x.similarity "
        "FROM duplicates x JOIN documents a ON a.id = x.doc_id LEFT JOIN documents b ON b.id = x.duplicate_of "
        "ORDER BY x.kind, x.similarity DESC"
    )
    html = _env().get_template("duplicates.html.j2").render(rows=rows)
    return Section("duplicates", f"Duplicates ({len(rows)})", Markup(html))


def problems_section(store) -> Section:
    rows = store.query("SELECT source, problem FROM sources WHERE status = 'problem' ORDER BY source LIMIT 500")
    html = _env().get_template("problems.html.j2").render(rows=rows)
    return Section("problems", f"Inputs that could not be analysed ({len(rows)})", Markup(html))


def _technique_definitions() -> dict[str, str]:
    try:
        from ..detect.techniques import technique_table
    except ImportError:  # pragma: no cover - the techniques model is part of the package
        return {}
    return {name: info.definition for name, info in technique_table().items()}


def techniques_section(store) -> Section | None:
    """Technique mix overall and per outlet, and each document's flagged passages."""
    totals = store.query("SELECT label, count(*) FROM spans WHERE layer = 'technique' GROUP BY label ORDER BY 2 DESC, 1")
    if not totals:
        return None
    per_outlet = store.query(
        "WITH words AS (SELECT coalesce(outlet, '(unknown)') AS o, count(*) AS docs, "
        "  sum(length(text) - length(replace(text, ' ', '')) + 1) AS words FROM documents "
        "  WHERE id NOT IN (SELECT doc_id FROM duplicates) GROUP BY o), "
        "tech AS (SELECT coalesce(d.outlet, '(unknown)') AS o, s.label, count(*) AS n FROM spans s "
        "  JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'technique' GROUP BY o, s.label) "
        "SELECT w.o, w.docs, w.words, coalesce(sum(t.n), 0) AS spans, "
        "  string_agg(t.label || ' (' || t.n || ')', ', ' ORDER BY t.n DESC, t.label) AS mix "
        "FROM words w LEFT JOIN tech t ON t.o = w.o GROUP BY w.o, w.docs, w.words ORDER BY spans DESC, w.o"
    )
    outlets = [(o, docs, words, spans, round(1000 * spans / max(1, words), 1), mix or "") for o, docs, words, spans, mix in per_outlet]
    rows = store.query(
        "SELECT d.id, d.title, d.outlet, s.start, s.\"end\", s.label, s.score, "
        "  substr(d.text, s.start + 1, s.\"end\" - s.start) AS passage "
        "FROM spans s JOIN documents d ON d.id = s.doc_id "
        "WHERE s.layer = 'technique' AND d.id IN (SELECT doc_id FROM spans WHERE layer = 'technique' "
        "  GROUP BY doc_id ORDER BY count(*) DESC, doc_id LIMIT 50) "
        "ORDER BY d.id, s.start, s.label"
    )
    docs: dict[str, dict] = {}
    for doc_id, title, outlet, start, end, label, score, passage in rows:
        entry = docs.setdefault(doc_id, {"id": doc_id, "title": title, "outlet": outlet, "passages": []})
        if len(entry["passages"]) < 25:
            entry["passages"].append({"label": label, "score": score, "text": passage, "start": start, "end": end})
    definitions = _technique_definitions()
    html = _env().get_template("techniques.html.j2").render(
        chart=bar_chart([(label.replace("_", " "), n) for label, n in totals], max_rows=23),
        outlets=outlets, docs=list(docs.values()), definitions=definitions,
    )
    total = sum(n for _, n in totals)
    return Section("techniques", f"Persuasion techniques ({total} passages)", Markup(html))


def _analysis_sections() -> list[Callable[[object], Section | None]]:
    from .analysis import actors_section, genre_frames_section, narratives_section, quotes_section
    from .corpus_sections import echoes_section, outlets_section, stories_section

    return [outlets_section, genre_frames_section, narratives_section, actors_section, quotes_section,
            stories_section, echoes_section]


SECTIONS: list[Callable[[object], Section | None]] = [
    overview_section,
    techniques_section,
    *_analysis_sections(),
    documents_section,
    segments_section,
    duplicates_section,
    problems_section,
]


def section_name(fn: Callable) -> str:
    """"echoes" for ``echoes_section``: what a progress line calls a section while it is computed."""
    return fn.__name__.removesuffix("_section").replace("_", " ")


def build_report(store, scope: str = "", on_section: Callable[[str, int, int], None] | None = None) -> str:
    """The report's HTML; ``scope`` says which part of the corpus it covers (a store restricted to it).
    ``on_section(name, k, n)`` is called as section k (from 1) of n starts."""
    sections = []
    for k, fn in enumerate(SECTIONS, 1):
        if on_section is not None:
            on_section(section_name(fn), k, len(SECTIONS))
        section = fn(store)
        if section is not None:
            sections.append(section)
    return _env().get_template("report.html.j2").render(
        sections=sections,
        scope=scope,
        total=store.count(),
        version=__version__,
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(store, path: str | Path, scope: str = "", on_section: Callable[[str, int, int], None] | None = None) -> int:
    html = build_report(store, scope, on_section)
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return store.count()
