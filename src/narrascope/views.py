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

    findings = [s for s in doc.spans if s.layer not in STRUCTURE_LAYERS]
    if findings:
        console.print(Rule("findings"))
        for span in sorted(findings, key=lambda s: (s.start, s.layer)):
            score = f" {span.score:.2f}" if span.score is not None else ""
            console.print(f"[bold magenta]{escape(span.layer)}[/] [bold]{escape(span.label)}[/]{score}  "
                          f"[dim]{span.start}–{span.end}[/]")
            console.print("   “" + escape(span.text_of(doc)[:300]) + "”")
            definition = span_definition(span.layer, span.label)
            if definition:
                console.print(f"   [dim]{escape(definition)}[/]")
    for label in doc.labels:
        score = f" {label.score:.2f}" if label.score is not None else ""
        console.print(f"[bold magenta]{escape(label.layer)}[/] {escape(label.label)}{score}")
