"""The corpus commands on a large store: how long each takes, and its peak memory, as the store grows.

    python benchmarks/store_scale.py [--base FILE] [--docs 10000 50000] [--keep DIR] [--only NAME ...] [--markdown]

Analysing 50,000 articles with the full profile takes ~4 hours on 2 cores, so the
large stores are made from a small analysed one. The base store (``--base``;
built when the file does not exist: PolNeAR's 840 training articles with their
``metadata.tsv``, full profile, 2 workers, ~4 minutes) is copied, and its
documents are cloned until the store holds ``--docs`` documents. Each clone

- has its words replaced through a permutation of the base vocabulary of its own
  (a word by another of the same length, so every span offset stays valid and word
  frequencies keep their shape; no clone is a copy or near copy of another);
- is published a random number of days (0-364) after its original, so the store
  covers ~22 months at a density that grows with its size;
- belongs to one of ``--outlets`` outlets (default 40);
- keeps every span, label and layer of its original, and gets its document and
  paragraph vectors plus Gaussian noise (cosine ~0.55 to the original's, so
  clones seldom join a story or an echo by vector), and search terms of its own
  words.

Every command then runs in a fresh process as a user would run it (Python's start
included); the table gives its wall time and the process's peak RSS. The web rows
start the dashboard app in one process and time its first overview page and a
search after it, then the outlets page, the actors page and one actor's page. ``--keep DIR`` keeps the scaled stores (and reuses them next time);
``--only`` measures only the named rows ("echoes", "report, one month", ...; "web" for the dashboard's).
Results: docs/BENCHMARKS.md, "Corpus views on a large store".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
POLNEAR = HERE.parent.parent / "shared" / "data" / "polnear"
WORD = re.compile(r"[^\W\d_]+")

COMMANDS = [
    ("info", ["info"]),
    ("search, one word", ["search", "campaign"]),
    ("search, words + outlet + dates", ["search", "voters", "poll", "--outlet", "outlet-07", "--from", "2016-03", "--to", "2016-06"]),
    ("stories", ["stories"]),
    ("stories, one month", ["stories", "--from", "2016-05", "--to", "2016-05"]),
    ("echoes", ["echoes"]),
    ("echoes, one month", ["echoes", "--from", "2016-05", "--to", "2016-05"]),
    ("outlets", ["outlets"]),
    ("actors", ["actors"]),
    ("actors, one outlet and month", ["actors", "--outlet", "outlet-07", "--from", "2016-05", "--to", "2016-05"]),
    ("search, an actor's spelling", ["search", "--actor", "hillary"]),
    ("narratives", ["narratives"]),
    ("report", ["report", "-o", "{tmp}/report.html"]),
    ("report, one month", ["report", "-o", "{tmp}/report_month.html", "--from", "2016-05", "--to", "2016-05"]),
]

WEB_SCRIPT = """
import sys, time
from fastapi.testclient import TestClient
from narrascope.web.app import create_app
t0 = time.perf_counter()
with TestClient(create_app(sys.argv[1])) as client:
    r = client.get("/"); r.raise_for_status(); t1 = time.perf_counter()
    r = client.get("/search", params={"q": "campaign"}); r.raise_for_status(); t2 = time.perf_counter()
    r = client.get("/outlets"); r.raise_for_status(); t3 = time.perf_counter()
    r = client.get("/actors"); r.raise_for_status(); t4 = time.perf_counter()
    r = client.get("/actors/Hillary Clinton"); r.raise_for_status(); t5 = time.perf_counter()
print(f"TIMES {t1 - t0:.2f} {t2 - t1:.2f} {t3 - t2:.2f} {t4 - t3:.2f} {t5 - t4:.2f}")
"""
WEB_ROWS = ("web: start + first overview page", "web: a search after it", "web: the outlets page", "web: the actors page",
            "web: one actor's page")


def build_base(path: Path) -> None:
    """PolNeAR's training articles with their metadata, full profile, into ``path``."""
    print(f"building the base store {path} (PolNeAR train, full profile; ~4 minutes on 2 cores)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "narrascope", "analyze", str(POLNEAR / "train" / "text"), "--metadata",
                    str(POLNEAR / "metadata.tsv"), "--db", str(path), "--workers", "2"], check=True, stdout=subprocess.DEVNULL)


def _permutation(vocab_by_length: dict[int, list[str]], rng: np.random.Generator) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for words in vocab_by_length.values():
        for a, b in zip(words, rng.permutation(len(words))):
            mapping[a] = words[b]
    return mapping


def scale_store(base: Path, out: Path, docs: int, outlets: int = 40, seed: int = 0) -> int:
    """Copy ``base`` to ``out`` and add clones of its documents until it holds ``docs``; returns the count."""
    import duckdb
    import pyarrow as pa

    from narrascope.document import document_id, text_hash

    shutil.copyfile(base, out)
    con = duckdb.connect(str(out))
    base_rows = con.sql("SELECT * FROM documents WHERE id NOT IN (SELECT doc_id FROM duplicates) ORDER BY seq").to_arrow_table()
    n_base = base_rows.num_rows
    columns = base_rows.column_names
    rows = base_rows.to_pylist()
    total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    seq_step = con.execute("SELECT max(seq) + 1 FROM documents").fetchone()[0]
    vocab: set[str] = set()
    for r in rows:
        vocab.update(WORD.findall(r["text"]))
        vocab.update(WORD.findall(r["title"] or ""))
    by_length: dict[int, list[str]] = {}
    for w in sorted(vocab):
        by_length.setdefault(len(w), []).append(w)
    keys = {kind: con.execute("SELECT doc_id, idx, kind, start, \"end\", vec FROM vectors WHERE kind = ? ORDER BY doc_seq, idx",
                              [kind]).fetchall() for kind in ("document", "paragraph")}
    outlet_no = {o: n for n, o in enumerate(sorted({r["outlet"] or "" for r in rows}))}
    rng = np.random.default_rng(seed)
    clone = 0
    started = time.perf_counter()
    while total < docs:
        clone += 1
        take = min(n_base, docs - total)
        mapping = _permutation(by_length, rng)
        swap = lambda m: mapping.get(m.group(0), m.group(0))  # noqa: E731
        shifts = rng.integers(0, 365, size=take)
        new_docs, id_map = [], []
        for r, shift in zip(rows[:take], shifts):
            text = WORD.sub(swap, r["text"])
            outlet = f"outlet-{(outlet_no[r['outlet'] or ''] + clone * 7) % outlets:02d}"
            new = dict(r)
            new.update(text=text, title=WORD.sub(swap, r["title"] or "") or None, outlet=outlet,
                       id=document_id(outlet, text), seq=r["seq"] + clone * seq_step, source=f"{r['source']}#clone{clone}",
                       text_hash=text_hash(text), published=_shift(r["published"], int(shift)))
            new_docs.append(new)
            id_map.append((r["id"], new["id"], new["seq"], outlet, new["published"]))
        con.register("new_docs", pa.Table.from_pylist(new_docs, schema=base_rows.schema))
        con.execute(f"INSERT INTO documents SELECT {', '.join(columns)} FROM new_docs")
        con.unregister("new_docs")
        con.register("id_map", pa.table({"old": [m[0] for m in id_map], "new": [m[1] for m in id_map], "seq": [m[2] for m in id_map],
                                         "outlet": [m[3] for m in id_map], "published": [m[4] for m in id_map]}))
        con.execute("INSERT INTO segments SELECT m.new, m.seq, s.idx, s.start, s.\"end\", s.kind, s.title, m.outlet, s.authors, m.published "
                    "FROM segments s JOIN id_map m ON s.doc_id = m.old")
        con.execute("INSERT INTO spans SELECT m.new, m.seq, s.idx, s.start, s.\"end\", s.layer, s.label, s.score, s.attrs "
                    "FROM spans s JOIN id_map m ON s.doc_id = m.old")
        con.execute("INSERT INTO labels SELECT m.new, m.seq, l.idx, l.layer, l.label, l.score, l.segment, l.evidence, l.attrs "
                    "FROM labels l JOIN id_map m ON l.doc_id = m.old")
        con.execute("INSERT INTO sources SELECT s.source || '#clone' || ?, m.new, s.status, s.problem, s.fingerprint, s.seen_at "
                    "FROM sources s JOIN id_map m ON s.doc_id = m.old", [clone])
        new_of = {m[0]: (m[1], m[2]) for m in id_map}
        for kind, vec_rows in keys.items():
            vec_rows = [v for v in vec_rows if v[0] in new_of]
            if not vec_rows:
                continue
            matrix = np.stack([np.frombuffer(v[5], dtype="<f2") for v in vec_rows]).astype(np.float32)
            noisy = matrix + rng.normal(0.0, 1.5 / np.sqrt(matrix.shape[1]), matrix.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            blobs = [row.astype("<f2").tobytes() for row in noisy]
            con.register("new_vecs", pa.table({
                "doc_id": [new_of[v[0]][0] for v in vec_rows], "doc_seq": [new_of[v[0]][1] for v in vec_rows],
                "idx": [v[1] for v in vec_rows], "kind": [v[2] for v in vec_rows], "start": [v[3] for v in vec_rows],
                "end": [v[4] for v in vec_rows], "vec": pa.array(blobs, type=pa.binary())}))
            con.execute("INSERT INTO vectors SELECT doc_id, doc_seq, idx, kind, start, \"end\", vec FROM new_vecs")
            con.unregister("new_vecs")
        con.unregister("id_map")
        total += take
        print(f"\r  {total:,} documents ({time.perf_counter() - started:.0f} s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    con.execute("CHECKPOINT")
    con.close()
    from narrascope.store import Store

    with Store(out) as store:  # the clones' search terms (their words differ from their originals')
        started = time.perf_counter()
        added = store.add_search_terms()
        print(f"  search terms of {added:,} documents ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return total


def _shift(published: str | None, days: int) -> str | None:
    import datetime as dt

    if not published:
        return published
    try:
        day = dt.date.fromisoformat(published[:10]) + dt.timedelta(days=days)
    except ValueError:
        return published
    return day.isoformat() + published[10:]


def run_timed(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one command in a fresh process (wait4 gives the child's own peak)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def measure(db: Path, tmp: Path, web: bool = True) -> list[tuple[str, float, float]]:
    results = []
    for name, args in COMMANDS:
        argv = [sys.executable, "-m", "narrascope", *(a.format(tmp=tmp) for a in args), "--db", str(db)]
        wall, rss, _ = run_timed(argv)
        results.append((name, wall, rss))
        print(f"  {name}: {wall:.1f} s, {rss:.0f} MB", file=sys.stderr)
    if not web:
        return results
    wall, rss, out = run_timed([sys.executable, "-c", WEB_SCRIPT, str(db)])
    times = [float(x) for x in out.split("TIMES", 1)[1].split()]
    for name, seconds in zip(WEB_ROWS, times):
        results.append((name, seconds, rss))
    print("  web: " + ", ".join(f"{name[5:]} {t:.1f} s" for name, t in zip(WEB_ROWS, times)) + f"; {rss:.0f} MB", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=Path(tempfile.gettempdir()) / "narrascope_scale_base.duckdb",
                        help="an analysed store to clone (built from PolNeAR when missing)")
    parser.add_argument("--docs", type=int, nargs="+", default=[10000, 50000], help="store sizes to measure")
    parser.add_argument("--outlets", type=int, default=40)
    parser.add_argument("--keep", type=Path, default=None, help="keep the scaled stores in this folder")
    parser.add_argument("--only", nargs="*", default=None, help="measure only these command names")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--scale-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_only:
        scale_store(args.base, args.scale_only, args.docs[0], args.outlets)
        return 0
    web = True  # the dashboard's rows: always, unless --only names other rows alone
    if args.only:
        COMMANDS[:] = [c for c in COMMANDS if c[0] in args.only]
        web = any(name == "web" or name.startswith("web:") for name in args.only)
    if not args.base.exists():
        build_base(args.base)
    results = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        folder = args.keep or tmp
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.docs:
            db = folder / f"scale_{n}.duckdb"
            if not db.exists():
                print(f"scaling to {n:,} documents", file=sys.stderr)
                # In a child process: a fork of a large process would report its size as the commands' peak memory.
                subprocess.run([sys.executable, __file__, "--base", str(args.base), "--outlets", str(args.outlets),
                                "--scale-only", str(db), "--docs", str(n)], check=True)
            print(f"measuring {db} ({db.stat().st_size / 2**20:.0f} MB)", file=sys.stderr)
            results[n] = measure(db, tmp, web)
    if args.json:
        args.json.write_text(json.dumps({str(n): r for n, r in results.items()}, indent=1))
    sizes = list(results)
    names = [r[0] for r in results[sizes[0]]]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    if args.markdown:
        print("| command | " + " | ".join(f"{n:,} documents: s / MB" for n in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
    for k, name in enumerate(names):
        cells = [f"{results[n][k][1]:.1f} / {results[n][k][2]:.0f}" for n in sizes]
        print(f"| {name} | " + " | ".join(cells) + " |" if args.markdown else f"{name:40s} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
