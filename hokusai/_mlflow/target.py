"""Where the SDK talks to (tracking URI) and with which credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from hokusai._credentials import Credentials, env_flag, hokusai_home
from hokusai.auth.config import DEFAULT_PROFILE, ProfileManager, default_config_path, stored_key_label
from hokusai.exceptions import ConfigurationError


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
    path = default_config_path()
    try:
        profile = ProfileManager(path).get_profile(DEFAULT_PROFILE)
    except ConfigurationError:
        return None, ""  # an unreadable config file must not break a call that needs no key
    return (profile.api_key if profile is not None else None), stored_key_label()
