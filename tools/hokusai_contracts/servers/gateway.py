"""Start the reference gateway as a subprocess in front of an MLflow server, with the standard test keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.gateway.config import (
    DEFAULT_AUTH_FAILURE_LIMIT,
    DEFAULT_RATE_LIMIT,
    GatewayConfig,
    UpstreamAuth,
)
from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE, KeyStore, expired_at
from hokusai_contracts.gateway.lockout import FailureLimit
from hokusai_contracts.gateway.ratelimit import RateLimit
from hokusai_contracts.servers.launcher import launch
from hokusai_contracts.servers.process import (
    ServerStartError,
    await_health,
    free_port,
    read_log_tail,
)
from hokusai_contracts.servers.server import GATEWAY, MlflowServer, Server

TRACKING_PREFIX = "/api/mlflow"


class GatewayStartError(ServerStartError):
    """The gateway did not become healthy; the message carries its log tail."""


@dataclass(frozen=True)
class GatewayKeys:
    """The standard keys of a test gateway, in plain text: for tests only, never to be printed."""

    write: str = field(repr=False)
    read: str = field(repr=False)
    expired: str = field(repr=False)
    admin: str = field(repr=False)

    def all(self) -> tuple[str, ...]:
        """Every key (for masking)."""
        return (self.write, self.read, self.expired, self.admin)


@dataclass
class RunningGateway:
    """A live gateway: its URL, its keys, and how to stop it."""

    url: str
    upstream_url: str
    workdir: Path
    config: GatewayConfig
    log_path: Path
    process: subprocess.Popen
    keys: GatewayKeys | None = None
    kind: str = GATEWAY
    version: str | None = None  # the upstream's MLflow version, when known
    _issued: list[str] = field(default_factory=list, repr=False)

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI through the gateway (``<url>/api/mlflow``)."""
        return self.url + TRACKING_PREFIX

    def key_store(self) -> KeyStore:
        """The gateway's key store (the same SQLite file the gateway reads)."""
        return KeyStore(self.config.key_store)

    def issue_key(self, scopes: Iterable[str], expired: bool = False) -> str:
        """A new key with ``scopes`` (already expired with ``expired``), usable at once."""
        key = self.key_store().issue(scopes, expires_at=expired_at() if expired else None)
        self._issued.append(key)
        return key

    def secrets(self) -> tuple[str, ...]:
        """Every secret this gateway knows of (keys, upstream credentials), for masking."""
        return (*self._issued, *self.config.upstream_auth.secrets())

    def alive(self) -> bool:
        """True while the gateway process runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the gateway's log, secrets masked."""
        return mask_secrets(read_log_tail(self.log_path, lines), self.secrets())

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the gateway's process group."""
        processes.stop_group(self.process, timeout)


def issue_standard_keys(store: KeyStore) -> GatewayKeys:
    """The four test keys: read+write, read-only, expired (read+write) and admin."""
    return GatewayKeys(
        write=store.issue([READ, WRITE]),
        read=store.issue([READ]),
        expired=store.issue([READ, WRITE], expires_at=expired_at()),
        admin=store.issue([ADMIN]),
    )


def _upstream_auth(upstream: Server | str) -> UpstreamAuth:
    # A basic-auth MLflow server is reached as its admin: the gateway, not the caller, is MLflow's client.
    if isinstance(upstream, MlflowServer) and upstream.users is not None:
        username, password = upstream.users.admin
        return UpstreamAuth(username=username, password=password)
    return UpstreamAuth()


def start_gateway(
    upstream: Server | str,
    workdir: Path,
    *,
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
    auth_failure_limit: FailureLimit | None = DEFAULT_AUTH_FAILURE_LIMIT,
    keys: bool = True,
    key_store: Path | None = None,
    upstream_auth: UpstreamAuth | None = None,
    upstream_timeout: float = 30.0,
    host: str = "127.0.0.1",
    port: int | None = None,
    python: str = sys.executable,
    timeout: float = 60.0,
    kind: str = GATEWAY,
) -> RunningGateway:
    """Start the gateway in front of ``upstream`` (a server or a URL); wait for ``/health``.

    ``rate_limit=None`` turns rate limiting off, ``auth_failure_limit=None`` the lockout of addresses that
    present too many invalid keys. With ``keys`` the standard test keys are issued.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    upstream_url = upstream.rstrip("/") if isinstance(upstream, str) else upstream.url
    config = GatewayConfig(
        upstream_url=upstream_url,
        key_store=key_store or workdir / "keys.db",
        event_store=workdir / "events.db",
        rate_limit=rate_limit,
        auth_failure_limit=auth_failure_limit,
        upstream_timeout=upstream_timeout,
        upstream_auth=upstream_auth if upstream_auth is not None else _upstream_auth(upstream),
    )
    config_path = workdir / "gateway.json"
    config_path.write_text(config.to_json())
    store = KeyStore(config.key_store)
    standard = issue_standard_keys(store) if keys else None
    port = port or free_port(host)
    env = {**os.environ, **config.upstream_auth.environment()}
    log_path = workdir / "gateway.log"
    command = [python, "-m", "hokusai_contracts.gateway.serve", "--config", str(config_path)]
    command += ["--host", host, "--port", str(port)]
    with open(log_path, "wb") as log:
        process = launch(command, workdir, env, log)
    gateway = RunningGateway(
        url=f"http://{host}:{port}",
        upstream_url=upstream_url,
        workdir=workdir,
        config=config,
        log_path=log_path,
        process=process,
        keys=standard,
        kind=kind,
        version=None if isinstance(upstream, str) else upstream.version,
        _issued=list(standard.all()) if standard else [],
    )
    await_health(gateway, timeout, name="the gateway", error=GatewayStartError, interval=0.1)
    return gateway
