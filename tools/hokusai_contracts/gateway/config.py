"""The gateway's configuration, and its round trip through a JSON file plus environment variables.

Upstream credentials never go into the file: the server process reads them from its environment.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.gateway.ratelimit import RateLimit

DEFAULT_RATE_LIMIT = RateLimit(per_second=50.0, burst=100)
ENV_UPSTREAM_USERNAME = "HOKUSAI_GATEWAY_UPSTREAM_USERNAME"
ENV_UPSTREAM_PASSWORD = "HOKUSAI_GATEWAY_UPSTREAM_PASSWORD"
ENV_UPSTREAM_TOKEN = "HOKUSAI_GATEWAY_UPSTREAM_TOKEN"


@dataclass(frozen=True)
class UpstreamAuth:
    """The gateway's own credentials for MLflow: basic (username, password) or a bearer token."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def header(self) -> str | None:
        """The Authorization header to send upstream, None without credentials."""
        if self.token:
            return f"Bearer {self.token}"
        if self.username and self.password is not None:
            pair = f"{self.username}:{self.password}".encode()
            return f"Basic {base64.b64encode(pair).decode()}"
        return None

    def secrets(self) -> tuple[str, ...]:
        """The secret values (for masking)."""
        return tuple(s for s in (self.password, self.token) if s)

    def environment(self) -> dict[str, str]:
        """The environment variables that carry these credentials to the server process."""
        values = {
            ENV_UPSTREAM_USERNAME: self.username,
            ENV_UPSTREAM_PASSWORD: self.password,
            ENV_UPSTREAM_TOKEN: self.token,
        }
        return {name: value for name, value in values.items() if value}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> UpstreamAuth:
        """The credentials set by :meth:`environment`."""
        return cls(
            username=environ.get(ENV_UPSTREAM_USERNAME),
            password=environ.get(ENV_UPSTREAM_PASSWORD),
            token=environ.get(ENV_UPSTREAM_TOKEN),
        )


@dataclass(frozen=True)
class GatewayConfig:
    """Where MLflow is, where keys and events are stored, and the gateway's limits."""

    upstream_url: str
    key_store: Path
    event_store: Path
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT
    upstream_timeout: float = 30.0
    upstream_auth: UpstreamAuth = field(default_factory=UpstreamAuth)

    def to_json(self) -> str:
        """The configuration without credentials, as JSON."""
        limit = self.rate_limit
        return json.dumps(
            {
                "upstream_url": self.upstream_url,
                "key_store": str(self.key_store),
                "event_store": str(self.event_store),
                "rate_limit": None
                if limit is None
                else {"per_second": limit.per_second, "burst": limit.burst},
                "upstream_timeout": self.upstream_timeout,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, environ: Mapping[str, str] | None = None) -> GatewayConfig:
        """The configuration in ``text``, with upstream credentials from ``environ``."""
        data = json.loads(text)
        limit = data.get("rate_limit")
        return cls(
            upstream_url=data["upstream_url"],
            key_store=Path(data["key_store"]),
            event_store=Path(data["event_store"]),
            rate_limit=None if limit is None else RateLimit(limit["per_second"], limit["burst"]),
            upstream_timeout=float(data.get("upstream_timeout", 30.0)),
            upstream_auth=UpstreamAuth.from_environment(os.environ if environ is None else environ),
        )
