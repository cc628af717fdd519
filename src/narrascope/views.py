"""Terminal rendering of one stored document (``narrascope show``)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from .document import Document

STRUCTURE_LAYERS = {"paragraph", "sentence"}


def span_definition(layer: str, label: str) -> str | None:
    """One-line definition of a span label, when the layer's model ships one."""
    if layer == "technique":
        from .detect.techniques import technique_table

        info = technique_table().get(label)
        return info.definition if info else None
    return None


def render_document_text(doc: Document, console: Console) -> None:
    console.print(Rule(f"[bold]{escape(doc.title or '(no title)')}"))
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    for key, value in [
        ("id", doc.id), ("outlet", doc.outlet), ("published", doc.published), ("authors", ", ".join(doc.authors)),
        ("language", doc.language), ("source", doc.source), ("url", doc.url),
    ]:
        if value:
            info.add_row(key, escape(str(value)))
    for aff in doc.meta.get("affiliations", []):
        info.add_row("affiliation", escape(f"{aff.get('organisation')} — “{aff.get('evidence', '')[:120]}”"))
    dup = doc.meta.get("duplicate_of")
    if dup:
        info.add_row("duplicate of", escape(f"{dup['id']} ({dup['kind']}, similarity {dup['similarity']:.2f})"))
    for w in doc.meta.get("warnings", []):
        info.add_row("warning", escape(w))
    console.print(info)

    counts = Counter(s.layer for s in doc.spans)
    if counts:
        console.print("[dim]" + ", ".join(f"{n} {layer} spans" for layer, n in sorted(counts.items())) + "[/]")

    for i, seg in enumerate(doc.segments):
        head = f"segment {i} · {seg.kind}" + (f" · {seg.title}" if seg.title else "") + (f" · {seg.outlet}" if seg.outlet else "")
        console.print(f"\n[bold cyan]{escape(head)}[/]")
        text = seg.text_of(doc)
        console.print(escape(text if len(text) <= 1500 else text[:1500] + " …"))

    render_labels(doc, console)
    render_findings(doc, console)
    render_actors(doc, console)
    render_quotes(doc, console)


def _score(value: float | None) -> str:
    return f" {value:.2f}" if value is not None else ""


def render_labels(doc: Document, console: Console) -> None:
    """Genre, frames and narratives (with their evidence sentences)."""
    if not any(lab.layer != "tone" for lab in doc.labels):
        return
    console.print(Rule("article"))
    seg_name = {None: "document"} | {i: f"segment {i}" for i in range(len(doc.segments))}
    for layer in ("genre", "frame"):
        found = [lab for lab in doc.labels if lab.layer == layer]
        by_segment: dict[int | None, list] = {}
        for lab in found:
            by_segment.setdefault(lab.segment, []).append(lab)
        for segment, labs in by_segment.items():
            items = ", ".join(f"{escape(lab.label.replace('_', ' '))}{_score(lab.score)}"
                              for lab in sorted(labs, key=lambda x: -(x.score or 0)))
            console.print(f"[bold magenta]{layer}[/] [dim]({seg_name.get(segment, segment)})[/] {items}")
    for lab in doc.labels:
        # tone: one number per actor, in the actors table (its evidence sentences are in --json)
        if lab.layer in ("genre", "frame", "tone"):
            continue
        name = lab.attrs.get("name") or lab.label
        where = f" [dim]({escape(lab.attrs['taxonomy'])})[/]" if lab.attrs.get("taxonomy") else ""
        console.print(f"[bold magenta]{escape(lab.layer.replace('_', ' '))}[/] {escape(name)}{_score(lab.score)}{where}")
        for start, end in lab.evidence[:3]:
            console.print("   [dim]evidence[/] “" + escape(doc.text[start:end][:300]) + "”")


def render_findings(doc: Document, console: Console) -> None:
    """Technique passages (and any other span layer without its own view), with definitions."""
    findings = [s for s in doc.spans if s.layer not in STRUCTURE_LAYERS | {"entity", "quote"}]
    if not findings:
        return
    console.print(Rule("findings"))
    for span in sorted(findings, key=lambda s: (s.start, s.layer)):
        console.print(f"[bold magenta]{escape(span.layer)}[/] [bold]{escape(span.label)}[/]{_score(span.score)}  "
                      f"[dim]{span.start}–{span.end}[/]")
        console.print("   “" + escape(span.text_of(doc)[:300]) + "”")
        definition = span_definition(span.layer, span.label)
        if definition:
            console.print(f"   [dim]{escape(definition)}[/]")


def document_actors(doc: Document) -> list[dict]:
    """One row per canonical actor of a document: type, mentions, spellings seen, roles, tone; most mentioned first."""
    tones = {label.label: label for label in doc.labels_of("tone")}
    actors: dict[str, dict] = {}
    for span in doc.spans_of("entity"):
        name = span.attrs.get("actor") or span.text_of(doc)
        entry = actors.setdefault(name, {"actor": name, "type": span.label, "mentions": 0, "variants": Counter(),
                                         "roles": Counter(), "metonym_of": None})
        entry["mentions"] += 1
        entry["variants"][span.text_of(doc)] += 1
        if span.attrs.get("role"):
            entry["roles"][span.attrs["role"]] += 1
        entry["metonym_of"] = entry["metonym_of"] or span.attrs.get("metonym_of")
    rows = []
    for name, e in sorted(actors.items(), key=lambda kv: (-kv[1]["mentions"], kv[0])):
        tone = tones.get(name)
        rows.append({**e, "variants": [v for v, _ in e["variants"].most_common()], "roles": dict(e["roles"].most_common()),
                     "tone": None if tone is None else tone.score})
    return rows


def render_actors(doc: Document, console: Console) -> None:
    """One row per canonical actor: type, mentions, spellings seen, role, tone."""
    rows = document_actors(doc)
    if not rows:
        return
    table = Table(title="actors", title_justify="left", show_edge=False)
    for col in ("actor", "type", "mentions", "written as", "role", "tone"):
        table.add_column(col, justify="right" if col in ("mentions", "tone") else "left")
    for e in rows:
        roles = ", ".join(f"{r} ×{n}" for r, n in e["roles"].items())
        table.add_row(escape(e["actor"]), escape(e["type"] or ""), str(e["mentions"]),
                      escape(" · ".join(e["variants"][:4])), escape(roles),
                      "" if e["tone"] is None else f"{e['tone']:+.2f}")
    console.print(table)


def render_quotes(doc: Document, console: Console) -> None:
    quotes = doc.spans_of("quote")
    if not quotes:
        return
    console.print(Rule("quotes"))
    for span in sorted(quotes, key=lambda s: s.start):
        speaker = span.attrs.get("speaker") or "(unattributed)"
        console.print(f"[bold]{escape(str(speaker))}[/] [dim]{escape(span.label)}[/]: “" + escape(span.text_of(doc)[:300]) + "”")
