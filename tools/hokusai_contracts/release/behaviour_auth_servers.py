"""Hand the auth servers one process started to a worker process: a plain description, and its inverse.

Scenarios call the SDK in-process, so each side's scenarios run in a worker that imports that side's SDK;
both workers use the same servers (started once), reached through what is described here: URLs, the
gateway's key store (keys are issued by writing it, as the gateway's own fixtures do) and basic-auth users.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from hokusai_contracts.checks.auth.model import GATEWAY_KINDS


def describe_server(kind: str, server: Any) -> dict[str, Any]:
    """What a worker needs to use ``server`` (a RunningGateway for gateway kinds, else an MLflow server)."""
    if kind in GATEWAY_KINDS:
        return {
            "url": server.url,
            "upstream_url": server.upstream_url,
            "key_store": str(server.config.key_store),
            "upstream_secrets": list(server.config.upstream_auth.secrets()),
        }
    users = getattr(server, "users", None)
    return {"url": server.url, "users": asdict(users) if users is not None else None}


@dataclass
class AttachedGateway:
    """A gateway another process started: issues keys into its key store, knows its secrets."""

    url: str
    upstream_url: str
    key_store: str
    upstream_secrets: tuple[str, ...] = ()
    issued: list[str] = field(default_factory=list, repr=False)

    def issue_key(self, scopes: Iterable[str], expired: bool = False) -> str:
        """A new key with ``scopes`` (already expired with ``expired``), usable at once."""
        from hokusai_contracts.gateway.keys import KeyStore, expired_at

        key = KeyStore(self.key_store).issue(scopes, expires_at=expired_at() if expired else None)
        self.issued.append(key)
        return key

    def secrets(self) -> tuple[str, ...]:
        """Every secret this gateway knows of, for masking."""
        return (*self.issued, *self.upstream_secrets)


@dataclass
class AttachedServer:
    """An MLflow server another process started (with its basic-auth users, if any)."""

    url: str
    users: Any = None


def attach_server(kind: str, description: dict[str, Any]) -> AttachedGateway | AttachedServer:
    """The inverse of :func:`describe_server`, in the worker."""
    if kind in GATEWAY_KINDS:
        return AttachedGateway(
            description["url"],
            description["upstream_url"],
            description["key_store"],
            tuple(description.get("upstream_secrets", ())),
        )
    users = description.get("users")
    if users is not None:
        from hokusai_contracts.servers.basic_auth import BasicAuthUsers

        users = BasicAuthUsers(**users)
    return AttachedServer(description["url"], users)
