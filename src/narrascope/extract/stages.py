"""The "extract" and "segment" stages: raw input -> clean text, segments, metadata.

They are the only stages that set ``doc.text``. "extract" leaves the structure
markers (bylines, "Published", "Latest", ...) in the text; "segment" reads
them, drops them and fixes the final text, so both must run, in this order.
"""

from __future__ import annotations

import re
from ..document import Document
from ..pipeline import Stage, register_stage
from .boilerplate import filter_boilerplate
from .html import MAX_HTML_CHARS, NO_TEXT, extract_html
from .metadata import find_affiliations, outlet_from_url
from .segment import assemble, segment_page

DEFAULT_MAX_BYTES = 20_000_000

_HTML_START = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<\?xml[^>]*>\s*<html)", re.IGNORECASE)
_HTML_TAGS = re.compile(r"<(?:p|div|article|br|h[1-6]|span|a)\b[^>]*>", re.IGNORECASE)


@register_stage
class ExtractStage(Stage):
    """Raw HTML or text -> text without boilerplate (markers kept), title, authors, date, outlet.

    Options: ``max_bytes`` (inputs larger than this are refused),
    ``max_html_chars`` (larger HTML is truncated, with a warning).
    """

    name = "extract"
    version = "1"

    def process(self, batch: list[Document]) -> list[Document]:
        max_bytes = int(self.config.get("max_bytes", DEFAULT_MAX_BYTES))
        max_html_chars = int(self.config.get("max_html_chars", MAX_HTML_CHARS))
        for doc in batch:
            if not doc.meta.get("problem") and not doc.segments:
                extract_document(doc, max_bytes=max_bytes, max_html_chars=max_html_chars)
        return batch


@register_stage
class SegmentStage(Stage):
    """Text with markers -> final text, segments (exactly one "main"), authors, affiliations, id."""

    name = "segment"
    version = "1"

    def process(self, batch: list[Document]) -> list[Document]:
        for doc in batch:
            if not doc.meta.get("problem"):
                segment_document(doc)
        return batch


def extract_document(doc: Document, max_bytes: int = DEFAULT_MAX_BYTES, max_html_chars: int = MAX_HTML_CHARS) -> Document:
    """Fill ``doc.text`` (markers kept) and metadata from ``doc.raw``; set ``meta["problem"]`` on failure."""
    raw = doc.raw if doc.raw is not None else doc.text
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > max_bytes:
            return _refuse_size(doc, len(raw), max_bytes)
        raw = _decode(bytes(raw))
    if not isinstance(raw, str) or not raw.strip():
        doc.meta["problem"] = NO_TEXT
        return doc
    size = len(raw) if len(raw) > max_bytes else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return _refuse_size(doc, size, max_bytes)

    fmt = doc.raw_format or ("html" if looks_like_html(raw) else "text")
    if fmt == "html":
        page = extract_html(raw, url=doc.url, keep_markers=True, max_chars=max_html_chars)
        for warning in page.warnings:
            _warn(doc, warning)
        if page.problem:
            doc.meta["problem"] = page.problem
            return doc
        doc.text = page.text
        doc.title = doc.title or page.title
        doc.authors = doc.authors or page.authors
        doc.published = doc.published or page.published
        doc.outlet = doc.outlet or page.outlet
        doc.url = doc.url or page.url
        removed, captions = page.removed, page.captions
    else:
        filtered = filter_boilerplate(raw, title=doc.title, keep_markers=True)
        if not filtered.content_lines:
            doc.meta["problem"] = NO_TEXT
            return doc
        doc.text = filtered.text
        doc.outlet = doc.outlet or outlet_from_url(doc.url)
        removed, captions = filtered.removed, filtered.captions
    if removed:
        doc.meta["boilerplate_removed"] = removed
    if captions:
        doc.meta["captions"] = captions
    doc.assign_id()
    return doc


def segment_document(doc: Document) -> Document:
    """Split ``doc.text`` into segments, drop the markers and fix the final text.

    A document that already has segments or spans (loaded from a store) is left as is.
    """
    if doc.segments or doc.spans:
        return doc
    page = segment_page(doc.text, title=doc.title)
    text, segments = assemble(page.segments)
    if not text.strip():
        doc.meta["problem"] = NO_TEXT
        return doc
    doc.text, doc.segments = text, segments
    main_draft = page.main
    doc.title = doc.title or page.title
    doc.authors = doc.authors or list(main_draft.authors)
    doc.published = doc.published or main_draft.published
    if page.source_credit:
        doc.meta["source_credit"] = page.source_credit
        doc.outlet = doc.outlet or page.source_credit
    main = doc.main_segment
    assert main is not None
    main.title = main.title or doc.title
    main.outlet = main.outlet or doc.outlet
    main.authors = main.authors or list(doc.authors)
    main.published = main.published or doc.published
    # Segment drafts and doc.segments line up: assemble() keeps every non-empty draft.
    standfirsts = [{"segment": i, "text": d.standfirst} for i, d in enumerate(page.segments) if d.standfirst]
    if standfirsts:
        doc.meta["standfirsts"] = standfirsts
    if page.captions:
        doc.meta["captions"] = doc.meta.get("captions", []) + page.captions
    if page.removed:
        removed = doc.meta.setdefault("boilerplate_removed", {})
        for rule, n in page.removed.items():
            removed[rule] = removed.get(rule, 0) + n
    affiliations = find_affiliations(doc.text)
    if affiliations:
        doc.meta["affiliations"] = affiliations
    doc.assign_id()
    return doc


def looks_like_html(text: str) -> bool:
    """A page of markup rather than text with the odd angle bracket."""
    head = text[:4096]
    return bool(_HTML_START.match(head)) or len(_HTML_TAGS.findall(head)) >= 3


def _refuse_size(doc: Document, size: int, max_bytes: int) -> Document:
    doc.meta["problem"] = f"input is {size:,} bytes, over the limit of {max_bytes:,} (stages.extract.max_bytes)"
    return doc


def _decode(data: bytes) -> str:
    try:
        from ..readers.encoding import decode_bytes
    except ImportError:  # readers not installed alongside: plain UTF-8
        return data.decode("utf-8", errors="replace")
    try:
        return decode_bytes(data)[0]
    except ValueError:
        return data.decode("utf-8", errors="replace")


def _warn(doc: Document, message: str) -> None:
    doc.meta.setdefault("warnings", []).append(message)

