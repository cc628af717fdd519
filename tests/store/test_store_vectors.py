"""Embeddings saved with their document, replaced with it, and read back for corpus views."""

from __future__ import annotations

import duckdb
import numpy as np

from narrascope import Document
from narrascope.nlp.vectors import VectorsStage
from narrascope.store import Store


def _doc(text: str, outlet: str) -> Document:
    doc = Document(source=outlet, text=text, outlet=outlet, language="en")
    doc.assign_id()
    return doc


def test_vectors_stage_embeds_document_and_paragraphs(tmp_path, seeds_dir):
    text = (seeds_dir / "003_ea458df605f5e2ca.txt").read_text(encoding="utf-8")
    text = "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
    a = _doc(text, "A")
    b = _doc("The recipe needs two eggs, a cup of flour and a pinch of salt, then bake it for forty minutes.", "B")
    VectorsStage().process([a, b])
    with Store(tmp_path / "v.duckdb") as store:
        run = store.start_run({}, {})
        store.save([a, b], run, {})
        keys, docs = store.vectors("document")
        assert [k[0] for k in keys] == [a.id, b.id] and docs.shape == (2, 384)
        pkeys, paras = store.vectors("paragraph", [a.id])
        long_lines = [line for line in text.split("\n") if len(line) >= 40]
        assert len(pkeys) == len(long_lines) and all(a.text[s:e] in long_lines for _, s, e in pkeys)
        # Each paragraph is closer to its own document than to the unrelated recipe.
        assert float(np.mean(paras @ docs[0])) > float(np.mean(paras @ docs[1])) + 0.1
        # Re-saving a document replaces its vectors rather than adding to them.
        store.save([a], run, {})
        assert len(store.vectors("paragraph", [a.id])[0]) == len(pkeys)
        assert store.stats()["vectors"] == (1 + len(pkeys)) + (1 + 1)  # a: document + paragraphs; b: document + its one line


def test_a_version_1_store_gains_the_vectors_table(tmp_path):
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        store.start_run({}, {})
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE vectors")
    con.execute("UPDATE schema_version SET version = 1")
    con.close()
    with Store(path, read_only=True) as store:  # read-only: no table yet, read as empty
        assert store.vectors("document")[0] == []
        assert store.stats()["vectors"] == 0
    with Store(path) as store:
        assert store.vectors("document")[0] == []
        doc = _doc("Minsk and Moscow signed a gas deal on Friday after long talks.", "C")
        doc.cache["vectors"] = [("document", 0, len(doc.text), np.ones(384, dtype=np.float32) / 384**0.5)]
        store.save([doc], store.start_run({}, {}), {})
        keys, m = store.vectors("document")
        assert keys == [(doc.id, 0, len(doc.text))] and abs(float(np.linalg.norm(m[0])) - 1) < 1e-3
