"""The local engine: a process pool gives the same documents as in-process runs."""

from __future__ import annotations

from narrascope.engines.local import run_analysis
from narrascope.pipeline import load_config
from narrascope.readers import iter_inputs
from narrascope.store import Store


def _analyse(db, sources, workers):
    with Store(db) as store:
        stats = run_analysis(iter_inputs(sources), store, load_config(), workers=workers)
        docs = {d.id: d.to_dict() for d in store.iter_documents()}
        links = sorted((x["doc_id"], x["duplicate_of"], x["kind"]) for x in store.duplicates())
        # Embeddings reach the store (they travel in Document.cache, which engines otherwise drop).
        embedded = {doc_id for doc_id, _, _ in store.vectors("document")[0]}
        assert embedded == {d for d in docs if d not in {x[0] for x in links}}
    return stats, docs, links


def test_two_workers_match_one(tmp_path, seeds_dir):
    from narrascope.cli import _examples_dir

    sources = [str(seeds_dir), str(_examples_dir())]
    s1, docs1, links1 = _analyse(tmp_path / "one.duckdb", sources, 1)
    s2, docs2, links2 = _analyse(tmp_path / "two.duckdb", sources, 2)
    assert s1.stored == s2.stored == 13 and not s1.problems and not s2.problems
    assert links1 == links2 and len(links1) == 2
    assert docs1.keys() == docs2.keys()
    for doc_id, d in docs1.items():
        other = docs2[doc_id]
        assert d["spans"] == other["spans"] and d["segments"] == other["segments"] and d["text"] == other["text"]


def test_warnings_of_a_document_are_summarised_on_one_line():
    from narrascope.engines.local import summarise_warnings

    line = summarise_warnings([
        "entities: no NER model for 'be'; gazetteer names only",
        "quotes: not analysed, the cue lexicon is English-only (text is 'be')",
        "techniques: not analysed, the model is English-only (text is 'be')",
        "techniques: not analysed, the model is English-only (text is 'be')",
    ])
    assert line == ("entities: no NER model for 'be'; gazetteer names only; "
                    "English-only stages skipped (text is be): quotes, techniques")
