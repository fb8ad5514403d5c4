"""What every server the harness hands out offers: the :class:`Server` protocol, and the kinds there are.

Implemented by the MLflow process server (plain or basic-auth), the container server, a server given by
URL, the reference gateway, and the servers a worker process attaches to by description. A family
that needs more than the protocol asks for it by protocol too: :class:`MlflowServer` (its basic-auth
users) or :class:`GatewayServer` (its upstream, fresh keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from hokusai_contracts.servers.basic_auth import BasicAuthUsers

# The kinds a pool starts (``ServerPool.get(kind)``); scenario files and doc pages name the first five.
MLFLOW = "mlflow"
BASIC_AUTH = "basic-auth"
GATEWAY = "gateway"  # rate limit 1000/s per key, the standard keys issued
GATEWAY_RATE_LIMITED = "gateway-rate-limited"  # 1 request/s per key, burst 2
GATEWAY_DEAD_UPSTREAM = "gateway-dead-upstream"  # its MLflow is a closed port: every MLflow call is 502
GATEWAY_UNLIMITED = "gateway-unlimited"  # no rate limit (fuzzing, bug-report replays)
MLFLOW_KINDS = (MLFLOW, BASIC_AUTH)
GATEWAY_KINDS = (GATEWAY, GATEWAY_RATE_LIMITED, GATEWAY_DEAD_UPSTREAM, GATEWAY_UNLIMITED)
KINDS = MLFLOW_KINDS + GATEWAY_KINDS


@runtime_checkable
class Server(Protocol):
    """A live server: where it is, what it is, the secrets it holds, its log, and how to stop it."""

    url: str

    @property
    def kind(self) -> str:
        """One of :data:`KINDS`."""
        ...

    @property
    def version(self) -> str | None:
        """The MLflow version it runs (a gateway: that of its upstream), None when unknown."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret it knows of (passwords, keys), to mask in anything shown."""
        ...

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of its log, secrets masked."""
        ...

    def alive(self) -> bool:
        """True while it runs."""
        ...

    def stop(self, timeout: float = 10.0) -> None:
        """Stop it (and everything it started); nothing for a server the harness does not own."""
        ...


@runtime_checkable
class MlflowServer(Server, Protocol):
    """An MLflow server: with basic-auth ``users`` (admin, reader, editor, denied) or None."""

    users: BasicAuthUsers | None

    def restart(self, timeout: float = 90.0) -> None:
        """Start it again (same data, users, port) and wait until it is healthy; ServerStartError if not."""
        ...


@runtime_checkable
class GatewayServer(Server, Protocol):
    """A reference gateway: the MLflow it fronts, and keys issued on demand."""

    upstream_url: str

    def issue_key(self, scopes: Iterable[str], expired: bool = False) -> str:
        """A new key with ``scopes`` (already expired with ``expired``), usable at once."""
        ...


def mlflow_kind(users: BasicAuthUsers | None) -> str:
    """The kind of an MLflow server with ``users``."""
    return BASIC_AUTH if users is not None else MLFLOW


class UsersOfServer:
    """What an MLflow server's ``users`` decide: its kind, whether it needs credentials, its secrets."""

    users: BasicAuthUsers | None

    @property
    def basic_auth(self) -> bool:
        """True when the server requires basic-auth credentials."""
        return self.users is not None

    @property
    def kind(self) -> str:
        """``basic-auth`` when it has users, else ``mlflow``."""
        return mlflow_kind(self.users)

    def secrets(self) -> tuple[str, ...]:
        """The users' passwords (none without basic auth)."""
        return self.users.secrets() if self.users else ()
