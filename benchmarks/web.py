"""Web dashboard speed: the article view of a long annotated article, concurrent API requests, search.

    python benchmarks/web.py [--runs 20] [--corpus-limit 800] [--markdown]

Builds a store in a temporary folder (nothing is analysed: spans are placed so the
numbers measure the web layer, not the models):

- one 5,000-word article (PolNeAR train texts joined, or the seeds when PolNeAR is
  absent) with 200 technique spans (some overlapping), 60 quotes and 300 entity
  mentions, timed as ``GET /articles/{id}`` (the full HTML page) and its JSON twin
  through the ASGI app in-process (httpx + TestClient, median and p95 of ``--runs``);
- ``--corpus-limit`` PolNeAR train texts as further documents, to time the BM25 index
  build and search queries;
- 50 concurrent requests (a mix of article, search, overview, outlets and actor
  pages) against a live uvicorn on 127.0.0.1 from 50 client threads: all must answer 200.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLNEAR = HERE.parent.parent / "shared" / "data" / "polnear" / "train" / "text"
SEEDS = HERE.parent.parent / "shared" / "data" / "seeds"
TECHNIQUES = ["Loaded_Language", "Name_Calling-Labeling", "Doubt", "Exaggeration-Minimisation", "Appeal_to_Fear-Prejudice",
              "Flag_Waving", "Repetition", "Causal_Oversimplification", "Slogans", "Questioning_the_Reputation"]


def _texts() -> list[str]:
    folder = POLNEAR if POLNEAR.is_dir() else SEEDS
    if not folder.is_dir():
        sys.exit(f"neither {POLNEAR} nor {SEEDS} exists: the benchmark needs ../shared/data")
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]


def _clean(text: str) -> str:
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def long_article(texts: list[str], words: int = 5000, spans: int = 200, seed: int = 7):
    from narrascope.document import Document

    parts, n = [], 0
    for t in texts:
        t = _clean(t)
        parts.append(t)
        n += len(t.split())
        if n >= words:
            break
    text = "\n\n".join(parts)
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    text = text[:ends[min(words, len(ends)) - 1]]
    doc = Document(source="bench/long.txt", text=text, outlet="Bench Outlet", title="A 5,000-word article",
                   published="2024-03-20", language="en")
    doc.assign_id()
    rng = random.Random(seed)
    starts = [i + 1 for i, c in enumerate(text) if c == " "]
    for k in range(spans):
        s = rng.choice(starts)
        e = min(len(text), s + rng.randint(8, 160))
        doc.add_span(s, e, "technique", TECHNIQUES[k % len(TECHNIQUES)], round(rng.uniform(0.2, 0.9), 4))
    for _ in range(60):
        s = rng.choice(starts)
        e = min(len(text), s + rng.randint(30, 200))
        doc.add_span(s, e, "quote", "direct", None, speaker=rng.choice(["Alexander Lukashenko", "Vladimir Putin", None]))
    for _ in range(300):
        s = rng.choice(starts)
        e = text.find(" ", s)
        if e > s:
            doc.add_span(s, e, "entity", "PERSON", None, actor=rng.choice(["Alexander Lukashenko", "Vladimir Putin", "NATO"]))
    return doc


def build_store(path: Path, corpus_limit: int):
    from narrascope.document import Document
    from narrascope.store import Store

    texts = _texts()
    doc = long_article(texts)
    others = []
    for i, t in enumerate(texts[:corpus_limit]):
        d = Document(source=f"bench/{i}.txt", text=_clean(t), outlet=f"Outlet {i % 12}", title=_clean(t).split("\n")[0][:120],
                     published=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", language="en")
        d.assign_id()
        others.append(d)
    with Store(path) as store:
        run = store.start_run({}, {})
        for i in range(0, len(others), 200):
            store.save(others[i:i + 200], run, {})
        store.save([doc], run, {})
        store.finish_run(run, {})
    return doc, len(others) + 1


def _timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--corpus-limit", type=int, default=800, help="PolNeAR texts stored beside the long article")
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    import httpx
    import uvicorn
    from fastapi.testclient import TestClient

    from narrascope.web.app import create_app

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        doc, n_docs = build_store(db, args.corpus_limit)
        rows.append(("store", f"{n_docs} documents written in {time.perf_counter() - t:.1f} s"))
        from narrascope.store import Store
        from narrascope.web.search import SearchIndex

        with Store(db, read_only=True) as store:
            index = SearchIndex()
            t = time.perf_counter()
            index.refresh(store)
            rows.append((f"BM25 index build ({n_docs} documents, {len(index.outlets)} outlets)", f"{time.perf_counter() - t:.2f} s"))
            index.close()
        app = create_app(db)
        html = {"accept": "text/html"}
        with TestClient(app) as client:
            while app.state.dashboard.index.outlets == []:  # the server builds its index at start-up; wait for it
                time.sleep(0.05)
            first = client.get(f"/articles/{doc.id}", headers=html)
            assert first.status_code == 200, first.text[:300]
            n_tech = first.text.count('class="finding" data-kind="tech"')
            assert n_tech == 200, n_tech
            words = len(doc.text.split())
            med, p95 = _timed(lambda: client.get(f"/articles/{doc.id}", headers=html), args.runs)
            rows.append((f"article page, {words:,} words, 200 technique spans, 60 quotes, 300 entities",
                         f"median {med:.0f} ms, p95 {p95:.0f} ms ({len(first.content) / 1e6:.2f} MB HTML)"))
            med, p95 = _timed(lambda: client.get(f"/api/articles/{doc.id}"), args.runs)
            rows.append(("article JSON twin", f"median {med:.0f} ms, p95 {p95:.0f} ms"))
            queries = ["president campaign", "climate", "Clinton email server", "tax plan", "refugees border security"]
            med, p95 = _timed(lambda: [client.get("/api/search", params={"q": q}) for q in queries], max(3, args.runs // 4))
            rows.append((f"search query over {n_docs} documents (page of 20 with snippets)", f"median {med / len(queries):.0f} ms per query"))
            med, p95 = _timed(lambda: client.get("/", headers=html), max(3, args.runs // 4))
            rows.append(("overview page", f"median {med:.0f} ms"))

        # Live server: concurrent requests from many client threads.
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        paths = [f"/api/articles/{doc.id}", "/api/search?q=president", "/api/overview", "/api/outlets?o=Outlet%201&o=Outlet%202",
                 "/api/actors/Vladimir%20Putin", f"/articles/{doc.id}", "/search?q=election"]
        targets = [paths[i % len(paths)] for i in range(args.concurrency)]
        barrier = threading.Barrier(args.concurrency)

        def fetch(path: str) -> tuple[int, float]:
            with httpx.Client(timeout=120) as c:
                barrier.wait()
                t = time.perf_counter()
                r = c.get(base + path)
                return r.status_code, time.perf_counter() - t

        t = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(fetch, targets))
        wall = time.perf_counter() - t
        ok = sum(1 for code, _ in results if code == 200)
        slowest = max(d for _, d in results)
        rows.append((f"{args.concurrency} concurrent requests (live uvicorn, mixed pages)",
                     f"{ok}/{len(results)} answered 200; all done in {wall:.1f} s, slowest {slowest:.1f} s"))
        server.should_exit = True
        thread.join(timeout=10)

    load = os.getloadavg()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load[0]:.1f}"
    if args.markdown:
        print(f"Machine: {machine}\n\n| what | measured |\n|---|---|")
        for what, value in rows:
            print(f"| {what} | {value} |")
    else:
        print(machine)
        for what, value in rows:
            print(f"{what:70s} {value}")
    if ok != len(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
