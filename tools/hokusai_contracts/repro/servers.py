"""The servers a replay needs, from the one server pool: an MLflow server of the report's version, behind
the reference gateway or with basic auth when the report says so, started once per replay and shared by
its runs. A report saying ``topology: ha`` gets the ha topology of that version instead of one process
(PostgreSQL, MLflow servers behind HAProxy; the gateway, when asked for, fronts the balancer): a pool of
its own whose MLflow servers start that way. :class:`ProvisionedServer` adds what a replay reads beyond
the server: the references it fills (a key with the report's scopes, the reporter's basic-auth user) and
where the recording proxy forwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.repro import references
from hokusai_contracts.repro.report import AUTH_BASIC, AUTH_GATEWAY, TOPOLOGY_HA, ServerSpec
from hokusai_contracts.servers.gateway import TRACKING_PREFIX
from hokusai_contracts.servers.ha import start_ha
from hokusai_contracts.servers.pool import ServerPool
from hokusai_contracts.servers.server import BASIC_AUTH, GATEWAY_UNLIMITED, MLFLOW, MlflowServer

# (workdir, basic_auth, MLflow version) -> a running ha topology
HaStarter = Callable[[Path, bool, str], MlflowServer]


def ha_topology(workdir: Path, basic_auth: bool, version: str) -> MlflowServer:
    """The ha topology of MLflow ``version`` (the default :data:`HaStarter`)."""
    return start_ha(workdir, basic_auth=basic_auth, version=version)


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


def server_kind(spec: ServerSpec) -> str:
    """The pool's kind for ``spec``: an unthrottled gateway, a basic-auth or a plain MLflow server."""
    return {AUTH_GATEWAY: GATEWAY_UNLIMITED, AUTH_BASIC: BASIC_AUTH}.get(spec.auth, MLFLOW)


class ReplayServers:
    """The servers of one replay by spec, from a :class:`ServerPool` in ``workdir``, stopped by close()."""

    def __init__(self, workdir: Path, start_ha_topology: HaStarter = ha_topology):
        self._workdir = workdir
        self._plain = ServerPool(workdir=workdir, purpose="the bug report replay")
        self._ha_pools: dict[str, ServerPool] = {}  # by MLflow version
        self._start_ha = start_ha_topology
        self._provisioned: dict[ServerSpec, ProvisionedServer] = {}
        self._lock = threading.Lock()

    def _pool_of(self, spec: ServerSpec) -> tuple[ServerPool, str | None]:
        """The pool serving ``spec`` and the version to ask it for (None: the ha pool's own)."""
        if spec.topology != TOPOLOGY_HA:
            return self._plain, spec.mlflow
        with self._lock:
            pool = self._ha_pools.get(spec.mlflow)
            if pool is None:
                version = spec.mlflow
                pool = ServerPool(
                    workdir=self._workdir / f"ha-{version}",
                    purpose="the bug report replay (topology ha)",
                    start_mlflow=lambda kind, workdir: self._start_ha(workdir, kind == BASIC_AUTH, version),
                )
                self._ha_pools[version] = pool
        return pool, None

    def _pools(self) -> list[ServerPool]:
        with self._lock:
            return [self._plain, *self._ha_pools.values()]

    def get(self, spec: ServerSpec) -> ProvisionedServer:
        """The server for ``spec``, started now if it is not running yet (thread-safe)."""
        with self._lock:
            if spec in self._provisioned:
                return self._provisioned[spec]
        provisioned = self._provision(spec)
        with self._lock:
            return self._provisioned.setdefault(spec, provisioned)

    def _provision(self, spec: ServerSpec) -> ProvisionedServer:
        kind = server_kind(spec)
        pool, version = self._pool_of(spec)
        provided: dict[str, str] = {}
        if spec.auth == AUTH_GATEWAY:
            # A key per spec: its scopes are the report's.
            provided[references.API_KEY] = pool.gateway(kind, version).issue_key(spec.key_scopes)
        users = pool.mlflow(kind, version).users if spec.auth == AUTH_BASIC else None
        if users is not None:
            username, password = getattr(users, spec.basic_user)
            provided[references.MLFLOW_USERNAME] = username
            provided[references.MLFLOW_PASSWORD] = password
        server = pool.get(kind, version)
        return ProvisionedServer(
            spec,
            server.url,
            TRACKING_PREFIX if spec.auth == AUTH_GATEWAY else "",
            provided,
            secrets=server.secrets(),
            mlflow_version=server.version,
            startup_seconds=pool.startup_seconds(kind, version),
        )

    def started(self, spec: ServerSpec) -> bool:
        """True when a server for ``spec`` is already running."""
        pool, version = self._pool_of(spec)
        return pool.started(server_kind(spec), version)

    def secrets(self) -> tuple[str, ...]:
        """Every secret of every server started so far."""
        return tuple(secret for pool in self._pools() for secret in pool.secrets())

    def close(self) -> None:
        """Stop every server."""
        pools = self._pools()
        try:
            for pool in pools[1:]:
                pool.close()
        finally:
            pools[0].close()
