"""A metadata table beside a folder of files (--metadata): PolNeAR's own metadata.tsv, and tables made here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from narrascope.document import Document
from narrascope.errors import ConfigError
from narrascope.readers import ReadOptions, iter_inputs
from narrascope.readers.sidecar import load_sidecar


def _read(paths, sidecar) -> list[Document]:
    return [d for d in iter_inputs([str(p) for p in paths], ReadOptions(metadata=sidecar))]


def test_polnear_texts_take_outlet_date_and_title_from_its_table(polnear_dir):
    table = polnear_dir / "metadata.tsv"
    with open(table, encoding="utf-8", newline="") as fh:
        rows = {r["filename"]: r for r in csv.DictReader(fh, delimiter="\t")}
    files = sorted((polnear_dir / "train" / "text").glob("*.txt"))[:25]
    sidecar = load_sidecar(str(table))
    docs = _read(files, sidecar)
    assert len(docs) == 25 and sidecar.matched == 25 and not sidecar.unmatched
    for doc, path in zip(docs, files):
        row = rows[path.stem]  # the table names files without ".txt"
        assert (doc.outlet, doc.published, doc.title) == (row["publisher"], row["publication_date"], row["title"])
        assert doc.meta["metadata_from"] == str(table)
        if row["author"] not in ("", "None"):
            assert doc.authors
    assert sidecar.summary() == f"{table}: rows for 25 of 25 files"


def test_rows_found_by_path_name_or_stem_and_ambiguity_left_alone(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.txt").write_text(f"Text of {folder}.", encoding="utf-8")
    (tmp_path / "a" / "only.html").write_text("<html><body><p>Only here.</p></body></html>", encoding="utf-8")
    (tmp_path / "a" / "orphan.txt").write_text("No row for me.", encoding="utf-8")
    (tmp_path / "meta.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"doc": "a/same.txt", "site": "Outlet A", "date": "2024-03-05"},
        {"doc": "b/same.txt", "site": "Outlet B", "date": "5 March 2024"},
        {"doc": "only", "site": "Outlet C", "date": "not a date"},
    ]) + "\n", encoding="utf-8")
    sidecar = load_sidecar(str(tmp_path / "meta.jsonl"), {"file": "doc", "outlet": "site", "published": "date"})
    docs = {Path(d.source).relative_to(tmp_path).as_posix(): d for d in _read([tmp_path / "a", tmp_path / "b"], sidecar)}
    assert docs["a/same.txt"].outlet == "Outlet A" and docs["b/same.txt"].outlet == "Outlet B"  # by path: "same.txt" is ambiguous
    assert docs["b/same.txt"].published == "2024-03-05"
    assert docs["a/only.html"].outlet == "Outlet C" and docs["a/only.html"].published is None  # by stem
    assert "unrecognised published 'not a date'" in docs["a/only.html"].meta["warnings"][0]
    assert docs["a/orphan.txt"].outlet is None and "metadata_from" not in docs["a/orphan.txt"].meta
    assert sidecar.summary().endswith("rows for 3 of 4 files (none for: orphan.txt)")


def test_tables_that_cannot_serve_say_why(tmp_path):
    with pytest.raises(ConfigError, match="no such metadata table"):
        load_sidecar(str(tmp_path / "none.csv"))
    (tmp_path / "t.csv").write_text("name,outlet\nx.txt,A\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no column names the files .*columns: name, outlet\); name it with --field-map"):
        load_sidecar(str(tmp_path / "t.csv"))
    assert load_sidecar(str(tmp_path / "t.csv"), {"file": "name"}).rows["x.txt"] == {"outlet": "A"}
    (tmp_path / "t.jsonl").write_text('{"file": "x.txt"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"t.jsonl#2: invalid JSON"):
        load_sidecar(str(tmp_path / "t.jsonl"))
    (tmp_path / "empty.csv").write_text("file,outlet\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="has no rows"):
        load_sidecar(str(tmp_path / "empty.csv"))
