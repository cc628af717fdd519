"""The local engine: read → prepare → link duplicates → analyse → store.

Stages run in-process (``workers=1``) or in a process pool (``workers>1``);
each worker builds its pipelines once, so models load once per worker. Reading,
duplicate linking and the store stay in the main process: the store has one
writer, and each batch is written in one transaction, so a run killed at any
point loses at most the batch in flight and a re-run completes it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter, deque
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Callable, Iterable, Iterator

from ..document import STORED_CACHE_KEYS, Document, text_hash
from ..nlp.terms import searchable, term_counts, word_count
from ..errors import InputError
from .. import __version__
from ..pipeline import Pipeline, get_stage

# 64 documents per batch: the store's per-transaction cost dominates below that (docs/BENCHMARKS.md).
BATCH_SIZE = 64
# The first batches are smaller (8, 16, 32, then BATCH_SIZE documents), so that the first results
# are stored, and the progress bar moves, after a few documents instead of 64: in the full profile
# after ~10 s on 2 cores instead of ~30 (the models load during the first batch).
FIRST_BATCH_SIZE = 8


@dataclass
class RunStats:
    """What one run did; printed as the summary table."""

    read: int = 0
    stored: int = 0
    unchanged: int = 0  # inputs already stored by an earlier run, skipped
    # inputs stored unchanged by an earlier run of another analysis (other stage options or
    # versions, or fewer stages), kept as stored: source -> what differs (``--force`` re-analyses)
    kept: list[tuple[str, str]] = field(default_factory=list)
    duplicates: Counter = field(default_factory=Counter)  # kind -> count
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    by_outlet: Counter = field(default_factory=Counter)
    by_language: Counter = field(default_factory=Counter)
    stage_seconds: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def analysed_anything(self) -> bool:
        return self.stored > 0 or self.unchanged > 0 or bool(self.kept)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "kept": len(self.kept),
            "duplicates": dict(self.duplicates),
            "problems": len(self.problems),
            "warnings": len(self.warnings),
            "seconds": round(self.seconds, 3),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
        }


def pipeline_versions(config: dict[str, Any]) -> dict[str, str]:
    """The versions recorded with every stored row: package, stage list, each stage, and the
    analysis as a whole (``analysis_id``)."""
    names = pipeline_names(config)
    from ..corpus.dedup import SIGNATURE_SCHEME

    versions = {"narrascope": __version__, "pipeline": "+".join(names), "dedup": SIGNATURE_SCHEME,
                **{n: get_stage(n).version for n in names}}
    versions["analysis"] = analysis_id(config, versions)
    return versions


def pipeline_names(config: dict[str, Any]) -> list[str]:
    pipeline = config.get("pipeline", {})
    return list(pipeline.get("prepare", [])) + list(pipeline.get("analyze", []))


def analysis_id(config: dict[str, Any], versions: dict[str, str]) -> str:
    """``"stage+stage+...@digest"``: the stages run, and a digest of everything else that decides
    what they store: their versions, the package's, their options (with the contents of the files
    options name, such as gazetteers, and of the taxonomies, shipped ones too), the duplicate
    settings and the encoder's arithmetic. A stored input whose analysis differs from the run's
    is not "unchanged"."""
    from ..nlp.encoder import resolve_precision

    stage_options = config.get("stages", {})
    names = [n for n in pipeline_names(config) if get_stage(n).does_anything(stage_options.get(n, {}))]
    settings = {
        "versions": {k: v for k, v in versions.items() if k != "analysis"},
        "options": {n: stage_options.get(n, {}) for n in names},
        "dedup": config.get("dedup", {}),
        "precision": resolve_precision(config),
    }
    settings["files"] = _named_file_digests(settings["options"])
    settings["stages"] = {n: get_stage(n).options_digest(stage_options.get(n, {})) for n in names}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return "+".join(names) + "@" + digest


def _named_file_digests(value: Any) -> dict[str, str]:
    """sha256 of every existing file named by a string in ``value`` (nested lists and dicts)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for v in value.values():
            out.update(_named_file_digests(v))
    elif isinstance(value, (list, tuple)):
        for v in value:
            out.update(_named_file_digests(v))
    elif isinstance(value, str) and value and len(value) < 4096:
        try:
            if os.path.isfile(value):
                with open(value, "rb") as fh:
                    out[value] = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            pass
    return out


def analysis_stages(analysis: str | None) -> list[str]:
    """The stages of a stored analysis (``analysis_id``, or a stage list from before it was recorded)."""
    return [n for n in (analysis or "").split("@", 1)[0].split("+") if n]


def compare_analyses(stored: str | None, current: str) -> str:
    """How a stored input's analysis stands to this run's: "same" (skip it), "analyse" (this run only
    adds stages, or nothing of the input is stored: analyse it again, nothing is lost) or, for
    anything else, why it is kept as stored."""
    if stored == current:
        return "same"
    if stored is None:
        return "analyse"
    before, now = set(analysis_stages(stored)), set(analysis_stages(current))
    if "@" not in stored:
        # Stored before the analysis id was recorded: the stage list then named the taxonomy
        # stage even when it had no taxonomy to match, so it says nothing either way.
        before.discard("taxonomy")
    if before < now:
        return "analyse"
    if before - now:
        return "analysed before with more stages (" + ", ".join(sorted(before - now)) + ")"
    return "analysed before by another version or with other stage options"


def fingerprint(doc: Document) -> str:
    """The input as read: its raw content, and the fields a metadata table gave it (so that a run with a
    corrected table, or with a table where the last run had none, analyses the file again)."""
    raw = doc.raw if doc.raw is not None else doc.text
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    digest = hashlib.sha256(data)
    if doc.meta.get("metadata_from"):
        fields = [doc.title, doc.outlet, doc.published, doc.url, list(doc.authors or [])]
        digest.update(b"\0metadata\0" + json.dumps(fields, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


# -- worker side -------------------------------------------------------------

_WORKER_PIPELINES: dict[str, Pipeline] = {}


_ENGLISH_ONLY = re.compile(r"^(\w+): not analysed, .*English-only \(text is '?([\w-]+)'?\)$")


def summarise_warnings(warnings: list[str]) -> str:
    """One line for a document's warnings; the English-only stages skipped are named together."""
    skipped, language, rest = [], None, []
    for w in dict.fromkeys(warnings):  # de-duplicated, in order
        m = _ENGLISH_ONLY.match(w)
        if m:
            skipped.append(m.group(1))
            language = m.group(2)
        else:
            rest.append(w)
    if skipped:
        rest.append(f"English-only stages skipped (text is {language}): {', '.join(dict.fromkeys(skipped))}")
    return "; ".join(rest)


def limit_threads(threads: int) -> None:
    """Give this process's encoder (torch) ``threads`` threads.

    N workers each taking every core would oversubscribe the machine. numpy's BLAS is
    held to one thread for the whole package (see ``narrascope/__init__.py``).
    """
    threads = max(1, int(threads))
    os.environ["NARRASCOPE_THREADS"] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


# The stages make and drop millions of small objects (tokens, spans, feature strings) and keep
# few: Python's cyclic collector, run every 700 new objects by default, costs the fast profile
# 10-20% of its throughput (docs/BENCHMARKS.md). Workers and the run's main process collect
# every 10,000 instead.
GC_THRESHOLD = (10_000, 10, 10)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the cyclic collector at ``GC_THRESHOLD``, then put the caller's setting back."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _init_worker(config: dict[str, Any], threads: int | None = None, own_process: bool = True) -> None:
    """Build a worker's pipelines; in a process of its own (pool worker, Ray actor), collect less often too."""
    if threads is not None:
        limit_threads(threads)
    if own_process:
        gc.set_threshold(*GC_THRESHOLD)
    for phase in ("prepare", "analyze"):
        _WORKER_PIPELINES[phase] = Pipeline.from_config(config, phase)


def _run_phase(phase: str, batch: list[Document]) -> tuple[list[Document], dict[str, float]]:
    timings: dict[str, float] = {}

    def on_stage(name: str, seconds: float) -> None:
        timings[name] = timings.get(name, 0.0) + seconds

    out = _WORKER_PIPELINES[phase](batch, on_stage=on_stage)
    for doc in out:
        doc.raw = None  # never ship the raw page back across processes
        if phase == "analyze":  # the store's search terms and word count, counted here rather than in the process that saves
            doc.cache["search_terms"] = (*term_counts(searchable(doc.title, doc.text)), word_count(doc.text))
        for key in [k for k in doc.cache if k not in STORED_CACHE_KEYS]:
            del doc.cache[key]  # e.g. token embeddings: large, and not stored
    return out, timings


class _InProcess:
    """Executor-like wrapper so one code path serves workers=1 and workers>1."""

    def __init__(self, config: dict[str, Any]):
        _init_worker(config, own_process=False)  # the encoder's own default: every core (up to 8), or NARRASCOPE_THREADS

    def submit(self, fn: Callable, *args: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - surfaced by .result()
            fut.set_exception(exc)
        return fut

    def shutdown(self) -> None:
        pass


class _Passthrough:
    """Executor-like stand-in for loading documents that were analysed elsewhere (shard mode)."""

    def submit(self, fn: Callable, phase: str, batch: list[Document]) -> Future:
        fut: Future = Future()
        fut.set_result((batch, {}))
        return fut

    def shutdown(self) -> None:
        pass


class _Joined:
    """Futures of the parts of one batch, read as one: documents in order, stage timings summed."""

    def __init__(self, futures: list[Future]):
        self.futures = futures

    def done(self) -> bool:
        return all(f.done() for f in self.futures)

    def result(self) -> tuple[list[Document], dict[str, float]]:
        docs: list[Document] = []
        timings: dict[str, float] = {}
        for fut in self.futures:
            part, seconds = fut.result()
            docs.extend(part)
            for name, value in seconds.items():
                timings[name] = timings.get(name, 0.0) + value
        return docs, timings


def _batches(items: Iterable[Any], size: int, first: int | None = None) -> Iterator[list[Any]]:
    """Lists of ``size`` items; with ``first``, the first holds that many and each next one twice as many, up to ``size``."""
    batch: list[Any] = []
    limit = max(1, min(first or size, size))
    for item in items:
        batch.append(item)
        if len(batch) >= limit:
            yield batch
            batch = []
            limit = min(limit * 2, size)
    if batch:
        yield batch


# -- main side ---------------------------------------------------------------


@fewer_collections()  # the whole run, the caller's setting back at the end
def run_analysis(
    inputs: Iterable[Document | InputError],
    store,
    config: dict[str, Any],
    *,
    workers: int = 1,
    on_item: Callable[[str, str, str | None], None] | None = None,
    force: bool = False,
    engine: str = "local",
    address: str | None = None,
) -> RunStats:
    """Analyse ``inputs`` (as yielded by ``narrascope.readers.iter_inputs``) into ``store``.

    ``engine`` "local" runs the stages in this process (``workers=1``) or a process
    pool; "ray" runs them on ``workers`` Ray actors (a local Ray, or the cluster at
    ``address``). Everything else (reading, duplicates, the store, resuming) is the same.

    "shards" loads documents already analysed in shard mode (``narrascope load``).

    ``on_item(source, status, message)`` is called once per input with status
    one of ``stored``, ``duplicate``, ``unchanged``, ``kept`` (stored before by another analysis,
    left as it was; the message says what differs), ``problem``, ``warning``.
    """
    from ..corpus.dedup import DedupIndex, DuplicateLink, minhash_signature

    stats = RunStats()
    t_start = time.perf_counter()
    notify = on_item or (lambda *_: None)
    dedup_cfg = config.get("dedup", {})
    num_perm = int(dedup_cfg.get("num_perm", 128))
    index = DedupIndex(threshold=float(dedup_cfg.get("threshold", 0.8)), num_perm=num_perm)
    for doc_id, thash, sig in store.signatures():
        index.add(doc_id, thash, sig)

    analyze_names = list(config.get("pipeline", {}).get("analyze", []))
    versions = pipeline_versions(config)
    analysis = versions["analysis"]

    workers = int(workers)
    if workers <= 0 and engine != "ray":  # 0 = one per CPU (the Ray executor settles it for Ray)
        workers = max(1, os.cpu_count() or 1)
    if engine == "ray":
        from .ray_engine import RayExecutor

        executor: Any = RayExecutor(config, workers, address)
        workers = executor.workers
    elif engine == "shards":
        executor = _Passthrough()  # documents analysed by Ray Data in shard mode (engines/ray_data.py)
    elif engine != "local":
        raise ValueError(f"unknown engine {engine!r} (local or ray)")
    elif workers > 1:
        executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker,
            initargs=(config, max(1, (os.cpu_count() or 1) // workers)),
        )
    else:
        executor = _InProcess(config)
    from ..nlp.encoder import resolve_precision

    # Recorded as decided here; on a cluster each worker decides for itself ("auto", or its environment).
    run_engine = {"name": engine, "workers": workers, "address": address, "encoder_precision": resolve_precision(config)}
    run_id = store.start_run({**config, "engine": run_engine}, versions)

    signatures: dict[str, Any] = {}  # doc id -> minhash, kept here until the doc is saved

    def problem(source: str, message: str, fp: str | None = None) -> None:
        stats.problems.append((source, message))
        store.record_source(source, None, "problem", message, fp)
        notify(source, "problem", message)

    def readable() -> Iterator[Document]:
        for item in inputs:
            if isinstance(item, InputError):
                problem(item.source, item.problem)
                continue
            stats.read += 1
            fp = item.meta.get("fingerprint") if engine == "shards" else None
            fp = fp or fingerprint(item)
            stored = store.stored_source(item.source)
            if not force and stored is not None and stored.fingerprint == fp:
                # The same input: skipped when this analysis stored it, analysed again when this run
                # only adds stages to the stored analysis, else kept as stored (--force re-analyses).
                # Shards were analysed elsewhere: their fingerprint alone decides.
                how = "same" if engine == "shards" else compare_analyses(stored.analysis, analysis)
                if how == "same":
                    stats.unchanged += 1
                    notify(item.source, "unchanged", None)
                    continue
                if how != "analyse":
                    stats.kept.append((item.source, how))
                    notify(item.source, "kept", how)
                    continue
            if stored is not None and stored.doc_id:  # a changed input (or --force): its new version replaces it
                item.meta["replaces"] = stored.doc_id
            item.meta["fingerprint"] = fp
            yield item

    def add_timings(timings: dict[str, float]) -> None:
        for k, v in timings.items():
            stats.stage_seconds[k] += v

    def link_duplicates(prepared: list[Document]) -> tuple[list[Document], list[Document]]:
        """Split into (to analyse, duplicates to store as linked copies)."""
        fresh, copies = [], []
        for doc in prepared:
            fp = doc.meta.get("fingerprint")
            if doc.meta.get("problem"):
                problem(doc.source, doc.meta["problem"], fp)
                continue
            main = doc.main_text()
            thash = text_hash(main)
            sig = minhash_signature(main, num_perm=num_perm)
            signatures[doc.id] = sig
            replaces = doc.meta.get("replaces")
            if replaces and replaces != doc.id:
                if store.replaceable(replaces, doc.source):
                    index.discard(replaces)  # not a copy of its own earlier version
                else:  # another input or a copy still needs it: it stays, beside the new version
                    doc.meta.pop("replaces")
            link = index.check_and_add(doc.id, thash, sig)
            if link is not None:
                if engine == "shards":  # analysed in shard mode: keep what analyze keeps of a duplicate
                    keep = doc.cache.pop("prepared_layers", set())
                    doc.spans = [sp for sp in doc.spans if sp.layer in keep]
                    doc.labels = [lab for lab in doc.labels if lab.layer in keep]
                    doc.cache.pop("vectors", None)
                doc.meta["duplicate_of"] = {"id": link.duplicate_of, "kind": link.kind, "similarity": round(float(link.similarity), 4)}
                copies.append(doc)
            else:
                fresh.append(doc)
        return fresh, copies

    def save(docs: list[Document], status: str) -> None:
        if not docs:
            return
        sigs = {d.id: signatures.pop(d.id) for d in docs if d.id in signatures}
        store.save(docs, run_id, versions, signatures=sigs)
        for d in docs:
            link = d.meta.get("duplicate_of")
            if link:
                store.add_duplicate(DuplicateLink(d.id, link["id"], link["kind"], link["similarity"]))
                stats.duplicates[link["kind"]] += 1
            else:
                stats.stored += 1
            store.record_source(d.source, d.id, status if not link else "duplicate", None, d.meta.get("fingerprint"))
            stats.by_outlet[d.outlet or "(unknown)"] += 1
            stats.by_language[d.language or "und"] += 1
            warnings = d.meta.get("warnings", [])
            stats.warnings.extend((d.source, w) for w in warnings)
            if warnings:
                notify(d.source, "warning", summarise_warnings(warnings))
            notify(d.source, "duplicate" if link else "stored", d.id)

    prepared_q: deque[tuple[Future, list[Document]]] = deque()
    analysed_q: deque[tuple[Future | _Joined, list[Document]]] = deque()
    max_in_flight = workers * 2

    def drain_analysed(keep: int) -> None:
        """Save finished batches in order; wait for the oldest while more than ``keep`` are in flight."""
        while analysed_q and (len(analysed_q) > keep or analysed_q[0][0].done()):
            fut, copies = analysed_q.popleft()
            docs, timings = fut.result()
            add_timings(timings)
            for d in docs:
                if d.meta.get("problem"):
                    problem(d.source, d.meta["problem"], d.meta.get("fingerprint"))
            save([d for d in docs if not d.meta.get("problem")] + copies, "ok")

    def drain_prepared(keep: int) -> None:
        """Link duplicates of prepared batches in order and send them on; waits as drain_analysed does."""
        while prepared_q and (len(prepared_q) > keep or prepared_q[0][0].done()):
            fut, _ = prepared_q.popleft()
            docs, timings = fut.result()
            add_timings(timings)
            fresh, copies = link_duplicates(docs)
            if fresh and analyze_names:
                # A batch is shared out among the workers, so that none idles on a small corpus.
                size = -(-len(fresh) // workers)
                parts = [fresh[i:i + size] for i in range(0, len(fresh), size)]
                analysed_q.append((_Joined([executor.submit(_run_phase, "analyze", p) for p in parts]), copies))
            else:
                f: Future = Future()
                f.set_result((fresh, {}))
                analysed_q.append((f, copies))
            drain_analysed(keep=max_in_flight)

    try:
        for batch in _batches(readable(), BATCH_SIZE, FIRST_BATCH_SIZE):
            prepared_q.append((executor.submit(_run_phase, "prepare", batch), batch))
            drain_prepared(keep=max_in_flight)
        drain_prepared(keep=0)
        drain_analysed(keep=0)
    finally:
        executor.shutdown()
    stats.seconds = time.perf_counter() - t_start
    store.finish_run(run_id, stats.as_dict(), "done")
    return stats
