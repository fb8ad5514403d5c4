"""Why a request to a tracking server never got an answer: refused, DNS, TLS, proxy or timeout.

Pure functions over an exception and its chain. The SDK's exception translation and ``hokusai doctor``
share them, so an exception names the same cause and fix that the doctor prints.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

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


@dataclass(frozen=True)
class ConnectionFailure:
    """A request that got no answer: a machine-readable ``problem``, its ``cause`` and the ``fix``."""

    problem: str
    cause: str
    fix: str

    def summary(self, uri: str) -> str:
        """One line naming the server and the cause."""
        return f"cannot connect to {uri}: {self.cause}"


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


def diagnose_connection(exc: BaseException, uri: str, timeout: float | None = None) -> ConnectionFailure:
    """Which of refused / DNS / TLS / timeout / proxy stopped a request to ``uri``, and the fix."""
    chain = list(_chain(exc))
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain)
    names = {type(e).__name__ for e in chain}
    host, port = host_and_port(uri)
    where = f"{host}:{port}" if port else host
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or any(
        m in text for m in _CERT_MARKERS
    ):
        return ConnectionFailure(
            "tls",
            f"TLS certificate verify failed ({_tls_reason(chain)})",
            "if the server uses a private CA or a self-signed certificate, point "
            "MLFLOW_TRACKING_SERVER_CERT_PATH at the CA bundle (PEM) that signed it; for a hostname "
            "mismatch, use the host name written in the certificate; MLFLOW_TRACKING_INSECURE_TLS=true "
            "switches verification off (for testing only)",
        )
    if any(m in text for m in _PLAIN_HTTP_MARKERS):
        return ConnectionFailure(
            "tls",
            f"TLS handshake failed - the server does not speak TLS on {where}",
            f"use http:// instead of https:// (http://{where}), or the port where the server serves TLS",
        )
    if "ProxyError" in names:
        return ConnectionFailure(
            "proxy",
            "the HTTP proxy failed or refused the request",
            "check HTTPS_PROXY / HTTP_PROXY, and add the server's host to NO_PROXY if it is reachable "
            "directly",
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or any(m in text for m in _DNS_MARKERS):
        return ConnectionFailure(
            "dns",
            f"the host name '{host}' does not resolve (DNS)",
            "check the host name in the URI for typos; for an internal host, connect to the VPN or check "
            "your DNS settings; inside a container 'localhost' is the container itself",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or any(m in text for m in _REFUSED_MARKERS):
        return ConnectionFailure(
            "connection_refused",
            f"connection refused - nothing is listening on {where}",
            f"start the MLflow server (e.g. mlflow server --host 127.0.0.1 --port {port or 5000}) or "
            "correct the host and port of the tracking URI (tracking_uri=, MLFLOW_TRACKING_URI or "
            "--mlflow-uri)",
        )
    timed_out = {"Timeout", "ConnectTimeout", "ReadTimeout", "ConnectTimeoutError", "ReadTimeoutError"}
    if names & timed_out or any(isinstance(e, TimeoutError) for e in chain):
        after = f" within {timeout:g}s" if timeout else ""
        return ConnectionFailure(
            "timeout",
            f"no answer from {where}{after}",
            "a firewall, VPN or proxy may drop the traffic (check HTTPS_PROXY / NO_PROXY), or the server "
            "is overloaded; retry, and check that the port is open from this machine",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return ConnectionFailure(
            "tls",
            f"TLS handshake failed ({_first_line(str(exc))})",
            "check the URI's scheme and port; with a client certificate, check "
            "MLFLOW_TRACKING_CLIENT_CERT_PATH",
        )
    return ConnectionFailure(
        "unreachable",
        f"{_first_line(f'{type(exc).__name__}: {exc}')}",
        "check the URI and that the server is running and reachable from this machine",
    )
