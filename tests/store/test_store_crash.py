"""A writer killed with SIGKILL in the middle of save() loses no committed batch and leaves nothing half-written."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from narrascope.store import Store
from store_crash_writer import generated_document

WRITER = Path(__file__).with_name("store_crash_writer.py")
N_BATCHES, BATCH_SIZE = 16, 40


def start_writer(db: Path, round_: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WRITER), str(db), str(N_BATCHES), str(BATCH_SIZE), str(round_)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_mid_save(proc: subprocess.Popen, after_commits: int, rng: random.Random) -> dict[int, list[str]]:
    """Let ``after_commits`` batches commit, then SIGKILL the writer inside its next save()."""
    committed: dict[int, list[str]] = {}
    save_seconds = []
    started = time.perf_counter()
    for line in proc.stdout:
        word, batch, *rest = line.split()
        if word == "saving":
            started = time.perf_counter()
            if len(committed) >= after_commits:
                # Somewhere inside this save; about the first half of a save builds columns in
                # Python, the rest is the transaction, which is where most kills should land.
                time.sleep(rng.uniform(0.3, 1.0) * (sum(save_seconds) / len(save_seconds)))
                os.kill(proc.pid, signal.SIGKILL)
                break
        elif word == "committed":
            save_seconds.append(time.perf_counter() - started)
            committed[int(batch)] = rest[0].split(",")
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"writer ended on its own: {proc.stderr.read()[-2000:]}"
    proc.stdout.close()
    proc.stderr.close()
    return committed


def check_consistent(db: Path) -> set[str]:
    """Every stored document is whole and from one round only; returns the stored ids."""
    with Store(db) as store:  # writable open: replays the WAL left by the killed writer
        ids = []
        expected_spans = 0
        for doc in store.iter_documents(batch_size=64):
            ids.append(doc.id)
            round_ = doc.meta["round"]
            assert len(doc.spans) == doc.meta["n_spans"], f"{doc.id}: spans half-written"
            assert {s.attrs["round"] for s in doc.spans} == {round_}, f"{doc.id}: spans from two saves mixed"
            assert len(doc.segments) == 2 and [lab.attrs["round"] for lab in doc.labels] == [round_]
            expected_spans += doc.meta["n_spans"]
        assert len(ids) == len(set(ids)) == store.count()
        assert store.query("SELECT count(*) FROM spans")[0][0] == expected_spans  # no orphans or doubles
        assert store.query("SELECT count(*) FROM segments")[0][0] == 2 * len(ids)
        signatures = {doc_id: sig for doc_id, _, sig in store.signatures()}
        assert set(signatures) == set(ids)
        recorded = store.query("SELECT doc_id FROM sources WHERE status = 'ok'")
        assert {r[0] for r in recorded} <= set(ids), "a source marked stored whose document is missing"
        return set(ids)


def sources_recorded(db: Path, round_: int, batch: int, ids: list[str]) -> bool:
    with Store(db, read_only=True) as store:
        return all(store.source_done(f"gen/{batch}/{i}.txt", f"{round_}:{doc_id}") for i, doc_id in enumerate(ids))


@pytest.mark.timeout(300)
def test_sigkill_during_save_keeps_every_committed_batch(tmp_path):
    db = tmp_path / "crash.duckdb"
    rng = random.Random(20240611)
    ever_committed: set[str] = set()
    # Round 0 writes fresh documents; later rounds re-save the same ids with other spans,
    # so a kill there lands in the delete-then-insert of an existing document.
    kills = ((0, 8), (1, 2), (2, 12), (3, 1), (4, 5))
    for round_, after in kills:
        committed = kill_mid_save(start_writer(db, round_), after, rng)
        assert len(committed) >= after
        stored = check_consistent(db)
        for batch, ids in committed.items():
            assert set(ids) <= stored, f"round {round_}: committed batch {batch} lost"
            if batch < max(committed):  # its sources went out with the next batch's commit
                assert sources_recorded(db, round_, batch, ids), f"round {round_}: sources of batch {batch} lost"
        ever_committed |= {i for ids in committed.values() for i in ids}
        assert ever_committed <= stored

    final = start_writer(db, len(kills))
    out, err = final.communicate(timeout=240)
    assert final.returncode == 0, err[-2000:]
    assert out.splitlines()[-1] == "done"
    stored = check_consistent(db)
    assert len(stored) == N_BATCHES * BATCH_SIZE
    for batch in range(N_BATCHES):  # the last batch's sources were written when the store closed
        ids = [generated_document(batch, i, len(kills)).id for i in range(BATCH_SIZE)]
        assert sources_recorded(db, len(kills), batch, ids)
    with Store(db, read_only=True) as store:
        assert store.query("SELECT DISTINCT meta->>'round' FROM documents") == [(str(len(kills)),)]
        assert store.query("SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1") == [("done", 1), ("running", len(kills))]
