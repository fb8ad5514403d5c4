"""The servers scenarios run against: pytest's session fixtures, or a pool ``verify`` starts and stops.

:class:`ServerHandle` gives the runner one view of any kind: where to send the SDK, the variables it
offers (fresh keys per scenario, basic-auth users) and how its admin reaches MLflow for setup steps.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.checks.auth.model import GATEWAY_KINDS

TRACKING_PREFIX = "/api/mlflow"
# The same limits as the pytest fixtures `gateway` and `rate_limited_gateway`.
GATEWAY_RATE = (1000.0, 1000)
LIMITED_RATE = (1.0, 2)

ServerSource = Callable[[str], Any]


def unknown_key() -> str:
    """A well-formed Hokusai key that no gateway ever issued."""
    return "hk_test_" + secrets.token_urlsafe(24)[:32]


def wrong_password() -> str:
    """A password nobody has (long enough for MLflow's rules)."""
    return "wrong-" + secrets.token_urlsafe(18)


@dataclass
class ServerHandle:
    """One live server of a scenario kind."""

    kind: str
    server: Any  # a RunningGateway for gateway kinds, else a provisioning.RunningServer

    @property
    def is_gateway(self) -> bool:
        """True for the three gateway kinds."""
        return self.kind in GATEWAY_KINDS

    @property
    def url(self) -> str:
        """The server's root URL."""
        return self.server.url

    @property
    def tracking_path(self) -> str:
        """What follows the root URL in the tracking URI."""
        return TRACKING_PREFIX if self.is_gateway else ""

    def admin_endpoint(self) -> tuple[str, tuple[str, str] | None]:
        """Where setup steps reach MLflow, and the basic-auth admin to do it as (None: no auth)."""
        if self.is_gateway:
            return self.server.upstream_url, None
        users = getattr(self.server, "users", None)
        return self.server.url, (users.admin if users is not None else None)

    def variables(self, names: Iterable[str]) -> dict[str, str]:
        """Values of the server's variables among ``names``; gateway keys are issued fresh each call."""
        values: dict[str, str] = {}
        for name in names:
            value = self._value(name)
            if value is not None:
                values[name] = value
        return values

    def _value(self, name: str) -> str | None:
        if self.is_gateway:
            from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE

            scopes = {"KEY_WRITE": [READ, WRITE], "KEY_READ": [READ], "KEY_EXPIRED": [READ, WRITE]}
            scopes["KEY_ADMIN"] = [ADMIN]
            if name in scopes:
                # A key per scenario: its own rate-limit bucket, and nothing shared between scenarios.
                return self.server.issue_key(scopes[name], expired=name == "KEY_EXPIRED")
        users = getattr(self.server, "users", None)
        if users is not None:
            user, _, what = name.partition("_")
            if what in ("USERNAME", "PASSWORD") and hasattr(users, user.lower()):
                username, password = getattr(users, user.lower())
                return username if what == "USERNAME" else password
        return None

    def secrets(self) -> tuple[str, ...]:
        """Every secret the server knows of (issued keys, passwords)."""
        found = getattr(self.server, "secrets", None)
        if callable(found):
            return tuple(found())
        users = getattr(self.server, "users", None)
        return tuple(users.secrets()) if users is not None else ()


class ServerPool:
    """Servers by kind for ``verify``: started on first use (or all at once), stopped on close.

    ``mlflow`` is the plain server ``verify`` already started (gateways front it), when there is one.
    """

    def __init__(self, mlflow: Any = None):
        self._servers: dict[str, Any] = {"mlflow": mlflow} if mlflow is not None else {}
        self._errors: dict[str, InfrastructureError] = {}
        self._owned: list[Any] = []
        self._lock = threading.Lock()
        self._kind_locks: dict[str, threading.Lock] = {}
        self._workdir = Path(tempfile.mkdtemp(prefix="hokusai-auth-servers-"))

    def __call__(self, kind: str) -> Any:
        """The server of ``kind``; :class:`InfrastructureError` when it cannot start."""
        with self._lock:
            kind_lock = self._kind_locks.setdefault(kind, threading.Lock())
        # One lock per kind: different kinds start in parallel, one kind starts once.
        with kind_lock:
            if kind in self._errors:
                raise self._errors[kind]
            if kind in self._servers:
                return self._servers[kind]
            upstream = self("mlflow") if kind in ("gateway", "gateway-rate-limited") else None
            try:
                server = _start(kind, self._workdir / kind, upstream)
            except InfrastructureError as exc:
                self._errors[kind] = exc
                raise
            with self._lock:
                self._owned.append(server)
                self._servers[kind] = server
            return server

    def prestart(self, kinds: Iterable[str]) -> None:
        """Start the servers of ``kinds`` in parallel (failures are kept for :meth:`__call__`)."""
        wanted = set(kinds)
        if wanted & {"gateway", "gateway-rate-limited"}:
            wanted.add("mlflow")  # their upstream: started by its own thread, waited for by theirs
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            list(pool.map(self._try, sorted(wanted)))

    def _try(self, kind: str) -> None:
        with contextlib.suppress(InfrastructureError):
            self(kind)

    def secrets(self) -> tuple[str, ...]:
        """Secrets of every server started so far."""
        return tuple(
            s for kind, server in self._servers.items() for s in ServerHandle(kind, server).secrets()
        )

    def close(self) -> None:
        """Stop the servers this pool started."""
        for server in reversed(self._owned):
            server.stop()
        self._owned.clear()
        shutil.rmtree(self._workdir, ignore_errors=True)


def _start(kind: str, workdir: Path, upstream: Any) -> Any:
    from hokusai_contracts.servers import (
        RunningServer,
        ServerStartError,
        free_port,
        start_mlflow_process,
    )

    try:
        if kind in ("mlflow", "basic-auth"):
            return start_mlflow_process(workdir, basic_auth=kind == "basic-auth")
        from hokusai_contracts.gateway import RateLimit
        from hokusai_contracts.servers.gateway import start_gateway

        if kind == "gateway-dead-upstream":
            return start_gateway(f"http://127.0.0.1:{free_port()}", workdir)
        per_second, burst = LIMITED_RATE if kind == "gateway-rate-limited" else GATEWAY_RATE
        # verify's server may come from another provider (a container, a URL): then front its URL.
        target = upstream if isinstance(upstream, RunningServer) else upstream.url
        return start_gateway(target, workdir, rate_limit=RateLimit(per_second=per_second, burst=burst))
    except ServerStartError as exc:
        raise InfrastructureError(
            f"could not start the {kind} server for the auth scenarios:\n{exc}"
        ) from exc


def fixture_source(getfixturevalue: Callable[[str], Any], fixtures: Mapping[str, str]) -> ServerSource:
    """A server source over pytest fixtures (``request.getfixturevalue``)."""
    return lambda kind: getfixturevalue(fixtures[kind])
