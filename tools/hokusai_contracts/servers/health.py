"""Is a server usable: ``/health`` answers 200 "OK" *and* the MLflow API answers MLflow-shaped JSON.

``/health`` alone is not enough: anything listening on the port (a web server, a proxy answering 502, a
server speaking TLS or garbage) could answer it, and the checks would then blame the documentation or
the contracts for what the server did. Before a run uses a server (:func:`mlflow_problem`: process,
container and URL servers; a problem is a ServerStartError) and when an item failed during a run
(:func:`server_problem`, :func:`blame_infrastructure`), the harness asks both; every problem is exit 2,
naming the URL, what was received (first bytes, masked) and the fix.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.findings.from_errors import infrastructure_finding
from hokusai_contracts.servers.server import GATEWAY_DEAD_UPSTREAM, GATEWAY_KINDS, Server

HEALTH_PATH = "/health"
# Every MLflow server has the Default experiment; a 404 with an MLflow error_code proves MLflow just as well.
API_PATH = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default"
SHOWN_BYTES = 120  # how much of a wrong answer the message shows
TIMEOUT_S = 5.0

# Errors a request raises at the connection level: refused, reset, TLS, garbage instead of HTTP.
CONNECTION_ERRORS = (urllib.error.URLError, http.client.HTTPException, OSError, ValueError)


@dataclass(frozen=True)
class Answer:
    """What a GET received: the status (None when no HTTP answer came) and the first bytes, or why not."""

    status: int | None
    body: bytes = b""
    error: str | None = None

    def shown(self, secrets: tuple[str, ...] = ()) -> str:
        """What was received, in one masked line."""
        if self.error is not None:
            return self.error
        text = self.body[:SHOWN_BYTES].decode("utf-8", errors="replace")
        more = "..." if len(self.body) > SHOWN_BYTES else ""
        return f"HTTP {self.status}, body {mask_secrets(text, secrets)!r}{more}"


def get(url: str, timeout: float = TIMEOUT_S, auth: tuple[str, str] | None = None) -> Answer:
    """GET ``url``: never raises, the :class:`Answer` says what came back."""
    request = urllib.request.Request(url)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read(SHOWN_BYTES * 100))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(SHOWN_BYTES * 10)
        except (OSError, http.client.HTTPException):
            body = b""
        return Answer(exc.code, body)
    except http.client.BadStatusLine as exc:
        line = str(exc.args[0] if exc.args else exc)[:SHOWN_BYTES]
        return Answer(None, error=f"not HTTP: the answer began with {line!r}")
    except CONNECTION_ERRORS as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, error=f"{type(reason).__name__}: {reason}")


def _mlflow_json(answer: Answer) -> bool:
    try:
        data = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    return (answer.status == 200 and "experiment" in data) or (answer.status == 404 and "error_code" in data)


def mlflow_problem(
    url: str, auth: tuple[str, str] | None = None, timeout: float = TIMEOUT_S, secrets: tuple[str, ...] = ()
) -> str | None:
    """None when the server at ``url`` is a healthy MLflow; else what is wrong, in one masked line."""
    url = url.rstrip("/")
    health = get(url + HEALTH_PATH, timeout)
    if health.status is None and health.error and not health.error.startswith("not HTTP"):
        return f"it does not answer {HEALTH_PATH}: {health.shown(secrets)}"
    if health.status != 200 or health.body.strip() != b"OK":
        return f"GET {url}{HEALTH_PATH} should answer 200 'OK'; received {health.shown(secrets)}"
    api = get(url + API_PATH, timeout, auth)
    if not _mlflow_json(api):
        return (
            f"GET {url}{API_PATH.split('?')[0]} should answer MLflow JSON (an experiment or an MLflow "
            f"error_code); received {api.shown(secrets)}"
        )
    return None


def gateway_problem(url: str, timeout: float = TIMEOUT_S) -> str | None:
    """None when the gateway at ``url`` answers its ``/health`` with 200 JSON; else what is wrong."""
    url = url.rstrip("/")
    health = get(url + HEALTH_PATH, timeout)
    try:
        ok = health.status == 200 and json.loads(health.body.decode("utf-8")).get("status") == "ok"
    except (UnicodeDecodeError, ValueError, AttributeError):
        ok = False
    if ok:
        return None
    return f"GET {url}{HEALTH_PATH} should answer 200 {{'status': 'ok'}}; received {health.shown()}"


FIX = (
    "fix: check that an MLflow tracking server (not another web server, nor TLS on an http:// URL) "
    "runs at that address and answers /health and the REST API; with --mlflow URL, point it at a "
    "running MLflow server or drop the option to let the harness start one"
)


def _admin(server: Server) -> tuple[str, str] | None:
    users = getattr(server, "users", None)
    return users.admin if users is not None else None


def server_problem(server: Server) -> str | None:
    """None while ``server`` runs and is healthy; else the cause and the server's log tail (masked)."""
    secrets = server.secrets()
    if not server.alive():
        cause = f"the {server.kind} server at {server.url} is no longer running"
    else:
        if server.kind in GATEWAY_KINDS:
            problem = gateway_problem(server.url)
            upstream = getattr(server, "upstream_url", None)
            if problem is None and upstream and server.kind != GATEWAY_DEAD_UPSTREAM:
                problem = mlflow_problem(upstream)
                problem = problem and f"its upstream MLflow: {problem}"
        else:
            problem = mlflow_problem(server.url, _admin(server), secrets=secrets)
        if problem is None:
            return None
        cause = f"the {server.kind} server at {server.url} is not healthy: {problem}"
    return mask_secrets(f"{cause}\nLog tail:\n{server.log_tail()}", secrets)


def blame_infrastructure(findings: Sequence[Finding], servers: Iterable[Server]) -> list[Finding]:
    """``findings``, with every failure turned into an infrastructure error when one of ``servers`` died
    or answers wrongly: a dead server must not fail a page, scenario or operation (exit 1) but the run
    (exit 2). Healthy servers leave the findings as they are; the servers are asked only on a failure."""
    findings = list(findings)
    if not any(f.outcome is Outcome.FAILED for f in findings):
        return findings
    problems = [p for p in (server_problem(s) for s in _distinct(servers)) if p is not None]
    if not problems:
        return findings
    cause = "\n".join(problems)
    return [infrastructure_finding(f, cause) if f.outcome is Outcome.FAILED else f for f in findings]


def _distinct(servers: Iterable[Server]) -> list[Server]:
    seen: dict[int, Server] = {}
    for server in servers:
        if server is not None:
            seen.setdefault(id(server), server)
    return list(seen.values())
