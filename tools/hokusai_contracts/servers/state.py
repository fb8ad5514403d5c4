"""Servers started by ``hokusai-contracts mlflow up``: recorded in a state file, stopped by ``down``.

A plain server outlives ``mlflow up`` (its process group or container is recorded). An ``ha`` topology
stays in the foreground: its record names that ``mlflow up`` process, which ``down`` asks to stop with
SIGTERM (the CLI's handler stops every part and removes its data, as Ctrl-C does).
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.cache import cache_root, file_lock
from hokusai_contracts.servers.containers import ContainerServer
from hokusai_contracts.servers.ha import HaServer
from hokusai_contracts.servers.health import get
from hokusai_contracts.servers.process import RunningServer
from hokusai_contracts.servers.server import MlflowServer

STATE_NAME = "mlflow-servers.json"
OWNER_STOP_WAIT_S = 60.0  # an ha topology stops its balancer, instances and database in turn


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
    owner_pid: int | None = None  # ha: the foreground `mlflow up` process that stops every part
    instances: int | None = None  # ha: MLflow servers behind the balancer

    @property
    def description(self) -> str:
        """The provider, with the instance count of an ``ha`` topology."""
        if not self.instances:
            return self.provider
        return f"{self.provider} ({self.instances} instance{'s' if self.instances > 1 else ''})"

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
            owner_pid=os.getpid() if isinstance(server, HaServer) else None,
            instances=len(server.instances) if isinstance(server, HaServer) else None,
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


def discard(path: Path, url: str) -> None:
    """Remove the records of ``url`` (under the state lock); nothing when there are none."""
    with file_lock(path.with_suffix(".lock")):
        records = load(path)
        remaining = [r for r in records if r.url != url]
        if remaining != records:
            save(path, remaining)


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


def owner_alive(pid: int) -> bool:
    """True while ``pid`` runs and is a hokusai-contracts process (not a reused process id)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"hokusai" in command


def _stop_owner(pid: int, wait_s: float) -> str:
    if not owner_alive(pid):
        return f"its `mlflow up` process {pid} was already gone"
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return f"its `mlflow up` process {pid} was already gone"
    deadline = time.monotonic() + wait_s
    while owner_alive(pid):
        if time.monotonic() > deadline:
            return f"its `mlflow up` process {pid} is still stopping after {wait_s:.0f} s"
        time.sleep(0.2)
    return f"stopped by its `mlflow up` process {pid} (every part, data removed)"


def stop(record: ServerRecord, owner_wait_s: float = OWNER_STOP_WAIT_S) -> str:
    """Stop the server of ``record``; what happened, in a few words."""
    if record.owner_pid:
        return _stop_owner(record.owner_pid, owner_wait_s)
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
