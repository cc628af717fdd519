"""The Document record: offsets, identity and lossless JSON."""

from __future__ import annotations

import pytest

from narrascope import Document, Label, Segment
from narrascope.document import document_id, read_jsonl, write_jsonl


def test_spans_are_offsets_into_the_text_and_checked():
    doc = Document(source="x", text="Lukashenko said “sovereignty is sacred” for Belarus.")
    span = doc.add_span(16, 39, "quote", label="direct", score=0.9, speaker="Lukashenko")
    assert span.text_of(doc) == "“sovereignty is sacred”"
    with pytest.raises(ValueError):
        doc.add_span(10, 999, "quote")


def test_id_is_stable_across_whitespace_quotes_and_case_but_not_outlet():
    a = document_id("Fox News", "Belarus’ leader slams  Russian talk.")
    assert a == document_id("fox news", "belarus' leader slams Russian talk.\n")
    assert a != document_id("Bloomberg", "Belarus’ leader slams Russian talk.")
    assert len(a) == 16


def test_json_round_trip_keeps_everything_but_transient_fields(tmp_path):
    doc = Document(source="s.html", text="One.\n\nTwo <script>x</script>.", outlet="O", title="T", authors=["A B"],
                   published="2024-01-02", language="en", raw="<html>", raw_format="html")
    doc.segments = [Segment(0, 4, "main", "T", "O"), Segment(6, 29, "appended", "Other", None, ["C"])]
    doc.add_span(0, 4, "sentence")
    doc.labels.append(Label("genre", "opinion", 0.8, segment=0, evidence=[(0, 4)], attrs={"k": [1, 2]}))
    doc.meta["affiliations"] = [{"organisation": "Sputnik News"}]
    doc.cache["encoder"] = object()
    doc.assign_id()
    again = Document.from_json(doc.to_json())
    assert again.to_dict() == doc.to_dict()
    assert again.raw is None and again.cache == {}
    assert again.labels[0].evidence == [(0, 4)]
    path = tmp_path / "docs.jsonl"
    assert write_jsonl([doc, again], str(path)) == 2
    assert [d.id for d in read_jsonl(str(path))] == [doc.id, doc.id]


def test_main_segment_text():
    doc = Document(source="x", text="Main body.\n\nTeaser.")
    assert doc.main_text() == doc.text  # no segments yet: the whole text
    doc.segments = [Segment(12, 19, "appended"), Segment(0, 10, "main")]
    assert doc.main_text() == "Main body."


def test_spans_and_labels_pickle_with_every_field(seeds_dir):
    """Workers send documents back and forth pickled; Span and Label pickle as their field values, so a
    field missing from their ``__reduce__`` would be lost on the way (or fail to build)."""
    import dataclasses
    import pickle

    from narrascope.document import Span
    from narrascope.pipeline import Pipeline

    span = Span(3, 9, "entity", "GPE", 0.5, {"actor": "Belarus", "country": None})
    label = Label("tone", "Belarus", -0.2, 1, [(0, 5), (7, 9)], {"mentions": 2})
    for obj in (span, label):
        reduced = obj.__reduce__()[1]
        assert reduced == tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))
        assert pickle.loads(pickle.dumps(obj)) == obj
    path = sorted(seeds_dir.glob("*.txt"))[0]
    doc = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text")
    Pipeline.from_names(["extract", "segment", "language", "sentences", "entities", "quotes", "tone"],
                        {"stages": {"quotes": {"method": "rules"}, "entities": {"ner": "fast"}}})([doc])
    assert len(doc.spans) > 50 and doc.labels
    copy = pickle.loads(pickle.dumps(doc))
    assert copy == doc and copy.spans == doc.spans and copy.labels == doc.labels
