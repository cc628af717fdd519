"""Extraction benchmark: speed of extract + segment, and word 4-gram P/R/F1 against gold text.

    python benchmarks/extraction.py [--shared ../shared] [--repeat 5]

The evaluation set is CONSTRUCTED: each seed text of ../shared/data/seeds is
wrapped, at run time, in made-up news-site chrome (navigation, cookie banner,
share bar, donation box, comments, related links, footer; two page templates).
Gold text = the seed lines annotated as article text in
benchmarks/extraction_pages/gold.json (line numbers only; no seed text is
stored here). Plain trafilatura (``include_comments=False``) and narrascope's
extract + segment stages run on the same pages in the same run.

Two gold views:
- clean: every real article body on the page (main piece, appended articles,
  aggregator comment and excerpts); compared with narrascope's ``doc.text``.
- main: the body of what the page is about; compared with narrascope's main
  segment. trafilatura has one output, compared with both.
"""

from __future__ import annotations

import argparse
import html as htmllib
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

from narrascope.document import Document
from narrascope.pipeline import Pipeline

HERE = Path(__file__).resolve().parent
GOLD = HERE / "extraction_pages" / "gold.json"
_TOKEN = re.compile(r"\w+", re.UNICODE)


# -- the constructed pages -----------------------------------------------------------


def seed_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def lines_in(ranges: list[list[int]], lines: list[str]) -> list[str]:
    return [lines[n - 1].strip() for a, b in ranges for n in range(a, b + 1) if lines[n - 1].strip()]


def article_markup(lines: list[str], note: dict) -> str:
    out = []
    for n, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        tag = "h1" if n == note["title"] else "h2" if n in note["headlines"] else "p"
        out.append(f"<{tag}>{htmllib.escape(text)}</{tag}>")
    return "\n".join(out)


def news_site_page(title: str, body: str, site: str) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{htmllib.escape(title)} | {site}</title><meta property="og:site_name" content="{site}">
<script>var analytics = {{"site": "{site}", "section": "world"}};</script><style>.nav {{ display: flex; }}</style></head>
<body><header class="site-header"><a class="logo" href="/">{site}</a>
<nav class="nav"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/opinion">Opinion</a></li><li><a href="/video">Video</a></li></ul></nav></header>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to personalise content and ads and to analyse our traffic.
By continuing to use this site you agree to our use of cookies.</p><button>Accept all</button><button>Manage preferences</button></div>
<main><article class="story">
<div class="share-bar"><a href="#">Share on Facebook</a><a href="#">Share on Twitter</a><a href="#">Email</a><a href="#">Print</a></div>
<div class="story-body">{body}</div>
<div class="share-bar bottom"><span>Share this article</span><a href="#">Facebook</a><a href="#">Twitter</a><a href="#">WhatsApp</a></div>
</article>
<aside class="related"><h3>More from {site}</h3><ul>
<li><a href="/r1">Lithuania closes two border crossings with Belarus after migrant surge</a></li>
<li><a href="/r2">EU agrees new sanctions package targeting Belarusian potash exports</a></li>
<li><a href="/r3">Kremlin says talks with Minsk on tax manoeuvre will continue next month</a></li></ul></aside></main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
<p>© 2019 {site}. All rights reserved.</p></footer></body></html>"""


def blog_page(title: str, body: str, site: str) -> str:
    return f"""<!DOCTYPE html><html><head><title>{htmllib.escape(title)} – {site}</title>
<meta name="generator" content="WordPress 5.0"></head>
<body class="single-post"><div id="page"><div class="top-bar"><span>Breaking: markets open lower</span>
<a href="/login">Log in</a></div><header id="masthead"><p class="site-title"><a href="/">{site}</a></p>
<nav id="site-navigation" class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/category/europe">Europe</a></li>
<li><a href="/category/russia">Russia</a></li><li><a href="/about">About</a></li></ul></nav></header>
<div id="content"><div id="primary"><main id="main">
<div class="entry-content">{body}
<div class="sharedaddy"><h3 class="sd-title">Share this:</h3><ul><li><a>Twitter</a></li><li><a>Facebook</a></li><li><a>Reddit</a></li></ul></div>
<div class="donation-box"><h4>Support our work</h4><p>Independent analysis depends on readers like you. Please make a donation today.</p>
<form><input type="number" value="10"><button>Donate</button></form></div></div>
<nav class="post-navigation"><a rel="prev" href="/prev">Previous post: Minsk and Moscow sign new gas deal</a>
<a rel="next" href="/next">Next post: What the Zapad exercises tell us about Russian planning</a></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on this post</h2><ol class="comment-list">
<li class="comment"><div class="comment-author">Oleg</div><div class="comment-content"><p>Thank you for this detailed analysis, it explains a lot about what is happening in Minsk right now.</p></div></li>
<li class="comment"><div class="comment-author">Maria</div><div class="comment-content"><p>I disagree with the conclusion, the author ignores the economic side of the relationship entirely.</p></div></li></ol>
<div id="respond"><h3>Leave a Reply</h3><form><p>Your email address will not be published. Required fields are marked *</p>
<textarea></textarea><button>Post Comment</button></form></div></div>
</main></div><div id="secondary" class="widget-area"><section class="widget"><h2>Recent Posts</h2><ul>
<li><a href="/p1">Belarus and the Union State: twenty years on</a></li><li><a href="/p2">Why the Baltic states fear Zapad</a></li></ul></section>
<section class="widget"><h2>Subscribe to our newsletter</h2><form><input type="email"><button>Sign up</button></form></section></div></div>
<footer id="colophon"><p>Proudly powered by WordPress | Theme by Example</p></footer></div></body></html>"""


TEMPLATES = {"news": news_site_page, "blog": blog_page}


def build_pages(seeds_dir: Path) -> list[dict]:
    notes = json.loads(GOLD.read_text(encoding="utf-8"))["pages"]
    pages = []
    for name, note in sorted(notes.items()):
        matches = sorted(seeds_dir.glob(f"{name}_*.txt"))
        if not matches:
            continue
        lines = seed_lines(matches[0])
        title = lines[note["title"] - 1].strip() if note["title"] else "Belarus and Russia"
        main = lines_in(note["main"], lines)
        other = lines_in(note["other"], lines)
        for template, make in TEMPLATES.items():
            pages.append({
                "name": f"{name}/{template}",
                "html": make(title, article_markup(lines, note), "Example " + template.title()),
                "text": matches[0].read_text(encoding="utf-8"),
                "gold_main": "\n".join(main),
                "gold_clean": "\n".join(main + other),
            })
    return pages


def synthetic_pages(n: int, seed: int = 7) -> list[str]:
    """Article pages of random length and chrome, for throughput only."""
    rng = random.Random(seed)
    vocab = ("Belarus Russia Minsk Moscow president election sanctions border troops oil gas union "
             "treaty protest opposition government ministry statement analysts said would could").split()
    pages = []
    for i in range(n):
        paras = [" ".join(rng.choice(vocab) for _ in range(rng.randint(25, 90))).capitalize() + "."
                 for _ in range(rng.randint(5, 40))]
        body = "\n".join(f"<p>{p}</p>" for p in paras)
        make = TEMPLATES["news" if i % 2 else "blog"]
        pages.append(make(f"Synthetic article {i}", body, "Synthetic Site"))
    return pages


# -- metrics -------------------------------------------------------------------------


def four_grams(text: str) -> Counter:
    tokens = [t.casefold() for t in _TOKEN.findall(text)]
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def overlap(pred: str, gold: str) -> tuple[int, int, int]:
    p, g = four_grams(pred), four_grams(gold)
    return sum((p & g).values()), sum(p.values()), sum(g.values())


def prf(hit: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    precision = hit / n_pred if n_pred else 0.0
    recall = hit / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# -- systems -------------------------------------------------------------------------


def run_trafilatura(html: str) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def run_narrascope(raw: str, fmt: str, pipeline: Pipeline) -> Document:
    doc = Document(source="bench", raw=raw, raw_format=fmt)
    pipeline([doc])
    return doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared", help="the shared data folder")
    parser.add_argument("--repeat", type=int, default=5, help="timing repetitions over the page sets")
    parser.add_argument("--synthetic", type=int, default=40, help="synthetic HTML pages for the throughput run")
    args = parser.parse_args()
    seeds_dir = args.shared / "data" / "seeds"
    if not seeds_dir.is_dir():
        print(f"no seeds at {seeds_dir}", file=sys.stderr)
        return 2
    pages = build_pages(seeds_dir)
    pipeline = Pipeline.from_names(["extract", "segment"])

    # (b) accuracy, both systems on the same pages in this run.
    totals: dict[tuple[str, str], list[int]] = {}
    rows = []
    for page in pages:
        traf = run_trafilatura(page["html"])
        doc = run_narrascope(page["html"], "html", pipeline)
        ours_clean, ours_main = (doc.text, doc.main_text()) if not doc.meta.get("problem") else ("", "")
        text_doc = run_narrascope(page["text"], "text", pipeline)
        for system, gold_view, pred in (
            ("trafilatura", "clean", traf), ("narrascope", "clean", ours_clean),
            ("trafilatura", "main", traf), ("narrascope", "main", ours_main),
            ("narrascope (seed text)", "clean", text_doc.text), ("narrascope (seed text)", "main", text_doc.main_text()),
        ):
            counts = overlap(pred, page["gold_" + gold_view])
            acc = totals.setdefault((system, gold_view), [0, 0, 0])
            for k in range(3):
                acc[k] += counts[k]
            if not system.endswith("(seed text)"):
                rows.append((page["name"], gold_view, system, prf(*counts)))

    print(f"Constructed evaluation set: {len(pages)} pages ({len(pages) // len(TEMPLATES)} seeds x {len(TEMPLATES)} templates)")
    print("\nPer page, word 4-gram F1")
    print(f"{'page':<12} {'gold':<6} {'trafilatura':>11} {'narrascope':>10}")
    by_page: dict[tuple[str, str], dict[str, float]] = {}
    for name, view, system, (_, _, f1) in rows:
        by_page.setdefault((name, view), {})[system] = f1
    for (name, view), f in sorted(by_page.items()):
        print(f"{name:<12} {view:<6} {f['trafilatura']:>11.3f} {f['narrascope']:>10.3f}")

    print("\nMicro-averaged word 4-gram precision / recall / F1")
    print(f"{'system':<24} {'gold':<6} {'P':>6} {'R':>6} {'F1':>6}")
    for (system, view), counts in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        p, r, f = prf(*counts)
        print(f"{system:<24} {view:<6} {p:>6.3f} {r:>6.3f} {f:>6.3f}")

    # (a) throughput.
    synthetic = synthetic_pages(args.synthetic)
    runs = [
        ("narrascope extract+segment", "seed text", [(p["text"], "text") for p in pages[:: len(TEMPLATES)]]),
        ("narrascope extract+segment", "constructed HTML", [(p["html"], "html") for p in pages]),
        ("narrascope extract+segment", "synthetic HTML", [(h, "html") for h in synthetic]),
        ("trafilatura.extract", "constructed HTML", [(p["html"], None) for p in pages]),
        ("trafilatura.extract", "synthetic HTML", [(h, None) for h in synthetic]),
    ]
    print(f"\nThroughput (one process, {args.repeat} passes)")
    print(f"{'system':<28} {'pages':<18} {'n':>4} {'pages/s':>8} {'ms/page':>8}")
    for system, label, items in runs:
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            for raw, fmt in items:
                if fmt is None:
                    run_trafilatura(raw)
                else:
                    run_narrascope(raw, fmt, pipeline)
        elapsed = time.perf_counter() - t0
        n = len(items) * args.repeat
        print(f"{system:<28} {label:<18} {len(items):>4} {n / elapsed:>8.1f} {1000 * elapsed / n:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
