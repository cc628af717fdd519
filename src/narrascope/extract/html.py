"""Main text and metadata of an HTML page (trafilatura), then our boilerplate filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .boilerplate import filter_boilerplate
from .lines import repeats_title, split_lines
from .metadata import outlet_from_url, parse_date

# Above this many characters (after dropping scripts and styles) the page is cut:
# trafilatura needs several seconds per megabyte of dense markup, and article
# pages stripped of scripts and styles rarely exceed a few hundred kilobytes.
MAX_HTML_CHARS = 500_000

NO_TEXT = "no article text found (page is empty or all boilerplate)"

# Elements that never hold article text; removed up front from oversized pages.
# An unclosed one runs to the end of the page, as it does in a browser.
_NON_TEXT = re.compile(
    r"<(script|style|svg|noscript|template|iframe)\b[^>]*>.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)
_DATA_URI = re.compile(r"""data:[^"'\s>]{200,}""")  # inline images and fonts


@dataclass
class ExtractedPage:
    """What one HTML page yields: clean text and metadata."""

    text: str  # one paragraph per line, blank line between
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO date
    outlet: str | None = None  # site name, else the URL's registered domain
    url: str | None = None
    warnings: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)  # boilerplate rule -> lines removed
    captions: list[str] = field(default_factory=list)
    problem: str | None = None  # why no text could be extracted


def extract_html(
    html: str, url: str | None = None, *, keep_markers: bool = False, max_chars: int = MAX_HTML_CHARS
) -> ExtractedPage:
    """Main text (comments excluded) and metadata of ``html``.

    Never raises on bad markup: an unusable page comes back with ``problem`` set.
    With ``keep_markers`` the structure markers ("Published", bylines, ...) stay
    in the text for the segmenter.
    """
    from trafilatura import bare_extraction  # imported on first use: ~0.2 s that plain-text runs never need

    html, warnings = _bounded_html(html, max_chars)
    try:
        result = bare_extraction(
            html, url=url, include_comments=False, with_metadata=True, include_images=False, include_links=False
        )
    except Exception as exc:  # noqa: BLE001 - trafilatura/lxml fail in many ways on broken markup
        return ExtractedPage("", url=url, warnings=warnings, problem=f"HTML could not be parsed: {type(exc).__name__}: {exc}")
    if result is None:
        return ExtractedPage("", url=url, warnings=warnings, problem=NO_TEXT)
    meta = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    title = _clean(meta.get("title"))
    page_url = url or _clean(meta.get("url"))
    lines = split_lines(meta.get("text") or "")
    if title and lines and repeats_title(lines[0], title):
        lines = lines[1:]  # the headline is the title, not text
    filtered = filter_boilerplate("\n".join(lines), title=title, keep_markers=keep_markers)
    return ExtractedPage(
        text=filtered.text,
        title=title,
        authors=_split_authors(meta.get("author")),
        published=parse_date(meta.get("date")),
        outlet=_clean(meta.get("sitename")) or outlet_from_url(page_url),
        url=page_url,
        warnings=warnings,
        removed=filtered.removed,
        captions=filtered.captions,
        problem=None if filtered.content_lines else NO_TEXT,
    )


def _bounded_html(html: str, max_chars: int) -> tuple[str, list[str]]:
    """The page cut down to ``max_chars`` (scripts and styles dropped first), with a warning."""
    if len(html) <= max_chars:
        return html, []
    original = len(html)
    html = _DATA_URI.sub("", _NON_TEXT.sub(" ", html))
    if len(html) <= max_chars:
        return html, []
    cut = html.rfind("<", 0, max_chars)
    html = html[: cut if cut > max_chars // 2 else max_chars]
    return html, [
        f"HTML page of {original:,} characters truncated to its first {len(html):,} "
        f"(after removing scripts and styles) before extraction"
    ]


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _split_authors(value: object) -> list[str]:
    text = _clean(value)
    if not text:
        return []
    return [a.strip() for a in re.split(r";| and ", text) if a.strip()]
