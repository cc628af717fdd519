"""Saving and reading documents: exact round trip, idempotent re-saves, atomic batches."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope import Document, Label, StoreError
from narrascope.document import text_hash
from narrascope.store import Store


def test_document_with_every_field_round_trips_exactly(tmp_path, full_document):
    doc = full_document
    with Store(tmp_path / "s.duckdb") as store:
        store.save([doc], store.start_run({}, {}), {"narrascope": "0.1.0"})
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        back = store.get(doc.id)
    assert back == doc
    assert back.to_json() == doc.to_json()
    assert back.labels[1].evidence == [(0, 12), (doc.text.index("Лукашенко"), doc.text.index("Лукашенко") + 9)]
    assert back.spans[3].text_of(back) == "Лукашенко"


def test_span_attrs_that_compare_equal_but_differ_in_type_each_round_trip(tmp_path):
    """Span attrs are encoded once per distinct value in a batch; 1, 1.0, True and "1" stay apart, and
    mentions that share their attrs each get them back."""
    from narrascope.document import Span

    doc = Document(source="t", text="Minsk and Minsk again, in Minsk.", language="en")
    doc.assign_id()
    values = [1, 1.0, True, "1", None, [1, "a"]]
    doc.spans = [Span(0, 5, "test", attrs={"x": v}) for v in values]
    doc.spans += [Span(a, a + 5, "entity", "GPE", attrs={"actor": "Minsk", "wikidata": None})
                  for a in (0, 10, 27)]
    with Store(tmp_path / "s.duckdb") as store:
        store.save([doc], store.start_run({}, {}), {"narrascope": "0.1.0"})
        back = store.get(doc.id)
    assert [s.attrs["x"] for s in back.spans[:6]] == values
    assert [type(s.attrs["x"]) for s in back.spans[:6]] == [type(v) for v in values]
    assert [s.attrs for s in back.spans[6:]] == [{"actor": "Minsk", "wikidata": None}] * 3


def test_seed_documents_round_trip(tmp_path, seed_documents):
    with Store(tmp_path / "s.duckdb") as store:
        store.save(seed_documents, store.start_run({}, {}), {"narrascope": "0.1.0"})
        for doc in seed_documents:
            assert store.get(doc.id) == doc
        assert [d.id for d in store.iter_documents(batch_size=2)] == [d.id for d in seed_documents]
        assert store.get("0" * 16) is None


def test_saving_the_same_document_twice_stores_it_once(tmp_path, seed_documents):
    doc = seed_documents[0]
    with Store(tmp_path / "s.duckdb") as store:
        run = store.start_run({}, {})
        store.save([doc], run, {"narrascope": "1"})
        store.save([doc], run, {"narrascope": "1"})
        assert store.count() == 1
        assert store.query("SELECT count(*) FROM spans WHERE doc_id = ?", [doc.id])[0][0] == len(doc.spans)
        assert store.query("SELECT count(*) FROM segments")[0][0] == len(doc.segments)
        assert store.query("SELECT count(*) FROM labels")[0][0] == len(doc.labels)
        assert store.get(doc.id) == doc


def test_resaving_with_fewer_spans_replaces_them(tmp_path, seed_documents):
    doc = seed_documents[1]
    n_before = len(doc.spans)
    with Store(tmp_path / "s.duckdb") as store:
        store.save([doc], "run-1", {"narrascope": "1", "techniques": "1"})
        fewer = Document.from_dict(doc.to_dict())
        fewer.spans = [s for s in fewer.spans if s.layer != "sentence"]
        assert 0 < len(fewer.spans) < n_before
        store.save([fewer], "run-2", {"narrascope": "1", "techniques": "2"})
        back = store.get(doc.id)
        assert back.spans == fewer.spans
        assert store.query("SELECT count(*) FROM spans")[0][0] == len(fewer.spans)
        # The versions that produced the stored rows are those of the latest save.
        assert store.query("SELECT run_id, versions->>'techniques' FROM documents")[0] == ("run-2", "2")


def test_a_batch_with_the_same_id_twice_keeps_the_last(tmp_path, seed_documents):
    first = seed_documents[2]
    second = Document.from_dict(first.to_dict())
    second.spans = second.spans[:3]
    with Store(tmp_path / "s.duckdb") as store:
        store.save([first, second], "r", {})
        assert store.count() == 1
        assert store.get(first.id).spans == second.spans


def test_a_failing_batch_writes_nothing(tmp_path, seed_documents):
    good = seed_documents[:3]
    bad = Document(source="broken.html", text="lone surrogate \udc80 from a bad decode")
    bad.id = "badbadbadbadbad0"
    with Store(tmp_path / "s.duckdb") as store:
        store.save([seed_documents[4]], "r", {})
        with pytest.raises(StoreError, match="badbadbadbadbad0.*broken.html.*not valid Unicode"):
            store.save(good + [bad], "r", {})
        assert store.known_ids() == {seed_documents[4].id}
        assert store.query("SELECT count(DISTINCT doc_id) FROM spans")[0][0] == 1
        store.save(good, "r", {})  # the store is still usable after the failed batch
        assert store.count() == 4


def test_document_without_id_is_refused(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(StoreError, match="no id"):
            store.save([Document(source="x.txt", text="text")], "r", {})


def test_ids_prefixes_and_membership(tmp_path, seed_documents):
    with Store(tmp_path / "s.duckdb") as store:
        store.save(seed_documents, "r", {})
        ids = {d.id for d in seed_documents}
        assert store.known_ids() == ids
        assert store.count() == len(ids)
        some = seed_documents[3].id
        assert store.has(some) and not store.has("f" * 16 if some != "f" * 16 else "e" * 16)
        assert store.find_ids(some[:6]) == sorted(i for i in ids if i.startswith(some[:6]))
        assert store.find_ids(some) == [some]
        assert store.find_ids("%") == [] and store.find_ids("zz") == []


def test_iteration_does_not_revisit_documents_resaved_meanwhile(tmp_path, seed_documents):
    with Store(tmp_path / "s.duckdb") as store:
        store.save(seed_documents, "r", {})
        seen = []
        for doc in store.iter_documents(batch_size=2):
            seen.append(doc.id)
            doc.labels.append(Label("frame", "security"))
            store.save([doc], "r2", {})
        assert seen == [d.id for d in seed_documents]
        assert all(d.labels_of("frame") for d in store.iter_documents())


def test_signatures_keep_full_uint64_values(tmp_path, seed_documents):
    rng = np.random.default_rng(1)
    sigs = {d.id: rng.integers(0, 2**64 - 1, 128, dtype=np.uint64, endpoint=True) for d in seed_documents}
    sigs[seed_documents[0].id][0] = np.uint64(2**64 - 1)
    with Store(tmp_path / "s.duckdb") as store:
        store.save(seed_documents, "r", {}, signatures=sigs)
        store.save(seed_documents[:2], "r", {})  # a re-save without signatures keeps them
        got = {doc_id: (h, sig) for doc_id, h, sig in store.signatures()}
    assert set(got) == set(sigs)
    for doc in seed_documents:
        stored_hash, sig = got[doc.id]
        assert sig.dtype == np.uint64 and np.array_equal(sig, sigs[doc.id])
        assert stored_hash == text_hash(doc.main_text())


def test_duplicate_links_are_idempotent_and_survive_resaves(tmp_path, seed_documents):
    a, b, c = seed_documents[:3]
    link = {"doc_id": b.id, "duplicate_of": a.id, "kind": "near", "similarity": 0.91}
    with Store(tmp_path / "s.duckdb") as store:
        store.save([a, b, c], "r", {})
        store.add_duplicate(link)
        store.add_duplicate(link)
        store.add_duplicate(type("Link", (), {"doc_id": c.id, "duplicate_of": a.id, "kind": "exact", "similarity": 1.0})())
        store.save([b], "r", {})
        assert store.duplicates() == sorted(
            [link, {"doc_id": c.id, "duplicate_of": a.id, "kind": "exact", "similarity": 1.0}], key=lambda d: d["doc_id"]
        )


def test_sources_remember_what_was_stored(tmp_path, seed_documents):
    doc = seed_documents[0]
    with Store(tmp_path / "s.duckdb") as store:
        store.save([doc], "r", {})
        store.record_source("a.html", doc.id, "ok", fingerprint="f1")
        store.record_source("b.html", doc.id, "duplicate", fingerprint="f2")
        store.record_source("c.html", None, "problem", "empty page", "f3")
        assert store.source_done("a.html", "f1") and store.source_done("b.html", "f2")
        assert not store.source_done("a.html", "changed") and not store.source_done("c.html", "f3")
        assert not store.source_done("never-seen.html", "f1")
        store.record_source("a.html", None, "problem", "now broken", "f1")  # the latest outcome wins
        assert not store.source_done("a.html", "f1")
        assert store.query("SELECT count(*) FROM sources")[0][0] == 3
        with pytest.raises(ValueError, match="ok, duplicate, problem"):
            store.record_source("d.html", None, "stored")


def test_runs_record_config_versions_and_outcome(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        run = store.start_run({"pipeline": {"prepare": ["extract"]}}, {"narrascope": "0.1.0"})
        assert store.query("SELECT status, finished_at FROM runs WHERE id = ?", [run]) == [("running", None)]
        store.finish_run(run, {"stored": 5})
        status, config, versions, stats = store.query("SELECT status, config, versions, stats FROM runs")[0]
    assert status == "done"
    assert '"extract"' in config and '"0.1.0"' in versions and '"stored": 5' in stats


def test_query_never_changes_the_store(tmp_path, seed_documents):
    with Store(tmp_path / "s.duckdb") as store:
        store.save(seed_documents, "r", {})
        assert store.query("SELECT id FROM documents WHERE outlet = $outlet ORDER BY id", {"outlet": "outlet-b"}) == sorted(
            (d.id,) for d in seed_documents if d.outlet == "outlet-b"
        )
        store.query("DELETE FROM documents")
        assert store.count() == len(seed_documents)
        with pytest.raises(StoreError, match="exactly one SQL statement"):
            store.query("COMMIT; DELETE FROM documents")
        assert store.count() == len(seed_documents)
        with pytest.raises(StoreError, match="query failed"):
            store.query("SELECT nope FROM documents")
        assert store.count() == len(seed_documents)  # and the connection is still usable


def test_sources_and_links_recorded_after_the_last_save_are_kept_on_close(tmp_path, seed_documents):
    a, b = seed_documents[:2]
    with Store(tmp_path / "s.duckdb") as store:
        store.save([a, b], "r", {})
        store.record_source(a.source, a.id, "ok", fingerprint="fa")
        store.record_source(b.source, b.id, "duplicate", fingerprint="fb")
        store.add_duplicate({"doc_id": b.id, "duplicate_of": a.id, "kind": "exact", "similarity": 1.0})
        assert store.source_done(a.source, "fa")  # visible before it is written
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.source_done(a.source, "fa") and store.source_done(b.source, "fb")
        assert store.duplicates() == [{"doc_id": b.id, "duplicate_of": a.id, "kind": "exact", "similarity": 1.0}]
        assert store.stats()["sources_by_status"] == {"ok": 1, "duplicate": 1}
