"""What the auth scenarios need of a server beyond :class:`~servers.server.Server`: their variables.

Servers come from a source by kind: a :class:`~servers.pool.ServerPool` under ``verify``, pytest's
session fixtures under the plugin. :class:`ServerHandle` gives the runner one view of any kind: where to
send the SDK, the variables it offers (fresh keys per scenario, basic-auth users) and how its admin
reaches MLflow for setup steps.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from hokusai_contracts.checks.auth.model import RecordedRequest
from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE
from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.gateway import TRACKING_PREFIX
from hokusai_contracts.servers.proxy import Recording
from hokusai_contracts.servers.server import GatewayServer, MlflowServer, Server

ServerSource = Callable[[str], Server]

# Scopes of the key variables a gateway scenario may use.
KEY_SCOPES = {
    "KEY_WRITE": (READ, WRITE),
    "KEY_READ": (READ,),
    "KEY_EXPIRED": (READ, WRITE),
    "KEY_ADMIN": (ADMIN,),
}


def unknown_key() -> str:
    """A well-formed Hokusai key that no gateway ever issued."""
    return "hk_test_" + secrets.token_urlsafe(24)[:32]


def wrong_password() -> str:
    """A password nobody has (long enough for MLflow's rules)."""
    return "wrong-" + secrets.token_urlsafe(18)


def requests_seen(recording: Recording, since: int = 0) -> list[RecordedRequest]:
    """The requests the recording proxy forwarded from the ``since``-th on, as the judge reads them."""
    return [RecordedRequest(e.method, e.path, e.status, e.started) for e in recording.snapshot()[since:]]


@dataclass
class ServerHandle:
    """One live server of a scenario kind."""

    kind: str
    server: Server

    @property
    def gateway(self) -> GatewayServer | None:
        """The server as a gateway (None when it is an MLflow server)."""
        return self.server if isinstance(self.server, GatewayServer) else None

    @property
    def users(self) -> BasicAuthUsers | None:
        """The basic-auth users of an MLflow server (None for a gateway or without basic auth)."""
        return self.server.users if isinstance(self.server, MlflowServer) else None

    @property
    def is_gateway(self) -> bool:
        """True for the gateway kinds."""
        return self.gateway is not None

    @property
    def url(self) -> str:
        """The server's root URL."""
        return self.server.url

    @property
    def tracking_path(self) -> str:
        """What follows the root URL in the tracking URI."""
        return TRACKING_PREFIX if self.is_gateway else ""

    def admin_endpoint(self) -> tuple[str, tuple[str, str] | None]:
        """Where setup steps reach MLflow, and the basic-auth admin to do it as (None: no auth)."""
        gateway = self.gateway
        if gateway is not None:
            return gateway.upstream_url, None
        users = self.users
        return self.server.url, (users.admin if users is not None else None)

    def variables(self, names: Iterable[str]) -> dict[str, str]:
        """Values of the server's variables among ``names``; gateway keys are issued fresh each call."""
        values: dict[str, str] = {}
        for name in names:
            value = self._value(name)
            if value is not None:
                values[name] = value
        return values

    def _value(self, name: str) -> str | None:
        gateway = self.gateway
        if gateway is not None and name in KEY_SCOPES:
            # A key per scenario: its own rate-limit bucket, and nothing shared between scenarios.
            return gateway.issue_key(KEY_SCOPES[name], expired=name == "KEY_EXPIRED")
        users = self.users
        if users is not None:
            user, _, what = name.partition("_")
            if what in ("USERNAME", "PASSWORD") and hasattr(users, user.lower()):
                username, password = getattr(users, user.lower())
                return username if what == "USERNAME" else password
        return None

    def secrets(self) -> tuple[str, ...]:
        """Every secret the server knows of (issued keys, passwords)."""
        return self.server.secrets()


def fixture_source(getfixturevalue: Callable[[str], Server], fixtures: Mapping[str, str]) -> ServerSource:
    """A server source over pytest fixtures (``request.getfixturevalue``)."""
    return lambda kind: getfixturevalue(fixtures[kind])
