"""Credentials and the SDK's local folder: plain data that both the MLflow layer and ``hokusai.auth`` use.

Apart from ``_mlflow.target`` so that ``hokusai.auth`` (config profiles) needs nothing of the MLflow
layer, and the MLflow layer may read the stored profile key without an import cycle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})

# The variables MLflow's own client reads its credentials from (the SDK passes them explicitly).
CREDENTIAL_ENV_VARS = (
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_AWS_SIGV4",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
)

_KEY_PREFIXES = ("hk_live_", "hk_test_", "dapi")


def env_flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when the environment variable ``name`` is set to a true value (1, true, yes, on)."""
    environ = os.environ if environ is None else environ
    return environ.get(name, "").strip().lower() in TRUE_VALUES


def mask_secret(value: str | None) -> str:
    """Show a secret's kind and last three characters only, e.g. ``hk_live_...QtN``."""
    if not value:
        return "none"
    prefix = next((p for p in _KEY_PREFIXES if value.startswith(p)), "")
    if len(value) - len(prefix) < 8:
        return f"{prefix}***"
    return f"{prefix}...{value[-3:]}"


@dataclass(frozen=True)
class Credentials:
    """What the SDK sends to MLflow: at most one of token or basic auth, plus TLS options."""

    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    insecure_tls: bool = False
    aws_sigv4: bool = False
    client_cert_path: str | None = None
    ca_bundle_path: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """The credentials the standard ``MLFLOW_TRACKING_*`` variables describe."""
        environ = os.environ if environ is None else environ
        return cls(
            token=environ.get("MLFLOW_TRACKING_TOKEN") or None,
            username=environ.get("MLFLOW_TRACKING_USERNAME") or None,
            password=environ.get("MLFLOW_TRACKING_PASSWORD") or None,
            insecure_tls=env_flag("MLFLOW_TRACKING_INSECURE_TLS", environ),
            aws_sigv4=env_flag("MLFLOW_TRACKING_AWS_SIGV4", environ),
            client_cert_path=environ.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None,
            ca_bundle_path=environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None,
        )

    @property
    def kind(self) -> str:
        """The kind of credential sent: ``aws-sigv4``, ``basic``, ``bearer`` or ``none``."""
        if self.aws_sigv4:
            return "aws-sigv4"
        if self.username and self.password:
            return "basic"
        if self.token:
            return "bearer"
        return "none"

    def describe(self) -> str:
        """A masked, printable description, e.g. ``bearer token hk_live_...QtN``."""
        kind = self.kind
        if kind == "basic":
            text = f"basic auth as {self.username!r} (password ***)"
        elif kind == "bearer":
            text = f"bearer token {mask_secret(self.token)}"
        elif kind == "aws-sigv4":
            text = "AWS SigV4 signature"
        else:
            text = "none"
        if self.client_cert_path:
            certificate = f"client certificate {self.client_cert_path}"
            text = certificate if text == "none" else f"{text} + {certificate}"
        return text

    def environment(self) -> dict[str, str | None]:
        """The ``MLFLOW_TRACKING_*`` values that make the MLflow client send these credentials."""
        basic = self.kind == "basic"
        return {
            "MLFLOW_TRACKING_TOKEN": None if basic else self.token,
            "MLFLOW_TRACKING_USERNAME": self.username if basic else None,
            "MLFLOW_TRACKING_PASSWORD": self.password if basic else None,
            "MLFLOW_TRACKING_INSECURE_TLS": "true" if self.insecure_tls else None,
            "MLFLOW_TRACKING_AWS_SIGV4": "true" if self.aws_sigv4 else None,
            "MLFLOW_TRACKING_CLIENT_CERT_PATH": self.client_cert_path,
            "MLFLOW_TRACKING_SERVER_CERT_PATH": self.ca_bundle_path,
        }

    def secrets(self) -> tuple[str, ...]:
        """The secret values, so messages can be scrubbed of them."""
        return tuple(s for s in (self.token, self.password) if s)


def hokusai_home(environ: Mapping[str, str] | None = None) -> Path:
    """The SDK's local folder: ``$HOKUSAI_HOME``, by default ``~/.hokusai``."""
    environ = os.environ if environ is None else environ
    raw = environ.get("HOKUSAI_HOME")
    return Path(raw).expanduser() if raw else Path.home() / ".hokusai"
