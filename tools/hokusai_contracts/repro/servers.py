"""The servers a replay needs: an MLflow server of the report's version, behind the reference gateway or
with basic auth when the report says so, started once per replay and shared by its runs."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.repro import references
from hokusai_contracts.repro.report import AUTH_BASIC, AUTH_GATEWAY, ServerSpec


@dataclass
class ProvisionedServer:
    """A running server for one :class:`ServerSpec`: where the SDK's calls go and the references it fills."""

    spec: ServerSpec
    upstream_url: str  # where the recording proxy forwards to: the gateway, else MLflow itself
    path_prefix: str  # appended to the proxy's URL to make the tracking URI (the gateway's /api/mlflow)
    provided: dict[str, str] = field(repr=False)  # reference values, except TRACKING_URI (per claim)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    mlflow_version: str | None = None
    startup_seconds: float = 0.0
    _stoppables: list[Any] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Stop the gateway (if any), then MLflow."""
        for stoppable in reversed(self._stoppables):
            stoppable.stop()


def provided_names(spec: ServerSpec | None) -> tuple[str, ...]:
    """The references a server of ``spec`` fills."""
    if spec is None:
        return ()
    names = [references.TRACKING_URI]
    if spec.auth == AUTH_GATEWAY:
        names.append(references.API_KEY)
    if spec.auth == AUTH_BASIC:
        names += [references.MLFLOW_USERNAME, references.MLFLOW_PASSWORD]
    return tuple(names)


def start_server(spec: ServerSpec, workdir: Path) -> ProvisionedServer:
    """Start MLflow ``spec.mlflow`` (and the gateway, or basic auth) in ``workdir``; wait until healthy."""
    started = time.monotonic()
    if spec.auth == AUTH_GATEWAY:
        server = _start_behind_gateway(spec, workdir)
    else:
        server = _start_mlflow(spec, workdir)
    server.startup_seconds = time.monotonic() - started
    return server


def _start_mlflow(spec: ServerSpec, workdir: Path) -> ProvisionedServer:
    from hokusai_contracts.servers.process import start_mlflow_process

    mlflow = start_mlflow_process(workdir / "mlflow", basic_auth=spec.auth == AUTH_BASIC, version=spec.mlflow)
    server = ProvisionedServer(
        spec, mlflow.url, "", {}, mlflow_version=mlflow.mlflow_version, _stoppables=[mlflow]
    )
    if spec.auth == AUTH_BASIC:
        username, password = getattr(mlflow.users, spec.basic_user)
        server.provided[references.MLFLOW_USERNAME] = username
        server.provided[references.MLFLOW_PASSWORD] = password
        server.secrets = mlflow.users.secrets()
    return server


def _start_behind_gateway(spec: ServerSpec, workdir: Path) -> ProvisionedServer:
    # The gateway only needs MLflow's address to start: both start at once, MLflow on a port chosen here.
    from hokusai_contracts.servers.gateway import TRACKING_PREFIX, start_gateway
    from hokusai_contracts.servers.process import free_port, start_mlflow_process

    port = free_port()
    with ThreadPoolExecutor(max_workers=1) as background:
        mlflow_future = background.submit(
            start_mlflow_process, workdir / "mlflow", version=spec.mlflow, port=port
        )
        try:
            gateway = start_gateway(
                f"http://127.0.0.1:{port}", workdir / "gateway", rate_limit=None, keys=False
            )
        except BaseException:
            with contextlib.suppress(Exception):
                mlflow_future.result().stop()
            raise
        try:
            mlflow = mlflow_future.result()
        except BaseException:
            gateway.stop()
            raise
    server = ProvisionedServer(
        spec,
        gateway.url,
        TRACKING_PREFIX,
        {},
        mlflow_version=mlflow.mlflow_version,
        _stoppables=[mlflow, gateway],
    )
    server.provided[references.API_KEY] = gateway.issue_key(spec.key_scopes)
    server.secrets = gateway.secrets()
    return server


class ServerPool:
    """Servers by spec, started on first use (thread-safe) and all stopped by :meth:`close`."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self._servers: dict[ServerSpec, ProvisionedServer] = {}
        self._locks: dict[ServerSpec, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, spec: ServerSpec) -> ProvisionedServer:
        """The server for ``spec``, started now if it is not running yet."""
        with self._guard:
            lock = self._locks.setdefault(spec, threading.Lock())
        with lock:
            if spec not in self._servers:
                directory = self.workdir / f"server-{len(self._servers) + 1}-{spec.mlflow}-{spec.auth}"
                self._servers[spec] = start_server(spec, directory)
            return self._servers[spec]

    def started(self, spec: ServerSpec) -> bool:
        """True when a server for ``spec`` is already running."""
        return spec in self._servers

    def secrets(self) -> tuple[str, ...]:
        """Every secret of every server started so far."""
        return tuple(s for server in self._servers.values() for s in server.secrets)

    def close(self) -> None:
        """Stop every server."""
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
