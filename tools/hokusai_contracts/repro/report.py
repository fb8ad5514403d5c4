"""The bug-report data model: the reporter's environment and the claims they made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SDK_KINDS = ("version", "git", "path", "wheel")
AUTH_NONE, AUTH_BASIC, AUTH_GATEWAY = "none", "basic", "gateway-api-key"
TOPOLOGY_PLAIN, TOPOLOGY_HA = "plain", "ha"  # one MLflow process, or the ha topology
DEFAULT_CLAIM_TIMEOUT = 120.0


@dataclass(frozen=True)
class SdkSource:
    """Where the SDK comes from: a released ``version``, a ``git`` ref of this repository, a ``path`` or a
    ``wheel`` (paths absolute)."""

    kind: str
    value: str
    described_as: str | None = None

    def label(self) -> str:
        """How the source reads in a report, e.g. ``path fixtures/old_sdk``."""
        value = self.value
        if self.kind in ("path", "wheel"):
            value = _relative_to_cwd(Path(value))
        return f"{self.kind} {value}"


def _relative_to_cwd(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ServerSpec:
    """The MLflow server a report ran against: version, and how it authenticated callers."""

    mlflow: str
    auth: str = AUTH_NONE
    key_scopes: tuple[str, ...] = ()
    basic_user: str = "reader"
    topology: str = TOPOLOGY_PLAIN  # ha: PostgreSQL + MLflow servers behind HAProxy (servers/ha.py)

    def label(self) -> str:
        """E.g. ``MLflow 3.17.2 behind the gateway (key scopes: mlflow:read)``."""
        if self.auth == AUTH_GATEWAY:
            text = f"MLflow {self.mlflow} behind the gateway (key scopes: {', '.join(self.key_scopes)})"
        elif self.auth == AUTH_BASIC:
            text = f"MLflow {self.mlflow} with basic auth (as {self.basic_user})"
        else:
            text = f"MLflow {self.mlflow}, no auth"
        if self.topology == TOPOLOGY_HA:
            text += ", topology ha (PostgreSQL, MLflow servers behind HAProxy)"
        return text


@dataclass(frozen=True)
class Environment:
    """The reporter's environment (or another one to replay the claims in)."""

    python: str
    sdk: SdkSource
    mlflow_client: str
    server: ServerSpec | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    variable_lines: Mapping[str, int] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Observed:
    """What the reporter saw; every field given must match for the claim to be reproduced."""

    exception: str | None = None
    message: str | None = None
    status: int | None = None
    output: str | None = None

    def describe(self) -> str:
        """One line, e.g. ``TypeError, message contains 'tracking_uri'``."""
        parts = []
        if self.exception:
            parts.append(self.exception)
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.message:
            parts.append(f"message contains {self.message!r}")
        if self.output:
            parts.append(f"output contains {self.output!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Claim:
    """One thing the reporter says went wrong: the code they ran and what they observed."""

    id: str
    title: str
    code: str
    observed: Observed
    reported_as: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    variable_lines: Mapping[str, int] = field(default_factory=dict, repr=False)
    timeout: float = DEFAULT_CLAIM_TIMEOUT
    line: int | None = None


@dataclass(frozen=True)
class BugReport:
    """A bug report read from YAML."""

    report: str
    title: str
    reporter: Environment
    claims: tuple[Claim, ...]
    file: str
    source: str | None = None

    def claim(self, claim_id: str) -> Claim:
        """The claim with ``claim_id``."""
        return next(c for c in self.claims if c.id == claim_id)
