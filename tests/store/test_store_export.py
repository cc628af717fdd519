"""Export of the stored corpus to JSONL, CSV and Parquet, read back."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from narrascope import StoreError
from narrascope.store import Store


@pytest.fixture
def docs(seed_documents, full_document):
    return seed_documents + [full_document]


@pytest.fixture
def store(tmp_path, docs):
    with Store(tmp_path / "corpus.duckdb") as s:
        s.save(docs, "r", {"narrascope": "0.1.0"})
        s.add_duplicate({"doc_id": docs[1].id, "duplicate_of": docs[0].id, "kind": "near", "similarity": 0.85})
        s.add_duplicate({"doc_id": docs[1].id, "duplicate_of": docs[2].id, "kind": "near", "similarity": 0.95})
        yield s


def test_jsonl_is_one_document_dict_per_line(store, docs, tmp_path):
    path = tmp_path / "out" / "corpus.jsonl"
    path.parent.mkdir()
    assert store.export(path, "jsonl") == len(docs)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(docs)
    for doc, record in zip(docs, records):
        expected = json.loads(doc.to_json())
        if doc.id == docs[1].id:
            expected["duplicate_of"] = docs[2].id  # the closest of its two originals
        assert record == expected
    assert "<script>" in records[-1]["text"]  # stored and exported verbatim; escaping is the renderer's job


def test_csv_has_one_properly_quoted_row_per_document(store, docs, tmp_path):
    path = tmp_path / "corpus.csv"
    assert store.export(path, "csv") == len(docs)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "source", "outlet", "url", "title", "authors", "published", "language",
                             "n_segments", "n_spans", "duplicate_of", "text"]
    assert len(rows) == len(docs)
    for doc, row in zip(docs, rows):
        assert row["id"] == doc.id and row["text"] == doc.text and row["title"] == doc.title
        assert row["authors"] == "; ".join(doc.authors)
        assert int(row["n_spans"]) == len(doc.spans) and int(row["n_segments"]) == len(doc.segments)
        assert row["published"] == (doc.published or "") and row["language"] == (doc.language or "")
        assert row["duplicate_of"] == (docs[2].id if doc is docs[1] else "")


def test_parquet_reads_back_with_nested_spans(store, docs, tmp_path):
    path = tmp_path / "it's here.parquet"  # a quote in the path must not break the COPY statement
    assert store.export(path, "parquet") == len(docs)
    con = duckdb.connect()
    rows = con.execute(
        "SELECT id, text, authors, len(spans), len(segments), len(labels), spans[1].layer, duplicate_of, "
        "meta->>'$.affiliation.country' FROM read_parquet(?)",
        [str(path)],
    ).fetchall()
    assert [r[0] for r in rows] == [d.id for d in docs]
    for doc, (id_, text, authors, n_spans, n_segs, n_labels, first_layer, dup, country) in zip(docs, rows):
        assert (text, authors, n_spans, n_segs, n_labels) == (doc.text, doc.authors, len(doc.spans), len(doc.segments), len(doc.labels))
        assert first_layer == doc.spans[0].layer
        assert dup == (docs[2].id if doc is docs[1] else None)
    assert rows[-1][-1] == "RU"


def test_export_errors_are_clear(store, tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        store.export(tmp_path / "missing" / "out.jsonl", "jsonl")
    with pytest.raises(StoreError, match="unknown export format 'xml'; formats: csv, jsonl, parquet"):
        store.export(tmp_path / "out.xml", "xml")
    assert not (tmp_path / "out.xml").exists()
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_export_of_an_empty_store(tmp_path):
    with Store(tmp_path / "empty.duckdb") as store:
        for fmt in ("jsonl", "csv", "parquet"):
            assert store.export(tmp_path / f"e.{fmt}", fmt) == 0
    assert (tmp_path / "e.jsonl").read_text() == ""
    assert (tmp_path / "e.csv").read_text().startswith("id,source,")
    assert duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "e.parquet")]).fetchall() == [(0,)]
