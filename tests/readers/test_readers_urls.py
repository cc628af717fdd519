"""Fetching URLs: address safety, redirects, size and time limits, content types, feeds."""

from __future__ import annotations

import time

import pytest

from narrascope.errors import FetchError, InputError
from narrascope.readers import ReadOptions, check_address, fetch_url, iter_inputs
from narrascope.readers import urls
from narrascope.readers.urls import non_public_kind

from readers_http import endless, stall

pytestmark = pytest.mark.network

ARTICLE = (
    "<html><head><title>Minsk talks</title></head><body><article>"
    "<p>Lukashenko met Russian journalists in Minsk on Friday.</p>"
    "<p>He said the country would never become part of Russia.</p></article></body></html>"
)
LOCAL = ReadOptions(allow_private=True, timeout=5)


def test_loopback_refused_by_default(server):
    url = server.add("/a", ARTICLE)
    [item] = list(iter_inputs([url]))
    assert isinstance(item, FetchError)
    assert item.source == url
    assert item.problem == "refused: 127.0.0.1 is a loopback address (use --allow-private to allow)"
    assert server.hits == []  # refused before any connection


def test_localhost_name_refused_after_resolution(server):
    url = server.add("/a", ARTICLE).replace("127.0.0.1", "localhost")
    with pytest.raises(FetchError, match="is a loopback address"):
        fetch_url(url)
    assert server.hits == []


def test_allow_private_fetches_page_with_metadata(server):
    url = server.add("/a", ARTICLE)
    [doc] = list(iter_inputs([url], LOCAL))
    assert not isinstance(doc, InputError)
    assert doc.source == url and doc.url == url
    assert doc.raw == ARTICLE and doc.raw_format == "html"
    assert doc.fetched_at and doc.fetched_at.endswith("+00:00")
    assert server.user_agents[0].startswith("narrascope/") and "research crawler" in server.user_agents[0]


def test_http_charset_decides_decoding(server):
    body = "<html><body><p>Лукашенко заявил, что Беларусь никогда не станет частью России.</p></body></html>"
    url = server.add("/ru", body.encode("cp1251"), content_type="text/html; charset=windows-1251")
    [doc] = list(iter_inputs([url], LOCAL))
    assert doc.raw == body


def test_redirects_followed_and_final_url_kept(server):
    final = server.add("/final", ARTICLE)
    server.redirect("/r2", "/final", status=301)
    start = server.redirect("/r1", server.url("/r2"))
    [doc] = list(iter_inputs([start], LOCAL))
    assert doc.source == start and doc.url == final
    assert server.hits == ["/r1", "/r2", "/final"]


@pytest.mark.parametrize("target", ["ftp://example.org/file.html", "file:///etc/passwd"])
def test_redirect_to_other_schemes_refused(server, target):
    url = server.redirect("/go", target)
    with pytest.raises(FetchError) as info:
        fetch_url(url, LOCAL)
    assert info.value.problem == f"refused: redirect to {target} (only http and https are followed)"


def test_redirect_loop_capped(server):
    server.redirect("/loop-a", "/loop-b")
    url = server.redirect("/loop-b", "/loop-a")
    with pytest.raises(FetchError) as info:
        fetch_url(url, ReadOptions(allow_private=True, max_redirects=3, timeout=5))
    assert info.value.problem == "too many redirects (more than 3)"
    assert len(server.hits) == 4  # the first request and three redirects


def test_every_redirect_hop_is_checked(server, monkeypatch):
    # Treat the test server as public, so that only the redirect's target can be refused.
    real = urls.non_public_kind
    monkeypatch.setattr(urls, "non_public_kind", lambda a: None if a == "127.0.0.1" else real(a))
    url = server.redirect("/hop", "http://10.0.0.1/internal")
    with pytest.raises(FetchError) as info:
        fetch_url(url, ReadOptions(timeout=5))
    assert info.value.source == url
    assert info.value.problem == "refused: 10.0.0.1 is a private address (use --allow-private to allow)"
    assert server.hits == ["/hop"]


def test_size_cap_from_content_length(server):
    url = server.add("/big", "<p>" + "x" * 5000 + "</p>")
    with pytest.raises(FetchError) as info:
        fetch_url(url, ReadOptions(allow_private=True, max_bytes=1000))
    assert info.value.problem == "download is 5.01 KB, over the 1 KB limit (raise it with --max-bytes)"


def test_size_cap_enforced_while_streaming(server):
    url = server.custom("/endless", endless(server, "/endless"))
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_url(url, ReadOptions(allow_private=True, max_bytes=200_000, timeout=10))
    assert info.value.problem == "download is over the 200 KB limit (raise it with --max-bytes)"
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 3
    while "/endless" not in server.bytes_sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.bytes_sent.get("/endless", 0) < 50_000_000  # the client hung up long before the end


def test_timeout_on_stalled_server(server):
    url = server.custom("/stall", stall(3))
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_url(url, ReadOptions(allow_private=True, timeout=0.5))
    assert info.value.problem.startswith("timed out after 0.5 s")
    assert time.monotonic() - started < 2


def test_non_2xx_status_is_fetch_error_and_reading_continues(server):
    missing = server.url("/missing")
    good = server.add("/a", ARTICLE)
    items = list(iter_inputs([missing, good], LOCAL))
    assert isinstance(items[0], FetchError) and items[0].problem == "HTTP 404 Not Found"
    assert items[1].raw == ARTICLE


def test_binary_content_refused(server):
    png = server.add("/img", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="image/png")
    pdf = server.add("/doc", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj" * 10, content_type="text/html")
    items = list(iter_inputs([png, pdf], LOCAL))
    assert [i.problem for i in items] == [
        "binary content (PNG), not text or HTML",
        f"{pdf}: damaged or unreadable PDF (Stream has ended unexpectedly)",  # a PDF whatever its type says
    ]


def test_plain_text_content_type(server):
    url = server.add("/t", "Line one.\n\nLine two.", content_type="text/plain")
    [doc] = list(iter_inputs([url], LOCAL))
    assert doc.raw_format == "text" and doc.raw == "Line one.\n\nLine two."


def _rss(server) -> str:
    long_body = "<p>" + " ".join(["Belarus and Russia signed a new integration roadmap in Minsk."] * 12) + "</p>"
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Example Wire</title><link>{server.base}/</link><description>news</description>
<item><title>Full entry</title><link>{server.base}/full</link>
<pubDate>Tue, 14 Dec 2021 10:00:00 GMT</pubDate>
<content:encoded><![CDATA[{long_body}]]></content:encoded></item>
<item><title>Teaser entry</title><link>{server.base}/article</link>
<pubDate>Wed, 15 Dec 2021 11:30:00 +0100</pubDate><description>Short teaser.</description></item>
</channel></rss>"""


def test_feed_url_expanded_and_teasers_fetched(server):
    feed_url = server.add("/feed", _rss(server), content_type="application/rss+xml")
    server.add("/article", ARTICLE)
    full, teaser = list(iter_inputs([feed_url], LOCAL))
    assert full.source == f"{feed_url}#1" and full.raw_format == "html" and "integration roadmap" in full.raw
    assert full.outlet == "Example Wire" and full.published == "2021-12-14T10:00:00+00:00"
    assert teaser.source == f"{feed_url}#2" and teaser.raw == ARTICLE
    assert teaser.title == "Teaser entry" and teaser.url == server.url("/article")
    assert teaser.published == "2021-12-15T10:30:00+00:00" and teaser.fetched_at
    assert "/full" not in server.hits  # a full entry needs no fetch


def test_feed_served_as_xml_is_sniffed(server):
    feed_url = server.add("/feed.xml", _rss(server), content_type="text/xml")
    server.add("/article", ARTICLE)
    items = list(iter_inputs([feed_url], LOCAL))
    assert [i.title for i in items] == ["Full entry", "Teaser entry"]


def test_url_list_files(server, tmp_path):
    a = server.add("/a", ARTICLE)
    b = server.add("/b", "Plain words.", content_type="text/plain")
    listing = tmp_path / "list.urls"
    listing.write_text(f"# my list\n{a}\n\nnot a url\n{b}\n", encoding="utf-8")
    txt = tmp_path / "links.txt"
    txt.write_text(f"{b}\n# comment\n{a}\n", encoding="utf-8")
    items = list(iter_inputs([str(listing), str(txt)], LOCAL))
    assert [getattr(i, "raw_format", None) for i in items] == ["html", None, "text", "text", "html"]
    assert items[1].source == f"{listing}#4" and items[1].problem == "not an http(s) URL: not a url"
    assert items[0].source == a and items[4].source == a


def test_jsonl_record_with_only_url_is_fetched(server, tmp_path):
    url = server.add("/a", ARTICLE)
    path = tmp_path / "links.jsonl"
    path.write_text(
        f'{{"url": "{url}", "title": "From export", "outlet": "Wire"}}\n{{"url": "{server.url("/gone")}"}}\n',
        encoding="utf-8",
    )
    doc, gone = list(iter_inputs([str(path)], LOCAL))
    assert doc.source == f"{path}#1" and doc.raw == ARTICLE and doc.title == "From export" and doc.outlet == "Wire"
    assert isinstance(gone, FetchError) and gone.source == f"{path}#2" and gone.problem.endswith("HTTP 404 Not Found")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("fd00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("100.64.0.1", "not a public address"),
        ("240.0.0.1", "a reserved address"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_kinds(address, kind):
    assert non_public_kind(address) == kind


def test_check_address_on_literals():
    with pytest.raises(FetchError, match=r"refused: 169\.254\.169\.254 is a link-local address"):
        check_address("169.254.169.254")
    assert check_address("169.254.169.254", allow_private=True) == ["169.254.169.254"]
    assert check_address("[::1]", allow_private=True) == ["::1"]
    assert check_address("93.184.216.34") == ["93.184.216.34"]
