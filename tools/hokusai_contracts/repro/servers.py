"""The servers a replay needs, from the one server pool: an MLflow server of the report's version, behind
the reference gateway or with basic auth when the report says so, started once per replay and shared by
its runs. :class:`ProvisionedServer` adds what a replay reads beyond the server: the references it fills
(a key with the report's scopes, the reporter's basic-auth user) and where the recording proxy forwards.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.repro import references
from hokusai_contracts.repro.report import AUTH_BASIC, AUTH_GATEWAY, ServerSpec
from hokusai_contracts.servers.gateway import TRACKING_PREFIX
from hokusai_contracts.servers.pool import ServerPool
from hokusai_contracts.servers.server import BASIC_AUTH, GATEWAY_UNLIMITED, MLFLOW


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

    def __init__(self, workdir: Path):
        self._pool = ServerPool(workdir=workdir, purpose="the bug report replay")
        self._provisioned: dict[ServerSpec, ProvisionedServer] = {}
        self._lock = threading.Lock()

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
        provided: dict[str, str] = {}
        if spec.auth == AUTH_GATEWAY:
            # A key per spec: its scopes are the report's.
            provided[references.API_KEY] = self._pool.gateway(kind, spec.mlflow).issue_key(spec.key_scopes)
        users = self._pool.mlflow(kind, spec.mlflow).users if spec.auth == AUTH_BASIC else None
        if users is not None:
            username, password = getattr(users, spec.basic_user)
            provided[references.MLFLOW_USERNAME] = username
            provided[references.MLFLOW_PASSWORD] = password
        server = self._pool.get(kind, spec.mlflow)
        return ProvisionedServer(
            spec,
            server.url,
            TRACKING_PREFIX if spec.auth == AUTH_GATEWAY else "",
            provided,
            secrets=server.secrets(),
            mlflow_version=server.version,
            startup_seconds=self._pool.startup_seconds(kind, spec.mlflow),
        )

    def started(self, spec: ServerSpec) -> bool:
        """True when a server for ``spec`` is already running."""
        return self._pool.started(server_kind(spec), spec.mlflow)

    def secrets(self) -> tuple[str, ...]:
        """Every secret of every server started so far."""
        return self._pool.secrets()

    def close(self) -> None:
        """Stop every server."""
        self._pool.close()
