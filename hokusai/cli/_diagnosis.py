"""What went wrong and how to fix it: pure functions from exceptions and settings to diagnoses.

Nothing here performs I/O; :mod:`hokusai.cli._probes` makes the calls and hands the outcomes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from hokusai._credentials import Credentials, mask_secret
from hokusai._mlflow.diagnosis import diagnose_connection, host_and_port

# Schemes MLflow resolves to a tracking store; a plain path (no scheme) is a local file store.
_STORE_SCHEMES = frozenset(
    {"http", "https", "file", "sqlite", "postgresql", "mysql", "mssql", "databricks", "databricks-uc", "uc"}
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


@dataclass(frozen=True)
class Diagnosis:
    """A failure explained: a machine-readable ``problem``, a one-line ``summary`` and the ``fix``."""

    problem: str
    summary: str
    fix: str


@dataclass(frozen=True)
class Note:
    """An observation about the settings: ``level`` is 'info' or 'warning'."""

    level: str
    text: str


def uri_problem(uri: str) -> Diagnosis | None:
    """Why ``uri`` cannot be a tracking URI (a missing scheme, no host), or None when it can."""
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https"):
        if not parsed.hostname:
            return Diagnosis(
                "invalid_uri",
                f"the tracking URI {uri} names no host",
                "write it as http(s)://<host>:<port>, e.g. http://localhost:5000",
            )
        try:
            parsed.port  # noqa: B018 - raises for a port that is not a number
        except ValueError:
            return Diagnosis(
                "invalid_uri",
                f"the tracking URI {uri} has an invalid port",
                "write it as http(s)://<host>:<port>, e.g. http://localhost:5000",
            )
        return None
    if not scheme or len(scheme) == 1:  # no scheme, or a Windows drive letter: a local folder
        return None
    if scheme not in _STORE_SCHEMES:
        return Diagnosis(
            "invalid_uri",
            f"the tracking URI {uri} has no scheme MLflow knows ('{scheme}:')",
            f"did you mean http://{uri}? A server URI starts with http:// or https://",
        )
    return None


def connection_failure(exc: BaseException, uri: str, timeout: float | None = None) -> Diagnosis:
    """Which of refused / DNS / TLS / timeout / proxy stopped a request to ``uri``, and the fix."""
    failure = diagnose_connection(exc, uri, timeout)
    return Diagnosis(failure.problem, failure.summary(uri), failure.fix)


def who(credentials: Credentials) -> str:
    """Who the server sees, for messages: "user 'reader'", "token hk_live_...QtN", "anonymous"."""
    kind = credentials.kind
    if kind == "basic":
        return f"user {credentials.username!r}"
    if kind == "bearer":
        return f"token {mask_secret(credentials.token)}"
    if kind == "aws-sigv4":
        return "the AWS SigV4 identity"
    return "anonymous"


def unauthenticated_fix(credentials: Credentials, source: str) -> str:
    """How to fix an HTTP 401 given the credential that was sent."""
    kind = credentials.kind
    if kind == "basic":
        return (
            f"the server rejected user {credentials.username!r} (from {source}): check the user name and "
            "MLFLOW_TRACKING_PASSWORD; an MLflow admin can reset the password"
        )
    if kind == "bearer":
        return (
            f"the server rejected the token {mask_secret(credentials.token)} (from {source}): it is unknown, "
            "revoked or expired, or belongs to another environment (hk_test_ vs hk_live_): create a new key "
            "on the Hokusai site. An MLflow basic-auth server takes MLFLOW_TRACKING_USERNAME / "
            "MLFLOW_TRACKING_PASSWORD, not a token"
        )
    if kind == "aws-sigv4":
        return "the AWS SigV4 signature was rejected: check the AWS credentials and region of this machine"
    return (
        "no credentials were sent. For an MLflow basic-auth server: export "
        "MLFLOW_TRACKING_USERNAME=<user> and MLFLOW_TRACKING_PASSWORD=<password>; for the Hokusai "
        "platform: export HOKUSAI_API_KEY=hk_live_... (or pass --api-key)"
    )


def forbidden_fix(
    credentials: Credentials,
    permission: str,
    *,
    grant: str | None = None,
    alternative: str | None = None,
    scope: str = "mlflow:write",
) -> str:
    """How to fix an HTTP 403: obtain ``permission`` (e.g. "EDIT permission on experiment 'x'")."""
    kind = credentials.kind
    otherwise = f", or {alternative}" if alternative else ""
    if kind == "basic":
        how = f" ({grant})" if grant else ""
        return f"ask an MLflow admin to give user {credentials.username!r} {permission}{how}{otherwise}"
    if kind == "bearer":
        return (
            f"the key {mask_secret(credentials.token)} was accepted but lacks {permission}: ask the Hokusai "
            f"platform team for a key with the `{scope}` scope{otherwise}"
        )
    if kind == "none":
        return (
            f"the server lets anonymous users in, but not with {permission}: send the credentials of a user "
            "who has it (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, or HOKUSAI_API_KEY)"
        )
    return f"the credential was accepted but lacks {permission}: ask the server's admin{otherwise}"


def _plain_http_to_remote(uri: str) -> bool:
    host, _ = host_and_port(uri)
    return uri.startswith("http://") and host not in _LOCAL_HOSTS and not host.startswith("127.")


def target_notes(
    uri: str, *, is_embedded: bool, credentials: Credentials, mock_mode: bool, uri_has_password: bool
) -> list[Note]:
    """Observations about where calls go and how the credential travels."""
    notes: list[Note] = []
    if is_embedded:
        why = "HOKUSAI_MOCK_MODE is on" if mock_mode else "no tracking server is configured"
        notes.append(
            Note(
                "info",
                f"{why}: models are stored in the embedded local store; set MLFLOW_TRACKING_URI or pass "
                "--mlflow-uri to use an MLflow server",
            )
        )
    if uri_has_password:
        notes.append(
            Note(
                "warning",
                "the tracking URI carries a password: it shows up in logs and shell history; use "
                "MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD instead",
            )
        )
    if credentials.kind in ("basic", "bearer") and _plain_http_to_remote(uri):
        notes.append(
            Note(
                "warning", "credentials are sent over plain HTTP to a remote host: use https:// if it has TLS"
            )
        )
    if credentials.insecure_tls:
        notes.append(
            Note("warning", "MLFLOW_TRACKING_INSECURE_TLS is on: the server's certificate is not verified")
        )
    return notes
