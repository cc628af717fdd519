"""Guess what a blob of bytes or text is: binary, HTML, a feed, a list of URLs."""

from __future__ import annotations

import re

from .encoding import utf16_without_bom

# (offset, magic bytes, name); checked in order.
_MAGIC = (
    (0, b"%PDF-", "PDF"),
    (0, b"PK\x03\x04", "ZIP"),
    (0, b"PK\x05\x06", "ZIP"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"\x7fELF", "ELF"),
    (0, b"MZ", "Windows executable"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office"),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (0, b"Rar!\x1a\x07", "RAR"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (0, b"SQLite format 3\x00", "SQLite"),
    (0, b"ID3", "MP3"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"\x00asm", "WebAssembly"),
    (0, b"\xca\xfe\xba\xbe", "Java class"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"wOFF", "WOFF font"),
    (0, b"wOF2", "WOFF font"),
    (0, b"PAR1", "Parquet"),
    (4, b"ftyp", "MP4"),
    (8, b"WEBP", "WebP"),
    (8, b"AVI ", "AVI"),
    (8, b"WAVE", "WAV"),
)

GZIP_MAGIC = b"\x1f\x8b"

# Control characters that do not occur in text (everything below 0x20 except
# tab, newline, vertical tab, form feed, carriage return and escape).
_TEXT_CONTROLS = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}


def binary_kind(head: bytes) -> str | None:
    """Why ``head`` (the first few KB) is not text: a format name, "binary", or None."""
    for offset, magic, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if name in ("Windows executable", "MP3", "bzip2") and not _has_controls(head):
                continue  # short magics that a text file can start with
            return name
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if utf16_without_bom(head) or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if b"\x00" in head or _has_controls(head):
        return "binary"
    return None


_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in _TEXT_CONTROLS)


def _has_controls(head: bytes) -> bool:
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # counted in C, not byte by byte
    return b"\x00" in head or controls / len(head) > 0.05


_HTML_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)
_HTML_TAGS = re.compile(r"<(?:head|body|p|div|article|br|title|meta|h[1-6])[\s/>]", re.IGNORECASE)
_FEED_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<\?xml-stylesheet[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss[\s>]|feed[\s>]|rdf:RDF[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_FRAGMENT_TAGS = re.compile(r"</(?:p|div|a|span|li|ul|ol|b|i|em|strong|blockquote|figure|table|td)>|<img\s", re.IGNORECASE)
URL_LINE = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)


def markup_kind(text: str) -> str | None:
    """``"feed"`` for RSS/Atom/RDF, ``"html"`` for an HTML page, else None."""
    head = text[:8192].lstrip("\ufeff")
    if _FEED_START.match(head):
        return "feed"
    if _HTML_START.match(head):
        return "html"
    if head.lstrip().startswith("<") and len(_HTML_TAGS.findall(head)) >= 2:
        return "html"
    return None


def looks_like_html_fragment(text: str) -> bool:
    """True for a field or feed entry that holds markup rather than plain text.

    Block tags (``<p>``, ``<br>``, ``<div>``, ...) make it markup. Inline tags alone
    do only when they are not rare: plain text whose paragraphs are lines may carry a
    pasted link or two (``<a href=...>...</a>``), and read as HTML it would lose every
    line break and often all its text; a fragment without block tags has few lines.
    """
    head = text[:20000]
    if _HTML_TAGS.search(head):
        return True
    inline = len(_FRAGMENT_TAGS.findall(head))
    lines = sum(1 for line in head.split("\n") if line.strip())
    return inline > 0 and inline * 4 >= lines


def url_lines(text: str) -> list[tuple[int, str]] | None:
    """``[(line_number, url), ...]`` when every non-blank, non-``#`` line is an http(s) URL."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not URL_LINE.match(line):
            return None
        found.append((number, line))
    return found or None
