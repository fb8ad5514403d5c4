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

from hokusai_contracts.gateway.lockout import FailureLimit
from hokusai_contracts.gateway.ratelimit import RateLimit

DEFAULT_RATE_LIMIT = RateLimit(per_second=50.0, burst=100)
# 20 invalid keys a minute is far beyond a person mistyping a key, and far below a useful guessing rate.
DEFAULT_AUTH_FAILURE_LIMIT = FailureLimit(failures=20, window=60.0)
# The gateway's own endpoints take small JSON documents; MLflow calls (artifact uploads) are not limited.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
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
    """Where MLflow is, where keys and events are stored, and the gateway's limits.

    ``rate_limit`` is per API key; ``auth_failure_limit`` per client address (invalid keys); None turns
    either off. ``max_body_bytes`` bounds the bodies of the gateway's own endpoints.
    """

    upstream_url: str
    key_store: Path
    event_store: Path
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT
    upstream_timeout: float = 30.0
    upstream_auth: UpstreamAuth = field(default_factory=UpstreamAuth)
    auth_failure_limit: FailureLimit | None = DEFAULT_AUTH_FAILURE_LIMIT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

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
                "auth_failure_limit": _failure_limit_json(self.auth_failure_limit),
                "max_body_bytes": self.max_body_bytes,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, environ: Mapping[str, str] | None = None) -> GatewayConfig:
        """The configuration in ``text``, with upstream credentials from ``environ``.

        Raises ValueError (naming the field) for a malformed file; a missing limit takes its default.
        """
        try:
            data = json.loads(text)
            limit = data.get("rate_limit")
            return cls(
                upstream_url=data["upstream_url"],
                key_store=Path(data["key_store"]),
                event_store=Path(data["event_store"]),
                rate_limit=None if limit is None else RateLimit(limit["per_second"], limit["burst"]),
                upstream_timeout=float(data.get("upstream_timeout", 30.0)),
                upstream_auth=UpstreamAuth.from_environment(os.environ if environ is None else environ),
                auth_failure_limit=_failure_limit(data),
                max_body_bytes=int(data.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            )
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}: not JSON: {exc.msg}") from None
        except KeyError as exc:
            raise ValueError(f"missing field {exc}") from None
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"a field has the wrong type: {exc}") from None


def _failure_limit_json(limit: FailureLimit | None) -> dict[str, float] | None:
    if limit is None:
        return None
    return {"failures": limit.failures, "window_seconds": limit.window, "max_addresses": limit.max_addresses}


def _failure_limit(data: Mapping) -> FailureLimit | None:
    # Absent: the default (a file written before the limit existed still protects); null: off.
    if "auth_failure_limit" not in data:
        return DEFAULT_AUTH_FAILURE_LIMIT
    value = data["auth_failure_limit"]
    if value is None:
        return None
    return FailureLimit(
        failures=int(value["failures"]),
        window=float(value["window_seconds"]),
        max_addresses=int(value.get("max_addresses", DEFAULT_AUTH_FAILURE_LIMIT.max_addresses)),
    )
