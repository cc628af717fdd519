"""Engine and profile options: clear errors, the fast profile, and what a run records."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from narrascope.errors import ConfigError
from narrascope.pipeline import load_config
from narrascope.store import Store


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "narrascope", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_unreachable_ray_cluster_fails_fast_without_creating_the_store(tmp_path):
    db = tmp_path / "c.duckdb"
    port = _closed_port()
    r = _cli("analyze", "--examples", "--engine", "ray", "--address", f"127.0.0.1:{port}", "--db", str(db))
    assert r.returncode != 0
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
    assert not db.exists()


def test_engine_option_errors(tmp_path):
    from narrascope.engines.ray_engine import check_reachable

    with pytest.raises(ConfigError, match="not HOST:PORT"):
        check_reachable("headnode")
    r = _cli("analyze", "--examples", "--address", "127.0.0.1:6379", "--db", str(tmp_path / "x.duckdb"))
    assert r.returncode == 2 and "--address is for --engine ray" in r.stderr
    r = _cli("analyze", "--examples", "--shards-out", str(tmp_path / "o"), "--db", str(tmp_path / "x.duckdb"))
    assert r.returncode == 2 and "add --engine ray" in r.stderr
    r = _cli("analyze", "--examples", "--profile", "turbo", "--db", str(tmp_path / "x.duckdb"))
    assert r.returncode != 0 and "unknown profile 'turbo'; profiles in the config: fast, full" in r.stderr
    r = _cli("load", str(tmp_path), "--db", str(tmp_path / "x.duckdb"))
    assert r.returncode != 0 and "no finished shard jobs" in r.stderr


def test_profiles_replace_stage_lists_and_come_from_the_config(tmp_path):
    full, fast = load_config(), load_config(profile="fast")
    assert full["pipeline"]["profile"] == "full" and "techniques" in full["pipeline"]["analyze"]
    assert fast["pipeline"]["analyze"] == ["entities", "quotes", "tone"]
    assert fast["pipeline"]["prepare"] == full["pipeline"]["prepare"]
    mine = tmp_path / "mine.toml"
    mine.write_text('[pipeline]\nprofile = "quick"\n[profiles.quick]\nanalyze = ["entities"]\n'
                    '[profiles.quick.stages.language]\nlanguages = ["en", "ru"]\n', encoding="utf-8")
    quick = load_config(mine)
    assert quick["pipeline"]["analyze"] == ["entities"] and quick["stages"]["language"]["languages"] == ["en", "ru"]
    assert load_config(mine, profile="fast")["pipeline"]["analyze"] == fast["pipeline"]["analyze"]


def test_workers_0_means_one_per_cpu(tmp_path, seed_path):
    import os

    db = tmp_path / "w0.duckdb"
    r = _cli("analyze", str(seed_path("002")), "--workers", "0", "--profile", "fast", "--db", str(db), "-q")
    assert r.returncode == 0, r.stderr
    with Store(db, read_only=True) as s:
        engine = json.loads(s.query("SELECT config FROM runs")[0][0])["engine"]
        assert s.query("SELECT count(*) FROM documents")[0][0] == 1
    assert engine == {"name": "local", "workers": os.cpu_count(), "address": None, "encoder_precision": "fp32"}
    r = _cli("analyze", str(seed_path("002")), "--workers", "-1", "--db", str(db))
    assert r.returncode == 2 and "-1" in r.stderr


def test_stages_lists_profiles_and_encoder_precision(monkeypatch):
    from narrascope.nlp.encoder import cpu_has_bf16_matmul

    monkeypatch.delenv("NARRASCOPE_ENCODER_PRECISION", raising=False)
    r = _cli("stages")
    assert r.returncode == 0, r.stderr
    assert "profile full (default): the lists above" in r.stdout
    assert "profile fast: analyze = entities → quotes → tone" in r.stdout
    assert "entities.ner = 'fast'" in r.stdout and "quotes.method = 'rules'" in r.stdout  # the options a profile sets
    assert "encoder precision: fp32 (" in r.stdout
    assert ("[encoder] precision = \"auto\" would use bf16" in r.stdout) == cpu_has_bf16_matmul()


def test_fast_profile_finds_actors_and_quotes_but_no_model_layers(tmp_path, seeds_dir):
    db = tmp_path / "fast.duckdb"
    r = _cli("analyze", str(seeds_dir), "--profile", "fast", "--db", str(db), "-q")
    assert r.returncode == 0, r.stderr
    with Store(db, read_only=True) as store:
        docs = list(store.iter_documents())
        (config, versions), = store.query("SELECT config, versions FROM runs")
    assert len(docs) == 5
    layers = {s.layer for d in docs for s in d.spans}
    assert {"entity", "quote", "sentence"} <= layers
    assert not layers & {"technique", "narrative_evidence"} and not any(d.labels_of("genre") for d in docs)
    lukashenko = [d for d in docs if any(s.attrs.get("speaker") == "Alexander Lukashenko" for s in d.spans_of("quote"))]
    assert lukashenko  # quotes carry canonical speakers without any transformer
    config, versions = json.loads(config), json.loads(versions)
    assert config["pipeline"]["profile"] == "fast" and config["engine"]["name"] == "local"
    assert versions["pipeline"] == "extract+segment+language+sentences+entities+quotes+tone"


def test_runs_collect_garbage_less_often_and_give_the_caller_its_setting_back(tmp_path, seed_path):
    """The stages make millions of short-lived objects: a run (and each worker process) runs Python's
    cyclic collector every GC_THRESHOLD[0] new objects instead of 700, and a caller's own setting is
    back once the run ends."""
    import gc

    from narrascope.engines import local
    from narrascope.pipeline import Stage, register_stage
    from narrascope.readers import iter_inputs

    seen = []

    @register_stage
    class GcSpy(Stage):
        name = "test_gc_spy"

        def process(self, batch):
            seen.append(gc.get_threshold())
            return batch

    config = load_config(profile="fast")
    config["pipeline"]["analyze"] = ["test_gc_spy"]
    before = gc.get_threshold()
    gc.set_threshold(500, 7, 7)
    try:
        with Store(tmp_path / "gc.duckdb") as store:
            stats = local.run_analysis(iter_inputs([str(seed_path("002"))]), store, config, workers=1)
        assert stats.stored == 1 and seen == [local.GC_THRESHOLD]
        assert gc.get_threshold() == (500, 7, 7)
    finally:
        gc.set_threshold(*before)
    worker = subprocess.run([sys.executable, "-c",
                             "import gc; from narrascope.engines.local import _init_worker, GC_THRESHOLD;"
                             "from narrascope.pipeline import load_config;"
                             "_init_worker(load_config(profile='fast')); print(gc.get_threshold() == GC_THRESHOLD)"],
                            capture_output=True, text=True, timeout=120)
    assert worker.stdout.strip() == "True", worker.stderr


def test_the_first_batches_are_small_so_results_come_early(tmp_path, polnear_dir):
    """A run stores 8 documents, then 16, 32 and 64 at a time: the first results (and the progress
    bar) come after a few documents, not 64; every document is stored once."""
    from narrascope.engines import local
    from narrascope.readers import iter_inputs

    files = sorted((polnear_dir / "dev" / "text").glob("*"))[:80]
    sizes = []
    with Store(tmp_path / "ramp.duckdb") as store:
        save = store.save
        store.save = lambda docs, *a, **k: (sizes.append(len(docs)), save(docs, *a, **k))[1]
        config = load_config(profile="fast")
        config["pipeline"]["analyze"] = []
        stats = local.run_analysis(iter_inputs([str(f) for f in files]), store, config, workers=1)
        assert store.count() == stats.stored + sum(stats.duplicates.values())
    assert sizes == [8, 16, 32, 24] and sum(sizes) == 80
    assert list(map(len, local._batches(range(10), 4, 1))) == [1, 2, 4, 3]
    assert list(map(len, local._batches(range(10), 4))) == [4, 4, 2]


def test_waiting_for_the_oldest_batch_leaves_the_others_in_flight(tmp_path, polnear_dir, monkeypatch):
    """When too many batches are in flight the run waits for the oldest one only: the workers keep
    the rest (and the next batches read meanwhile) instead of idling while everything in flight is
    finished and stored. Checked with a pool whose tasks finish only when the run waits for them."""
    from narrascope.engines import local
    from narrascope.readers import iter_inputs

    events: list[tuple[str, int]] = []
    pending: list = []

    class LazyFuture:
        def __init__(self, fn, args):
            self.fn, self.args, self.value = fn, args, None

        def done(self):
            return self.value is not None

        def result(self):
            while self.value is None:  # tasks finish in the order they were given, as in a busy pool
                task = pending.pop(0)
                task.value = task.fn(*task.args)
            return self.value

    class LazyPool:
        def __init__(self, max_workers, **_):
            local._init_worker(config, own_process=False)

        def submit(self, fn, phase, batch):
            events.append((phase, len(batch)))
            pending.append(LazyFuture(fn, (phase, batch)))
            return pending[-1]

        def shutdown(self):
            pass

    monkeypatch.setattr(local, "ProcessPoolExecutor", LazyPool)
    config = load_config(profile="fast")
    config["pipeline"]["analyze"] = ["sentences"]
    config["pipeline"]["prepare"] = ["extract"]
    files = sorted((polnear_dir / "train" / "text").glob("*"))[:600]
    with Store(tmp_path / "flight.duckdb") as store:
        save = store.save
        store.save = lambda docs, *a, **k: (events.append(("save", len(docs))), save(docs, *a, **k))[1]
        stats = local.run_analysis(iter_inputs([str(f) for f in files]), store, config, workers=2)
        assert store.count() == stats.stored + sum(stats.duplicates.values()) == 600 - len(stats.problems)
    analysing, least = 0, []
    for kind, n in events:
        analysing += n if kind == "analyze" else -n if kind == "save" else 0
        if kind == "prepare":
            least.append(analysing)
    assert len(least) > 10
    # Once the pipeline is full, every new batch is read while earlier ones are still being analysed
    # (copies of duplicates are saved without analysis: the count may be a little low).
    assert min(least[8:]) >= 64, least  # after the 8/16/32 ramp and the first queue-full of batches


def test_ray_batches_go_to_the_actor_with_the_least_work_waiting():
    """A Ray actor runs its own queue: the executor sends each batch to the actor whose unfinished
    batches hold the fewest estimated seconds (documents times the seconds per document measured
    for their phase), not to each actor in turn. Fake actors stand in for Ray's."""
    from concurrent.futures import Future

    from narrascope.engines.ray_engine import RayExecutor

    class FakeActor:
        def __init__(self):
            self.futures = []
            self.run = self

        def remote(self, phase, batch):
            self.futures.append(Future())
            return self

        def future(self):
            return self.futures[-1]

    actors = [FakeActor(), FakeActor()]
    executor = object.__new__(RayExecutor)
    executor._use(actors)
    for _ in range(4):
        executor.submit(None, "analyze", [None] * 32)
    assert [len(a.futures) for a in actors] == [2, 2]  # both idle at first: shared out
    actors[1].futures[0].set_result(([None] * 32, {"entities": 0.64}))  # 0.02 s per document measured
    actors[1].futures[1].set_result(([None] * 32, {"entities": 0.64}))
    executor.submit(None, "analyze", [None] * 32)
    executor.submit(None, "analyze", [None] * 32)
    assert [len(a.futures) for a in actors] == [2, 4]  # actor 1 finished its two: both new ones go there
    for f in actors[1].futures[2:]:
        f.set_result(([None] * 32, {"entities": 0.64}))
    executor.submit(None, "prepare", [None] * 64)  # idle actor 1: 64 x 0.1 s estimated (prepare not measured yet)
    executor.submit(None, "analyze", [None] * 32)  # actor 0: 2 x 32 x 0.02 s waiting there, less than 6.4 s
    assert [len(a.futures) for a in actors] == [3, 5]
    assert executor._load(0) == pytest.approx(3 * 32 * 0.02) and executor._load(1) == pytest.approx(64 * 0.1)
