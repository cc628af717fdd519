"""A changed input replaces the document stored for it before, instead of leaving the old version beside
the new one (or, when only its outlet changed, being linked as a copy of its own old version)."""

from __future__ import annotations

import shutil

import duckdb

from narrascope.engines.local import run_analysis
from narrascope.pipeline import load_config
from narrascope.readers import ReadOptions, iter_inputs
from narrascope.readers.sidecar import load_sidecar
from narrascope.store import Store


def _run(db, sources, options=None):
    with Store(db) as store:
        return run_analysis(iter_inputs([str(s) for s in sources], options), store, load_config(profile="fast"))


def _rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_an_edited_file_replaces_its_old_version(tmp_path, seed_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    for prefix in ("002", "003"):
        shutil.copy(seed_path(prefix), folder)
    db = tmp_path / "c.duckdb"
    assert _run(db, [folder]).stored == 2
    edited = next(folder.glob("003_*"))
    (old_id,) = _rows(db, f"SELECT id FROM documents WHERE source = '{edited}'")[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA closing paragraph added after the first run, "
                      "about gas prices between Minsk and Moscow.\n", encoding="utf-8")
    stats = _run(db, [folder])
    assert (stats.stored, stats.unchanged, dict(stats.duplicates)) == (1, 1, {})
    docs = _rows(db, "SELECT id, source, text FROM documents ORDER BY source")
    assert len(docs) == 2 and old_id not in {d[0] for d in docs}
    assert "A closing paragraph added after the first run" in docs[1][2]
    # nothing of the old version is left: its spans, its signature, any link
    for table, column in (("spans", "doc_id"), ("segments", "doc_id"), ("signatures", "doc_id"), ("duplicates", "doc_id")):
        assert _rows(db, f"SELECT count(*) FROM {table} WHERE {column} = '{old_id}'") == [(0,)], table
    assert _rows(db, "SELECT count(*) FROM signatures") == [(2,)]
    assert _rows(db, "SELECT count(DISTINCT doc_id) FROM sources") == [(2,)]


def test_new_metadata_replaces_the_version_without_it(tmp_path, seed_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    shutil.copy(seed_path("002"), folder)
    db = tmp_path / "c.duckdb"
    _run(db, [folder])
    table = tmp_path / "meta.csv"
    table.write_text(f"file,outlet,date\n{seed_path('002').name},Washington Examiner,2020-08-19\n", encoding="utf-8")
    stats = _run(db, [folder], ReadOptions(metadata=load_sidecar(str(table))))
    # the outlet is part of a document's id: before, the new version was linked as a copy of the old one
    assert (stats.stored, dict(stats.duplicates)) == (1, {})
    assert _rows(db, "SELECT outlet, published FROM documents") == [("Washington Examiner", "2020-08-19")]
    assert _rows(db, "SELECT count(*) FROM duplicates") == [(0,)]


def test_an_old_version_that_a_copy_still_points_to_stays(tmp_path, seed_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    original = folder / "a.txt"
    shutil.copy(seed_path("002"), original)
    # a reposted copy with a line of its own: linked as a near copy of a.txt's document
    (folder / "b_copy.txt").write_text(seed_path("002").read_text(encoding="utf-8") + "\nShared by a reader.\n",
                                       encoding="utf-8")
    db = tmp_path / "c.duckdb"
    stats = _run(db, [folder])
    assert stats.stored == 1 and dict(stats.duplicates) == {"near": 1}
    original.write_text(original.read_text(encoding="utf-8") + "\nA new last paragraph on the Union State.\n",
                        encoding="utf-8")
    (old_id,) = _rows(db, f"SELECT doc_id FROM sources WHERE source = '{original}'")[0]
    stats = _run(db, [folder])
    # b_copy.txt's document still names the old version as its original, so the old version stays (with its
    # analysis), and the new one, a near copy of it, is linked to it as copies are
    assert (stats.stored, stats.unchanged, dict(stats.duplicates)) == (0, 1, {"near": 1})
    assert _rows(db, "SELECT count(*) FROM documents") == [(3,)]
    assert sorted(r[0] for r in _rows(db, "SELECT duplicate_of FROM duplicates")) == [old_id, old_id]
