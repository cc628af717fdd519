"""Shard mode: Ray Data reads input shards, runs the stages in ``map_batches`` actors, writes Parquet.

    narrascope analyze shards/ --engine ray --shards-out out/     # on a local Ray or --address
    narrascope load out/ --db corpus.duckdb                        # into the store

For corpora too large to stream through one driver: nothing is sent back to the
driver, and the store is not touched until ``load``. The pipeline:

    from_items(input files) → flat_map(read one file with narrascope.readers)
        → map_batches(_ShardActor: prepare + analyse, models loaded once per actor)
        → write_parquet(OUT/job-KEY/)

Readers and stages are the ones the local engine runs (one implementation each).
Input files are processed in jobs of ``shards_per_job`` files; a finished job
leaves ``_DONE.json`` (its inputs, config and counts), so a re-run skips finished
jobs and redoes an interrupted one. ``load`` links duplicates and stores documents
exactly as ``analyze`` does (same ids, spans and labels), and resumes too: sources
already stored are skipped. One difference in cost, not in results: in shard
mode duplicates are analysed like every other document (no driver links them before
the analysis); ``load`` then keeps only their prepare-phase layers, as ``analyze`` would.

Output columns (one row per input item; ``problem`` set for items that failed):
``shard`` (index of the input file in the job), ``row``, ``id``, ``source``,
``fingerprint``, ``problem``, ``outlet``, ``language``, ``published``, ``title``,
``document`` (the Document as JSON, see ``Document.to_json``), ``prepared_layers`` (JSON:
the span and label layers the prepare phase made), ``vector_index`` (JSON
``[[kind, start, end], ...]``) with ``vector_data`` (those embeddings, float32 rows)
and ``stage_seconds`` (JSON).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..document import Document
from ..errors import ConfigError, InputError
from ..readers import files as file_readers
from ..readers.options import ReadOptions
from .ray_engine import import_ray, start_ray

DONE = "_DONE.json"
COLUMNS = ("shard", "row", "id", "source", "fingerprint", "problem", "outlet", "language", "published", "title",
           "document", "prepared_layers", "vector_index", "vector_data", "stage_seconds")
_BINARY_COLUMNS = {"vector_data"}
_INT_COLUMNS = {"shard", "row"}


def shard_schema():
    """The Arrow schema of every shard file: fixed, so a batch whose column is all null
    (no problems, no vectors) does not write a file that other readers cannot union."""
    import pyarrow as pa

    def kind(c: str):
        return pa.int64() if c in _INT_COLUMNS else pa.binary() if c in _BINARY_COLUMNS else pa.string()

    return pa.schema([(c, kind(c)) for c in COLUMNS])


def to_table(out: dict[str, list]):
    """A batch's output columns as an Arrow table with :func:`shard_schema`."""
    import pyarrow as pa

    return pa.Table.from_pydict({c: out[c] for c in COLUMNS}, schema=shard_schema())


@dataclass
class ShardStats:
    jobs: int = 0
    skipped_jobs: int = 0  # finished by an earlier run
    inputs: int = 0
    rows: int = 0
    problems: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)


def list_input_files(sources: list[str]) -> list[Path]:
    """The files to read: each file given, and every file under each folder given, in order."""
    found: list[Path] = []
    for source in sources:
        if "://" in source:
            raise ConfigError(f"{source}: shard mode reads files and folders only; fetch URLs with `narrascope analyze`")
        path = Path(source).expanduser()
        if path.is_dir():
            found.extend(file_readers.walk_folder(path))
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"{source}: no such file or folder")
    return list(dict.fromkeys(found))


def job_key(paths: list[Path], config: dict[str, Any], options: ReadOptions) -> str:
    """Identifies a job: its input files (path, size, modification time), the config and read options."""
    h = hashlib.sha256()
    for p in paths:
        st = p.stat()
        h.update(f"{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    h.update(json.dumps(config, sort_keys=True, default=str).encode())
    h.update(repr(options).encode())
    return h.hexdigest()[:16]


# -- worker side ---------------------------------------------------------------


def _read_rows(item: dict[str, Any], options: ReadOptions) -> Iterator[dict[str, Any]]:
    """flat_map: one input file → one row per document (the Document pickled) or per bad item."""
    from ..readers import iter_inputs
    from .local import fingerprint

    row = 0
    for doc in iter_inputs([item["path"]], options):
        row += 1
        base = {"shard": int(item["shard"]), "row": row}
        if isinstance(doc, InputError):
            yield {**base, "source": doc.source, "problem": doc.problem, "doc": b""}
        else:
            doc.meta["fingerprint"] = fingerprint(doc)
            yield {**base, "source": doc.source, "problem": "", "doc": pickle.dumps(doc)}


class _ShardActor:
    """map_batches actor: the prepare and analyze pipelines built once, applied to each batch."""

    def __init__(self, config: dict[str, Any]):
        from .local import _init_worker

        _init_worker(config, threads=1)  # each actor holds one Ray CPU
        self.analyze = bool(config.get("pipeline", {}).get("analyze"))

    def __call__(self, batch: dict[str, Any]):
        from .local import _run_phase

        out: dict[str, list] = {c: [] for c in COLUMNS}
        keys: list[tuple[int, int]] = []
        docs: list[Document] = []
        for shard, row, source, problem, blob in zip(batch["shard"], batch["row"], batch["source"], batch["problem"],
                                                     batch["doc"]):
            if isinstance(problem, str) and problem:
                _emit(out, int(shard), int(row), None, source=str(source), problem=str(problem))
                continue
            keys.append((int(shard), int(row)))
            docs.append(pickle.loads(blob))
        timings: dict[str, float] = {}
        prepared: list[list[str]] = []
        if docs:
            docs, t = _run_phase("prepare", docs)  # the same list, stages applied in place
            timings.update(t)
            prepared = [sorted({s.layer for s in d.spans} | {lab.layer for lab in d.labels}) for d in docs]
            good = [d for d in docs if not d.meta.get("problem")]
            if good and self.analyze:
                _, t = _run_phase("analyze", good)
                for k, v in t.items():
                    timings[k] = timings.get(k, 0.0) + v
        for i, (doc, (shard, row)) in enumerate(zip(docs, keys)):
            _emit(out, shard, row, doc, timings=timings if i == 0 else {}, prepared=prepared[i])
        return to_table(out)


def _vector_columns(doc: Document | None) -> dict[str, Any]:
    import numpy as np

    vectors = (doc.cache.get("vectors") if doc is not None else None) or []
    if not vectors:
        return {"vector_index": None, "vector_data": None}
    matrix = np.stack([np.asarray(v, dtype=np.float32) for *_, v in vectors])
    return {"vector_index": json.dumps([[k, int(s), int(e)] for k, s, e, _ in vectors]), "vector_data": matrix.tobytes()}


def _emit(out: dict[str, list], shard: int, row: int, doc: Document | None, *, source: str | None = None,
          problem: str | None = None, timings: dict[str, float] | None = None,
          prepared: list[str] | None = None) -> None:
    if doc is not None:
        problem = doc.meta.get("problem")
        source = doc.source
    values = {
        "shard": shard, "row": row, "source": source, "problem": problem,
        "id": doc.id if doc is not None and not problem else None,
        "fingerprint": doc.meta.get("fingerprint") if doc is not None else None,
        "outlet": doc.outlet if doc is not None else None,
        "language": doc.language if doc is not None else None,
        "published": doc.published if doc is not None else None,
        "title": doc.title if doc is not None else None,
        "document": doc.to_json() if doc is not None and not problem else None,
        "prepared_layers": json.dumps(prepared) if prepared is not None else None,
        **_vector_columns(doc if doc is not None and not problem else None),
        "stage_seconds": json.dumps(timings or {}),
    }
    for c in COLUMNS:
        out[c].append(values[c])


# -- driver side ---------------------------------------------------------------


def analyze_shards(
    sources: list[str],
    out_dir: str | Path,
    config: dict[str, Any],
    *,
    workers: int = 1,
    address: str | None = None,
    options: ReadOptions | None = None,
    shards_per_job: int = 16,
    batch_size: int = 64,
    on_job: Callable[[int, int, str], None] | None = None,
    progress: bool = False,
) -> ShardStats:
    """Analyse the files in ``sources`` with Ray Data into Parquet shards under ``out_dir``.

    ``on_job(done, total, status)`` is called after each job (status "done" or "skipped").
    ``progress`` shows Ray Data's progress bars (rows through each operator) during a job.
    """
    options = options or ReadOptions()
    paths = list_input_files(sources)
    if not paths:
        raise ConfigError("no input files found")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ray = import_ray()
    owns, workers = start_ray(workers, address)
    stats = ShardStats(inputs=len(paths))
    t0 = time.perf_counter()
    jobs = [paths[i:i + shards_per_job] for i in range(0, len(paths), max(1, shards_per_job))]
    try:
        from ..engines.local import pipeline_versions

        versions = pipeline_versions(config)
        ctx = ray.data.DataContext.get_current()  # imports Ray Data, which sets up its loggers: quiet them after
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "progress bars disabled": ours instead
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = progress
        ctx.target_max_block_size = 4 * 1024 * 1024  # small blocks, so a big shard spreads over the actors
        for number, group in enumerate(jobs, 1):
            key = job_key(group, config, options)
            dest = out / f"job-{key}"
            if (dest / DONE).exists():
                stats.skipped_jobs += 1
                if on_job:
                    on_job(number, len(jobs), "skipped")
                continue
            shutil.rmtree(dest, ignore_errors=True)  # an interrupted job: redo it
            tmp = out / f".tmp-job-{key}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            ds = ray.data.from_items([{"path": str(p), "shard": i} for i, p in enumerate(group)],
                                     override_num_blocks=len(group))
            ds = ds.flat_map(_read_rows, fn_kwargs={"options": options}, num_cpus=0.5)
            ds = ds.map_batches(_ShardActor, fn_constructor_args=(config,), batch_size=batch_size,
                                compute=ray.data.ActorPoolStrategy(size=max(1, workers)), num_cpus=1)
            ds.write_parquet(str(tmp), ray_remote_args={"num_cpus": 0.5})
            summary = _summarise(tmp)
            manifest = {"inputs": [str(p) for p in group], "config": config, "versions": versions, **summary}
            (tmp / DONE).write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
            tmp.rename(dest)
            stats.jobs += 1
            stats.rows += summary["rows"]
            stats.problems += summary["problems"]
            for k, v in summary["stage_seconds"].items():
                stats.stage_seconds[k] = stats.stage_seconds.get(k, 0.0) + v
            if on_job:
                on_job(number, len(jobs), "done")
    finally:
        if owns:
            ray.shutdown()
    stats.seconds = time.perf_counter() - t0
    return stats


def _summarise(folder: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    try:
        pattern = str(folder / "*.parquet")
        rows, problems = con.execute(
            "SELECT count(*), count(problem) FROM read_parquet(?, union_by_name = true)", [pattern]).fetchone()
        seconds: dict[str, float] = {}
        for (blob,) in con.execute("SELECT stage_seconds FROM read_parquet(?, union_by_name = true)", [pattern]).fetchall():
            for k, v in json.loads(blob or "{}").items():
                seconds[k] = seconds.get(k, 0.0) + float(v)
    finally:
        con.close()
    return {"rows": int(rows), "problems": int(problems), "stage_seconds": seconds}


def finished_jobs(out_dir: str | Path) -> list[Path]:
    """The finished job folders under ``out_dir`` (those with ``_DONE.json``), oldest first."""
    out = Path(out_dir)
    if not out.is_dir():
        raise ConfigError(f"{out}: no such folder")
    jobs = [p for p in out.iterdir() if p.is_dir() and p.name.startswith("job-") and (p / DONE).exists()]
    return sorted(jobs, key=lambda p: ((p / DONE).stat().st_mtime_ns, p.name))


def read_job(job: Path) -> tuple[dict[str, Any], Iterator[Document | InputError]]:
    """A finished job's manifest, and its documents (or problems) in input order."""
    manifest = json.loads((job / DONE).read_text(encoding="utf-8"))

    def rows() -> Iterator[Document | InputError]:
        import duckdb
        import numpy as np

        con = duckdb.connect()
        try:
            cursor = con.execute(
                "SELECT source, problem, document, prepared_layers, vector_index, vector_data FROM read_parquet(?, union_by_name = true) "
                "ORDER BY shard, row",
                [str(job / "*.parquet")])
            while True:
                chunk = cursor.fetchmany(256)
                if not chunk:
                    break
                for source, problem, document, layers, index, data in chunk:
                    if problem:
                        yield InputError(source, problem)
                        continue
                    doc = Document.from_json(document)
                    doc.cache["prepared_layers"] = set(json.loads(layers or "[]"))
                    if index:
                        keys = json.loads(index)
                        matrix = np.frombuffer(data, dtype=np.float32).reshape(len(keys), -1)
                        doc.cache["vectors"] = [(k, s, e, matrix[i]) for i, (k, s, e) in enumerate(keys)]
                    yield doc
        finally:
            con.close()

    return manifest, rows()


def load_shards(out_dir: str | Path, store, *, on_item: Callable[[str, str, str | None], None] | None = None,
                force: bool = False, on_job: Callable[[Path, dict[str, Any]], None] | None = None) -> list:
    """Load every finished job under ``out_dir`` into ``store``: one store run per job, as ``analyze`` stores.

    Returns the RunStats of each job. Sources already stored (same fingerprint) are skipped.
    """
    from .local import run_analysis

    results = []
    for job in finished_jobs(out_dir):
        manifest, docs = read_job(job)
        if on_job:
            on_job(job, manifest)
        results.append(run_analysis(docs, store, manifest["config"], on_item=on_item, force=force, engine="shards"))
    return results
