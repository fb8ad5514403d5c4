"""Where the SDK talks to (tracking URI) and with which credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hokusai.exceptions import ConfigurationError

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


@dataclass(frozen=True)
class MLflowTarget:
    """A resolved tracking URI, where it came from, and the credentials to send there."""

    tracking_uri: str
    source: str
    credentials: Credentials = field(default_factory=Credentials)
    artifact_root: str | None = None
    credential_source: str = "none"

    @property
    def is_embedded(self) -> bool:
        """True for the SDK's local SQLite store (no server involved)."""
        return self.source == "embedded default"

    @property
    def is_remote(self) -> bool:
        """True when the tracking URI is an HTTP(S) server."""
        return self.tracking_uri.startswith(("http://", "https://"))

    def describe(self) -> str:
        """One line for logs and ``doctor`` output (secrets masked)."""
        return f"{self.tracking_uri} (from {self.source}; credentials: {self.credentials.describe()})"


def embedded_target(environ: Mapping[str, str] | None = None) -> MLflowTarget:
    """The embedded default: a SQLite MLflow store under ``$HOKUSAI_HOME`` with artifacts beside it."""
    home = hokusai_home(environ)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot create the local Hokusai store at {home}: {exc.strerror}",
            missing_key="HOKUSAI_HOME",
            fix="set HOKUSAI_HOME to a writable folder or pass tracking_uri= to use an MLflow server",
        ) from None
    return MLflowTarget(
        tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        source="embedded default",
        artifact_root=(home / "artifacts").as_uri(),
    )


def resolve_target(
    tracking_uri: str | None = None,
    *,
    api_key: str | None = None,
    credentials: Credentials | None = None,
    environ: Mapping[str, str] | None = None,
) -> MLflowTarget:
    """Pick the tracking URI (argument > ``MLFLOW_TRACKING_URI`` > embedded) and the credentials.

    Credentials: explicit ``credentials`` > ``api_key`` (sent as bearer token) > the
    ``MLFLOW_TRACKING_*`` variables > ``HOKUSAI_API_KEY`` > the key ``hokusai.auth.configure`` stored in
    ``$HOKUSAI_HOME/config``.
    """
    environ = os.environ if environ is None else environ
    if env_flag("HOKUSAI_MOCK_MODE", environ) and not tracking_uri:
        return embedded_target(environ)
    if tracking_uri:
        uri, source = tracking_uri, "argument"
    elif environ.get("MLFLOW_TRACKING_URI"):
        uri, source = environ["MLFLOW_TRACKING_URI"], "environment (MLFLOW_TRACKING_URI)"
    else:
        return embedded_target(environ)
    uri = uri.rstrip("/") if uri.startswith(("http://", "https://")) else uri
    source_of_credentials = "explicit"
    if credentials is None:
        credentials, source_of_credentials = _credentials_from(api_key, environ)
    return MLflowTarget(
        tracking_uri=uri, source=source, credentials=credentials, credential_source=source_of_credentials
    )


def _credentials_from(api_key: str | None, environ: Mapping[str, str]) -> tuple[Credentials, str]:
    """api_key > MLFLOW_TRACKING_* > HOKUSAI_API_KEY > the key stored in $HOKUSAI_HOME/config."""
    from_env = Credentials.from_environment(environ)
    tls = {
        "insecure_tls": from_env.insecure_tls,
        "client_cert_path": from_env.client_cert_path,
        "ca_bundle_path": from_env.ca_bundle_path,
    }
    if api_key:
        return Credentials(token=api_key, **tls), "argument (api_key)"
    if from_env.kind != "none":
        return from_env, "environment (MLFLOW_TRACKING_*)"
    if environ.get("HOKUSAI_API_KEY"):
        return Credentials(token=environ["HOKUSAI_API_KEY"], **tls), "environment (HOKUSAI_API_KEY)"
    stored, label = _stored_api_key()
    if stored:
        return Credentials(token=stored, **tls), label
    return from_env, "none"


def _stored_api_key() -> tuple[str | None, str]:
    """The key of the config file's default profile (None when there is none), and how to name it."""
    # Imported here: hokusai.auth builds on this module.
    from hokusai.auth.config import DEFAULT_PROFILE, ProfileManager, default_config_path, stored_key_label

    path = default_config_path()
    try:
        profile = ProfileManager(path).get_profile(DEFAULT_PROFILE)
    except ConfigurationError:
        return None, ""  # an unreadable config file must not break a call that needs no key
    return (profile.api_key if profile is not None else None), stored_key_label()
