"""An MLflow server someone else runs, given by its URL: health-checked, never started or stopped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.health import FIX, get, mlflow_problem
from hokusai_contracts.servers.server import UsersOfServer


@dataclass
class ExternalServer(UsersOfServer):
    """A server at ``url`` (a :class:`.server.MlflowServer`, without a process)."""

    url: str
    users: BasicAuthUsers | None = None
    version: str | None = None
    startup_seconds: float = 0.0
    template: Path | None = None
    provider: str = "url"

    def alive(self) -> bool:
        """True while ``/health`` answers 200."""
        return get(f"{self.url}/health").status == 200

    def log_tail(self, lines: int = 40) -> str:
        """No log: the harness does not run this server."""
        return "(no log: the server at this URL is not run by the harness)"

    def restart(self, timeout: float = 90.0) -> None:
        """Impossible: the harness did not start this server."""
        raise ServerStartError(
            f"the MLflow server at {self.url} stopped answering; the harness cannot restart it"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing to stop: the server belongs to someone else."""


def connect(url: str, timeout: float = 10.0) -> ExternalServer:
    """The server at ``url`` when it answers ``/health`` and the API as MLflow does; else ServerStartError."""
    url = url.rstrip("/")
    problem = mlflow_problem(url, timeout=timeout)
    if problem is not None:
        raise ServerStartError(f"the server at {url} is not a usable MLflow server: {problem}\n{FIX}")
    answer = get(f"{url}/version", timeout)
    text = answer.body.decode("utf-8", errors="replace").strip() if answer.status == 200 else ""
    return ExternalServer(url=url, version=text or None)
