"""An MLflow server someone else runs, given by its URL: health-checked, never started or stopped."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.server import UsersOfServer


def _get(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode(errors="replace")


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
        """True while ``/health`` answers."""
        try:
            _get(f"{self.url}/health", 5)
        except (urllib.error.URLError, OSError):
            return False
        return True

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
    """The server at ``url`` if its ``/health`` answers; ServerStartError otherwise."""
    url = url.rstrip("/")
    try:
        _get(f"{url}/health", timeout)
    except (urllib.error.URLError, OSError) as exc:
        raise ServerStartError(f"the MLflow server at {url} does not answer /health: {exc}") from None
    try:
        version = _get(f"{url}/version", timeout).strip() or None
    except (urllib.error.URLError, OSError):
        version = None
    return ExternalServer(url=url, version=version)
