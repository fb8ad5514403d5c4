"""MLflow credentials and TLS options, checked before any request is made.

Precedence: an explicit argument beats the environment. Explicit credentials of one kind
(``token=``, ``username=``/``password=``, ``aws_sigv4=True``) switch off the environment's
credentials of the other kinds, so a stale variable never silently changes who you are. From the
environment alone, MLflow's own order applies: AWS SigV4 > basic auth > ``MLFLOW_TRACKING_TOKEN`` >
``HOKUSAI_API_KEY``.

MLflow takes a single client-certificate path. When a separate key is given
(``client_key_path=`` / ``MLFLOW_TRACKING_CLIENT_KEY_PATH``, an SDK addition),
:meth:`MLflowAuthConfig.to_credentials` writes certificate and key into one private (0600)
temporary PEM file, reused for the config's lifetime and deleted when the process exits.

Nothing here writes to ``os.environ``: requests go through :class:`~hokusai._mlflow.session.MLflowSession`,
which applies the credentials only for the duration of each call.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hokusai._credentials import Credentials, hokusai_home, mask_secret
from hokusai._mlflow.target import MLflowTarget
from hokusai.config._mlflow_auth_rules import ACCEPTED_NAMES, ENV_VARS, OPTION_NAMES, resolve, validate
from hokusai.exceptions import ConfigurationError

__all__ = [
    "ENV_VARS",
    "MLflowAuthConfig",
    "check_mlflow_auth",
    "get_current_mlflow_auth",
    "get_mlflow_auth_status",
    "reset_mlflow_auth",
    "setup_mlflow_auth",
]

_FIX_500_BEARER = (
    "a basic-auth MLflow server (`mlflow server --app-name basic-auth`) answers HTTP 500, not 401, "
    "to an `Authorization: Bearer` token: for such a server pass username=/password= "
    "(MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD) instead of a token; otherwise check "
    "the server log"
)
_FIX_500 = "the server failed while handling the request: check the MLflow server log"

_pem_lock = threading.Lock()


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _combine_pem(cert_path: str, key_path: str) -> str:
    """Write certificate + key into a new private temporary PEM file (deleted at exit)."""
    cert = Path(cert_path).expanduser().read_bytes()
    key = Path(key_path).expanduser().read_bytes()
    fd, path = tempfile.mkstemp(prefix="hokusai-mtls-", suffix=".pem")  # created with mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(cert if cert.endswith(b"\n") else cert + b"\n")
            handle.write(key)
        os.chmod(path, 0o600)
    except BaseException:
        _remove_quietly(path)
        raise
    atexit.register(_remove_quietly, path)
    return path


@dataclass(frozen=True, repr=False)
class MLflowAuthConfig:
    """How to reach and authenticate to an MLflow tracking server; each field falls back to its env var.

    ``source`` tells where the tracking URI came from (``"argument"``,
    ``"environment (MLFLOW_TRACKING_URI)"`` or ``"embedded default"`` when there is none) and
    ``credential_source`` where the credential came from. ``repr``, ``str`` and :meth:`to_dict`
    never show a password or token.
    """

    tracking_uri: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None
    insecure_tls: bool = False
    aws_sigv4: bool = False
    client_cert_path: str | None = None
    client_key_path: str | None = None
    ca_bundle_path: str | None = None
    source: str = field(init=False, default="embedded default")
    credential_source: str | None = field(init=False, default=None)
    _combined_pem: list[str] = field(init=False, default_factory=list, compare=False)

    def __post_init__(self) -> None:
        args = {name: getattr(self, name) for name in ENV_VARS}
        for name, value in resolve(args, os.environ).items():
            object.__setattr__(self, name, value)
        validate(self, args)

    @property
    def auth_type(self) -> str:
        """The credential kind: ``basic``, ``token``, ``aws-sigv4``, ``mtls`` or ``none``."""
        if self.aws_sigv4:
            return "aws-sigv4"
        if self.username and self.password:
            return "basic"
        if self.token:
            return "token"
        if self.client_cert_path:
            return "mtls"
        return "none"

    def is_remote_tracking(self) -> bool:
        """True when the tracking URI is an HTTP(S) server (the only kind that takes credentials)."""
        return bool(self.tracking_uri) and self.tracking_uri.startswith(("http://", "https://"))

    def describe_credential(self) -> str:
        """A masked description of the credential, e.g. ``basic auth as 'reader' (password ***)``."""
        # Built without to_credentials(): describing must not write the combined cert+key file.
        kind = self.auth_type
        return Credentials(
            token=self.token if kind == "token" else None,
            username=self.username if kind == "basic" else None,
            password=self.password if kind == "basic" else None,
            aws_sigv4=kind == "aws-sigv4",
            client_cert_path=self.client_cert_path,
        ).describe()

    def client_cert_for_mlflow(self) -> str | None:
        """The single PEM path MLflow needs: the certificate, or a private cert+key file."""
        if not self.client_cert_path or not self.client_key_path:
            return self.client_cert_path
        with _pem_lock:
            if not self._combined_pem:
                self._combined_pem.append(_combine_pem(self.client_cert_path, self.client_key_path))
            return self._combined_pem[0]

    def to_credentials(self) -> Credentials:
        """The :class:`~hokusai._mlflow.target.Credentials` a session sends for this config."""
        return Credentials(
            token=self.token,
            username=self.username,
            password=self.password,
            insecure_tls=self.insecure_tls,
            aws_sigv4=self.aws_sigv4,
            client_cert_path=self.client_cert_for_mlflow(),
            ca_bundle_path=self.ca_bundle_path,
        )

    def target(self) -> MLflowTarget:
        """The session target: this URI and credentials (the embedded store when there is no URI)."""
        from hokusai._mlflow.target import resolve_target

        target = resolve_target(self.tracking_uri, credentials=self.to_credentials())
        return target if target.is_embedded else replace(target, source=self.source)

    def get_auth_headers(self) -> dict[str, str]:
        """The ``Authorization`` header for direct HTTP calls to the server (empty without credentials)."""
        if self.auth_type == "basic":
            pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        if self.auth_type == "token":
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def to_dict(self) -> dict[str, Any]:
        """All settings with secrets masked (safe to log or print)."""
        return {
            "tracking_uri": self.tracking_uri,
            "source": self.source,
            "auth_type": self.auth_type,
            "credential": self.describe_credential(),
            "credential_source": self.credential_source,
            "username": self.username,
            "password": "***" if self.password else None,
            "token": mask_secret(self.token) if self.token else None,
            "insecure_tls": self.insecure_tls,
            "aws_sigv4": self.aws_sigv4,
            "client_cert_path": self.client_cert_path,
            "client_key_path": self.client_key_path,
            "ca_bundle_path": self.ca_bundle_path,
        }

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.to_dict().items() if k != "credential" and v not in (None, False)}
        return f"MLflowAuthConfig({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


_current: MLflowAuthConfig | None = None


def get_current_mlflow_auth() -> MLflowAuthConfig | None:
    """The config recorded by the last successful :func:`setup_mlflow_auth`, if any."""
    return _current


def reset_mlflow_auth() -> None:
    """Forget the config recorded by :func:`setup_mlflow_auth` (the environment applies again)."""
    global _current
    _current = None


def check_mlflow_auth(config: MLflowAuthConfig) -> None:
    """Make one authenticated call with ``config``; raise the documented exception if it fails.

    401 -> :class:`~hokusai.exceptions.AuthenticationError`, 403 ->
    :class:`~hokusai.exceptions.AuthorizationError`, unreachable or 5xx ->
    :class:`~hokusai.exceptions.MLflowConnectionError` (a 5xx names the credential sent).
    """
    from hokusai._mlflow.session import MLflowSession
    from hokusai.exceptions import MLflowAuthenticationError, MLflowConnectionError, MLflowError

    target = config.target()
    try:
        MLflowSession(target).ping()
    except MLflowAuthenticationError:
        raise
    except MLflowError as exc:
        if exc.status_code is None or exc.status_code < 500:
            raise
        # translate() does not say which credential a 5xx answered; here it often matters.
        raise MLflowConnectionError(
            f"{exc.message}; credential sent: {target.credentials.describe()}",
            tracking_uri=exc.tracking_uri,
            status_code=exc.status_code,
            endpoint=exc.endpoint,
            fix=_FIX_500_BEARER if target.credentials.kind == "bearer" else _FIX_500,
        ) from exc


def setup_mlflow_auth(
    tracking_uri: str | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    validate: bool = True,
    **kwargs: Any,
) -> MLflowAuthConfig:
    """Build, optionally verify, and record the process's MLflow auth config (``os.environ`` untouched).

    ``kwargs`` are the other :class:`MLflowAuthConfig` fields. With ``validate=True`` an HTTP(S)
    server is called once (see :func:`check_mlflow_auth`); a local store (no tracking URI, which
    means the embedded SQLite default, or a ``sqlite:``/``file:`` URI) takes no credentials, so
    there is nothing to verify and the check is skipped. The config is recorded for
    :func:`get_current_mlflow_auth` only once it is valid.
    """
    global _current
    unknown = sorted(set(kwargs) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(
            f"setup_mlflow_auth() got unexpected keyword argument(s): {', '.join(unknown)}; "
            f"accepted: {', '.join(ACCEPTED_NAMES)}"
        )
    config = MLflowAuthConfig(
        tracking_uri=tracking_uri, username=username, password=password, token=token, **kwargs
    )
    if validate and config.is_remote_tracking():
        check_mlflow_auth(config)
    _current = config
    return config


def _status_check(config: MLflowAuthConfig) -> dict[str, Any]:
    from hokusai.exceptions import AuthenticationError, MLflowAuthenticationError, MLflowConnectionError

    if not config.is_remote_tracking():
        return {"reachable": None, "authenticated": None, "error": "local store: no server to check"}
    try:
        check_mlflow_auth(config)
    except AuthenticationError as exc:
        return {"reachable": True, "authenticated": False, "error": str(exc)}
    except MLflowAuthenticationError as exc:  # 403: who you are is known, the call is not allowed
        return {"reachable": True, "authenticated": True, "error": str(exc)}
    except MLflowConnectionError as exc:
        answered = exc.status_code is not None
        return {"reachable": answered, "authenticated": None, "error": str(exc)}
    return {"reachable": True, "authenticated": True, "error": None}


def get_mlflow_auth_status(check: bool = False) -> dict[str, Any]:
    """Where MLflow calls go and with which (masked) credential; ``check=True`` also calls the server."""
    config, origin = _current, "setup_mlflow_auth"
    if config is None:
        origin = "environment"
        try:
            config = MLflowAuthConfig()
        except ConfigurationError as exc:
            status = {
                "tracking_uri": None,
                "source": None,
                "origin": origin,
                "auth_type": None,
                "credential": None,
                "credential_source": None,
                "tls": None,
                "is_remote": None,
                "configured": False,
                "error": str(exc),
            }
            if check:
                status.update(reachable=None, authenticated=None)
            return status
    status = {
        "tracking_uri": config.tracking_uri or f"sqlite:///{hokusai_home() / 'mlflow.db'}",
        "source": config.source,
        "origin": origin,
        "auth_type": config.auth_type,
        "credential": config.describe_credential(),
        "credential_source": config.credential_source,
        "tls": {
            "insecure_tls": config.insecure_tls,
            "ca_bundle_path": config.ca_bundle_path,
            "client_cert_path": config.client_cert_path,
            "client_key_path": config.client_key_path,
        },
        "is_remote": config.is_remote_tracking(),
        "configured": config.auth_type != "none",
        "error": None,
    }
    if check:
        status.update(_status_check(config))
    return status
