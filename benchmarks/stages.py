"""Milliseconds per article of each stage of a profile, in one process, best of N runs.

    python benchmarks/stages.py [--profile fast] [--limit 200] [--runs 5] [folder]

A steadier measure than a whole run (``benchmarks/throughput.py``) on a shared or
noisy machine: no worker processes, no store, models loaded before timing, the
garbage collector set as in a run (``engines.local.fewer_collections``), and each
stage's best total over ``--runs`` passes over the same articles (default: the first
200 PolNeAR training articles). Use it to compare two versions of a stage in the
same sitting; the rates of a whole run are in docs/BENCHMARKS.md.

Caches that outlive a document (VADER's score of a context, name keys, word
shapes) outlive a run too: when they can hold every article's entries (few
articles, as with ``--limit 40``), later runs are flattered. To compare changes to
such caches, run ``--runs 1`` in fresh processes, several times, interleaved.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from narrascope.document import Document
from narrascope.engines.local import fewer_collections
from narrascope.pipeline import Pipeline, apply_profile, load_config

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear" / "train" / "text"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT, help="plain-text articles")
    parser.add_argument("--profile", default="fast", help="profile whose stages are timed (default: fast)")
    parser.add_argument("--limit", type=int, default=200, help="articles (default: 200)")
    parser.add_argument("--runs", type=int, default=5, help="passes; each stage's best is kept (default: 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.txt"))[: args.limit]
    if not paths:
        parser.error(f"no .txt articles in {args.folder}")
    raws = [p.read_text(encoding="utf-8") for p in paths]
    config = apply_profile(load_config(), args.profile)
    prepare, analyze = Pipeline.from_config(config, "prepare"), Pipeline.from_config(config, "analyze")

    def fresh() -> list[Document]:
        return [Document(source=str(p), raw=r, raw_format="text") for p, r in zip(paths, raws)]

    analyze(prepare(fresh()[:5]))  # models loaded
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    with fewer_collections():  # as in a run (engines/local.py)
        for name, seconds in timed_runs(args.runs, fresh, prepare, analyze):
            best[name] = min(best[name], seconds)
    ms = {name: round(1000 * s / len(paths), 2) for name, s in best.items()}
    ms["total"] = round(sum(ms.values()), 2)
    if args.json:
        print(json.dumps({"profile": args.profile, "articles": len(paths), "runs": args.runs, "ms_per_article": ms}))
        return
    print(f"{args.profile} profile, {len(paths)} articles, best of {args.runs} runs, ms per article:")
    for name, value in ms.items():
        print(f"  {name:<12} {value:7.2f}")


def timed_runs(runs, fresh, prepare, analyze):
    """(stage, seconds) of each stage in each of ``runs`` passes over fresh documents."""
    for _ in range(runs):
        seconds: dict[str, float] = defaultdict(float)

        def timed(name: str, s: float) -> None:
            seconds[name] += s

        docs = fresh()
        prepare(docs, on_stage=timed)
        analyze(docs, on_stage=timed)
        yield from seconds.items()


if __name__ == "__main__":
    main()
