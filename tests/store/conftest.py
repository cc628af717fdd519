from __future__ import annotations

import re
from pathlib import Path

import pytest

from narrascope import Document, Label, Segment

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def document_from_seed(path: Path, outlet: str, published: str | None, language: str | None = "en") -> Document:
    """A Document over a seed page: paragraphs as spans, naive sentence spans, a main and an appended segment."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    paragraphs = [line for line in lines if line]
    title, paragraphs = paragraphs[0], paragraphs[1:]
    text = "\n\n".join(paragraphs)
    doc = Document(source=str(path.name), text=text, outlet=outlet, title=title, published=published,
                   language=language, authors=["Staff"], url=f"https://{outlet}.example/{path.stem}")
    doc.assign_id()
    pos = 0
    for para in paragraphs:
        start = text.index(para, pos)
        doc.add_span(start, start + len(para), "paragraph")
        s = start
        for piece in _SENTENCE_END.split(para):
            s = text.index(piece, s)
            doc.add_span(s, s + len(piece), "sentence")
            s += len(piece)
        pos = start + len(para)
    split = doc.paragraphs[len(doc.paragraphs) * 2 // 3].start  # last third is "appended" teasers
    doc.segments = [Segment(0, split - 2, "main", title, outlet), Segment(split, len(text), "appended")]
    loaded = [s for s in doc.sentences if "Russia" in s.text_of(doc)]
    for s in loaded[:3]:
        doc.add_span(s.start, s.end, "technique", "Loaded_Language", 0.75, evidence=s.text_of(doc)[:20])
    doc.labels = [Label("genre", "opinion", 0.9), Label("narrative", "Russia threatens Belarus", 0.6, 0,
                                                       [(s.start, s.end) for s in loaded[:2]])]
    return doc


@pytest.fixture(scope="session")
def seed_documents(seeds_dir) -> list[Document]:
    paths = sorted(seeds_dir.glob("*.txt"))
    if not paths:
        pytest.skip("no seed pages")
    months = ["2020-08-19", "2020-08-26T10:00:00Z", None, "2022-03-27", "2021-10-02"]
    return [
        document_from_seed(p, outlet=("outlet-a" if i % 2 == 0 else "outlet-b"), published=months[i % len(months)],
                           language=("en" if i != 3 else None))
        for i, p in enumerate(paths)
    ]


def make_full_document() -> Document:
    """Every field filled, with unicode, quotes, markup and nested attrs."""
    text = (
        'He said "no" — and <script>alert("x")</script> ran; \'quotes\' & ampersands.\n\n'
        "Лукашенко заявил: «Беларусь никогда не будет частью России». 🇧🇾 \\ backslash\n\n"
        "Third paragraph with a tab\tand NUL-free unicode: ünïcödé, 中文, عربي."
    )
    doc = Document(
        source="https://example.org/a?id=1&x='2'", text=text, outlet="Example «News»", url="https://example.org/a",
        title='Title with "quotes" and <b>tags</b>', authors=["Jane O'Hara", "Иван Петров"],
        published="2020-08-19T10:00:00+03:00", language="en", fetched_at="2024-01-02T03:04:05Z",
        meta={"affiliation": {"state": True, "country": "RU"}, "warnings": ["short text"], "n": 3, "f": 0.25},
    )
    doc.assign_id()
    p2 = text.index("Лукашенко")
    p3 = text.index("Third")
    doc.segments = [
        Segment(0, p2 - 2, "main", "Main «title»", "Example", ["Jane O'Hara"], "2020-08-19"),
        Segment(p2, p3 - 2, "excerpt", "Excerpt", "BelTA", [], None),
        Segment(p3, len(text), "editorial"),
    ]
    doc.add_span(0, p2 - 2, "paragraph")
    doc.add_span(p2, p3 - 2, "paragraph")
    doc.add_span(p3, len(text), "paragraph")
    doc.add_span(p2, p2 + 9, "entity", "PER", None, canonical="Alexander Lukashenko", wikidata="Q42", aliases=["Лукашенко"])
    doc.add_span(p2 + 18, p3 - 3, "quote", "", 0.93, speaker=[p2, p2 + 9])
    doc.add_span(0, 12, "technique", "Loaded_Language", 0.5, evidence='"no"', nested={"a": [1, 2, {"b": None}]})
    doc.labels = [
        Label("genre", "opinion", 0.81),
        Label("narrative", "URW: Blaming the war on others", 0.4, 0, [(0, 12), (p2, p2 + 9)], {"taxonomy": "semeval2025"}),
        Label("role", "Antagonist", None, 1, [], {"entity": [p2, p2 + 9]}),
    ]
    return doc


@pytest.fixture
def full_document() -> Document:
    return make_full_document()
