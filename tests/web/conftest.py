"""A real store for the web tests: the five seed pages, the bundled examples and two hostile inputs, analysed once."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from narrascope.engines.local import run_analysis
from narrascope.pipeline import load_config
from narrascope.readers import iter_inputs
from narrascope.store import Store

HOSTILE_TITLE = "Evil <script>alert(1)</script> headline"
HOSTILE_OUTLET = "Bad <img src=x onerror=alert(3)> Outlet"
HOSTILE_TEXT = (
    "Evil <script>alert(5)</script> plain-text page\n\n"
    "Moscow's puppets in Minsk are <img src=x onerror=alert(1)> traitors and cowards, the \"experts\" say. "
    "President Lukashenko said that Belarus would never surrender.\n\n"
    "The so-called opposition is a pack of foreign-funded criminals who hate their own country, "
    "<b onmouseover=alert(2)>bold</b> claims aside.\n"
)


def _hostile_inputs(folder):
    record = {"title": HOSTILE_TITLE, "outlet": HOSTILE_OUTLET, "published": "2024-03-20", "url": "javascript:alert(4)",
              "text": "Moscow's puppets in Minsk are traitors and cowards, the \"experts\" say, and the so-called opposition "
                      "is a pack of foreign-funded criminals. President Lukashenko said that Belarus would never surrender."}
    (folder / "hostile.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (folder / "hostile.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    return [str(folder / "hostile.jsonl"), str(folder / "hostile.txt")]


@pytest.fixture(scope="session")
def web_db(tmp_path_factory, seeds_dir):
    from narrascope.cli import _examples_dir

    folder = tmp_path_factory.mktemp("web")
    db = folder / "web.duckdb"
    sources = [str(seeds_dir), str(_examples_dir()), *_hostile_inputs(folder)]
    with Store(db) as store:
        stats = run_analysis(iter_inputs(sources), store, load_config(), workers=1)
    assert stats.stored >= 10 and not stats.problems
    return db


@pytest.fixture(scope="session")
def web_app(web_db):
    from narrascope.web.app import create_app

    app = create_app(web_db)
    yield app
    app.state.dashboard.close()


@pytest.fixture(scope="session")
def client(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app) as c:
        yield c


@pytest.fixture(scope="session")
def store(web_db, web_app):
    """Direct read access for expected values, through the app's own handle (one read-only connection)."""
    with web_app.state.dashboard.handle.open() as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(web_app):
    """The app under uvicorn on a free loopback port, in a background thread."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
