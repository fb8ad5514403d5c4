"""Resolve MLflow auth settings (argument > environment) and reject incomplete or contradictory ones.

Pure rules over plain values; the only I/O is checking that named certificate files exist and
whether the SigV4 package is installed.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hokusai._credentials import env_flag
from hokusai.exceptions import ConfigurationError

if TYPE_CHECKING:
    from hokusai.config.mlflow_auth import MLflowAuthConfig

# Field -> the environment variable it falls back to.
ENV_VARS: dict[str, str] = {
    "tracking_uri": "MLFLOW_TRACKING_URI",
    "username": "MLFLOW_TRACKING_USERNAME",
    "password": "MLFLOW_TRACKING_PASSWORD",
    "token": "MLFLOW_TRACKING_TOKEN",
    "insecure_tls": "MLFLOW_TRACKING_INSECURE_TLS",
    "aws_sigv4": "MLFLOW_TRACKING_AWS_SIGV4",
    "client_cert_path": "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "client_key_path": "MLFLOW_TRACKING_CLIENT_KEY_PATH",
    "ca_bundle_path": "MLFLOW_TRACKING_SERVER_CERT_PATH",
}
API_KEY_ENV = "HOKUSAI_API_KEY"
SIGV4_MODULE = "requests_auth_aws_sigv4"
SIGV4_PACKAGE = "requests-auth-aws-sigv4"
OPTION_NAMES = ("insecure_tls", "aws_sigv4", "client_cert_path", "client_key_path", "ca_bundle_path")
ACCEPTED_NAMES = ("tracking_uri", "username", "password", "token", "validate", *OPTION_NAMES)
_PRIVATE_KEY_MARKER = b"PRIVATE KEY-----"


def sigv4_available() -> bool:
    """True when the package MLflow needs for AWS SigV4 signing is installed."""
    return importlib.util.find_spec(SIGV4_MODULE) is not None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def _env_source(*names: str) -> str:
    return f"environment ({' / '.join(names)})"


def _resolve_credentials(args: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Pick token / basic / SigV4 from the arguments or, when none is given, from the environment."""
    token, username, password = (_text(args[k]) for k in ("token", "username", "password"))
    if token and (username or password):
        raise ConfigurationError(
            "Both a token and basic-auth credentials were passed; MLflow can send only one",
            fix="pass either token= (bearer) or username= and password= (basic auth), not both",
        )
    if args["aws_sigv4"] and (token or username or password):
        raise ConfigurationError(
            "aws_sigv4=True signs requests with AWS credentials and cannot be combined with token= "
            "or username=/password=",
            fix="drop aws_sigv4=True to send the token / basic auth, or drop the token / basic auth",
        )
    none = {"token": None, "username": None, "password": None, "aws_sigv4": False}
    if token:
        return {**none, "token": token, "credential_source": "argument"}
    if username or password:
        return {
            **none,
            "username": username or _text(environ.get(ENV_VARS["username"])),
            "password": password or _text(environ.get(ENV_VARS["password"])),
            "credential_source": "argument",
        }
    if args["aws_sigv4"]:
        return {**none, "aws_sigv4": True, "credential_source": "argument"}
    if env_flag(ENV_VARS["aws_sigv4"], environ):
        return {**none, "aws_sigv4": True, "credential_source": _env_source(ENV_VARS["aws_sigv4"])}
    env_user, env_password = (_text(environ.get(ENV_VARS[k])) for k in ("username", "password"))
    if env_user or env_password:
        return {
            **none,
            "username": env_user,
            "password": env_password,
            "credential_source": _env_source(ENV_VARS["username"], ENV_VARS["password"]),
        }
    for name in (ENV_VARS["token"], API_KEY_ENV):
        if environ.get(name):
            return {**none, "token": environ[name], "credential_source": _env_source(name)}
    return {**none, "credential_source": None}


def resolve(args: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Every field's value (argument > environment) plus where the URI and credential came from."""
    uri = _text(args["tracking_uri"])
    if uri:
        source = "argument"
    elif environ.get(ENV_VARS["tracking_uri"]) and not env_flag("HOKUSAI_MOCK_MODE", environ):
        uri, source = environ[ENV_VARS["tracking_uri"]], _env_source(ENV_VARS["tracking_uri"])
    else:
        uri, source = None, "embedded default"
    if uri and uri.startswith(("http://", "https://")):
        uri = uri.rstrip("/")
    resolved = {"tracking_uri": uri, "source": source, **_resolve_credentials(args, environ)}
    resolved["insecure_tls"] = bool(args["insecure_tls"]) or env_flag(ENV_VARS["insecure_tls"], environ)
    for name in ("client_cert_path", "client_key_path", "ca_bundle_path"):
        resolved[name] = _text(args[name]) or _text(environ.get(ENV_VARS[name]))
    return resolved


def _origin(explicit: bool, name: str) -> str:
    return f"{name}=" if explicit else ENV_VARS[name]


def _check_file(path: str | None, what: str, origin: str, *, directory_ok: bool = False) -> None:
    if path is None:
        return
    candidate = Path(path).expanduser()
    ok = candidate.exists() if directory_ok else candidate.is_file()
    if not ok:
        problem = "is not a file" if candidate.exists() else "does not exist"
        raise ConfigurationError(
            f"The {what} {path} (from {origin}) {problem}",
            fix=f"point {origin} at an existing PEM file, or unset it",
        )


def _has_private_key(path: str) -> bool:
    try:
        return _PRIVATE_KEY_MARKER in Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the client certificate {path}: {exc.strerror}",
            fix="make the file readable by this user",
        ) from None


def validate(config: MLflowAuthConfig, args: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigurationError` for an incomplete or contradictory configuration."""
    explicit = {
        name: bool(_text(args[name]))
        for name in ("username", "password", "client_cert_path", "client_key_path", "ca_bundle_path")
    }
    if config.username and not config.password:
        raise ConfigurationError(
            f"A basic-auth username ({config.username!r}, from {_origin(explicit['username'], 'username')}) "
            "was given without a password",
            missing_key=ENV_VARS["password"],
            fix="pass password= or set MLFLOW_TRACKING_PASSWORD (or drop the username to use a token)",
        )
    if config.password and not config.username:
        raise ConfigurationError(
            f"A basic-auth password (from {_origin(explicit['password'], 'password')}) was given "
            "without a username",
            missing_key=ENV_VARS["username"],
            fix="pass username= or set MLFLOW_TRACKING_USERNAME",
        )
    if config.aws_sigv4 and not sigv4_available():
        raise ConfigurationError(
            f"AWS SigV4 signing was requested but the {SIGV4_PACKAGE} package is not installed",
            fix=f"pip install {SIGV4_PACKAGE}",
        )
    if config.insecure_tls and config.ca_bundle_path:
        raise ConfigurationError(
            "insecure_tls=True (skip TLS verification) contradicts ca_bundle_path= (verify with this CA)",
            fix="unset MLFLOW_TRACKING_INSECURE_TLS / insecure_tls= or MLFLOW_TRACKING_SERVER_CERT_PATH / "
            "ca_bundle_path=; MLflow accepts only one of them",
        )
    cert_origin = _origin(explicit["client_cert_path"], "client_cert_path")
    key_origin = _origin(explicit["client_key_path"], "client_key_path")
    _check_file(config.client_cert_path, "client certificate", cert_origin)
    _check_file(config.client_key_path, "client key", key_origin)
    _check_file(
        config.ca_bundle_path,
        "CA bundle",
        _origin(explicit["ca_bundle_path"], "ca_bundle_path"),
        directory_ok=True,
    )
    if config.client_key_path and not config.client_cert_path:
        raise ConfigurationError(
            f"A client key ({config.client_key_path}, from {key_origin}) was given without a client "
            "certificate",
            missing_key=ENV_VARS["client_cert_path"],
            fix="pass client_cert_path= or set MLFLOW_TRACKING_CLIENT_CERT_PATH to the matching certificate",
        )
    if (
        config.client_cert_path
        and not config.client_key_path
        and not _has_private_key(config.client_cert_path)
    ):
        raise ConfigurationError(
            f"The client certificate {config.client_cert_path} (from {cert_origin}) holds no private key "
            "and no client key was given",
            missing_key=ENV_VARS["client_key_path"],
            fix="pass client_key_path= (or set MLFLOW_TRACKING_CLIENT_KEY_PATH) to the key file, or use "
            "one PEM file holding both certificate and key",
        )
