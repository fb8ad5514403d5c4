"""Hand the auth servers one process started to a worker process: a plain description, and its inverse.

Scenarios call the SDK in-process, so each side's scenarios run in a worker that imports that side's SDK;
both workers use the same servers (started once), reached through what is described here: URLs, the
gateway's key store (keys are issued by writing it, as the gateway's own fixtures do) and basic-auth users.
The attached servers are :class:`~servers.server.Server` s the worker does not own: stopping them is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from hokusai_contracts.gateway.keys import KeyStore, expired_at
from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.gateway import RunningGateway
from hokusai_contracts.servers.server import MlflowServer, Server, UsersOfServer

NOT_OURS = "(no log: the server runs in the process that started the worker)"


@dataclass(frozen=True)
class ServerDescription:
    """What a worker needs to use a server: its URL and kind, and the gateway's store or the users."""

    kind: str
    url: str
    version: str | None = None
    upstream_url: str | None = None
    key_store: str | None = None
    upstream_secrets: tuple[str, ...] = ()
    users: dict[str, str] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerDescription:
        """The inverse of :func:`dataclasses.asdict` (the worker's JSON request)."""
        return cls(**{**data, "upstream_secrets": tuple(data.get("upstream_secrets", ()))})


def describe_server(server: Server) -> ServerDescription:
    """What a worker needs to use ``server`` (a gateway this process runs, or an MLflow server)."""
    if isinstance(server, RunningGateway):
        return ServerDescription(
            server.kind,
            server.url,
            server.version,
            server.upstream_url,
            str(server.config.key_store),
            tuple(server.config.upstream_auth.secrets()),
        )
    users = server.users if isinstance(server, MlflowServer) else None
    return ServerDescription(
        server.kind, server.url, server.version, users=asdict(users) if users is not None else None
    )


@dataclass
class AttachedGateway:
    """A gateway another process started: issues keys into its key store, knows its secrets."""

    kind: str
    url: str
    upstream_url: str
    key_store: str
    version: str | None = None
    upstream_secrets: tuple[str, ...] = ()
    issued: list[str] = field(default_factory=list, repr=False)

    def issue_key(self, scopes: Iterable[str], expired: bool = False) -> str:
        """A new key with ``scopes`` (already expired with ``expired``), usable at once."""
        key = KeyStore(self.key_store).issue(scopes, expires_at=expired_at() if expired else None)
        self.issued.append(key)
        return key

    def secrets(self) -> tuple[str, ...]:
        """Every secret this gateway knows of, for masking."""
        return (*self.issued, *self.upstream_secrets)

    def log_tail(self, lines: int = 40) -> str:
        """Not here: the log belongs to the process that runs the gateway."""
        return NOT_OURS

    def alive(self) -> bool:
        """Assumed: the process that started it keeps it running for the worker's lifetime."""
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing: the gateway is not this process's."""


@dataclass
class AttachedServer(UsersOfServer):
    """An MLflow server another process started (with its basic-auth users, if any)."""

    url: str
    users: BasicAuthUsers | None = None
    version: str | None = None

    def log_tail(self, lines: int = 40) -> str:
        """Not here: the log belongs to the process that runs the server."""
        return NOT_OURS

    def alive(self) -> bool:
        """Assumed: the process that started it keeps it running for the worker's lifetime."""
        return True

    def restart(self, timeout: float = 90.0) -> None:
        """Impossible: the server is not this process's."""
        raise ServerStartError(f"the MLflow server at {self.url} belongs to another process: no restart")

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing: the server is not this process's."""


def attach_server(description: ServerDescription) -> AttachedGateway | AttachedServer:
    """The inverse of :func:`describe_server`, in the worker."""
    if description.key_store is not None:
        return AttachedGateway(
            description.kind,
            description.url,
            description.upstream_url or "",
            description.key_store,
            description.version,
            description.upstream_secrets,
        )
    users = BasicAuthUsers(**description.users) if description.users is not None else None
    return AttachedServer(description.url, users, description.version)
