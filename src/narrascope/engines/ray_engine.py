"""The Ray engine: the local engine's run, with its stage batches executed by Ray actors.

Reading, duplicate linking and the store stay on the driver, exactly as in the local
engine (``run_analysis`` is the one implementation of a run); only the per-batch
stage calls move. Each actor builds the prepare and analyze pipelines once, so
models load once per actor, and runs the same ``_run_phase`` a local worker runs.
Works on a local Ray (``ray.init(num_cpus=N)``) and on a cluster (``address``);
on a cluster every node needs narrascope installed (the same version).
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError

RAY_INSTALL_HINT = "pip install 'narrascope[ray]'"


def import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--engine ray needs Ray, which is not installed: {RAY_INSTALL_HINT}") from None
    return ray


def start_ray(workers: int, address: str | None = None) -> tuple[bool, int]:
    """:func:`ensure_ray` with the worker count settled: 0 means one per CPU, this machine's
    cores for a local Ray (sized for them), or with ``address`` the cluster's CPUs less one
    (left for shard mode's read and write tasks). Returns (started here, workers)."""
    if workers <= 0 and not address:
        workers = max(1, os.cpu_count() or 1)
    owns = ensure_ray(workers, address)
    if workers <= 0:
        workers = max(1, int(import_ray().cluster_resources().get("CPU", 1)) - 1)
    return owns, workers


def ensure_ray(workers: int, address: str | None = None) -> bool:
    """Connect to the cluster at ``address``, or start a local Ray with ``workers`` CPUs for the actors.

    A local Ray gets one logical CPU more than ``workers``: shard mode's read and write
    tasks need a slot beside the actors, which hold one CPU each (without it they wait
    for each other for ever).

    True when this call started (and so should shut down) Ray; ConfigError when it cannot.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    for name in ("ray", "ray.data"):  # Ray's INFO chatter would bury narrascope's own output
        logging.getLogger(name).setLevel(logging.WARNING)
    # Ray says on every start that token authentication is on (its default): not news to act on.
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
    if address:
        check_reachable(address)
        use_token_auth_if_available()
    options = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        if address:
            ray.init(address=address, **options)
        else:
            # "local": a new instance for this run, even where `ray start` left a cluster to join.
            ray.init(address="local", num_cpus=max(1, workers) + 1, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        hint = (" (a cluster with token authentication, Ray's default, needs its token here:"
                " RAY_AUTH_TOKEN, or the head node's ~/.ray/auth_token copied to this machine)") if address else ""
        raise ConfigError(f"cannot start or reach {where}: {exc}{hint}") from None
    return True


def use_token_auth_if_available() -> None:
    """Send this machine's Ray token when connecting to a cluster, unless RAY_AUTH_MODE says otherwise.

    `ray start` (Ray 2.60) turns token authentication on by default, but a driver that
    connects with ``ray.init(address=...)`` sends no token unless RAY_AUTH_MODE=token,
    and is refused ("Failed to connect"). With a token at hand (RAY_AUTH_TOKEN,
    RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token, where `ray start` writes it) we use it.
    """
    if "RAY_AUTH_MODE" in os.environ:
        return
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    if not (os.environ.get("RAY_AUTH_TOKEN") or token_file.is_file()):
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    try:  # Ray caches its config when it is imported; re-read the environment
        from ray._raylet import Config

        Config.initialize("")
    except (ImportError, AttributeError):  # pragma: no cover - other Ray versions read it at init
        pass


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """ConfigError unless ``host:port`` (or ``ray://host:port``) accepts a TCP connection.

    Ray itself retries an unreachable head for minutes; this says so in seconds.
    "auto" and "local" are left to Ray.
    """
    if address in ("auto", "local"):
        return
    target = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"Ray address {address!r} is not HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {reason}") from None


class _PhaseActor:
    """One Ray actor: the pipelines built once, batches run as in a local worker."""

    def __init__(self, config: dict[str, Any]):
        from .local import _init_worker

        _init_worker(config, threads=1)  # each actor holds one Ray CPU

    def run(self, phase: str, batch: bytes) -> tuple[bytes, dict[str, float]]:
        """The documents travel pickled by the standard pickler, as to a local worker: Ray's own
        serializer calls a Python hook for every object (a document holds hundreds), which cost
        ~0.6 ms more per document, there and back."""
        from .local import _run_phase

        docs, timings = _run_phase(phase, pickle.loads(batch))
        return pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL), timings


class _Unpickled:
    """A Ray task's future read as a local worker's: (documents, stage seconds), unpickled when asked for."""

    def __init__(self, future: Future):
        self.future = future

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> tuple[list, dict[str, float]]:
        data, timings = self.future.result()
        return pickle.loads(data), timings


class RayExecutor:
    """Executor-like front for a pool of Ray actors: ``submit`` returns a future-like object
    (``done()``, ``result()``) as the local engine's executors do.

    Each batch goes to the actor with the least work waiting, in estimated seconds (its
    unfinished batches' documents times the seconds per document each phase has taken so
    far): a Ray actor runs its own queue, so batches dealt out in turn could leave one actor
    idle at the end of a run while the other still had batches to go.
    """

    def __init__(self, config: dict[str, Any], workers: int, address: str | None = None):
        ray = import_ray()
        self._ray = ray
        self._owns_ray, self.workers = start_ray(workers, address)
        actor_class = ray.remote(num_cpus=1)(_PhaseActor)
        self._use([actor_class.remote(config) for _ in range(self.workers)])

    def _use(self, actors: list) -> None:
        self._actors = actors
        self._waiting: list[dict[int, tuple[str, int]]] = [{} for _ in actors]  # per actor: task -> (phase, docs)
        self._seconds_per_doc = {"prepare": 0.1, "analyze": 1.0}  # only their ratio matters until measured
        self._measured: set[str] = set()
        self._lock = threading.Lock()
        self._tasks = 0

    def _load(self, actor: int) -> float:
        return sum(docs * self._seconds_per_doc.get(phase, 1.0) for phase, docs in self._waiting[actor].values())

    def submit(self, fn: Callable, phase: str, batch: list) -> "_Unpickled":
        """Run ``batch`` through ``phase`` on the least busy actor (``fn`` is always the local engine's ``_run_phase``)."""
        with self._lock:
            actor = min(range(len(self._actors)), key=self._load)
            task = self._tasks = self._tasks + 1
            self._waiting[actor][task] = (phase, len(batch))
        future = self._actors[actor].run.remote(phase, pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)).future()
        future.add_done_callback(lambda f: self._returned(actor, task, f))
        return _Unpickled(future)

    def _returned(self, actor: int, task: int, future: Future) -> None:
        with self._lock:
            phase, docs = self._waiting[actor].pop(task)
            if docs and not future.cancelled() and future.exception() is None:
                rate = max(sum(future.result()[1].values()) / docs, 1e-6)
                # The first measurement replaces the guess; later ones move the estimate halfway.
                old = self._seconds_per_doc.get(phase) if phase in self._measured else None
                self._seconds_per_doc[phase] = rate if old is None else (rate + old) / 2
                self._measured.add(phase)

    def shutdown(self) -> None:
        for actor in self._actors:
            try:
                self._ray.kill(actor)
            except Exception:  # noqa: BLE001 - best effort at the end of a run
                pass
        self._actors = []
        if self._owns_ray:
            self._ray.shutdown()
