"""Split one page into its pieces: main article, appended articles, aggregator excerpts.

Works on the page's lines *with* the structure markers still in place
("Latest", "Published", "on", bylines, "Continue Reading", "</end editorial>"):
they decide where pieces start and give their authors and outlets, and are
then dropped. Three page shapes, tried in order:

1. marker blocks: a headline, optional standfirst, author line, then a
   "Published" marker starts an article; the first is the main one, later
   ones are "appended" (a site's "Latest" teasers);
2. aggregator: headlines that credit an outlet ("Title | Fox News",
   "Title – Bloomberg", "Tom Rogan | Title") or an "</end editorial>" marker
   split the page into the aggregator's own editorial (the "main" segment),
   its further comment ("editorial") and credited "excerpt" segments;
3. otherwise one "main" segment; short headings inside it stay in its text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..document import Segment
from .boilerplate import LEAD_CAPTION, Rule, classify_lines
from .lines import is_prose, looks_like_author_line, looks_like_headline, looks_like_person_name, repeats_title, split_lines
from .metadata import parse_date, split_headline_credit


@dataclass
class SegmentDraft:
    """One piece of a page before it is placed in the final text."""

    kind: str  # main | appended | excerpt | editorial
    paragraphs: list[str] = field(default_factory=list)
    title: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    standfirst: str | None = None  # the summary under the headline: header, like the title

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class SegmentedPage:
    """What segmentation learnt about a page."""

    segments: list[SegmentDraft]
    title: str | None = None
    source_credit: str | None = None  # "Source: Eurasia Future" / "Via RT" on the main piece
    captions: list[str] = field(default_factory=list)  # teaser/video captions dropped above the body
    removed: dict[str, int] = field(default_factory=dict)  # boilerplate rule -> lines removed

    @property
    def main(self) -> SegmentDraft:
        return next(s for s in self.segments if s.kind == "main")


@dataclass
class _Entry:
    line: str
    rule: Rule | None  # None = content; else a structure marker

    @property
    def is_content(self) -> bool:
        return self.rule is None

    def marker(self, *names: str) -> bool:
        return self.rule is not None and self.rule.name in names


@dataclass
class _Block:
    start: int  # first header line (headline, standfirst or author)
    head: int | None
    standfirst: int | None
    author: int | None
    body: int  # first line after "Published" and its trailing header markers


# Markers that may follow "Published" before the body starts.
_HEADER_MARKERS = ("published", "published_on", "byline", "credit_line")


def segment_text(text: str) -> list[SegmentDraft]:
    """The pieces of a page given as text (one paragraph per line)."""
    return segment_page(text).segments


def segment_page(text: str, title: str | None = None) -> SegmentedPage:
    """Segments plus page-level findings (title, source credit, dropped captions).

    ``text`` may still hold boilerplate; it is classified and dropped here.
    ``title`` is the page title when known from elsewhere (HTML metadata).
    """
    lines = split_lines(text)
    labels = classify_lines(lines, title)
    page = SegmentedPage(segments=[])
    page.removed = dict(Counter(lab.name for lab in labels if lab is not None and lab.kind == "junk"))
    page.captions = [line for line, lab in zip(lines, labels) if lab is LEAD_CAPTION]
    entries = [_Entry(line, lab) for line, lab in zip(lines, labels) if lab is None or lab.kind == "marker"]
    if title:
        first = next((i for i, e in enumerate(entries) if e.is_content), None)
        if first is not None and repeats_title(entries[first].line, title):
            del entries[first]

    blocks = _article_blocks(entries)
    if blocks and not any(e.is_content and is_prose(e.line) for e in entries[: blocks[0].start]):
        page.segments = _segments_from_blocks(entries, blocks, page)
    else:
        page_title, entries = _take_title(entries, title)
        blocks = _article_blocks(entries)
        page.segments = (
            _segments_from_blocks(entries, blocks, page, lead_title=page_title)
            if blocks
            else _aggregator_segments(entries, page_title, page) or _single_segment(entries, page_title, page)
        )
    page.segments = [s for s in page.segments if s.paragraphs]
    if page.segments and not any(s.kind == "main" for s in page.segments):
        page.segments[0].kind = "main"
    if page.segments:
        page.title = title or page.main.title
    else:
        page.title = title
    return page


def assemble(drafts: list[SegmentDraft]) -> tuple[str, list[Segment]]:
    """The final text (paragraphs joined by blank lines) and the segment spans over it."""
    parts: list[str] = []
    segments: list[Segment] = []
    pos = 0
    for draft in drafts:
        if not draft.paragraphs:
            continue
        body = draft.text
        if parts:
            pos += 2  # the "\n\n" between segments
        segments.append(Segment(pos, pos + len(body), draft.kind, draft.title, draft.outlet, list(draft.authors), draft.published))
        parts.append(body)
        pos += len(body)
    return "\n\n".join(parts), segments


# -- page shapes ---------------------------------------------------------------


def _article_blocks(entries: list[_Entry]) -> list[_Block]:
    blocks: list[_Block] = []
    for p, entry in enumerate(entries):
        if not entry.marker("published") or (p > 0 and entries[p - 1].marker("published")):
            continue
        j = p - 1
        author = standfirst = head = None
        if j >= 0 and entries[j].is_content and looks_like_author_line(entries[j].line):
            author, j = j, j - 1
        if j >= 0 and entries[j].is_content and is_prose(entries[j].line):
            standfirst, j = j, j - 1
        if j >= 0 and entries[j].is_content and looks_like_headline(entries[j].line):
            head, j = j, j - 1
        start = next(k for k in (head, standfirst, author, p) if k is not None)
        if head is None:
            # Headline-less header only at the very top (the title came from elsewhere).
            if author is None or blocks or any(e.is_content for e in entries[:start]):
                continue
        if blocks and start < blocks[-1].body:
            continue
        body = p + 1
        while body < len(entries) and entries[body].marker(*_HEADER_MARKERS):
            body += 1
        blocks.append(_Block(start, head, standfirst, author, body))
    return blocks


def _segments_from_blocks(
    entries: list[_Entry], blocks: list[_Block], page: SegmentedPage, lead_title: str | None = None
) -> list[SegmentDraft]:
    drafts: list[SegmentDraft] = []
    lead = entries[: blocks[0].start]
    if any(e.is_content and is_prose(e.line) for e in lead):
        # An article without markers, followed by marker blocks: those are appended teasers.
        drafts.append(_single_segment(lead, lead_title, page)[0])
    for i, block in enumerate(blocks):
        end = blocks[i + 1].start if i + 1 < len(blocks) else len(entries)
        kind = "appended" if drafts else "main"
        draft = SegmentDraft(kind, title=entries[block.head].line if block.head is not None else lead_title)
        if kind == "main":
            # Short leftovers above the first headline (no prose there) stay with the main piece.
            draft.paragraphs.extend(e.line for e in lead if e.is_content)
        if block.author is not None:
            _credit_author_line(draft, entries[block.author].line, page)
        if block.standfirst is not None:
            draft.standfirst = entries[block.standfirst].line
        for entry in entries[block.start : end]:
            if entry.rule is not None:
                _apply_marker(draft, entry, page)
        draft.paragraphs.extend(e.line for e in entries[block.body : end] if e.is_content)
        drafts.append(draft)
    return drafts


def _aggregator_segments(entries: list[_Entry], page_title: str | None, page: SegmentedPage) -> list[SegmentDraft] | None:
    heads = [i for i in range(len(entries) - 1) if _is_excerpt_headline(entries, i)]
    end_editorial = next((i for i, e in enumerate(entries) if e.marker("end_editorial")), None)
    credited = [i for i in heads if split_headline_credit(entries[i].line) != (entries[i].line, None, [])]
    if end_editorial is not None:
        heads = [h for h in heads if h > end_editorial]
    if not heads or (len(credited) < 2 and end_editorial is None):
        return None
    main_end = end_editorial if end_editorial is not None else heads[0]
    main = SegmentDraft("main", title=page_title)
    _fill(main, entries[:main_end], page)
    drafts = [main]
    if end_editorial is not None:
        comment = SegmentDraft("editorial")
        _fill(comment, entries[end_editorial + 1 : heads[0]], page)
        drafts.append(comment)
    for n, h in enumerate(heads):
        title, outlet, authors = split_headline_credit(entries[h].line)
        excerpt = SegmentDraft("excerpt", title=title, outlet=outlet, authors=authors)
        _fill(excerpt, entries[h + 1 : heads[n + 1] if n + 1 < len(heads) else len(entries)], page)
        drafts.append(excerpt)
    if not main.paragraphs:
        # Nothing of the aggregator's own before the first piece: the next piece leads.
        successor = next(d for d in drafts[1:] if d.paragraphs)
        successor.kind = "main"
        successor.title = successor.title or page_title
        drafts.remove(main)
    return drafts


def _single_segment(entries: list[_Entry], page_title: str | None, page: SegmentedPage) -> list[SegmentDraft]:
    main = SegmentDraft("main", title=page_title)
    _fill(main, entries, page)
    return [main]


# -- helpers -------------------------------------------------------------------


def _take_title(entries: list[_Entry], title: str | None) -> tuple[str | None, list[_Entry]]:
    """The page title: given, or a short title-like first line (then removed from the text)."""
    if title:
        return title, entries
    first = next((i for i, e in enumerate(entries) if e.is_content), None)
    if first is None:
        return None, entries
    line = entries[first].line
    has_more = any(e.is_content for e in entries[first + 1 :])
    if has_more and looks_like_headline(line, max_words=30):
        return line, entries[:first] + entries[first + 1 :]
    return None, entries


def _is_excerpt_headline(entries: list[_Entry], i: int) -> bool:
    here, nxt = entries[i], entries[i + 1]
    return (
        here.is_content
        and nxt.is_content
        and looks_like_headline(here.line)
        and is_prose(nxt.line)
        and len(nxt.line) > len(here.line)
    )


def _fill(draft: SegmentDraft, entries: list[_Entry], page: SegmentedPage) -> None:
    for entry in entries:
        if entry.is_content:
            draft.paragraphs.append(entry.line)
        else:
            _apply_marker(draft, entry, page)


def _apply_marker(draft: SegmentDraft, entry: _Entry, page: SegmentedPage) -> None:
    """Read what a structure marker says about the piece it sits in."""
    assert entry.rule is not None
    m = entry.rule.matches(entry.line)
    if m is None:
        return
    groups = m.groupdict()
    if groups.get("date") and not draft.published:
        draft.published = parse_date(groups["date"])
    if groups.get("names"):
        for name in _split_names(groups["names"]):
            if name not in draft.authors:
                draft.authors.append(name)
    outlet = (groups.get("outlet") or "").strip().rstrip("…. ")
    if outlet:
        if draft.kind == "main":
            page.source_credit = page.source_credit or outlet
        else:
            draft.outlet = outlet


def _credit_author_line(draft: SegmentDraft, line: str, page: SegmentedPage) -> None:
    # "Andrew Korybko" is an author; "RT" or "The Duran" above "Published" is the outlet.
    if looks_like_person_name(line):
        draft.authors.append(line)
    elif draft.kind == "main":
        page.source_credit = page.source_credit or line
    else:
        draft.outlet = line


def _split_names(names: str) -> list[str]:
    return [n.strip().rstrip(".") for n in re.split(r",| and | & ", names) if n.strip()]
