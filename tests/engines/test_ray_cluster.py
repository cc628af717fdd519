"""--engine ray --address: a run on a Ray cluster started apart (`ray start --head`), not by narrascope.

The cluster is a head node on this machine, started by the test in its own process
group and stopped at the end; narrascope connects to its address, runs, disconnects,
and leaves the cluster running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ray = pytest.importorskip("ray")

from narrascope.engines.local import run_analysis  # noqa: E402
from narrascope.pipeline import load_config  # noqa: E402
from narrascope.readers import iter_inputs  # noqa: E402
from narrascope.store import Store  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def ray_head():
    if ray.is_initialized():
        ray.shutdown()
    command = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    if not os.path.exists(command):
        pytest.skip("the ray command is not installed")
    port = _free_port()
    head = subprocess.Popen(
        [command, "start", "--head", f"--port={port}", "--num-cpus=3", "--include-dashboard=false",
         "--disable-usage-stats", "--block"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 90
    while not _accepts(port):
        if head.poll() is not None or time.monotonic() > deadline:
            os.killpg(head.pid, signal.SIGTERM)
            pytest.fail(f"ray start --head did not come up on port {port}")
        time.sleep(0.5)
    yield f"127.0.0.1:{port}", port
    os.killpg(head.pid, signal.SIGTERM)
    try:
        head.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)


def _spans(db):
    with Store(db, read_only=True) as s:
        rows = s.query('SELECT doc_id, layer, start, "end", label FROM spans ORDER BY ALL')
    return rows


def test_run_on_a_cluster_address_matches_local_and_leaves_the_cluster_up(ray_head, tmp_path, seeds_dir):
    address, port = ray_head
    config = load_config(profile="fast")
    sources = [str(p) for p in sorted(seeds_dir.glob("*.txt"))]
    local_db, cluster_db = tmp_path / "local.duckdb", tmp_path / "cluster.duckdb"
    with Store(local_db) as store:
        local = run_analysis(iter_inputs(sources), store, config)
    with Store(cluster_db) as store:
        remote = run_analysis(iter_inputs(sources), store, config, workers=2, engine="ray", address=address)
    assert remote.stored == local.stored == len(sources) and not remote.problems
    spans = _spans(cluster_db)
    assert spans == _spans(local_db)
    assert sum(1 for row in spans if row[1] == "entity") > 100
    assert not ray.is_initialized()  # narrascope disconnected...
    assert _accepts(port)  # ...and left the cluster running
    with Store(cluster_db, read_only=True) as s:
        config_row = s.query("SELECT config FROM runs")[0][0]
    assert '"address": "%s"' % address in config_row and '"name": "ray"' in config_row
    # --workers 0: one actor per cluster CPU, less one for shard mode's read and write tasks (3 CPUs here).
    every_db = tmp_path / "every.duckdb"
    with Store(every_db) as store:
        every = run_analysis(iter_inputs(sources[:2]), store, config, workers=0, engine="ray", address=address)
    assert every.stored == 2 and not every.problems
    with Store(every_db, read_only=True) as s:
        engine = json.loads(s.query("SELECT config FROM runs")[0][0])["engine"]
    assert engine["workers"] == 2 and engine["address"] == address
