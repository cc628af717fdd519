"""RSS/Atom feed files and WARC web archives."""

from __future__ import annotations

import gzip
import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from narrascope.document import Document
from narrascope.errors import FetchError, InputError
from narrascope.readers import ReadOptions, iter_inputs

PARAGRAPH = "Belarus and Russia signed a new integration roadmap in Minsk, officials said on Friday. "
LONG_HTML = "<p>" + PARAGRAPH * 8 + "</p><p>" + PARAGRAPH * 2 + "</p>"


def _rss(encoding: str = "utf-8", teaser_link: str = "http://127.0.0.1:9/teaser") -> str:
    return f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Вести Минск</title><link>https://example.by/</link><description>d</description>
<item><title>Полная статья</title><link>https://example.by/full</link><dc:creator>Иван Петров</dc:creator>
<pubDate>Tue, 14 Dec 2021 10:00:00 +0300</pubDate><description>Short summary.</description>
<content:encoded><![CDATA[{LONG_HTML}]]></content:encoded></item>
<item><title>Teaser</title><link>{teaser_link}</link><description>Only a teaser.</description></item>
<item><title>No link</title><description>A short post with no link at all.</description></item>
<item><title>Nothing</title></item>
</channel></rss>"""


def test_rss_file_entries(tmp_path):
    path = tmp_path / "feed.rss"
    path.write_bytes(_rss("windows-1251").encode("cp1251"))
    full, teaser, short, nothing = list(iter_inputs([str(path)]))
    assert isinstance(full, Document) and full.source == f"{path}#1"
    assert full.raw == LONG_HTML and full.raw_format == "html"
    assert full.title == "Полная статья" and full.outlet == "Вести Минск" and full.authors == ["Иван Петров"]
    assert full.url == "https://example.by/full" and full.published == "2021-12-14T07:00:00+00:00"
    # The teaser's link is fetched, and a loopback link is refused by default.
    assert isinstance(teaser, FetchError) and teaser.source == f"{path}#2"
    assert teaser.problem == "http://127.0.0.1:9/teaser: refused: 127.0.0.1 is a loopback address (use --allow-private to allow)"
    assert short.raw == "A short post with no link at all." and short.raw_format == "text"
    assert short.meta["warnings"] == ["short feed entry (33 characters) with no link to fetch"]
    assert isinstance(nothing, InputError) and nothing.problem == "feed entry has no content and no link"


def test_rss_teaser_fetched_from_local_server(tmp_path, server):
    article = "<html><body><article><p>Full text of the teaser article.</p></article></body></html>"
    link = server.add("/teaser", article)
    path = tmp_path / "feed.xml"
    path.write_text(_rss(teaser_link=link), encoding="utf-8")
    items = list(iter_inputs([str(path)], ReadOptions(allow_private=True, timeout=5)))
    teaser = items[1]
    assert teaser.raw == article and teaser.title == "Teaser" and teaser.outlet == "Вести Минск" and teaser.url == link
    assert server.hits == ["/teaser"]


def test_atom_file_sniffed_without_extension(tmp_path):
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title><id>urn:x</id><updated>2022-03-20T09:00:00Z</updated>
<entry><title>Atom entry</title><id>urn:1</id><link href="https://atom.example/1"/>
<updated>2022-03-20T09:00:00Z</updated><published>2022-03-19T08:30:00+02:00</published>
<author><name>Jane Doe</name></author><author><name>John Roe</name></author>
<content type="html">{LONG_HTML.replace("<", "&lt;").replace(">", "&gt;")}</content></entry>
<entry><title>Plain</title><id>urn:2</id><updated>2022-03-20T09:00:00Z</updated>
<content type="text">{"Plain text entry with enough words. " * 20}</content></entry>
</feed>"""
    path = tmp_path / "atomfeed"
    path.write_text(atom, encoding="utf-8")
    entry, plain = list(iter_inputs([str(path)]))
    assert entry.raw == LONG_HTML and entry.raw_format == "html" and entry.outlet == "Atom Wire"
    assert entry.authors == ["Jane Doe", "John Roe"] and entry.published == "2022-03-19T06:30:00+00:00"
    assert plain.raw_format == "text" and plain.raw.startswith("Plain text entry") and plain.url is None


def _http_record(writer: WARCWriter, uri: str, body: bytes, content_type: str, status: str = "200 OK"):
    headers = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=headers,
                                     warc_headers_dict={"WARC-Date": "2022-03-20T09:15:00Z"})


def _write_warc(path, gzip_records: bool) -> str:
    page = "<html><head><title>Минск</title></head><body><p>Лукашенко заявил журналистам в Минске.</p></body></html>"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzip_records)
        writer.write_record(writer.create_warcinfo_record("crawl.warc", {"software": "test"}))
        request = StatusAndHeaders("GET /news HTTP/1.1", [("Host", "news.example")], is_http_request=True)
        writer.write_record(writer.create_warc_record("https://news.example/news", "request", http_headers=request))
        writer.write_record(_http_record(writer, "https://news.example/news", page.encode("cp1251"), "text/html; charset=windows-1251"))
        writer.write_record(_http_record(writer, "https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"))
        writer.write_record(_http_record(writer, "https://news.example/gone", b"<html>missing</html>", "text/html", "404 Not Found"))
        writer.write_record(writer.create_warc_record("https://news.example/data", "resource", payload=io.BytesIO(b"{}"),
                                                      warc_content_type="application/json"))
    return page


def test_warc_html_responses_only(tmp_path):
    for name, gz in (("crawl.warc", False), ("crawl.warc.gz", True)):
        path = tmp_path / name
        page = _write_warc(path, gz)
        [doc] = list(iter_inputs([str(path)]))
        assert doc.source == f"{path}#3"  # warcinfo, request, then the response
        assert doc.url == "https://news.example/news" and doc.fetched_at == "2022-03-20T09:15:00+00:00"
        assert doc.raw == page and doc.raw_format == "html"


def test_gzipped_warc_without_suffix_is_sniffed(tmp_path):
    path = tmp_path / "archive.bin"
    page = _write_warc(path, True)
    [doc] = list(iter_inputs([str(path)]))
    assert doc.raw == page


def test_invalid_warc_refused_and_next_source_read(tmp_path):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(gzip.compress(b"this is not a warc file at all\n" * 10))
    good = tmp_path / "ok.txt"
    good.write_text("Fine.", encoding="utf-8")
    err, doc = list(iter_inputs([str(bad), str(good)]))
    assert isinstance(err, InputError) and err.problem.startswith("not a valid WARC file")
    assert doc.raw == "Fine."


def test_warc_without_pages_and_empty_warc_are_reported(tmp_path):
    path = tmp_path / "images.warc"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        writer.write_record(_http_record(writer, "https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"))
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    empty, images = list(iter_inputs([str(tmp_path)]))
    assert empty.problem == "empty file"
    assert images.source == str(path) and images.problem == "no successful HTML responses in this WARC file"
