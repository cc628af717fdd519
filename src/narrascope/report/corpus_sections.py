"""Report sections for the corpus views: outlet profiles, stories across outlets, echoed passages.

Each function reads the store and returns a :class:`Section`, or ``None`` when there
is nothing to show (no documents, no vectors, no story or echo across outlets).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .build import Section, _env
from .charts import bar_chart, share_table
from .charts_graph import propagation_graph, story_timeline

MAX_STORIES = 25
TOLD_STORIES = 6
MAX_ECHOES = 30
TONE_ACTORS = 15  # columns of the outlet x actor tone table


def outlets_section(store) -> Section | None:
    """Profiles of every outlet side by side, technique density and mix, and the differences that stand out."""
    from ..corpus.outlets import compare_outlets, outlet_profiles

    profiles = outlet_profiles(store)
    if not profiles:
        return None
    differences = compare_outlets(store, [p.outlet for p in profiles]).differences[:20] if len(profiles) >= 2 else []
    density = [(p.outlet, p.technique_density) for p in profiles if p.technique_density is not None]
    mix = [(p.outlet, s.label, s.count) for p in profiles for s in (p.techniques or [])]
    html = _env().get_template("outlets.html.j2").render(
        profiles=profiles, differences=differences,
        density_chart=bar_chart(sorted(density, key=lambda r: -r[1]), unit="") if density else None,
        mix_table=share_table(mix) if mix else None,
        tone_table=tone_table(profiles),
    )
    return Section("outlets", f"Outlets ({len(profiles)})", Markup(html))


def tone_table(profiles, max_actors: int = TONE_ACTORS) -> Markup | None:
    """Outlet x actor heat table of mean tone: red cells negative, blue positive, stronger colour further from 0.

    Columns are the actors scored in the most outlets (then documents); ``None`` when no tone was computed.
    """
    scored = [(p.outlet, a) for p in profiles for a in (p.actors or []) if a.tone is not None]
    if not scored:
        return None
    reach: dict[str, list[int]] = {}
    for _, a in scored:
        r = reach.setdefault(a.actor, [0, 0])
        r[0] += 1
        r[1] += a.tone_documents or 0
    actors = sorted(reach, key=lambda x: (-reach[x][0], -reach[x][1], x))[:max_actors]
    cells = {(o, a.actor): a for o, a in scored}
    outlets = [p.outlet for p in profiles if any((p.outlet, x) in cells for x in actors)]
    parts = ['<table class="heat tone"><tr><th>outlet</th>', *(f"<th>{escape(x)}</th>" for x in actors), "</tr>"]
    for outlet in outlets:
        parts.append(f"<tr><td>{escape(outlet)}</td>")
        for x in actors:
            a = cells.get((outlet, x))
            if a is None:
                parts.append('<td class="num muted">·</td>')
                continue
            rgb = "196,78,82" if a.tone < 0 else "59,110,165"
            alpha = 0.08 + 0.8 * min(1.0, abs(a.tone) / 0.5)  # news tone rarely leaves ±0.5; saturate there
            title = f"{outlet} on {x}: mean tone {a.tone:+.2f} over {a.tone_documents} documents, {a.mentions} mentions"
            parts.append(f'<td class="num" style="background: rgba({rgb},{alpha:.2f})" title="{escape(title)}">{a.tone:+.2f}</td>')
        parts.append("</tr>")
    parts.append("</table>")
    return Markup("".join(parts))


def stories_section(store) -> Section | None:
    """Stories told by two or more outlets, a timeline of who published when, and how each outlet told the top ones."""
    from ..corpus.stories import find_stories, how_outlets_told

    stories = find_stories(store, min_outlets=2)[:MAX_STORIES]
    if not stories:
        return None
    told = [(s, how_outlets_told(store, s)) for s in stories[:TOLD_STORIES]]
    first = {}
    for s in stories:
        if s.first_outlet:
            first[s.first_outlet] = first.get(s.first_outlet, 0) + 1
    html = _env().get_template("stories.html.j2").render(
        stories=stories, told=told,
        timeline=story_timeline([(f"{s.id} {s.label}", [(d.published or "", d.outlet) for d in s.documents]) for s in stories[:15]]),
        first_chart=bar_chart(sorted(first.items(), key=lambda r: (-r[1], r[0]))),
    )
    return Section("stories", f"Stories across outlets ({len(stories)} shown)", Markup(html))


def echoes_section(store) -> Section | None:
    """Echoed passages with who had them first, and the propagation graph between outlets."""
    from ..corpus.echoes import THRESHOLD, find_echoes, propagation_edges

    echoes = find_echoes(store)
    if not echoes:
        return None
    edges = propagation_edges(echoes)
    html = _env().get_template("echoes.html.j2").render(
        echoes=echoes[:MAX_ECHOES], total=len(echoes), graph=propagation_graph(edges), edges=edges[:30], threshold=THRESHOLD,
    )
    return Section("echoes", f"Echoed passages ({len(echoes)} chains)", Markup(html))
