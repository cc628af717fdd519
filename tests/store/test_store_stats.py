"""stats() on a small corpus built from the seed pages, checked against counts taken in Python."""

from __future__ import annotations

from collections import Counter

from narrascope.store import Store


def test_stats_match_the_stored_corpus(tmp_path, seed_documents):
    docs = seed_documents
    with Store(tmp_path / "s.duckdb") as store:
        store.save(docs, store.start_run({}, {}), {"narrascope": "0.1.0"})
        store.add_duplicate({"doc_id": docs[1].id, "duplicate_of": docs[0].id, "kind": "near", "similarity": 0.9})
        store.add_duplicate({"doc_id": docs[3].id, "duplicate_of": docs[0].id, "kind": "exact", "similarity": 1.0})
        store.record_source(docs[0].source, docs[0].id, "ok", fingerprint="x")
        store.record_source("broken.html", None, "problem", "no text")
        stats = store.stats()

    def counted(values) -> dict[str, int]:
        return dict(Counter("unknown" if v is None else v for v in values))

    assert stats["documents"] == len(docs) == 5
    assert stats["spans"] == sum(len(d.spans) for d in docs)
    assert stats["by_outlet"] == counted(d.outlet for d in docs) == {"outlet-a": 3, "outlet-b": 2}
    assert stats["by_language"] == counted(d.language for d in docs)
    assert stats["by_month"] == counted(d.published[:7] if d.published else None for d in docs)
    assert list(stats["by_month"]) == sorted(k for k in stats["by_month"] if k != "unknown") + ["unknown"]
    assert stats["segments_by_kind"] == counted(s.kind for d in docs for s in d.segments) == {"main": 5, "appended": 5}
    assert stats["spans_by_layer"] == counted(s.layer for d in docs for s in d.spans)
    assert stats["spans_by_layer"]["paragraph"] == sum(1 for d in docs for line in d.text.split("\n\n") if line.strip())
    assert stats["labels_by_layer"] == counted(lab.layer for d in docs for lab in d.labels)
    assert stats["duplicates_by_kind"] == {"near": 1, "exact": 1}
    assert stats["sources_by_status"] == {"ok": 1, "problem": 1}
    assert stats["runs"] == 1
    # Breakdowns are ordered most frequent first.
    assert list(stats["spans_by_layer"].values()) == sorted(stats["spans_by_layer"].values(), reverse=True)
