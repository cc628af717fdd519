"""`narrascope analyze URL`: refused on loopback by default, fetched with --allow-private."""

from __future__ import annotations

import functools
import http.server
import threading

import duckdb
import pytest


@pytest.fixture
def local_site(tmp_path, seeds_dir):
    body = "".join(f"<p>{line}</p>" for line in (seeds_dir / sorted(p.name for p in seeds_dir.glob("002_*"))[0])
                   .read_text(encoding="utf-8").splitlines() if line.strip())
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "op-ed.html").write_text(
        "<html><head><title>Lukashenko invites Russia | Example Examiner</title>"
        "<meta property='og:site_name' content='Example Examiner'></head>"
        f"<body><nav>Home World Opinion</nav><article><h1>Lukashenko invites Russia</h1>{body}</article>"
        "<footer>All rights reserved</footer></body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_loopback_url_is_refused_then_fetched_with_allow_private(cli, tmp_path, local_site):
    db = tmp_path / "u.duckdb"
    url = f"{local_site}/op-ed.html"
    r = cli("analyze", url, "--db", str(db))
    assert r.returncode == 1 and "loopback" in r.stderr and "--allow-private" in r.stderr
    r = cli("analyze", url, "--db", str(db), "--allow-private")
    assert r.returncode == 0, r.stderr
    row = duckdb.connect(str(db), read_only=True).execute("SELECT url, outlet, title, text, fetched_at FROM documents").fetchall()
    assert len(row) == 1
    got_url, outlet, title, text, fetched_at = row[0]
    assert got_url == url and outlet == "Example Examiner" and fetched_at
    assert "invited Russia to save him and steal his nation" in text and "All rights reserved" not in text
