"""Opening a store: clear errors for missing, foreign, locked and newer files."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from narrascope import StoreError
from narrascope.store import SCHEMA_VERSION, Store


def test_read_only_open_of_a_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "nothing.duckdb"
    with pytest.raises(StoreError, match="nothing.duckdb: no narrascope store here"):
        Store(path, read_only=True)
    assert not path.exists()


def test_a_text_file_is_not_taken_for_a_store(tmp_path, seeds_dir):
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    path = tmp_path / "article.txt"
    path.write_bytes(seed.read_bytes())
    for read_only in (False, True):
        with pytest.raises(StoreError, match="article.txt: not a DuckDB database file"):
            Store(path, read_only=read_only)
    assert path.read_bytes() == seed.read_bytes()  # left untouched


def test_a_store_in_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="directory .*missing does not exist"):
        Store(tmp_path / "missing" / "s.duckdb")


def test_a_plain_duckdb_file_gets_the_schema_when_writable(tmp_path):
    path = tmp_path / "plain.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE mine (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a narrascope store"):
        Store(path, read_only=True)
    with Store(path) as store:
        assert store.count() == 0
        assert store.query("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
        assert store.query("SELECT count(*) FROM mine") == [(0,)]


def test_a_store_from_a_newer_narrascope_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE schema_version SET version = ?", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1} is newer .*upgrade narrascope"):
        Store(path)


def test_a_store_held_by_another_process_names_its_pid(tmp_path):
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from narrascope.store import Store; s = Store(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
         str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        for read_only in (False, True):
            with pytest.raises(StoreError, match=rf"busy.duckdb is in use by another narrascope process \(pid {holder.pid}\)\?"):
                Store(path, read_only=read_only)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with Store(path) as store:  # free again once the holder exits
        assert store.count() == 0


def test_a_read_only_store_refuses_writes(tmp_path, seed_documents):
    path = tmp_path / "ro.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            store.save(seed_documents, "r", {})
        with pytest.raises(StoreError, match="read-only"):
            store.record_source("a", None, "problem", "x")
        assert store.count() == 0


def test_a_closed_store_says_so(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.count()
