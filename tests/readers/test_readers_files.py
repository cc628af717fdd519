"""Files and folders: formats by name and by content, refusals, the seeds."""

from __future__ import annotations

import gzip
from pathlib import Path

from narrascope.document import Document
from narrascope.errors import InputError
from narrascope.readers import ReadOptions, iter_inputs

PAGE = (
    "<!DOCTYPE html><html><head><title>Minsk</title></head><body>"
    "<p>Lukashenko said Belarus would never be part of Russia.</p></body></html>"
)


def _read(*paths: Path | str, **options) -> list[Document | InputError]:
    return list(iter_inputs([str(p) for p in paths], ReadOptions(**options) if options else None))


def test_seeds_folder_reads_as_five_text_documents(seeds_dir):
    docs = _read(seeds_dir)
    seeds = sorted(seeds_dir.glob("*.txt"))
    assert len(seeds) == 5 and len(docs) == 5
    for doc, path in zip(docs, seeds):
        assert isinstance(doc, Document)
        assert doc.source == str(path)
        assert doc.raw_format == "text"
        assert doc.raw == path.read_text(encoding="utf-8")
    assert any("Lukashenko" in d.raw for d in docs)


def test_html_and_gzipped_html(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "page.htm.gz").write_bytes(gzip.compress(PAGE.encode("utf-8")))
    (tmp_path / "other.xhtml").write_text(PAGE, encoding="utf-8")
    docs = _read(tmp_path / "page.html", tmp_path / "page.htm.gz", tmp_path / "other.xhtml")
    assert [(d.raw_format, d.raw) for d in docs] == [("html", PAGE)] * 3


def test_folder_tree_sorted_recursive_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("ref: refs/heads/main", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "z.txt").write_text("Last file.", encoding="utf-8")
    (tmp_path / "b" / "one.md").write_text("# Title\n\nMarkdown body.", encoding="utf-8")
    (tmp_path / "a" / "deep" / "page").write_text(PAGE, encoding="utf-8")  # no extension: sniffed
    (tmp_path / "a" / "notes.text").write_text("Plain notes.", encoding="utf-8")
    docs = _read(tmp_path)
    names = [Path(d.source).relative_to(tmp_path).as_posix() for d in docs]
    assert names == ["a/deep/page", "a/notes.text", "b/one.md", "z.txt"]
    assert [d.raw_format for d in docs] == ["html", "text", "text", "text"]


def test_unknown_extension_sniffed(tmp_path):
    (tmp_path / "article.dat").write_text("Just some words about Minsk.\n\nAnd more.", encoding="utf-8")
    (tmp_path / "page.php").write_text("<html><body><p>Hi there</p></body></html>", encoding="utf-8")
    docs = _read(tmp_path / "article.dat", tmp_path / "page.php")
    assert [d.raw_format for d in docs] == ["text", "html"]


def test_txt_holding_html_is_read_as_html(tmp_path):
    (tmp_path / "saved.txt").write_text(PAGE, encoding="utf-8")
    [doc] = _read(tmp_path / "saved.txt")
    assert doc.raw_format == "html"


def test_binary_empty_and_oversized_refused_while_others_continue(tmp_path):
    files = {
        "a.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "b.txt": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)),
        "c.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50,
        "d.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 50,
        "e": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100,
        "f.html": bytes(range(0, 32)) * 20,
        "g.txt": b"",
        "h.txt": b"   \n\n  ",
        "i.txt": b"Fine text, read normally.",
        "j.txt": b"x" * 2500,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    items = _read(tmp_path, max_bytes=2000)
    problems = {Path(i.source).name: i.problem for i in items if isinstance(i, InputError)}
    assert problems == {
        "a.pdf": "damaged or unreadable PDF (Stream has ended unexpectedly)",  # read as a PDF: test_readers_pdf.py
        "b.txt": "binary file (ZIP), not text or HTML",
        "c.png": "binary file (PNG), not text or HTML",
        "d.jpg": "binary file (JPEG), not text or HTML",
        "e": "binary file (ELF), not text or HTML",
        "f.html": "binary file, not text or HTML",
        "g.txt": "empty file",
        "h.txt": "empty file",
        "j.txt": "file is 2.5 KB, over the 2 KB limit (raise it with --max-bytes)",
    }
    [doc] = [i for i in items if isinstance(i, Document)]
    assert doc.raw == "Fine text, read normally."


def test_default_size_message_in_megabytes(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(25_300_000)  # sparse: no real disk use
    [err] = _read(big)
    assert err.problem == "file is 25.3 MB, over the 20 MB limit (raise it with --max-bytes)"


def test_gzip_bomb_capped_on_uncompressed_size(tmp_path):
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(b"a" * 300_000))
    assert path.stat().st_size < 2000
    [err] = _read(path, max_bytes=100_000)
    assert err.problem == "file (uncompressed) is over the 100 KB limit (raise it with --max-bytes)"


def test_missing_paths_and_non_http_urls(tmp_path):
    items = _read(tmp_path / "nope.txt", "ftp://example.org/a.html")
    assert [i.problem for i in items] == ["no such file or folder", "only http:// and https:// URLs can be fetched"]


def test_xml_that_is_not_a_feed(tmp_path):
    (tmp_path / "data.xml").write_text('<?xml version="1.0"?><catalog><book>War</book></catalog>', encoding="utf-8")
    [err] = _read(tmp_path / "data.xml")
    assert err.problem.startswith("not an RSS or Atom feed")


def test_a_parser_crash_is_reported_and_reading_goes_on(tmp_path, monkeypatch):
    from narrascope.readers import feeds

    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(feeds, "read_feed", explode)
    (tmp_path / "a.rss").write_text("<rss version='2.0'><channel><title>x</title></channel></rss>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Still read.", encoding="utf-8")
    err, doc = _read(tmp_path)
    assert isinstance(err, InputError) and err.problem == "could not read (RecursionError: maximum recursion depth exceeded)"
    assert doc.raw == "Still read."
