"""End-to-end throughput by profile, engine and workers, with per-stage rates, peak memory and sizing.

    python benchmarks/throughput.py [FOLDER] [--limit-full 128] [--limit-fast 512] [--runs SPEC ...] [--markdown]
                                    [--encoder-precision fp32|bf16|auto] [--json FILE]

Numbers recorded in docs/BENCHMARKS.md ("Engines and profiles throughput") came from
``--limit-full 256 --limit-fast 512 --markdown`` and, for bf16,
``--limit-full 256 --runs full:local:1 full:local:2 full:ray:2 --encoder-precision bf16 --markdown``.

Each run is a fresh Python process analysing the first N texts of FOLDER (default
../shared/data/polnear/train/text: plain-text news, 744 words on average) into an
empty DuckDB store in a temporary folder, with the built-in config and one profile:

- ``full``: every stage (the shared MiniLM encoder pass and its heads, spaCy, rules);
- ``fast``: no transformer (extraction, language, sentences, actors, quotes, tone).

Engines: ``local`` (in-process for 1 worker, a process pool for 2), ``ray``
(``--engine ray``: Ray actors, a local Ray started by the run), ``raycluster``
(``--engine ray --address HOST:PORT``: the same actors on a Ray head that was
started beforehand with ``ray start --head``, as on a cluster; starting it is not
timed, and the run refuses to start when a Ray instance is already running here,
since it ends with ``ray stop``) and ``shards``
(Ray Data shard mode: ``map_batches`` actors writing Parquet, then ``narrascope
load``; the inputs are first written as 8 JSONL shards, not timed).

Reported per run: documents/s end to end (engine start-up and model loading
included, Python imports not), the seconds before the first batch was stored
(start-up; the engine's first batch holds ``FIRST_BATCH_SIZE`` = 8 documents, 64 in
tables before 2026-12-07's last ones), documents/s after it (steady), stage seconds (summed over workers),
the pipeline's own overhead (wall time minus the stage seconds, for 1 worker:
reading, glue, duplicate linking, store) as a share of the stage
time, and peak RSS of the main process and of the largest worker (``VmHWM`` of
every descendant process, sampled every 0.2 s). Models load lazily, inside the
first stage calls, so their loading counts as stage time. The sizing table divides
a daily volume by the steady rate per core of the local run that kept every core
busy (one worker per core).

Default runs (SPEC = profile:engine:workers): full:local:1 full:local:2
full:ray:2 full:shards:2 fast:local:1 fast:local:2 fast:ray:2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_FOLDER = HERE.parent.parent / "shared" / "data" / "polnear" / "train" / "text"
DEFAULT_RUNS = ["full:local:1", "full:local:2", "full:ray:2", "full:shards:2", "fast:local:1", "fast:local:2", "fast:ray:2"]
RAY_CLI = str(Path(sys.executable).with_name("ray")) if Path(sys.executable).with_name("ray").exists() else "ray"
DAILY_VOLUMES = (100_000, 1_000_000, 10_000_000)


class RssSampler:
    """Peak resident memory (VmHWM) of this process and of every descendant, sampled in a thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peaks: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        parents: dict[int, int] = {}
        info: dict[int, tuple[str, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status", encoding="utf-8") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            except OSError:
                continue
            pid = int(entry)
            parents[pid] = int(fields.get("PPid", "0").strip())
            hwm = fields.get("VmHWM", "0 kB").strip().split()[0]
            info[pid] = (cmd[:60], int(hwm) / 1024)
        me = os.getpid()
        for pid, (cmd, mb) in info.items():
            p, seen = pid, 0
            while p and p != me and seen < 64:
                p, seen = parents.get(p, 0), seen + 1
            # the actors of a Ray head started beforehand (raycluster) are the raylet's children, not ours
            if p == me or cmd.startswith("ray::_PhaseActor"):
                old = self.peaks.get(pid, (cmd, 0.0))
                self.peaks[pid] = (cmd, max(old[1], mb))

    def main_mb(self) -> float:
        return self.peaks.get(os.getpid(), ("", 0.0))[1]

    def worker_mb(self) -> float:
        """The largest process doing stage work (pool workers, Ray workers), not Ray's own daemons."""
        daemons = ("raylet", "gcs_server", "dashboard", "log_monitor", "monitor.py", "runtime_env", "ray_client")
        sizes = [mb for pid, (cmd, mb) in self.peaks.items()
                 if pid != os.getpid() and not any(d in cmd for d in daemons)]
        return max(sizes, default=0.0)


def write_jsonl_shards(folder: Path, limit: int, out: Path, shards: int = 8) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file())[:limit]
    out.mkdir(parents=True)
    handles = [open(out / f"part-{i:03d}.jsonl", "w", encoding="utf-8") for i in range(shards)]
    try:
        for n, path in enumerate(files):
            record = {"id": path.name, "text": path.read_text(encoding="utf-8", errors="replace")}
            handles[n % shards].write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        for h in handles:
            h.close()


def run_once(folder: Path, profile: str, engine: str, workers: int, limit: int) -> dict[str, Any]:
    t_import = time.perf_counter()
    from narrascope.engines import local
    from narrascope.pipeline import load_config
    from narrascope.readers import iter_inputs
    from narrascope.store import Store

    config = load_config(profile=profile)
    imports = time.perf_counter() - t_import
    first_saved: list[float] = []
    address = start_ray_head(workers) if engine == "raycluster" else None  # before the memory sampler
    with tempfile.TemporaryDirectory() as tmp, RssSampler() as rss:
        tmp_path = Path(tmp)
        store = Store(tmp_path / "bench.duckdb")
        original_save = store.save

        def save(*args: Any, **kwargs: Any) -> Any:
            if not first_saved:
                first_saved.append(time.perf_counter())
            return original_save(*args, **kwargs)

        store.save = save  # type: ignore[method-assign]
        if engine == "shards":
            from narrascope.engines.ray_data import analyze_shards, load_shards

            write_jsonl_shards(folder, limit, tmp_path / "in")
            t0 = time.perf_counter()
            shard_stats = analyze_shards([str(tmp_path / "in")], tmp_path / "out", config, workers=workers)
            results = load_shards(tmp_path / "out", store)
            stage_seconds = shard_stats.stage_seconds
            stored = sum(r.stored + sum(r.duplicates.values()) for r in results)
            problems = sum(len(r.problems) for r in results) + shard_stats.problems
            first_saved[:] = []  # start-up is not separable from the Ray Data job here
        else:
            files = sorted(p for p in folder.iterdir() if p.is_file())[:limit]
            t0 = time.perf_counter()
            stats = local.run_analysis(iter_inputs([str(p) for p in files]), store, config, workers=workers,
                                       engine="ray" if address else engine, address=address)
            stage_seconds = dict(stats.stage_seconds)
            stored = stats.stored + sum(stats.duplicates.values())
            problems = len(stats.problems)
        seconds = time.perf_counter() - t0
        store.close()
        if engine == "raycluster":
            subprocess.run([RAY_CLI, "stop"], capture_output=True, check=False)
    startup = (first_saved[0] - t0) if first_saved else None
    stage_total = sum(stage_seconds.values())
    steady = None
    if startup is not None and seconds > startup:
        # documents after the first stored batch over the time after it
        first = min(local.FIRST_BATCH_SIZE, local.BATCH_SIZE)
        steady = max(stored - first, 0) / (seconds - startup) if stored > first else None
    from narrascope.nlp.encoder import resolve_precision

    return {
        "profile": profile, "engine": engine, "workers": workers, "documents": stored, "problems": problems,
        "encoder_precision": resolve_precision(config),
        "seconds": seconds, "imports_seconds": imports, "startup_seconds": startup, "docs_per_s": stored / seconds,
        "steady_docs_per_s": steady, "stage_seconds": stage_seconds, "stage_total": stage_total,
        "overhead_seconds": seconds - stage_total if workers == 1 else None,
        "peak_rss_mb": rss.main_mb(), "worker_peak_rss_mb": rss.worker_mb() if (workers > 1 or engine != "local") else None,
    }


def start_ray_head(workers: int, port: int = 46379) -> str:
    """Start a Ray head on this machine (one CPU per worker, one for shard tasks, as the
    engine sizes its own local Ray) and return its address; Ray's start-up is not timed."""
    if subprocess.run([RAY_CLI, "status"], capture_output=True).returncode == 0:
        raise SystemExit("raycluster: a Ray instance is already running here, and this run ends with `ray stop`")
    command = [RAY_CLI, "start", "--head", f"--port={port}", f"--num-cpus={workers + 1}",
               "--include-dashboard=false", "--disable-usage-stats"]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"raycluster: `{' '.join(command)}` failed:\n{out.stderr[-2000:]}")
    return f"127.0.0.1:{port}"


def run_in_subprocess(folder: Path, spec: str, limit: int, precision: str | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), str(folder), "--single", spec, "--limit-full", str(limit)]
    env = dict(os.environ)
    if precision:
        env["NARRASCOPE_ENCODER_PRECISION"] = precision
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"benchmark run {spec} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(r: dict[str, Any]) -> str:
    docs = r["documents"]
    head = (f"{r['profile']:4s} {r['engine']:6s} workers={r['workers']} encoder {r['encoder_precision']}: {docs} docs in {r['seconds']:.1f} s = "
            f"{r['docs_per_s']:.1f} docs/s end to end")
    if r["steady_docs_per_s"]:
        head += f", {r['steady_docs_per_s']:.1f} after the first batch (start-up {r['startup_seconds']:.1f} s)"
    head += f"; peak RSS {r['peak_rss_mb']:.0f} MB main"
    if r["worker_peak_rss_mb"]:
        head += f", {r['worker_peak_rss_mb']:.0f} MB largest worker"
    lines = [head]
    for name, s in sorted(r["stage_seconds"].items(), key=lambda kv: -kv[1]):
        lines.append(f"    {name:12s} {s:7.2f} s  {docs / s if s else float('inf'):8.1f} docs/s per worker")
    if r["overhead_seconds"] is not None:
        lines.append(f"    overhead     {r['overhead_seconds']:7.2f} s  ({r['overhead_seconds'] / r['stage_total']:.0%} of stage time;"
                     " start-up included)")
    return "\n".join(lines)


def markdown(results: list[dict[str, Any]]) -> str:
    head = ["profile", "engine", "workers", "docs", "docs/s end to end", "docs/s after first batch", "start-up s",
            "stage s (sum)", "overhead / stage time", "peak RSS MB main / worker"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        rss = f"{r['peak_rss_mb']:.0f}" + (f" / {r['worker_peak_rss_mb']:.0f}" if r["worker_peak_rss_mb"] else "")
        overhead = f"{r['overhead_seconds'] / r['stage_total']:.0%}" if r["overhead_seconds"] is not None else "-"
        rows.append("| " + " | ".join([
            r["profile"], r["engine"], str(r["workers"]), str(r["documents"]), f"{r['docs_per_s']:.1f}",
            f"{r['steady_docs_per_s']:.1f}" if r["steady_docs_per_s"] else "-",
            f"{r['startup_seconds']:.1f}" if r["startup_seconds"] is not None else "-",
            f"{r['stage_total']:.1f}", overhead, rss]) + " |")
    return "\n".join(rows)


def stage_table(results: list[dict[str, Any]]) -> str:
    singles = [r for r in results if r["workers"] == 1 and r["engine"] == "local"]
    stages = list(dict.fromkeys(k for r in singles for k in r["stage_seconds"]))
    head = ["stage", *[f"{r['profile']}: ms/doc" for r in singles], *[f"{r['profile']}: docs/s" for r in singles]]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in stages:
        ms = [f"{1000 * r['stage_seconds'][s] / r['documents']:.1f}" if s in r["stage_seconds"] else "-" for r in singles]
        rate = [f"{r['documents'] / r['stage_seconds'][s]:.0f}" if r["stage_seconds"].get(s) else "-" for r in singles]
        rows.append("| " + " | ".join([s, *ms, *rate]) + " |")
    return "\n".join(rows)


def sizing(results: list[dict[str, Any]]) -> str:
    """Cores per daily volume from the steady rate of the local run that used every core.

    With every core busy (one worker per core, each encoder on one thread) the rate per
    core is the machine's rate over its cores: the honest figure for a cluster of
    one-CPU actors. A 1-worker run on several cores would overstate it (its encoder
    uses them all).
    """
    cores = os.cpu_count() or 1
    rows = ["| profile | run | docs/s per core | " + " | ".join(f"cores for {v:,}/day" for v in DAILY_VOLUMES) + " |",
            "|---|---|---|" + "---|" * len(DAILY_VOLUMES)]
    for profile in dict.fromkeys(r["profile"] for r in results):
        runs = [r for r in results if r["profile"] == profile and r["engine"] == "local" and r["steady_docs_per_s"]]
        full_machine = [r for r in runs if r["workers"] >= cores] or runs
        if not full_machine:
            continue
        r = max(full_machine, key=lambda r: r["workers"])
        rate = r["steady_docs_per_s"] / max(cores, r["workers"])
        cells = [f"{v / 86400 / rate:.1f}" for v in DAILY_VOLUMES]
        rows.append(f"| {profile} | local, {r['workers']} workers on {cores} cores | {rate:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER, help="plain-text articles (default: %(default)s)")
    parser.add_argument("--limit-full", type=int, default=128, help="articles per full-profile run (default: 128)")
    parser.add_argument("--limit-fast", type=int, default=512, help="articles per fast-profile run (default: 512)")
    parser.add_argument("--runs", nargs="+", default=DEFAULT_RUNS, metavar="SPEC",
                        help="profile:engine:workers, engine local, ray, raycluster or shards, e.g. full:ray:2 (default: %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables for docs/BENCHMARKS.md")
    parser.add_argument("--encoder-precision", choices=["fp32", "bf16", "auto"], default=None,
                        help="the encoder's arithmetic for every run (default: the config's, fp32)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write every run's numbers to FILE")
    parser.add_argument("--single", default=None, help=argparse.SUPPRESS)  # one run, JSON out (used internally)
    args = parser.parse_args()
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    if args.single:
        profile, engine, workers = args.single.split(":")
        print(json.dumps(run_once(args.folder, profile, engine, int(workers), args.limit_full)))
        return 0
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; folder {args.folder}", flush=True)
    results = []
    for spec in args.runs:
        profile = spec.split(":")[0]
        limit = args.limit_full if profile == "full" else args.limit_fast
        result = run_in_subprocess(args.folder, spec, limit, args.encoder_precision)
        results.append(result)
        print(report(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    if args.markdown:
        print("\n" + markdown(results) + "\n\n" + stage_table(results) + "\n\n" + sizing(results))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
