"""What went wrong and how to fix it: pure functions from exceptions and settings to diagnoses.

Nothing here performs I/O; :mod:`hokusai.cli._probes` makes the calls and hands the outcomes here.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

from hokusai._mlflow.target import Credentials, mask_secret

# Schemes MLflow resolves to a tracking store; a plain path (no scheme) is a local file store.
_STORE_SCHEMES = frozenset(
    {"http", "https", "file", "sqlite", "postgresql", "mysql", "mssql", "databricks", "databricks-uc", "uc"}
)
_DNS_MARKERS = (
    "NameResolutionError",
    "Name or service not known",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "getaddrinfo failed",
    "Failed to resolve",
    "No address associated with hostname",
)
_REFUSED_MARKERS = ("Connection refused", "[Errno 111]", "actively refused")
_CERT_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed")
_PLAIN_HTTP_MARKERS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure")
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


def host_and_port(uri: str) -> tuple[str, int | None]:
    """The host and port an HTTP(S) URI points at (the scheme's default port when none is written)."""
    parsed = urlparse(uri)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(parsed.scheme)
    return parsed.hostname or "", port


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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (causes, contexts, urllib3's ``reason``, exception args)."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen or len(seen) > 50:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending.extend(e for e in linked if isinstance(e, BaseException))


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _tls_reason(chain: list[BaseException]) -> str:
    for exc in chain:
        # verify_message is only set on errors raised by the ssl module itself.
        if isinstance(exc, ssl.SSLCertVerificationError) and getattr(exc, "verify_message", None):
            return exc.verify_message
    return "the server's certificate is not trusted"


def connection_failure(exc: BaseException, uri: str, timeout: float | None = None) -> Diagnosis:
    """Which of refused / DNS / TLS / timeout / proxy stopped a request to ``uri``, and the fix."""
    chain = list(_chain(exc))
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain)
    names = {type(e).__name__ for e in chain}
    host, port = host_and_port(uri)
    where = f"{host}:{port}" if port else host
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or any(
        m in text for m in _CERT_MARKERS
    ):
        return Diagnosis(
            "tls",
            f"cannot connect to {uri}: TLS certificate verify failed ({_tls_reason(chain)})",
            "if the server uses a private CA or a self-signed certificate, point "
            "MLFLOW_TRACKING_SERVER_CERT_PATH at the CA bundle (PEM) that signed it; for a hostname "
            "mismatch, use the host name written in the certificate; MLFLOW_TRACKING_INSECURE_TLS=true "
            "switches verification off (for testing only)",
        )
    if any(m in text for m in _PLAIN_HTTP_MARKERS):
        return Diagnosis(
            "tls",
            f"cannot connect to {uri}: TLS handshake failed - the server does not speak TLS on {where}",
            f"use http:// instead of https:// (http://{where}), or the port where the server serves TLS",
        )
    if "ProxyError" in names:
        return Diagnosis(
            "proxy",
            f"cannot connect to {uri}: the HTTP proxy failed or refused the request",
            "check HTTPS_PROXY / HTTP_PROXY, and add the server's host to NO_PROXY if it is reachable "
            "directly",
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or any(m in text for m in _DNS_MARKERS):
        return Diagnosis(
            "dns",
            f"cannot connect to {uri}: the host name '{host}' does not resolve (DNS)",
            "check the host name in the URI for typos; for an internal host, connect to the VPN or check "
            "your DNS settings; inside a container 'localhost' is the container itself",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or any(m in text for m in _REFUSED_MARKERS):
        return Diagnosis(
            "connection_refused",
            f"cannot connect to {uri}: connection refused - nothing is listening on {where}",
            f"start the MLflow server (e.g. mlflow server --host 127.0.0.1 --port {port or 5000}) or "
            "correct the host and port in --mlflow-uri / MLFLOW_TRACKING_URI",
        )
    timed_out = {"Timeout", "ConnectTimeout", "ReadTimeout", "ConnectTimeoutError", "ReadTimeoutError"}
    if names & timed_out or any(isinstance(e, TimeoutError) for e in chain):
        after = f" within {timeout:g}s" if timeout else ""
        return Diagnosis(
            "timeout",
            f"cannot connect to {uri}: no answer from {where}{after}",
            "a firewall, VPN or proxy may drop the traffic (check HTTPS_PROXY / NO_PROXY), or the server "
            "is overloaded; retry, and check that the port is open from this machine",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return Diagnosis(
            "tls",
            f"cannot connect to {uri}: TLS handshake failed ({_first_line(str(exc))})",
            "check the URI's scheme and port; with a client certificate, check "
            "MLFLOW_TRACKING_CLIENT_CERT_PATH",
        )
    return Diagnosis(
        "unreachable",
        f"cannot connect to {uri}: {_first_line(f'{type(exc).__name__}: {exc}')}",
        "check the URI and that the server is running and reachable from this machine",
    )


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
