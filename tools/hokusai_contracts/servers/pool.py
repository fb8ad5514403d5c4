"""One pool of servers by kind: started on first use, shared, started concurrently, all stopped at the end.

Every family that needs servers beyond ``verify``'s own gets them here (the snippets pages, the auth
scenarios, the HTTP fuzz targets, the release diff's behaviour checks, bug-report replays, the pytest
fixtures). A kind starts once (one lock per kind; different kinds start in parallel); a start that
failed is remembered and raised again, so twenty pages needing a broken basic-auth server try once.
Servers someone else owns (``given``: the one ``verify`` started) are used, never stopped.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.memo import RunMemo
from hokusai_contracts.base.timing import carried, phase
from hokusai_contracts.findings.from_errors import environment_cause
from hokusai_contracts.gateway.lockout import FailureLimit
from hokusai_contracts.gateway.ratelimit import RateLimit
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.gateway import start_gateway
from hokusai_contracts.servers.process import free_port, start_mlflow_process
from hokusai_contracts.servers.server import (
    BASIC_AUTH,
    GATEWAY,
    GATEWAY_DEAD_UPSTREAM,
    GATEWAY_KINDS,
    GATEWAY_RATE_LIMITED,
    GATEWAY_UNLIMITED,
    KINDS,
    MLFLOW,
    MLFLOW_KINDS,
    GatewayServer,
    MlflowServer,
    Server,
)

# (kind: mlflow | basic-auth, workdir) -> a healthy MLflow server, e.g. verify's provider
MlflowStarter = Callable[[str, Path], MlflowServer]

# The same limits as the pytest fixtures `gateway` and `rate_limited_gateway`.
RATE_LIMITS: dict[str, RateLimit | None] = {
    GATEWAY: RateLimit(per_second=1000, burst=1000),
    GATEWAY_RATE_LIMITED: RateLimit(per_second=1, burst=2),
    GATEWAY_UNLIMITED: None,
}

# Every test and scenario of a run comes from 127.0.0.1, so the lockout of addresses presenting invalid
# keys would count all of them together: the shared gateway allows far more than a run presents, the
# unthrottled one (fuzzing sends invalid keys on purpose) has none; the production default is tested
# on a gateway of its own (tests/harness/test_gateway_hostile.py).
AUTH_FAILURE_LIMITS: dict[str, FailureLimit | None] = {
    GATEWAY: FailureLimit(failures=10_000, window=60.0),
    GATEWAY_RATE_LIMITED: FailureLimit(failures=10_000, window=60.0),
    GATEWAY_UNLIMITED: None,
}

Key = tuple[str, "str | None"]  # (kind, MLflow version; None: the pool's own)


def local_mlflow(kind: str, workdir: Path) -> MlflowServer:
    """A local ``mlflow server`` process of the harness's MLflow (the default starter)."""
    return start_mlflow_process(workdir, basic_auth=kind == BASIC_AUTH)


class ServerPool(AbstractContextManager):
    """Servers by kind (and MLflow version), started on first use, stopped by :meth:`close`.

    ``given``: servers by kind someone else owns. ``start_mlflow``: how MLflow servers of the pool's
    own version start (default: a local process). ``purpose`` names the users in error messages.
    """

    def __init__(
        self,
        given: Mapping[str, Server] | None = None,
        *,
        start_mlflow: MlflowStarter | None = None,
        workdir: Path | None = None,
        purpose: str = "the checks",
    ):
        self._servers: dict[Key, Server] = {(kind, None): server for kind, server in (given or {}).items()}
        self._seconds: dict[Key, float] = {}
        self._errors: dict[Key, InfrastructureError] = {}
        self._owned: list[Server] = []
        self._start_mlflow = start_mlflow or local_mlflow
        self._purpose = purpose
        self._lock = threading.Lock()
        self._key_locks: dict[Key, threading.Lock] = {}
        self._given_workdir = workdir
        self._workdir: Path | None = workdir
        self._background: list[threading.Thread] = []
        # Results that hold for these servers, shared by everyone using the pool: the same page run by
        # the docs family and by the release diff's behaviour comparison runs once.
        self.results = RunMemo()

    def __call__(self, kind: str) -> Server:
        """The server of ``kind`` (a server source for the families)."""
        return self.get(kind)

    def get(self, kind: str, version: str | None = None) -> Server:
        """The server of ``kind`` (MLflow ``version``; None: the pool's own), started now if need be."""
        if kind not in KINDS:
            raise InfrastructureError(f"no server kind {kind!r}: the kinds are {', '.join(KINDS)}")
        key: Key = (kind, version)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        # One lock per kind: different kinds start in parallel, one kind starts once.
        with key_lock:
            if key in self._errors:
                raise self._errors[key]
            if key in self._servers:
                return self._servers[key]
            started = time.monotonic()
            try:
                with phase(f"server start: {kind}{f' {version}' if version else ''} for {self._purpose}"):
                    server = self._start(kind, version)
            except InfrastructureError as exc:
                self._errors[key] = ServerStartError(
                    f"could not start the {kind} server for {self._purpose}:\n{exc}"
                )
                raise self._errors[key] from exc
            except OSError as exc:  # a full or read-only disk while preparing the server's directory
                cause = environment_cause(exc) or f"{type(exc).__name__}: {exc}"
                self._errors[key] = ServerStartError(
                    f"could not start the {kind} server for {self._purpose}:\n{cause}\n"
                    "fix: free space or point TMPDIR elsewhere"
                )
                raise self._errors[key] from exc
            with self._lock:
                self._owned.append(server)
                self._servers[key] = server
                self._seconds[key] = time.monotonic() - started
            return server

    def mlflow(self, kind: str = MLFLOW, version: str | None = None) -> MlflowServer:
        """The MLflow server of ``kind`` (``mlflow`` or ``basic-auth``)."""
        server = self.get(kind, version)
        if not isinstance(server, MlflowServer):
            raise InfrastructureError(f"the {kind} server at {server.url} is not an MLflow server")
        return server

    def gateway(self, kind: str = GATEWAY, version: str | None = None) -> GatewayServer:
        """The gateway of ``kind``."""
        server = self.get(kind, version)
        if not isinstance(server, GatewayServer):
            raise InfrastructureError(f"the {kind} server at {server.url} is not a gateway")
        return server

    def _directory(self, kind: str, version: str | None) -> Path:
        with self._lock:
            if self._workdir is None:
                self._workdir = processes.make_temp_dir("servers")
        return self._workdir / (kind if version is None else f"{kind}-{version}")

    def _start(self, kind: str, version: str | None) -> Server:
        workdir = self._directory(kind, version)
        if kind in MLFLOW_KINDS:
            if version is None:
                return self._start_mlflow(kind, workdir)
            return start_mlflow_process(workdir, basic_auth=kind == BASIC_AUTH, version=version)
        if kind == GATEWAY_DEAD_UPSTREAM:
            return start_gateway(
                f"http://127.0.0.1:{free_port()}",
                workdir,
                auth_failure_limit=AUTH_FAILURE_LIMITS[GATEWAY],
                kind=kind,
            )
        # The gateway fronts the pool's plain MLflow server of the same version (started if need be).
        upstream = self.get(MLFLOW, version)
        return start_gateway(
            upstream,
            workdir,
            rate_limit=RATE_LIMITS[kind],
            auth_failure_limit=AUTH_FAILURE_LIMITS[kind],
            kind=kind,
        )

    def started(self, kind: str, version: str | None = None) -> bool:
        """True when the server of ``kind`` (and ``version``) runs already."""
        return (kind, version) in self._servers

    def startup_seconds(self, kind: str, version: str | None = None) -> float:
        """How long starting the server of ``kind`` took (0 for a given one)."""
        return self._seconds.get((kind, version), 0.0)

    def prestart(self, kinds: Iterable[str], version: str | None = None) -> None:
        """Start the servers of ``kinds`` in parallel (failures are kept for :meth:`get`)."""
        wanted = set(kinds)
        if wanted & set(GATEWAY_KINDS) - {GATEWAY_DEAD_UPSTREAM}:
            wanted.add(MLFLOW)  # their upstream: started by its own thread, waited for by theirs
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            list(pool.map(carried(lambda kind: self._try(kind, version)), sorted(wanted)))

    def prestart_in_background(self, kinds: Iterable[str], version: str | None = None) -> threading.Thread:
        """:meth:`prestart` in a thread (servers start while other work runs); :meth:`close` waits for it."""
        wanted = sorted(set(kinds))
        thread = threading.Thread(
            target=carried(self.prestart), args=(wanted, version), name="server-prestart", daemon=True
        )
        with self._lock:
            self._background.append(thread)
        thread.start()
        return thread

    def failure(self, kind: str, version: str | None = None) -> InfrastructureError | None:
        """Why the server of ``kind`` could not start (None: it did not fail, or was never asked for)."""
        return self._errors.get((kind, version))

    def _try(self, kind: str, version: str | None) -> None:
        # A background start never prints a thread traceback: an expected failure is kept for get();
        # anything else (an interrupted start on Ctrl-C/SIGTERM) is left to the foreground get(), which
        # starts the kind again or reports the error where the run handles errors.
        with contextlib.suppress(Exception, processes.Interrupted):
            self.get(kind, version)

    def secrets(self) -> tuple[str, ...]:
        """Secrets of every server in the pool so far (given ones included)."""
        with self._lock:
            servers = list(self._servers.values())
        # A given server may be a caller's stand-in with nothing to hide (no secrets()).
        return tuple(s for server in servers if isinstance(server, Server) for s in server.secrets())

    def close(self) -> None:
        """Stop the servers this pool started, side by side."""
        with self._lock:
            background, self._background = self._background, []
        for thread in background:  # a server half-started in the background is stopped too
            thread.join()
        with self._lock:
            owned, self._owned = self._owned, []
        try:
            # All at once: each stop waits for its server's graceful exit, and nothing here is still
            # sending requests (gateways first mattered only while a check could call through one).
            if owned:
                with ThreadPoolExecutor(max_workers=len(owned), thread_name_prefix="stop") as stopping:
                    for stopped in [stopping.submit(server.stop) for server in owned]:
                        stopped.result()
        finally:
            if self._workdir is not None and self._given_workdir is None:
                processes.remove_temp_dir(self._workdir)
                self._workdir = None

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class PooledServer:
    """The pool's server of one kind as a server, started on first use rather than when handed out.

    ``verify`` gives the families this as ``context.server``: a run whose checks never reach a server
    (all answered from the result cache, say) starts none. ``kind`` and ``alive()`` never start it; every
    other member does. :attr:`pool` is the run's shared pool, for families that need other kinds.
    """

    def __init__(self, pool: ServerPool, kind: str = MLFLOW, version: str | None = None):
        self.pool = pool
        self._kind = kind
        self._version = version

    def server(self) -> Server:
        """The real server (started now if need be)."""
        return self.pool.get(self._kind, self._version)

    @property
    def started(self) -> bool:
        """True once the server runs."""
        return self.pool.started(self._kind, self._version)

    @property
    def url(self) -> str:
        """The server's URL (starts it)."""
        return self.server().url

    @property
    def kind(self) -> str:
        """Its kind (does not start it)."""
        return self._kind

    @property
    def version(self) -> str | None:
        """The MLflow version it runs (starts it)."""
        return self.server().version

    @property
    def users(self) -> object:
        """Its basic-auth users, None without (starts it)."""
        return getattr(self.server(), "users", None)

    def secrets(self) -> tuple[str, ...]:
        """Its secrets (none before it started)."""
        return self.server().secrets() if self.started else ()

    def log_tail(self, lines: int = 40) -> str:
        """Its log's last lines (empty before it started)."""
        return self.server().log_tail(lines) if self.started else ""

    def alive(self) -> bool:
        """False only when it started and died since: a server never started has not died."""
        return self.server().alive() if self.started else True

    def restart(self, timeout: float = 90.0) -> None:
        """Restart the real server (same data, port, users)."""
        server = self.server()
        if not isinstance(server, MlflowServer):
            raise InfrastructureError(f"the {self._kind} server at {server.url} cannot be restarted")
        server.restart(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing: the pool stops its servers."""

    def __getattr__(self, name: str) -> object:
        # The rest of a gateway's or a provider's server (issue_key, upstream_url, ...).
        if name.startswith("_") or name == "pool":
            raise AttributeError(name)
        return getattr(self.server(), name)


def pool_of(server: object) -> ServerPool | None:
    """The shared pool ``server`` comes from (a :class:`PooledServer`), else None."""
    return server.pool if isinstance(server, PooledServer) else None


@contextlib.contextmanager
def shared_or_own(
    server: Server | None, *, start_mlflow: MlflowStarter | None = None, purpose: str = "the checks"
) -> Iterator[ServerPool]:
    """The run's shared pool when ``server`` comes from one (left running: the run stops it), else a
    pool of its own with ``server`` as its plain MLflow, stopped at the end."""
    shared = pool_of(server)
    if shared is not None:
        yield shared
        return
    given = {MLFLOW: server} if server is not None else {}
    with ServerPool(given, start_mlflow=start_mlflow, purpose=purpose) as own:
        yield own
