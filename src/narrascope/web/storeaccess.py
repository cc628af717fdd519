"""One read-only store connection shared by the server's requests, released when idle.

Opening a DuckDB file costs ~30 ms, too much per request; holding it open for good
would lock out ``narrascope analyze`` writing to the same file. So the connection
stays open while requests come and closes after a few idle seconds.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import StoreError
from ..store import Store


class StoreUnavailable(Exception):
    """The store cannot be opened now (missing, not a store, or being written by another process)."""

    def __init__(self, message: str, busy: bool = False):
        super().__init__(message)
        self.busy = busy


class StoreHandle:
    def __init__(self, path: str | Path, idle_close: float = 5.0):
        self.path = Path(path)
        self.idle_close = idle_close
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._users = 0
        self._last_used = time.monotonic()
        self._generation = 0  # bumps on every (re)open: caches built over the store check it
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def generation(self) -> int:
        return self._generation

    @contextmanager
    def open(self) -> Iterator[Store]:
        with self._lock:
            if self._store is None:
                self._store = self._open_store()
                self._generation += 1
                self._start_reaper()
            self._users += 1
            store = self._store
        try:
            yield store
        finally:
            with self._lock:
                self._users -= 1
                self._last_used = time.monotonic()

    def open_separate(self) -> Store:
        """A read-only connection of the caller's own (to close after use), with the same errors as :meth:`open`:
        for a request that changes the connection's state (a scope's temporary views)."""
        return self._open_store()

    def _open_store(self) -> Store:
        if not self.path.exists():
            raise StoreUnavailable(f"{self.path.name}: no store here yet; run `narrascope analyze ...` first")
        try:
            return Store(self.path, read_only=True)
        except StoreError as exc:
            busy = "in use by another" in str(exc)
            if busy:
                raise StoreUnavailable(f"{self.path.name} is being written by another narrascope process; "
                                       "try again when it has finished", busy=True) from exc
            raise StoreUnavailable(str(exc).replace(str(self.path), self.path.name)) from exc

    def _start_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._close_when_idle, name="narrascope-store-reaper", daemon=True)
            self._reaper.start()

    def _close_when_idle(self) -> None:
        while not self._stop.wait(min(1.0, self.idle_close / 2)):
            with self._lock:
                if self._store is None:
                    return
                if self._users == 0 and time.monotonic() - self._last_used >= self.idle_close:
                    self._store.close()
                    self._store = None
                    return

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
