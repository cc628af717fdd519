"""kill -9 during `analyze`, then re-run: every document stored exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
POLNEAR = REPO.parent / "shared" / "data" / "polnear" / "train" / "text"


def _corpus(tmp_path: Path, n: int) -> Path:
    if not POLNEAR.is_dir():
        pytest.skip("../shared/data/polnear is not present")
    folder = tmp_path / "articles"
    folder.mkdir()
    for src in sorted(POLNEAR.glob("*.txt"))[:n]:
        (folder / src.name).write_bytes(src.read_bytes())
    return folder


def _stored(db: Path) -> tuple[int, int, list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        distinct = con.execute("SELECT count(DISTINCT id) FROM documents").fetchone()[0]
        orphans = [r[0] for r in con.execute(
            "SELECT DISTINCT doc_id FROM spans WHERE doc_id NOT IN (SELECT id FROM documents)").fetchall()]
        return n, distinct, orphans
    finally:
        con.close()


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path, cli):
    folder = _corpus(tmp_path, 400)
    # The prepare stages only: this tests the engine and store, and keeps the run short
    # enough for the default test suite (the learned stages add ~1 s per article here).
    config = tmp_path / "prepare-only.toml"
    config.write_text("[pipeline]\nanalyze = []\n", encoding="utf-8")
    db = tmp_path / "killed.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "narrascope", "analyze", str(folder), "--db", str(db), "--quiet",
                             "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until the store exists and some batches are committed, then kill -9 mid-run.
    wal = db.with_name(db.name + ".wal")
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not (wal.exists() and wal.stat().st_size > 100_000):
        time.sleep(0.02)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed; use a larger corpus"

    n_partial, distinct, orphans = _stored(db)
    assert n_partial == distinct and not orphans
    assert n_partial < 400

    r = cli("analyze", str(folder), "--db", str(db), "--config", str(config))
    assert r.returncode == 0, r.stderr
    n, distinct, orphans = _stored(db)

    clean_db = tmp_path / "clean.duckdb"
    r2 = cli("analyze", str(folder), "--db", str(clean_db), "--config", str(config))
    assert r2.returncode == 0, r2.stderr
    clean = duckdb.connect(str(clean_db), read_only=True)
    want_ids = {row[0] for row in clean.execute("SELECT id FROM documents").fetchall()}
    want_spans = clean.execute("SELECT count(*) FROM spans").fetchone()[0]
    clean.close()

    resumed = duckdb.connect(str(db), read_only=True)
    got_ids = {row[0] for row in resumed.execute("SELECT id FROM documents").fetchall()}
    got_spans = resumed.execute("SELECT count(*) FROM spans").fetchone()[0]
    resumed.close()
    assert n == distinct == len(want_ids) and not orphans
    assert got_ids == want_ids
    assert got_spans == want_spans
