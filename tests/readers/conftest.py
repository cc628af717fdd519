"""Fixtures of the reader tests."""

from __future__ import annotations

import pytest
from readers_http import LocalServer


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1; tests add routes to it."""
    srv = LocalServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
