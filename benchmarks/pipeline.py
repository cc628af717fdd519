"""Pipeline throughput: read → prepare stages → duplicate linking → DuckDB store.

    python benchmarks/pipeline.py [FOLDER] [--workers 1 2] [--limit N] [--batch-size N] [--store-detail] [--markdown]

Runs ``narrascope.engines.local.run_analysis`` with the built-in config (the
"prepare" stages, no "analyze" stages) on FOLDER (default
../shared/data/polnear/train/text) into a fresh DuckDB store in a temporary
folder, once per ``--workers`` value, each in its own Python process so that
start-up (imports, worker spawn, model loading) is counted and peak memory is
per run. Prints documents/s end to end and where the time went:

- stages: ``RunStats.stage_seconds`` (for workers > 1, summed over the worker
  processes, so stage docs/s is per worker);
- main process: reading, duplicate linking (``text_hash``,
  ``minhash_signature``, ``DedupIndex.check_and_add``) and the store
  (``save``, ``record_source``, ``add_duplicate``, ``stored_source``, ``replaceable``, run rows,
  close), timed by wrapping those functions here, not by changing the engine;
- peak RSS of the main process and of the largest worker (``getrusage``).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

HERE = Path(__file__).resolve().parent
DEFAULT_FOLDER = HERE.parent.parent / "shared" / "data" / "polnear" / "train" / "text"
STORE_METHODS = ("save", "record_source", "add_duplicate", "stored_source", "replaceable", "signatures", "start_run", "finish_run", "close")


def timed(fn: Callable, seconds: Counter, key: str) -> Callable:
    """``fn``, adding the seconds each call takes to ``seconds[key]``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[key] += time.perf_counter() - t0

    return wrapper


def timed_iter(items: Iterable, seconds: Counter, key: str) -> Iterator:
    """``items``, adding the time spent producing each one to ``seconds[key]``."""
    it = iter(items)
    while True:
        t0 = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            seconds[key] += time.perf_counter() - t0
            return
        seconds[key] += time.perf_counter() - t0
        yield item


def limited(items: Iterable, limit: int | None) -> Iterator:
    for n, item in enumerate(items):
        if limit is not None and n >= limit:
            return
        yield item


def peak_rss_mb(who: int) -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(who).ru_maxrss * scale / 2**20


def run_once(folder: Path, workers: int, limit: int | None, batch_size: int | None = None, store_detail: bool = False) -> dict[str, Any]:
    """One analysis run in this process; returns its numbers."""
    t_start = time.perf_counter()
    from narrascope.corpus import dedup
    from narrascope.engines import local
    from narrascope.pipeline import load_config
    from narrascope.readers import iter_inputs
    from narrascope.store import Store

    main = Counter()
    # run_analysis imports minhash_signature and DedupIndex from the module when called,
    # and text_hash at module level: wrap them where it looks them up.
    dedup.minhash_signature = timed(dedup.minhash_signature, main, "dedup: minhash_signature")
    dedup.DedupIndex.check_and_add = timed(dedup.DedupIndex.check_and_add, main, "dedup: index")
    local.text_hash = timed(local.text_hash, main, "dedup: text_hash")
    if batch_size:
        local.BATCH_SIZE = batch_size  # read by run_analysis at call time
    config = load_config()
    imports = time.perf_counter() - t_start

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = Store(Path(tmp) / "bench.duckdb")
        main["store: open" if store_detail else "store"] += time.perf_counter() - t0
        for name in STORE_METHODS:
            setattr(store, name, timed(getattr(store, name), main, f"store: {name}" if store_detail else "store"))
        inputs = timed_iter(limited(iter_inputs([str(folder)]), limit), main, "read")
        stats = local.run_analysis(inputs, store, config, workers=workers)
        store.close()
        seconds = time.perf_counter() - t0
        db_mb = (Path(tmp) / "bench.duckdb").stat().st_size / 2**20
    docs = stats.stored + sum(stats.duplicates.values())
    return {
        "workers": workers,
        "batch_size": local.BATCH_SIZE,
        "read": stats.read,
        "documents": docs,
        "duplicates": dict(stats.duplicates),
        "problems": len(stats.problems),
        "seconds": seconds,
        "imports_seconds": imports,
        "docs_per_s": docs / seconds if seconds else 0.0,
        "stage_seconds": dict(stats.stage_seconds),
        "main_seconds": dict(main),
        "peak_rss_mb": peak_rss_mb(resource.RUSAGE_SELF),
        "worker_peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN) if workers > 1 else None,
        "store_mb": db_mb,
    }


def run_in_subprocess(folder: Path, workers: int, limit: int | None, batch_size: int | None, store_detail: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), str(folder), "--single", "--workers", str(workers)]
    if limit is not None:
        command += ["--limit", str(limit)]
    if batch_size is not None:
        command += ["--batch-size", str(batch_size)]
    if store_detail:
        command.append("--store-detail")
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchmark run with --workers {workers} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def rate(docs: int, seconds: float) -> str:
    return f"{docs / seconds:,.0f}" if seconds > 0 else "-"


def report(result: dict[str, Any]) -> str:
    docs = result["documents"]
    lines = [
        f"workers={result['workers']}, batch {result['batch_size']}: {docs} documents ({result['problems']} problems, duplicates "
        f"{result['duplicates'] or 0}) in {result['seconds']:.2f} s = {result['docs_per_s']:.1f} docs/s end to end "
        f"(+{result['imports_seconds']:.2f} s imports); peak RSS {result['peak_rss_mb']:.0f} MB main"
        + (f", {result['worker_peak_rss_mb']:.0f} MB largest worker" if result["worker_peak_rss_mb"] else "")
        + f"; store {result['store_mb']:.1f} MB",
        f"  {'part':32s} {'seconds':>8s} {'docs/s':>8s}",
    ]
    per = " per worker" if result["workers"] > 1 else ""
    for name, seconds in result["stage_seconds"].items():
        lines.append(f"  {'stage ' + name + per:32s} {seconds:8.2f} {rate(docs, seconds):>8s}")
    for name, seconds in sorted(result["main_seconds"].items()):
        lines.append(f"  {'main ' + name:32s} {seconds:8.2f} {rate(docs, seconds):>8s}")
    return "\n".join(lines)


def markdown(results: list[dict[str, Any]]) -> str:
    parts = list(dict.fromkeys(k for r in results for k in r["stage_seconds"]))
    mains = sorted({k for r in results for k in r["main_seconds"]})
    head = ["workers", "batch", "docs/s", "seconds", *[f"{p} s" for p in parts], *[f"{m} s" for m in mains], "peak RSS MB (main / worker)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        rss = f"{r['peak_rss_mb']:.0f}" + (f" / {r['worker_peak_rss_mb']:.0f}" if r["worker_peak_rss_mb"] else "")
        cells = [str(r["workers"]), str(r["batch_size"]), f"{r['docs_per_s']:.1f}", f"{r['seconds']:.2f}"]
        cells += [f"{r['stage_seconds'].get(p, 0):.2f}" for p in parts]
        cells += [f"{r['main_seconds'].get(m, 0):.2f}" for m in mains]
        rows.append("| " + " | ".join(cells + [rss]) + " |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="Each run starts from an empty store.")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER, help="articles to analyse (default: %(default)s)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run, one run each (default: 1 2)")
    parser.add_argument("--limit", type=int, default=None, help="analyse only the first N inputs")
    parser.add_argument("--batch-size", type=int, default=None, help="documents per engine batch (default: the engine's BATCH_SIZE)")
    parser.add_argument("--store-detail", action="store_true", help="time each Store method separately")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table for docs/BENCHMARKS.md")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)  # one run, JSON out (used internally)
    args = parser.parse_args()
    if not args.folder.exists():
        parser.error(f"{args.folder} does not exist")
    if args.single:
        print(json.dumps(run_once(args.folder, args.workers[0], args.limit, args.batch_size, args.store_detail)))
        return 0
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; folder {args.folder}")
    results = []
    for workers in args.workers:
        results.append(run_in_subprocess(args.folder, workers, args.limit, args.batch_size, args.store_detail))
        print(report(results[-1]), flush=True)
    if args.markdown:
        print()
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
