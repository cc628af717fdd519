"""HTML pages built here: chrome removed, body and metadata kept, bad and huge pages survived."""

from __future__ import annotations

import time

import pytest

from narrascope.document import Document
from narrascope.extract import extract_html
from narrascope.extract.html import NO_TEXT
from narrascope.pipeline import Pipeline

BODY = [
    "The leader of Belarus on Friday accused some politicians in Russia of floating the prospect of incorporating "
    "his nation, and vowed that he would not let it happen.",
    "Speaking to Russian journalists in Minsk, Alexander Lukashenko said that sovereignty is sacred for Belarus "
    "and that nobody would break the country into regions.",
    "Belarus and Russia are joined in a Union State that exists mainly on paper, and their militaries have close "
    "ties, though Minsk has resisted a larger Russian military presence.",
    "Wariness about Moscow’s intentions toward its neighbours has risen since Russia seized Crimea and began "
    "supporting separatists in eastern Ukraine.",
]
JUNK = [
    "We use cookies to give you the best experience", "Accept all cookies", "Share on Facebook", "Tweet",
    "Your donations make all the difference", "Donate now", "Leave a Reply", "best analysis I have read",
    "Related Articles", "Poland builds a canal", "All rights reserved", "Privacy policy", "Home", "Politics",
    "Subscribe to our newsletter",
]


def news_page(body: list[str] = BODY) -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Belarus leader slams Russian talk of takeover | World Daily</title>
<meta property="og:site_name" content="World Daily">
<meta property="og:title" content="Belarus leader slams Russian talk of takeover">
<meta name="author" content="Jane Smith">
<meta property="article:published_time" content="2018-12-14T09:30:00+00:00">
<link rel="canonical" href="https://www.worlddaily.example/europe/belarus-leader-slams-russia">
<script>window.dataLayer = [{{"page": "article"}}];</script><style>body {{ font-family: serif; }}</style>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to give you the best experience on our website.</p><button>Accept all cookies</button></div>
<main><article>
<h1>Belarus leader slams Russian talk of takeover</h1>
<p class="byline">By <span class="author">Jane Smith</span> · <time datetime="2018-12-14">December 14, 2018</time></p>
<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Tweet</a> <a href="#">Email</a></div>
<div class="article-body">{paragraphs}</div>
<div class="donate-box"><p>Your donations make all the difference.</p><a class="button" href="/donate">Donate now</a></div>
<div class="newsletter"><p>Subscribe to our newsletter</p></div>
</article>
<section id="comments" class="comments-area"><h3>Leave a Reply</h3>
<div class="comment"><p class="comment-author">Ivan</p><p>This is the best analysis I have read this year, thank you so much for writing it.</p></div></section>
<aside class="related-posts"><h3>Related Articles</h3><ul>
<li><a href="/a">Poland builds a canal through the Vistula Spit to avoid Russian waters</a></li>
<li><a href="/b">Lithuania closes its border crossings with Belarus after the election</a></li></ul></aside>
</main>
<footer><p>© 2018 World Daily. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>"""


def test_news_page_keeps_body_and_metadata_and_drops_chrome():
    page = extract_html(news_page(), url="https://www.worlddaily.example/europe/belarus-leader-slams-russia")
    assert page.problem is None
    assert page.text.split("\n\n") == BODY
    for junk in JUNK:
        assert junk not in page.text, junk
    assert page.title == "Belarus leader slams Russian talk of takeover"
    assert page.authors == ["Jane Smith"]
    assert page.published == "2018-12-14"
    assert page.outlet == "World Daily"


def test_outlet_falls_back_to_the_registered_domain():
    html = news_page().replace('<meta property="og:site_name" content="World Daily">', "").replace(" | World Daily", "")
    html = html.replace('<link rel="canonical" href="https://www.worlddaily.example/europe/belarus-leader-slams-russia">', "")
    page = extract_html(html, url="https://www.foxnews.com/world/belarus")
    assert page.outlet == "foxnews.com"


def test_stages_on_html_document_fill_the_record():
    doc = Document(source="page.html", raw=news_page(), raw_format="html", url="https://www.worlddaily.example/a")
    Pipeline.from_names(["extract", "segment"])([doc])
    assert not doc.meta.get("problem")
    assert doc.text == "\n\n".join(BODY)
    assert doc.title == "Belarus leader slams Russian talk of takeover"
    assert (doc.outlet, doc.authors, doc.published) == ("World Daily", ["Jane Smith"], "2018-12-14")
    [main] = doc.segments
    assert (main.kind, main.start, main.end, main.title, main.outlet) == ("main", 0, len(doc.text), doc.title, "World Daily")
    assert doc.id and len(doc.id) == 16


def test_stage_sniffs_html_and_decodes_bytes():
    doc = Document(source="page.html", raw=news_page().encode("utf-8"))
    Pipeline.from_names(["extract", "segment"])([doc])
    assert doc.text.split("\n\n") == BODY
    assert "Moscow’s intentions" in doc.text  # decoded as UTF-8, not mojibake


def test_truncated_html_keeps_what_arrived():
    html = news_page()
    cut = html.index(BODY[2][:40]) + 20  # cut in the middle of the third paragraph
    page = extract_html(html[:cut])
    assert page.problem is None
    assert page.text.split("\n\n")[:2] == BODY[:2]


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "<html><body></body></html>",
        "<html><body><div><p></div></span><<<>>><p><p><p></html",
        "\x00\x01\x02 binary \xff\xfe junk " * 200,
        "<html><body><nav><a href='/'>Home</a></nav><p>Advertisement</p><p>Leave a Reply</p></body></html>",
        "<" * 10_000,
    ],
)
def test_garbage_html_sets_a_problem_instead_of_crashing(garbage):
    page = extract_html(garbage)
    assert page.text == "" and page.problem
    doc = Document(source="bad.html", raw=garbage, raw_format="html")
    Pipeline.from_names(["extract", "segment"])([doc])
    assert doc.meta["problem"] in (NO_TEXT,) or doc.meta["problem"].startswith("HTML could not be parsed")
    assert doc.segments == []


def test_all_boilerplate_text_gets_the_no_text_problem():
    doc = Document(source="x.txt", raw="Advertisement\n\nLeave a Reply\n\nSubscribe\n\nNotify of", raw_format="text")
    Pipeline.from_names(["extract", "segment"])([doc])
    assert doc.meta["problem"] == NO_TEXT


def _fifty_megabytes(filler_kind: str) -> str:
    html = news_page()
    head, tail = html.split("</main>")
    if filler_kind == "comments":
        unit = "<div class='comment'><p class='comment-author'>Bot</p><p>Spam comment number lorem ipsum dolor sit.</p></div>\n"
    else:  # a page swollen by an inline script (framework state)
        unit = "<script>window.__STATE__ = " + '"' + "x" * 5000 + '";</script>\n'
    return head + "</main>" + unit * (50_000_000 // len(unit)) + tail


@pytest.mark.parametrize("filler_kind", ["comments", "script"])
def test_fifty_megabyte_page_is_handled_in_seconds(filler_kind):
    html = _fifty_megabytes(filler_kind)
    assert len(html) > 49_000_000
    t0 = time.perf_counter()
    page = extract_html(html)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10, elapsed  # about 2-3 s on one free core
    assert page.problem is None
    assert page.text.split("\n\n")[:4] == BODY
    if filler_kind == "comments":
        assert page.warnings and "truncated" in page.warnings[0]


def test_stage_refuses_input_over_max_bytes_and_truncates_below_it():
    html = _fifty_megabytes("comments")
    doc = Document(source="huge.html", raw=html, raw_format="html")
    Pipeline.from_names(["extract", "segment"])([doc])  # default max_bytes = 20 MB
    assert "over the limit" in doc.meta["problem"]
    doc = Document(source="huge.html", raw=html, raw_format="html")
    t0 = time.perf_counter()
    Pipeline.from_names(["extract", "segment"], {"stages": {"extract": {"max_bytes": 60_000_000}}})([doc])
    assert time.perf_counter() - t0 < 10
    assert not doc.meta.get("problem")
    assert doc.text.startswith(BODY[0]) and any("truncated" in w for w in doc.meta["warnings"])
