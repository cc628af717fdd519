"""PDF files and downloads: a seed article printed to a PDF, read back as the article's paragraphs."""

from __future__ import annotations

import io

from pdfmake import make_pdf, wrap_paragraphs

from narrascope.document import Document
from narrascope.errors import FetchError, InputError
from narrascope.readers import ReadOptions, iter_inputs
from narrascope.readers.pdf import _mend, pdf_paragraphs


def _seed_paragraphs(seed_path, prefix: str = "004") -> tuple[str, list[str]]:
    lines = [line.strip() for line in seed_path(prefix).read_text(encoding="utf-8").split("\n") if line.strip()]
    return lines[0], lines[1:]


def _hyphenated_word(lines: list[str]) -> str:
    """A long lowercase word that starts a line, to be split across the line before it."""
    return next(w for line in lines[1:] if line for w in [line.split()[0]] if w.isalpha() and w.islower() and len(w) >= 8)


def _printed(paragraphs: list[str], spaced: bool = True) -> tuple[bytes, str, int]:
    plain = wrap_paragraphs(paragraphs, 95, spaced=spaced)
    word = _hyphenated_word(plain)
    lines = wrap_paragraphs(paragraphs, 95, hyphenate=word, spaced=spaced)
    pages = [lines[i : i + 40] for i in range(0, len(lines), 40)]
    return make_pdf(pages, title="Belarus Just Threw Russia Under the Bus", author="Andrew Korybko",
                    created="20190815093000", running_head="Eurasia Future · Analysis"), word, len(pages)


def _read(path, **options) -> list[Document | InputError]:
    return list(iter_inputs([str(path)], ReadOptions(**options) if options else None))


def test_a_printed_article_reads_back_as_its_paragraphs(seed_path, tmp_path):
    title, paragraphs = _seed_paragraphs(seed_path)
    data, word, n_pages = _printed(paragraphs)
    assert n_pages >= 3 and f"{word[: len(word) // 2]}-" in data.decode("latin-1")  # really split in the file
    (tmp_path / "report.pdf").write_bytes(data)
    (tmp_path / "no_suffix").write_bytes(data)  # sniffed by its first bytes
    for doc in _read(tmp_path / "report.pdf") + _read(tmp_path / "no_suffix"):
        assert isinstance(doc, Document), doc
        assert doc.raw_format == "text" and doc.meta["format"] == "pdf" and doc.meta["pages"] == n_pages
        # every paragraph whole and in order: running head, page numbers and the hyphen gone
        assert doc.raw.split("\n\n") == paragraphs
        assert "Eurasia Future · Analysis" not in doc.raw and "Page 2 of" not in doc.raw and word in doc.raw
        assert (doc.title, doc.authors, doc.published) == (title, ["Andrew Korybko"], "2019-08-15")


def test_without_paragraph_spacing_the_text_is_still_whole(seed_path, tmp_path):
    _, paragraphs = _seed_paragraphs(seed_path)
    data, _, _ = _printed(paragraphs, spaced=False)
    (tmp_path / "tight.pdf").write_bytes(data)
    [doc] = _read(tmp_path / "tight.pdf")
    assert doc.raw.split() == " ".join(paragraphs).split()
    # a paragraph whose last line runs to the margin cannot be told from the next one; the rest can
    found = doc.raw.split("\n\n")
    assert len(paragraphs) - 3 <= len(found) <= len(paragraphs)


def test_a_pdf_analyses_like_the_text_it_holds(seed_path, tmp_path):
    from narrascope.api import prepare_documents

    _, paragraphs = _seed_paragraphs(seed_path)
    (tmp_path / "a.pdf").write_bytes(_printed(paragraphs)[0])
    [doc, seed] = list(prepare_documents(iter_inputs([str(tmp_path / "a.pdf"), str(seed_path("004"))])))
    assert doc.title == seed.title == "Belarus Just Threw Russia Under the Bus" and doc.language == "en"
    # the same clean text, paragraphs and boilerplate removed (the comment widget) as from the seed's text file
    assert doc.text == seed.text and doc.meta["boilerplate_removed"] == seed.meta["boilerplate_removed"]
    assert [(p.start, p.end) for p in doc.spans_of("paragraph")] == [(p.start, p.end) for p in seed.spans_of("paragraph")]


def test_broken_words_are_mended_but_compounds_kept():
    assert _mend("classic", "", set()) == "classic"  # nothing to mend: no hyphen
    assert _mend("a long-", "running feud", set()) == "a long-running feud"  # two words: a compound
    assert _mend("a propa-", "ganda push", set()) == "a propaganda push"  # a word of the vocabulary
    assert _mend("the hegem-", "onic goals", set()) == "the hegemonic goals"  # halves that are no words
    assert _mend("a Warsaw-", "based group", set()) == "a Warsaw-based group"
    # the document's own spelling first
    assert _mend("a co-", "operation", {"co-operation"}) == "a co-operation"
    assert _mend("a long-", "running feud", {"longrunning"}) == "a longrunning feud"
    full = "a line that runs on and on to the margin of the page as lines do"
    text = pdf_paragraphs([[("Page 1", None, None), ("Short heading", None, None)] + [(full, None, None)] * 3
                           + [("and ends here.", None, None), (full, None, None), (full, None, None)]])
    assert text == f"Short heading\n\n{full} {full} {full} and ends here.\n\n{full} {full}"


def test_list_items_and_hanging_indents():
    # As a manual typesets a list (seen in the spec PDFs under /usr/share/doc): a bullet at the margin,
    # the item's next line indented under its text; then a paragraph with a first-line indent.
    full = "Applications must be able to extend the database in any way when they are"
    lines = [("There are two requirements for the way the database is stored, and they are these:", 700, 72),
             (f"• {full}", 686, 72), ("installed, to add new rules for determining type.", 674, 82),
             (f"• {full}", 662, 72), ("installed in the normal Unix way.", 650, 82),
             (full + " and then", 638, 72), (full, 626, 72), ("stored.", 614, 72),
             ("An indented first line of a paragraph that runs on to the margin of the page", 602, 90),
             (full, 590, 72)]
    assert pdf_paragraphs([[(t, float(y), float(x)) for t, y, x in lines]]).split("\n\n") == [
        lines[0][0], f"• {full} installed, to add new rules for determining type.",
        f"• {full} installed in the normal Unix way.", f"{full} and then {full} stored.",
        f"{lines[8][0]} {full}"]


def test_pdfs_that_cannot_be_read_say_why(tmp_path, seed_path):
    from pypdf import PdfReader, PdfWriter

    _, paragraphs = _seed_paragraphs(seed_path, "002")
    data = make_pdf([wrap_paragraphs(paragraphs, 95)])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt("secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    (tmp_path / "locked.pdf").write_bytes(locked.getvalue())
    (tmp_path / "scan.pdf").write_bytes(make_pdf([[], []], page_numbers=False))
    (tmp_path / "cut.pdf").write_bytes(data[:200])
    (tmp_path / "fake.pdf").write_bytes(b"<html><body>not a pdf</body></html>")
    problems = {p.source.rsplit("/", 1)[-1]: p.problem for p in _read(tmp_path)}
    assert problems["locked.pdf"] == "encrypted PDF: it needs a password to be read"
    assert problems["scan.pdf"] == "PDF of 2 pages with no text layer (a scan? run OCR on it first)"
    assert "PDF" in problems["cut.pdf"] and problems["cut.pdf"].startswith(("damaged", "could not read", "PDF of"))
    assert problems["fake.pdf"] == "not a PDF (it does not start with %PDF-)"


def test_a_pdf_download_is_read_as_a_pdf(server, seed_path):
    _, paragraphs = _seed_paragraphs(seed_path)
    url = server.add("/report", _printed(paragraphs)[0], content_type="application/pdf")
    [doc] = list(iter_inputs([url], ReadOptions(allow_private=True)))
    assert isinstance(doc, Document) and doc.url == url and doc.raw.split("\n\n") == paragraphs
    bad = server.add("/scan", make_pdf([[]], page_numbers=False), content_type="application/pdf")
    [problem] = list(iter_inputs([bad], ReadOptions(allow_private=True)))
    assert isinstance(problem, FetchError) and "no text layer" in problem.problem and bad in problem.problem
