"""RSS and Atom feeds: one Document per entry.

An entry whose content is a real article (over ``ARTICLE_MIN_CHARS`` of text)
is used as is; otherwise its link comes back as a Document with ``raw=None``
and ``url`` set, for the caller to fetch.
"""

from __future__ import annotations

import html
import re
from typing import Iterator

import feedparser

from ..document import Document
from ..errors import InputError
from .encoding import DecodeError, decode_bytes
from .metadata import author_list, iso_date
from .sniff import looks_like_html_fragment
from .urls import is_url

ARTICLE_MIN_CHARS = 500  # shorter entry text is a teaser: fetch the article it links to

_XML_DECLARATION = re.compile(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']")
_TAG = re.compile(r"<[^>]+>")


def read_feed(data: bytes, source: str, declared: str | None = None, base_url: str | None = None) -> Iterator[Document | InputError]:
    """Entries of the feed in ``data`` as Documents named ``source#N`` (1-based)."""
    try:
        text, _ = decode_bytes(data, declared)
    except DecodeError as exc:
        yield InputError(source, str(exc))
        return
    # feedparser decodes again from the XML declaration; hand it UTF-8 and say so.
    utf8 = _XML_DECLARATION.sub(r"\1", text.lstrip("\ufeff"), count=1).encode("utf-8")
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    parsed = feedparser.parse(utf8, response_headers=headers)
    if not parsed.entries:
        if not parsed.version:
            reason = f": {parsed.bozo_exception}" if parsed.get("bozo") else ""
            yield InputError(source, f"not an RSS or Atom feed{reason}")
        else:
            yield InputError(source, "feed has no entries")
        return
    outlet = (parsed.feed.get("title") or "").strip() or None
    for number, entry in enumerate(parsed.entries, start=1):
        yield entry_to_document(entry, f"{source}#{number}", outlet)


def entry_to_document(entry: dict, source: str, outlet: str | None) -> Document | InputError:
    """A Document for one feed entry (``raw=None`` when the link must be fetched)."""
    link = (entry.get("link") or "").strip()
    if not is_url(link):
        link = ""  # feedparser falls back to the entry id ("urn:...", "tag:...")
    doc = Document(
        source=source,
        url=link or None,
        title=(entry.get("title") or "").strip() or None,
        outlet=outlet,
        authors=author_list(entry.get("authors") or entry.get("author")),
        published=iso_date(entry.get("published_parsed") or entry.get("updated_parsed")),
    )
    if doc.published is None and (entry.get("published") or entry.get("updated")):
        doc.meta.setdefault("warnings", []).append(f"unrecognised published date {entry.get('published') or entry.get('updated')!r}")
    content, is_html = _entry_content(entry)
    chars = len(visible_text(content)) if is_html else len(content.strip())
    if chars > ARTICLE_MIN_CHARS:
        doc.raw, doc.raw_format = content, "html" if is_html else "text"
    elif is_url(link):
        pass  # a teaser: fetch the article
    elif chars:
        doc.raw, doc.raw_format = content, "html" if is_html else "text"
        doc.meta.setdefault("warnings", []).append(f"short feed entry ({chars} characters) with no link to fetch")
    else:
        return InputError(source, "feed entry has no content and no link")
    return doc


def _entry_content(entry: dict) -> tuple[str, bool]:
    """The fullest text the entry carries (content:encoded / content / summary) and whether it is HTML."""
    candidates = [(c.get("value") or "", c.get("type") or "") for c in entry.get("content") or []]
    summary = entry.get("summary_detail") or {}
    candidates.append((entry.get("summary") or "", summary.get("type") or ""))
    value, media_type = max(candidates, key=lambda c: len(c[0]))
    if looks_like_html_fragment(value):
        return value, True
    if "html" in media_type:  # HTML-typed but without tags: plain text once entities are decoded
        return html.unescape(value), False
    return value, False


def visible_text(fragment: str) -> str:
    """The text of an HTML fragment, roughly: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())
