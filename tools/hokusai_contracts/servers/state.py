"""Servers started by ``hokusai-contracts mlflow up``: recorded in a state file, stopped by ``down``."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import asdict, dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.cache import cache_root, file_lock
from hokusai_contracts.servers.containers import ContainerServer
from hokusai_contracts.servers.health import get
from hokusai_contracts.servers.process import RunningServer
from hokusai_contracts.servers.server import MlflowServer

STATE_NAME = "mlflow-servers.json"


@dataclass(frozen=True)
class ServerRecord:
    """One detached server: enough to reach it, check it and stop it."""

    url: str
    provider: str
    mlflow_version: str | None
    workdir: str
    pid: int | None = None  # process provider: the server's process group
    container_id: str | None = None  # docker provider
    admin_username: str | None = None
    admin_password: str | None = None

    @classmethod
    def of(cls, server: MlflowServer) -> ServerRecord:
        """The record of a server just started by a provider."""
        users = server.users
        return cls(
            url=server.url,
            provider=getattr(server, "provider", "process"),
            mlflow_version=server.version,
            workdir=str(getattr(server, "workdir", "")),
            pid=server.process.pid if isinstance(server, RunningServer) else None,
            container_id=server.container.get_container_id() if isinstance(server, ContainerServer) else None,
            admin_username=users.admin_username if users else None,
            admin_password=users.admin_password if users else None,
        )


def state_path(root: Path | None = None) -> Path:
    """Where the records are: ``<cache>/mlflow-servers.json``."""
    return (root or cache_root()) / STATE_NAME


def load(path: Path) -> list[ServerRecord]:
    """The records in ``path`` (none when it is missing)."""
    if not path.exists():
        return []
    return [ServerRecord(**entry) for entry in json.loads(path.read_text())]


def save(path: Path, records: list[ServerRecord]) -> None:
    """Write ``records`` to ``path``, readable by its owner only (it may hold an admin password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in records], indent=2) + "\n")
    path.chmod(0o600)


def add(path: Path, record: ServerRecord) -> None:
    """Append ``record`` (under the state lock)."""
    with file_lock(path.with_suffix(".lock")):
        save(path, [*load(path), record])


def keep(path: Path, server: MlflowServer) -> ServerRecord:
    """Record ``server`` in ``path`` and let it outlive this process (``mlflow up``)."""
    record = ServerRecord.of(server)
    add(path, record)
    if isinstance(server, RunningServer):
        processes.release(server.process)
    return record


def healthy(url: str, timeout: float = 3.0) -> bool:
    """True when ``url``/health answers 200 (garbage, a refused port or a 5xx: False, never an error)."""
    return get(f"{url}/health", timeout).status == 200


def stop(record: ServerRecord) -> str:
    """Stop the server of ``record``; what happened, in a few words."""
    if record.container_id:
        try:
            import docker

            docker.from_env(timeout=10).containers.get(record.container_id).remove(force=True)
        except Exception as exc:
            return f"container {record.container_id[:12]} not removed: {type(exc).__name__}"
        return f"container {record.container_id[:12]} removed"
    if record.pid:
        try:
            os.killpg(record.pid, signal.SIGTERM)
        except ProcessLookupError:
            return f"process group {record.pid} was already gone"
        return f"process group {record.pid} terminated"
    return "nothing to stop"
