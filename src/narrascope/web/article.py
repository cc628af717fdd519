"""The article view: clean text cut at span boundaries into highlighted pieces, and its JSON twin.

Every piece of text is escaped here (``markupsafe.escape``) before it is wrapped in
markup; the only markup is ours. Overlapping spans are handled by cutting the text at
every span boundary, so each piece carries the set of spans that cover it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..detect.techniques import technique_table
from ..document import Document
from ..views import document_actors

NARRATIVE_LAYERS = ("narrative", "subnarrative", "user_narrative")
_LINE = re.compile(r"[^\n]+")


@dataclass
class Mark:
    start: int
    end: int
    kind: str  # tech | quote | evid
    ref: str  # id of the list entry that explains it: t3, q0, n2
    colour: int = 0  # technique colour class
    score: float = 0.0


def technique_colours() -> dict[str, int]:
    """A stable colour index (CSS class ``c0``..``c22``) per technique, in the taxonomy's order."""
    return {name: i for i, name in enumerate(technique_table())}


def techniques_of(doc: Document) -> list[dict]:
    table, colours = technique_table(), technique_colours()
    rows = []
    for i, span in enumerate(sorted(doc.spans_of("technique"), key=lambda s: (s.start, s.end, s.label))):
        info = table.get(span.label)
        rows.append({"ref": f"t{i}", "technique": span.label, "name": span.label.replace("_", " "),
                     "score": span.score, "start": span.start, "end": span.end, "text": span.text_of(doc),
                     "definition": info.definition if info else None, "ptc": info.ptc if info else None,
                     "colour": colours.get(span.label, len(colours)) % 24})
    return rows


def quotes_of(doc: Document) -> list[dict]:
    rows = []
    for i, span in enumerate(sorted(doc.spans_of("quote"), key=lambda s: s.start)):
        cue = span.attrs.get("cue")
        source = span.attrs.get("source")
        rows.append({"ref": f"q{i}", "kind": span.label, "speaker": span.attrs.get("speaker"),
                     "start": span.start, "end": span.end, "text": span.text_of(doc),
                     "cue": doc.text[cue[0]:cue[1]] if _valid(cue, doc) else None,
                     "source": doc.text[source[0]:source[1]] if _valid(source, doc) else None})
    return rows


def narratives_of(doc: Document) -> list[dict]:
    rows = []
    for lab in doc.labels:
        if lab.layer not in NARRATIVE_LAYERS or lab.label == "Other":
            continue
        evidence = [(s, e) for s, e in lab.evidence if 0 <= s < e <= len(doc.text)]
        rows.append({"ref": f"n{len(rows)}", "layer": lab.layer, "label": lab.label, "name": lab.attrs.get("name") or lab.label,
                     "taxonomy": lab.attrs.get("taxonomy"), "score": lab.score, "segment": lab.segment,
                     "explanation": lab.attrs.get("explanation"),
                     "evidence": [{"start": s, "end": e, "text": doc.text[s:e]} for s, e in evidence]})
    return rows


def _valid(pair, doc: Document) -> bool:
    return isinstance(pair, (list, tuple)) and len(pair) == 2 and 0 <= pair[0] < pair[1] <= len(doc.text)


def article_payload(doc: Document, duplicates: list[dict] | None = None) -> dict:
    """Everything the article view shows, as plain data (the page's JSON twin)."""
    labels = {layer: [{"label": lab.label, "score": lab.score, "segment": lab.segment} for lab in doc.labels_of(layer)]
              for layer in ("genre", "frame")}
    return {
        "id": doc.id, "title": doc.title, "outlet": doc.outlet, "published": doc.published, "url": doc.url,
        "language": doc.language, "authors": list(doc.authors), "source": doc.source, "text": doc.text,
        "segments": [{"index": i, "kind": s.kind, "title": s.title, "outlet": s.outlet, "start": s.start, "end": s.end}
                     for i, s in enumerate(doc.segments)],
        "genre": labels["genre"], "frames": labels["frame"],
        "techniques": techniques_of(doc), "quotes": quotes_of(doc), "actors": document_actors(doc),
        "narratives": narratives_of(doc), "duplicates": duplicates or [],
        "warnings": list(doc.meta.get("warnings", [])), "affiliations": list(doc.meta.get("affiliations", [])),
        "duplicate_of": doc.meta.get("duplicate_of"),
    }


def marks_of(payload: dict) -> list[Mark]:
    marks = [Mark(t["start"], t["end"], "tech", t["ref"], t["colour"], t["score"] or 0.0) for t in payload["techniques"]]
    marks += [Mark(q["start"], q["end"], "quote", q["ref"]) for q in payload["quotes"]]
    marks += [Mark(e["start"], e["end"], "evid", n["ref"]) for n in payload["narratives"] for e in n["evidence"]]
    return [m for m in marks if m.end > m.start]


def highlighted_blocks(text: str, segments: list[dict], marks: list[Mark]) -> list[dict]:
    """Paragraph blocks of highlighted HTML, with a segment heading where a new segment starts (pages with several)."""
    marks = sorted(marks, key=lambda m: m.start)
    starts = [m.start for m in marks]
    seg_starts = sorted(segments, key=lambda s: s["start"]) if len(segments) > 1 else []
    blocks: list[dict] = []
    next_seg = 0
    for line in _LINE.finditer(text):
        p_start, p_end = line.start(), line.end()
        while next_seg < len(seg_starts) and seg_starts[next_seg]["start"] < p_end:
            blocks.append({"segment": seg_starts[next_seg]})
            next_seg += 1
        # Marks that overlap the paragraph: those starting before its end, minus those ending before its start.
        hi = bisect.bisect_left(starts, p_end)
        inside = [m for m in marks[:hi] if m.end > p_start]
        blocks.append({"html": _paragraph_html(text, p_start, p_end, inside), "start": p_start})
    return blocks


def _paragraph_html(text: str, p_start: int, p_end: int, marks: list[Mark]) -> Markup:
    if not marks:
        return escape(text[p_start:p_end])
    cuts = {p_start, p_end}
    for m in marks:
        cuts.add(max(p_start, m.start))
        cuts.add(min(p_end, m.end))
    cuts = sorted(cuts)
    parts: list[str] = []
    for a, b in zip(cuts, cuts[1:]):
        piece = escape(text[a:b])
        covering = [m for m in marks if m.start <= a and m.end >= b]
        if not covering:
            parts.append(piece)
            continue
        kinds = {m.kind for m in covering}
        techs = sorted((m for m in covering if m.kind == "tech"), key=lambda m: -m.score)
        classes = ["hl", *sorted(kinds)]
        if techs:
            classes.append(f"c{techs[0].colour}")
            if len(techs) > 1:
                classes.append("multi")
        refs = " ".join(m.ref for m in covering)
        parts.append(f'<span class="{" ".join(classes)}" data-refs="{refs}">{piece}</span>')
    return Markup("".join(parts))
