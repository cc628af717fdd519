"""Saves generated batches in a loop, printing after each commit; killed with SIGKILL by the crash test.

usage: python store_crash_writer.py DB N_BATCHES BATCH_SIZE ROUND
"""

from __future__ import annotations

import sys

import numpy as np

from narrascope import Document, Label, Segment
from narrascope.store import Store

WORDS = "Minsk Moscow Lukashenko sovereignty border «союз» troops NATO gas annex Belarus Россия".split()


def generated_document(batch: int, i: int, round_: int) -> Document:
    """Same text (so same id) in every round; span count and attrs change with the round."""
    rng = np.random.default_rng(batch * 1000 + i)
    paragraphs = [" ".join(rng.choice(WORDS, 40)) + "." for _ in range(6)]
    text = "\n\n".join(paragraphs)
    doc = Document(source=f"gen/{batch}/{i}.txt", text=text, outlet=f"outlet{i % 5}", language="en")
    doc.assign_id()
    n_spans = 60 + (batch * 7 + i * 13 + round_ * 17) % 80
    rng = np.random.default_rng(batch * 1000 + i + round_ * 7919)
    for k in range(n_spans):
        start = int(rng.integers(0, len(text) - 30))
        doc.add_span(start, start + 25, "sentence" if k % 4 else "technique", f"L{k}", float(k) / n_spans, round=round_)
    doc.segments = [Segment(0, len(text) // 2, "main"), Segment(len(text) // 2 + 1, len(text), "appended")]
    doc.labels = [Label("genre", "news", 0.5, None, [], {"round": round_})]
    doc.meta = {"n_spans": n_spans, "round": round_, "batch": batch}
    return doc


def main() -> None:
    db, n_batches, batch_size, round_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with Store(db) as store:
        run_id = store.start_run({"round": round_}, {"narrascope": "test"})
        for b in range(n_batches):
            docs = [generated_document(b, i, round_) for i in range(batch_size)]
            sigs = {d.id: np.arange(d.meta["n_spans"], d.meta["n_spans"] + 16, dtype=np.uint64) for d in docs}
            print(f"saving {b}", flush=True)
            store.save(docs, run_id, {"narrascope": "test", "round": str(round_)}, sigs)
            print(f"committed {b} " + ",".join(d.id for d in docs), flush=True)
            for d in docs:  # buffered: written by the next save's transaction
                store.record_source(d.source, d.id, "ok", None, fingerprint=f"{round_}:{d.id}")
        store.finish_run(run_id, {"batches": n_batches})
    print("done", flush=True)


if __name__ == "__main__":
    main()
