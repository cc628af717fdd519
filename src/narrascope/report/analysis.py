"""Report sections for the article-level heads and the corpus view of actors and quotes.

Each function reads the store and returns a :class:`Section`, or ``None`` when the
layer it shows was not computed (a section never shows an empty table).
"""

from __future__ import annotations

import json
from collections import defaultdict

from markupsafe import Markup

from .build import Section, _env
from .charts import bar_chart, share_table

MAX_DOCS = 40
ROLES = ("Protagonist", "Antagonist", "Innocent")
NOT_DUPLICATE = "d.id NOT IN (SELECT doc_id FROM duplicates)"
MAX_SPREADS = 30  # narratives in the report's "how narratives spread" table


def genre_frames_section(store) -> Section | None:
    """Genre mix and frame mix, overall and per outlet."""
    genres = store.query(
        "SELECT coalesce(d.outlet, '(unknown)') AS o, l.label, count(*) FROM labels l JOIN documents d ON d.id = l.doc_id "
        f"WHERE l.layer = 'genre' AND l.segment IS NULL AND {NOT_DUPLICATE} GROUP BY o, l.label ORDER BY o, l.label"
    )
    frames = store.query(
        "SELECT coalesce(d.outlet, '(unknown)') AS o, l.label, count(*) FROM labels l JOIN documents d ON d.id = l.doc_id "
        f"WHERE l.layer = 'frame' AND l.segment IS NULL AND {NOT_DUPLICATE} GROUP BY o, l.label ORDER BY o, l.label"
    )
    if not genres and not frames:
        return None
    frame_totals: dict[str, int] = defaultdict(int)
    for _, label, n in frames:
        frame_totals[label] += n
    html = _env().get_template("genre_frames.html.j2").render(
        genre_table=share_table(genres, columns=("opinion", "reporting", "satire")),
        frame_chart=bar_chart(sorted(((k.replace("_", " "), v) for k, v in frame_totals.items()), key=lambda r: -r[1]), max_rows=14),
        frame_table=share_table(frames),
    )
    return Section("genre-frames", "Genre and frames", Markup(html))


def narratives_section(store) -> Section | None:
    """Narratives (trained taxonomy and user taxonomies) with their evidence sentences."""
    totals = store.query(
        "SELECT l.layer, l.label, coalesce(any_value(l.attrs->>'name'), l.label) AS name, count(*) AS n, "
        "  count(DISTINCT coalesce(d.outlet, '(unknown)')) AS outlets "
        "FROM labels l JOIN documents d ON d.id = l.doc_id "
        f"WHERE l.layer IN ('narrative', 'subnarrative', 'user_narrative') AND l.label <> 'Other' AND {NOT_DUPLICATE} "
        "GROUP BY l.layer, l.label ORDER BY n DESC, l.label"
    )
    if not totals:
        return None
    rows = store.query(
        "SELECT d.id, d.title, d.outlet, l.layer, l.label, coalesce(l.attrs->>'name', l.label), l.score, l.evidence, d.text "
        "FROM labels l JOIN documents d ON d.id = l.doc_id "
        f"WHERE l.layer IN ('narrative', 'user_narrative') AND l.label <> 'Other' AND {NOT_DUPLICATE} "
        "ORDER BY l.score DESC NULLS LAST, d.id LIMIT 400"
    )
    docs: dict[str, dict] = {}
    for doc_id, title, outlet, layer, label, name, score, evidence, text in rows:
        if doc_id not in docs and len(docs) >= MAX_DOCS:
            continue
        entry = docs.setdefault(doc_id, {"id": doc_id, "title": title, "outlet": outlet, "items": []})
        if isinstance(evidence, str):  # a JSON column comes back as text
            evidence = json.loads(evidence)
        quotes = [text[s:e] for s, e in (evidence or [])[:3] if 0 <= s < e <= len(text)]
        entry["items"].append({"layer": layer, "label": label, "name": name, "score": score, "evidence": quotes})
    by_layer: dict[str, list] = defaultdict(list)
    for layer, label, name, n, outlets in totals:
        by_layer[layer].append((name, n, outlets))
    from ..corpus.spread import narrative_spread, path_text
    from .charts_graph import story_timeline

    spreads = narrative_spread(store, min_outlets=2)[:MAX_SPREADS]
    html = _env().get_template("narratives.html.j2").render(
        charts={layer: bar_chart([(name, n) for name, n, _ in items], max_rows=20) for layer, items in by_layer.items()},
        tables=by_layer, docs=list(docs.values()), spreads=[(s, path_text(s)) for s in spreads],
        spread_timeline=story_timeline([(s.name, s.dated) for s in spreads[:15]]) if spreads else "",
    )
    return Section("narratives", f"Narratives ({sum(n for _, _, _, n, _ in totals)} matches)", Markup(html))


def actors_section(store) -> Section | None:
    """Canonical actors: mentions, documents, outlets, and how each outlet casts them."""
    actors = store.query(
        "SELECT coalesce(s.attrs->>'actor', substr(d.text, s.start + 1, s.\"end\" - s.start)) AS actor, "
        "  mode(s.label) AS type, count(*) AS mentions, count(DISTINCT s.doc_id) AS docs, "
        "  count(DISTINCT coalesce(d.outlet, '(unknown)')) AS outlets, "
        "  string_agg(DISTINCT substr(d.text, s.start + 1, s.\"end\" - s.start), ' · ' "
        "             ORDER BY substr(d.text, s.start + 1, s.\"end\" - s.start)) AS variants "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'entity' AND {NOT_DUPLICATE} "
        "GROUP BY actor ORDER BY docs DESC, mentions DESC, actor LIMIT 40"
    )
    if not actors:
        return None
    roles = store.query(
        "SELECT coalesce(s.attrs->>'actor', substr(d.text, s.start + 1, s.\"end\" - s.start)) AS actor, "
        "  coalesce(d.outlet, '(unknown)') AS o, s.attrs->>'role' AS role, count(*) "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'entity' AND s.attrs->>'role' IS NOT NULL AND {NOT_DUPLICATE} "
        "GROUP BY actor, o, role"
    )
    top = [a[0] for a in actors[:15]]
    framing = [(f"{actor} · {outlet}", role, n) for actor, outlet, role, n in roles if actor in top]
    framing.sort(key=lambda r: (top.index(r[0].rsplit(" · ", 1)[0]), r[0]))
    html = _env().get_template("actors.html.j2").render(
        actors=[(a, t, m, d, o, (v or "")[:200]) for a, t, m, d, o, v in actors],
        framing=share_table(framing, columns=ROLES) if framing else None,
    )
    return Section("actors", f"Actors ({len(actors)} most present)", Markup(html))


def quotes_section(store) -> Section | None:
    """Who is quoted, by which outlets, saying what."""
    speakers = store.query(
        "SELECT coalesce(s.attrs->>'speaker', '(unattributed)') AS who, count(*) AS n, count(DISTINCT s.doc_id) AS docs, "
        "  string_agg(DISTINCT coalesce(d.outlet, '(unknown)'), ', ' ORDER BY coalesce(d.outlet, '(unknown)')) AS outlets "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'quote' AND {NOT_DUPLICATE} "
        "GROUP BY who ORDER BY n DESC, who LIMIT 30"
    )
    if not speakers:
        return None
    samples = store.query(
        "SELECT s.attrs->>'speaker' AS who, d.outlet, d.title, substr(d.text, s.start + 1, s.\"end\" - s.start) AS content, s.label "
        f"FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'quote' AND s.attrs->>'speaker' IS NOT NULL AND {NOT_DUPLICATE} "
        "ORDER BY who, d.published NULLS LAST, d.id, s.start"
    )
    by_speaker: dict[str, list] = defaultdict(list)
    for who, outlet, title, content, kind in samples:
        if len(by_speaker[who]) < 5:
            by_speaker[who].append({"outlet": outlet, "title": title, "content": content[:400], "kind": kind})
    html = _env().get_template("quotes.html.j2").render(
        chart=bar_chart([(w, n) for w, n, _, _ in speakers], max_rows=20),
        speakers=speakers, samples=[(w, by_speaker[w]) for w, *_ in speakers if w in by_speaker][:15],
    )
    return Section("quotes", f"Quotes ({sum(n for _, n, _, _ in speakers)} found)", Markup(html))
