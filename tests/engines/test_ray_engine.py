"""The Ray engines give the documents, spans, labels and embeddings the local engine gives.

One local Ray instance (3 logical CPUs: two actors plus shard mode's read/write
tasks) serves the module. Input: the five seeds and the bundled examples, with
their duplicates and a Russian article, through the full (default) profile.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.engines.local import run_analysis
from narrascope.errors import ConfigError
from narrascope.pipeline import load_config
from narrascope.readers import iter_inputs
from narrascope.store import Store

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def sources(seeds_dir):
    from narrascope.cli import _examples_dir

    return [str(seeds_dir), str(_examples_dir())]


def _contents(db):
    with Store(db, read_only=True) as store:
        docs = {d.id: d.to_dict() for d in store.iter_documents()}
        links = sorted((x["doc_id"], x["duplicate_of"], x["kind"]) for x in store.duplicates())
        keys, matrix = store.vectors("document")
        vectors = {doc_id: matrix[i] for i, (doc_id, _, _) in enumerate(keys)}
        runs = [json.loads(c) for (c,) in store.query("SELECT config FROM runs ORDER BY started_at")]
        sources = dict(store.query("SELECT source, status FROM sources"))
    return {"docs": docs, "links": links, "vectors": vectors, "runs": runs, "sources": sources}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, sources):
    db = tmp_path_factory.mktemp("local") / "local.duckdb"
    with Store(db) as store:
        stats = run_analysis(iter_inputs(sources), store, load_config())
    assert stats.stored == 13 and not stats.problems
    return _contents(db)


def _same_spans(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x["start"], x["end"], x["layer"], x["label"]) == (y["start"], y["end"], y["layer"], y["label"])
        assert (x["score"] is None) == (y["score"] is None)
        if x["score"] is not None:
            assert x["score"] == pytest.approx(y["score"], abs=1e-5)


def _same_labels(a: list[dict], b: list[dict]) -> None:
    assert [(x["layer"], x["label"], x["segment"], x["evidence"]) for x in a] == \
           [(y["layer"], y["label"], y["segment"], y["evidence"]) for y in b]
    for x, y in zip(a, b):
        assert (x["score"] is None) == (y["score"] is None)
        if x["score"] is not None:
            assert x["score"] == pytest.approx(y["score"], abs=1e-5)


def _assert_same(local, other):
    assert other["docs"].keys() == local["docs"].keys()
    assert other["links"] == local["links"] and len(local["links"]) == 2
    assert other["sources"] == local["sources"]
    n_spans = 0
    for doc_id, d in local["docs"].items():
        o = other["docs"][doc_id]
        assert (o["text"], o["segments"], o["outlet"], o["title"], o["language"]) == \
               (d["text"], d["segments"], d["outlet"], d["title"], d["language"])
        _same_spans(d["spans"], o["spans"])
        _same_labels(d["labels"], o["labels"])
        n_spans += len(d["spans"])
    assert n_spans > 500  # real analysis happened: sentences, actors, quotes, techniques...
    assert other["vectors"].keys() == local["vectors"].keys()
    for doc_id, v in local["vectors"].items():
        # Stored as float16: another thread count or batch can flip the last bit, never more.
        w = other["vectors"][doc_id]
        assert np.allclose(v, w, atol=1e-3)
        assert float(np.dot(v, w) / (np.linalg.norm(v) * np.linalg.norm(w))) > 0.9999


def test_ray_actors_match_the_local_engine(local_ray, local_run, tmp_path, sources):
    db = tmp_path / "ray.duckdb"
    with Store(db) as store:
        stats = run_analysis(iter_inputs(sources), store, load_config(), workers=2, engine="ray")
    assert stats.stored == 13 and not stats.problems
    ray_run = _contents(db)
    _assert_same(local_run, ray_run)
    assert ray_run["runs"][-1]["engine"] == {"name": "ray", "workers": 2, "address": None, "encoder_precision": "fp32"}
    assert ray_run["runs"][-1]["pipeline"]["profile"] == "full"


def test_ray_data_shards_load_to_the_local_engines_store(local_ray, local_run, tmp_path, sources):
    from narrascope.engines.ray_data import analyze_shards, load_shards

    out = tmp_path / "shards"
    stats = analyze_shards(sources, out, load_config(), workers=2, shards_per_job=8)
    assert (stats.inputs, stats.jobs, stats.rows, stats.problems) == (11, 2, 15, 0)
    assert set(stats.stage_seconds) >= {"extract", "entities", "techniques", "vectors"}

    db = tmp_path / "shards.duckdb"
    with Store(db) as store:
        results = load_shards(out, store)
    assert sum(r.stored for r in results) == 13 and not any(r.problems for r in results)
    loaded = _contents(db)
    _assert_same(local_run, loaded)  # duplicates too: analysed in shard mode, stored as analyze stores them

    # A re-run skips finished jobs; a re-load skips stored sources.
    again = analyze_shards(sources, out, load_config(), workers=2, shards_per_job=8)
    assert (again.jobs, again.skipped_jobs) == (0, 2)
    with Store(db) as store:
        results = load_shards(out, store)
        assert store.count() == 15
    assert sum(r.unchanged for r in results) == 15 and sum(r.stored for r in results) == 0


def test_interrupted_shard_job_is_redone_and_ignored_by_load(local_ray, tmp_path, seeds_dir):
    from narrascope.engines.ray_data import DONE, analyze_shards, finished_jobs

    out = tmp_path / "shards"
    config = load_config(profile="fast")
    analyze_shards([str(seeds_dir)], out, config, workers=1)
    (job,) = finished_jobs(out)
    (job / DONE).unlink()  # as if the job had been killed before finishing
    assert finished_jobs(out) == []
    stats = analyze_shards([str(seeds_dir)], out, config, workers=1)
    assert (stats.jobs, stats.skipped_jobs, stats.rows) == (1, 0, 5)
    assert [p.name for p in finished_jobs(out)] == [job.name]


def test_shard_mode_reads_parquet_and_reports_bad_rows(local_ray, tmp_path, seed_path):
    import duckdb

    from narrascope.engines.ray_data import analyze_shards, read_job, finished_jobs

    text = seed_path("003").read_text(encoding="utf-8")
    shard = tmp_path / "in" / "part-0.parquet"
    shard.parent.mkdir()
    duckdb.sql("CREATE TABLE t (text VARCHAR, outlet VARCHAR, published VARCHAR)")
    duckdb.execute("INSERT INTO t VALUES (?, 'Seed Outlet', '2024-03-01'), (NULL, 'Empty', NULL)", [text])
    duckdb.execute(f"COPY t TO '{shard}' (FORMAT parquet)")
    out = tmp_path / "out"
    stats = analyze_shards([str(shard.parent)], out, load_config(profile="fast"), workers=1)
    assert (stats.rows, stats.problems) == (2, 1)
    _, items = read_job(finished_jobs(out)[0])
    doc, bad = list(items)
    assert doc.outlet == "Seed Outlet" and doc.published == "2024-03-01" and doc.source.endswith("part-0.parquet#1")
    assert any(s.layer == "entity" for s in doc.spans) and not any(s.layer == "technique" for s in doc.spans)
    assert bad.source.endswith("part-0.parquet#2") and "text" in bad.problem
