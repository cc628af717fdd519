"""Stories and echoes on PolNeAR: how long the corpus views take on N analysed articles.

    python benchmarks/corpus.py [--n 300] [--db FILE] [--json results.json]

Builds (or reuses, with --db) a store of N PolNeAR articles analysed with the
``vectors`` stage only, then times ``outlet_profiles``, ``find_stories`` and
``find_echoes``, and ``find_echoes`` again on a synthetic 20,000-paragraph matrix
(the block-wise matching alone), and the word 3-gram matching on the paragraphs
of all PolNeAR articles. Numbers are in docs/CORPUS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Iterator

POLNEAR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear"


def polnear_records(root: Path = POLNEAR) -> Iterator[dict]:
    """PolNeAR articles as reader records (text, title, outlet, published, id), in metadata order.

    The first line of each text file repeats the headline; it becomes ``title``.
    """
    with open(root / "metadata.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            for split in ("train", "dev"):
                path = root / split / "text" / f"{row['filename']}.txt"
                if path.exists():
                    break
            else:
                continue
            lines = path.read_text(encoding="utf-8").split("\n")
            body = "\n".join(lines[1:]).strip()
            yield {"id": row["filename"], "title": row["title"] or lines[0].strip(), "outlet": row["publisher"],
                   "published": row["publication_date"] or None, "text": body}


def write_jsonl(records: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def build_store(jsonl: Path, db: Path, analyze: tuple[str, ...] = ("vectors",), batch_size: int = 32) -> int:
    """Analyse a JSONL file into ``db``: the default prepare stages, then ``analyze``; returns documents stored.

    Runs the pipelines and saves directly rather than through ``engines.local.run_analysis``:
    the engine clears ``doc.cache`` before saving, which drops the vectors (reported; see docs/CORPUS.md).
    PolNeAR holds no duplicate articles, so nothing is lost by skipping the dedup step.
    """
    from narrascope.engines.local import pipeline_versions
    from narrascope.pipeline import Pipeline, load_config
    from narrascope.readers import iter_inputs
    from narrascope.store import Store

    config = load_config(overrides={"pipeline": {"analyze": list(analyze)}})
    prepare, analyse = Pipeline.from_config(config, "prepare"), Pipeline.from_config(config, "analyze")
    versions = pipeline_versions(config)
    docs = [d for d in iter_inputs([str(jsonl)]) if not isinstance(d, Exception)]
    stored = 0
    with Store(db) as store:
        run_id = store.start_run(config, versions)
        for k in range(0, len(docs), batch_size):
            batch = [d for d in analyse(prepare(docs[k:k + batch_size])) if not d.meta.get("problem")]
            store.save(batch, run_id, versions)
            stored += len(batch)
        store.finish_run(run_id, {"stored": stored})
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="PolNeAR articles to analyse (in metadata order)")
    parser.add_argument("--db", type=Path, default=None, help="reuse (or create) this store")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    results: dict = {"n": args.n}
    db = args.db or Path(f"/tmp/narrascope-corpus-bench-{args.n}.duckdb")
    if not db.exists():
        records = [r for r in polnear_records() if r["outlet"] != "parc"][: args.n]
        jsonl = write_jsonl(records, db.with_suffix(".jsonl"))
        t0 = time.perf_counter()
        results["stored"] = build_store(jsonl, db)
        results["analyse_s"] = round(time.perf_counter() - t0, 1)
    results.update(time_views(db))
    results.update(time_matching(20_000))
    results.update(time_text_overlap())
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


def time_views(db: Path) -> dict:
    """Seconds of each corpus view on a stored corpus, with what it found."""
    from narrascope.corpus.echoes import find_echoes, propagation_edges
    from narrascope.corpus.outlets import compare_outlets, outlet_profiles
    from narrascope.corpus.stories import find_stories, how_outlets_told
    from narrascope.store import Store

    out: dict = {}
    with Store(db, read_only=True) as store:
        out["documents"] = store.count()
        out["paragraph_vectors"] = len(store.vectors("paragraph")[0])
        t0 = time.perf_counter()
        profiles = outlet_profiles(store)
        out["outlet_profiles_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        compare_outlets(store, [p.outlet for p in profiles[:2]])
        out["compare_outlets_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        stories = find_stories(store)
        out["find_stories_s"] = round(time.perf_counter() - t0, 3)
        out["stories"] = len(stories)
        out["stories_2plus_outlets"] = sum(1 for s in stories if len(s.outlets) >= 2)
        t0 = time.perf_counter()
        for s in stories[:10]:
            how_outlets_told(store, s)
        out["how_outlets_told_10_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        echoes = find_echoes(store)
        out["find_echoes_s"] = round(time.perf_counter() - t0, 3)
        out["echo_chains"] = len(echoes)
        out["propagation_edges"] = len(propagation_edges(echoes))
    return out


def time_text_overlap() -> dict:
    """The word 3-gram matching alone on every paragraph (>= 80 characters) of all PolNeAR articles."""
    import numpy as np

    from narrascope.corpus.echoes import MIN_CHARS, _shingles, text_overlap_pairs

    paragraphs, groups = [], []
    for r in polnear_records():
        for p in r["text"].split("\n"):
            if len(p.strip()) >= MIN_CHARS:
                paragraphs.append(p)
                groups.append(r["outlet"])
    codes = {o: n for n, o in enumerate(sorted(set(groups)))}
    t0 = time.perf_counter()
    shingles = [_shingles(p) for p in paragraphs]
    pairs = text_overlap_pairs(shingles, np.array([codes[g] for g in groups]))
    return {"text_overlap_paragraphs": len(paragraphs), "text_overlap_s": round(time.perf_counter() - t0, 2),
            "text_overlap_pairs": len(pairs)}


def time_matching(n: int) -> dict:
    """The block-wise paragraph matching alone on ``n`` random unit vectors, every pair compared (no window)."""
    import numpy as np

    from narrascope.corpus.echoes import THRESHOLD, windowed_pairs

    rng = np.random.default_rng(0)
    v = rng.normal(size=(n, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    t0 = time.perf_counter()
    windowed_pairs(lambda rows: v[rows], np.zeros(n, dtype=np.int64), np.arange(n) % 7, THRESHOLD, None)
    return {f"matching_{n}_paragraphs_s": round(time.perf_counter() - t0, 2)}

if __name__ == "__main__":
    main()
