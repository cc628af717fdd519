"""Write small real PDFs for the reader's tests: text laid out in lines on pages, as a word
processor prints an article (Helvetica, WinAnsi encoding), with a running head, page numbers
and document information. No PDF library writes them, so the reader is tested on bytes it did
not make itself."""

from __future__ import annotations

import textwrap


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _info_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"  # any characters


def wrap_paragraphs(paragraphs: list[str], width: int = 90, hyphenate: str | None = None, spaced: bool = True) -> list[str]:
    """Lines of the paragraphs as a printer sets them; with ``spaced`` an empty string between paragraphs,
    which ``make_pdf`` sets as half a line of extra space (no text: PDFs hold no blank lines).
    ``hyphenate``: a word split at a line end ("propa-" / "ganda")."""
    lines: list[str] = []
    for paragraph in paragraphs:
        if spaced and lines:
            lines.append("")
        wrapped = textwrap.wrap(paragraph, width)
        if hyphenate:
            for i in range(len(wrapped) - 1):
                head, _, rest = wrapped[i + 1].partition(" ")
                if head == hyphenate:
                    cut = len(head) // 2
                    wrapped[i] += " " + head[:cut] + "-"
                    wrapped[i + 1] = head[cut:] + (" " + rest if rest else "")
                    hyphenate = None
                    break
        lines.extend(wrapped)
    return lines


def make_pdf(pages: list[list[str]], *, title: str | None = None, author: str | None = None, created: str | None = None,
             running_head: str | None = None, page_numbers: bool = True) -> bytes:
    """A PDF with one page per list of lines. ``created``: "20220301120000"."""
    objects: list[bytes] = []
    n_pages = len(pages)
    first_page = 4  # 1 catalog, 2 pages, 3 font, then page and content objects in pairs
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for number, lines in enumerate(pages, start=1):
        ops = [b"BT /F1 10 Tf 12 TL"]
        if running_head:
            ops.append(b"1 0 0 1 72 770 Tm " + _pdf_string(running_head) + b" Tj")
        ops.append(b"1 0 0 1 72 740 Tm")
        for line in lines:
            ops.append(_pdf_string(line) + b" Tj T*" if line else b"0 -6 Td")
        if page_numbers:
            ops.append(b"1 0 0 1 290 40 Tm " + _pdf_string(f"Page {number} of {n_pages}") + b" Tj")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {first_page + 2 * (number - 1) + 1} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    info = []
    if title:
        info.append(b"/Title " + _info_string(title))
    if author:
        info.append(b"/Author " + _info_string(author))
    if created:
        info.append(b"/CreationDate (D:" + created.encode() + b"Z)")
    objects.append(b"<< " + b" ".join(info) + b" >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
