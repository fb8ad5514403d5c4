"""The doctor's checks: each makes its calls (plain HTTP or MLflow) and returns a :class:`Check`.

The write check is a real, harmless write of the kind a registration makes: a tag set and removed
again on the experiment models are logged to (or a scratch experiment created and deleted when it
does not exist yet), and a scratch registered model created and deleted (or a tag set and removed
on ``--model-name`` when that model exists).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from hokusai._credentials import Credentials
from hokusai._mlflow.errors import is_not_found
from hokusai._mlflow.target import MLflowTarget
from hokusai.cli._diagnosis import (
    connection_failure,
    forbidden_fix,
    unauthenticated_fix,
    uri_problem,
    who,
)
from hokusai.cli._report import FAILED, OK, SKIPPED, WARNING, Check
from hokusai.exceptions import (
    AuthenticationError,
    AuthorizationError,
    HokusaiException,
    MLflowConnectionError,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from hokusai._mlflow.session import MLflowSession

PROBE_TAG = "hokusai.doctor.probe"
PROBE_PREFIX = "hokusai-doctor-probe-"
HTTP_TIMEOUT = 10.0
_VERSION_TEXT = re.compile(r"\d+\.\d+[\w.+-]*")
# The basic-auth client's permission API differs between MLflow releases; the UI and the client name stay.
_GRANT_HINT = "in the MLflow UI's admin pages, or with mlflow.server.get_app_client('basic-auth', uri)"


def _http_options(credentials: Credentials) -> dict[str, Any]:
    """TLS settings as MLflow's own client applies them (CA bundle, insecure flag, client certificate)."""
    verify: bool | str = not credentials.insecure_tls
    if verify and credentials.ca_bundle_path:
        verify = credentials.ca_bundle_path
    return {"verify": verify, "cert": credentials.client_cert_path or None, "timeout": HTTP_TIMEOUT}


def _auth(credentials: Credentials) -> dict[str, Any]:
    if credentials.kind == "basic":
        return {"auth": (credentials.username, credentials.password)}
    if credentials.kind == "bearer":
        return {"headers": {"Authorization": f"Bearer {credentials.token}"}}
    return {}


def check_uri(target: MLflowTarget) -> Check:
    """Is the tracking URI usable at all (scheme, host)?"""
    problem = uri_problem(target.tracking_uri)
    if problem is not None:
        return Check.failure("tracking_uri", problem)
    if target.is_embedded:
        kind = "the embedded local store (SQLite under $HOKUSAI_HOME)"
    elif target.is_remote:
        kind = "an MLflow server"
    else:
        kind = f"a local MLflow store ({urlparse(target.tracking_uri).scheme or 'folder'})"
    return Check("tracking_uri", OK, f"points at {kind}")


def skipped(name: str, why: str) -> Check:
    """A check that did not run, and why."""
    return Check(name, SKIPPED, why)


def check_server(target: MLflowTarget) -> Check:
    """Does anything answer HTTP at the URI? Connection refused, DNS, TLS and timeouts are told apart."""
    import requests

    uri = target.tracking_uri
    started = time.monotonic()
    try:
        response = requests.get(f"{uri}/health", **_http_options(target.credentials))
    except requests.RequestException as exc:
        return Check.failure("server", connection_failure(exc, uri, HTTP_TIMEOUT))
    elapsed = f"{(time.monotonic() - started) * 1000:.0f} ms"
    status = response.status_code
    if status == 404:
        return Check(
            "server",
            WARNING,
            f"reachable, but GET /health answered HTTP 404: is {uri} an MLflow server?",
            http_status=status,
            fix="if MLflow is served under a path prefix, include it in the URI (e.g. https://host/mlflow)",
        )
    if status >= 500:
        return Check(
            "server",
            WARNING,
            f"reachable, but GET /health answered HTTP {status}",
            http_status=status,
            fix="the server is starting or unhealthy: check its log",
        )
    protected = " (the server protects even its health check)" if status in (401, 403) else ""
    return Check("server", OK, f"reachable: GET /health answered HTTP {status} in {elapsed}{protected}")


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def check_version(target: MLflowTarget, client_version: str) -> Check:
    """The server's MLflow version (GET /version), compared with this client's."""
    import requests

    try:
        response = requests.get(
            f"{target.tracking_uri}/version", **_http_options(target.credentials), **_auth(target.credentials)
        )
    except requests.RequestException as exc:
        reason = connection_failure(exc, target.tracking_uri, HTTP_TIMEOUT).summary
        return skipped("version", f"unknown: {reason}")
    text = response.text.strip()
    if response.status_code == 200 and _VERSION_TEXT.fullmatch(text):
        if _major(text) != _major(client_version):
            return Check(
                "version",
                WARNING,
                f"MLflow server {text}, client {client_version}: different major versions",
                fix=f"install a client of the server's major version (pip install 'mlflow>={_major(text)},"
                f"<{int(_major(text)) + 1}') or upgrade the server; some calls (e.g. logging models) "
                "differ between major versions",
            )
        return Check("version", OK, f"MLflow server {text} (client {client_version})")
    if response.status_code == 404:
        return skipped(
            "version", "unknown: the server has no /version endpoint (not MLflow, or hidden by a proxy)"
        )
    if response.status_code in (401, 403):
        return skipped(
            "version",
            f"unknown: GET /version answered HTTP {response.status_code} to {who(target.credentials)}",
        )
    return skipped("version", f"unknown: GET /version answered HTTP {response.status_code}")


def _error_check(name: str, exc: Exception) -> Check:
    if isinstance(exc, MLflowConnectionError):
        problem = "server_error" if exc.status_code else "unreachable"
        return Check(name, FAILED, exc.message, problem=problem, http_status=exc.status_code, fix=exc.fix)
    if isinstance(exc, HokusaiException):
        status = getattr(exc, "status_code", None)
        return Check(name, FAILED, exc.message, problem="error", http_status=status, fix=exc.fix)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Check(
        name,
        FAILED,
        f"{type(exc).__name__}: {first}",
        problem="error",
        fix="check the tracking URI and the server's log",
    )


def check_read(session: MLflowSession, credential_source: str) -> Check:
    """One authenticated read (list experiments): 401 and 403 are told apart."""
    credentials = session.target.credentials
    try:
        session.ping()
    except AuthenticationError:
        rejected = (
            "the server requires credentials and none were sent"
            if credentials.kind == "none"
            else f"the server did not accept {credentials.describe()}"
        )
        return Check(
            "read",
            FAILED,
            f"not authenticated (HTTP 401): {rejected}",
            problem="unauthenticated",
            http_status=401,
            fix=unauthenticated_fix(credentials, credential_source),
        )
    except AuthorizationError:
        return Check(
            "read",
            FAILED,
            f"forbidden (HTTP 403): the server knows {who(credentials)} but does not let it list experiments",
            problem="forbidden",
            http_status=403,
            fix=forbidden_fix(credentials, "READ permission on the experiments", scope="mlflow:read"),
        )
    except Exception as exc:
        return _error_check("read", exc)
    if session.target.is_remote:
        return Check("read", OK, f"ok: listed experiments as {who(credentials)}")
    return Check("read", OK, "ok: the local store opens and lists experiments")


@dataclass(frozen=True)
class ProbeResult:
    """One write probe: what was tried on what, and the error or cleanup problem if any."""

    resource: str
    done: str
    error: Exception | None = None
    attempted: str = ""
    permission: str = ""
    grant: str | None = None
    alternative: str | None = None
    cleanup_error: str | None = None
    note: str | None = None


def _attempt(session: MLflowSession, fn: Callable[[MlflowClient], Any]) -> tuple[Any, Exception | None]:
    try:
        return session.call(fn, retry=False), None
    except Exception as exc:
        return None, exc


def _cleanup(session: MLflowSession, fn: Callable[[MlflowClient], Any], what: str) -> str | None:
    _, error = _attempt(session, fn)
    if error is None:
        return None
    return f"could not remove {what} ({getattr(error, 'message', error)}): remove it by hand"


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _scratch_name() -> str:
    return f"{PROBE_PREFIX}{secrets.token_hex(4)}"


def probe_experiment(session: MLflowSession, name: str) -> ProbeResult:
    """Set and remove a tag on experiment ``name``; create and delete a scratch one if it does not exist."""
    experiment, error = _attempt(session, lambda client: client.get_experiment_by_name(name))
    if error is not None:
        return ProbeResult(
            f"experiment '{name}'",
            "looked up",
            error,
            attempted=f"look up experiment '{name}'",
            permission=f"READ permission on experiment '{name}'",
        )
    if experiment is not None and experiment.lifecycle_stage == "active":
        experiment_id = experiment.experiment_id
        resource = f"experiment '{name}' (id {experiment_id}, where models are logged)"
        _, error = _attempt(
            session, lambda client: client.set_experiment_tag(experiment_id, PROBE_TAG, _stamp())
        )
        common = {
            "attempted": f"set a tag on {resource}",
            "permission": f"EDIT permission on experiment '{name}'",
            "grant": _GRANT_HINT,
            "alternative": "log to an experiment you own: --experiment <new name> "
            "(ModelRegistry(experiment_name=...) in Python)",
        }
        if error is not None:
            return ProbeResult(resource, "", error, **common)
        cleanup = _cleanup(
            session, lambda client: client.delete_experiment_tag(experiment_id, PROBE_TAG), f"tag {PROBE_TAG}"
        )
        return ProbeResult(resource, "tag set and removed", cleanup_error=cleanup, **common)
    scratch = _scratch_name()
    state = "is deleted" if experiment is not None else "does not exist yet"
    note = f"experiment '{name}' {state}: the first registration creates it, owned by this user"
    common = {
        "attempted": "create an experiment",
        "permission": "permission to create experiments",
        "note": note,
    }
    created, error = _attempt(session, lambda client: client.create_experiment(scratch))
    if error is not None:
        return ProbeResult(f"new experiment '{scratch}'", "", error, **common)
    cleanup = _cleanup(
        session, lambda client: client.delete_experiment(created), f"scratch experiment '{scratch}'"
    )
    return ProbeResult(f"new experiment '{scratch}'", "created and deleted", cleanup_error=cleanup, **common)


def probe_model(session: MLflowSession, model_name: str | None) -> ProbeResult:
    """Set and remove a tag on ``model_name`` when it exists, else create and delete a scratch model."""
    note = None
    if model_name:
        _, error = _attempt(session, lambda client: client.get_registered_model(model_name))
        if error is None:
            common = {
                "attempted": f"set a tag on registered model '{model_name}'",
                "permission": f"EDIT permission on registered model '{model_name}'",
                "grant": _GRANT_HINT,
                "alternative": "register under a model name you own: --model-name <new name>",
            }
            resource = f"registered model '{model_name}'"
            _, error = _attempt(
                session, lambda client: client.set_registered_model_tag(model_name, PROBE_TAG, _stamp())
            )
            if error is not None:
                return ProbeResult(resource, "", error, **common)
            cleanup = _cleanup(
                session,
                lambda client: client.delete_registered_model_tag(model_name, PROBE_TAG),
                f"tag {PROBE_TAG}",
            )
            return ProbeResult(resource, "tag set and removed", cleanup_error=cleanup, **common)
        if not is_not_found(error):
            resource = f"registered model '{model_name}'"
            return ProbeResult(resource, "", error, attempted=f"look up {resource}")
        note = f"registered model '{model_name}' does not exist yet: the first registration creates it"
    scratch = _scratch_name()
    common = {
        "attempted": "create a registered model",
        "permission": "permission to create registered models",
        "note": note,
    }
    _, error = _attempt(
        session,
        lambda client: client.create_registered_model(scratch, description="hokusai doctor write probe"),
    )
    if error is not None:
        return ProbeResult(f"new registered model '{scratch}'", "", error, **common)
    cleanup = _cleanup(
        session, lambda client: client.delete_registered_model(scratch), f"scratch model '{scratch}'"
    )
    return ProbeResult(
        f"new registered model '{scratch}'", "created and deleted", cleanup_error=cleanup, **common
    )


def _status_of(error: Exception | None) -> int | None:
    return getattr(error, "status_code", None)


def _probe_line(probe: ProbeResult) -> str:
    if probe.error is None:
        return f"{probe.resource}: {probe.done}"
    status = _status_of(probe.error)
    return f"FAILED to {probe.attempted}" + (f" (HTTP {status})" if status else "")


def _probe_fix(probe: ProbeResult, credentials: Credentials) -> str | None:
    if isinstance(probe.error, AuthorizationError):
        return forbidden_fix(credentials, probe.permission, grant=probe.grant, alternative=probe.alternative)
    if isinstance(probe.error, AuthenticationError):
        return unauthenticated_fix(credentials, "the settings above")
    return _error_check("write", probe.error).fix if probe.error else None


def _failed_write(failed: list[ProbeResult], credentials: Credentials, details: tuple[str, ...]) -> Check:
    first = failed[0]
    fixes = list(dict.fromkeys(fix for probe in failed if (fix := _probe_fix(probe, credentials))))
    fix = "\n".join(fixes) or None
    if isinstance(first.error, AuthorizationError):
        summary = f"forbidden (HTTP 403): {who(credentials)} may read, but not {first.attempted}"
        problem, status = "forbidden", 403
    elif isinstance(first.error, AuthenticationError):
        summary = (
            f"not authenticated (HTTP 401) to {first.attempted}: the server lets "
            f"{who(credentials)} read but not write"
        )
        problem, status = "unauthenticated", 401
    else:
        check = _error_check("write", first.error)
        summary = f"could not {first.attempted}: {check.summary}"
        problem, status = check.problem, check.http_status
    if len(failed) > 1:
        summary += f" (and {len(failed) - 1} more, below)"
    return Check("write", FAILED, summary, problem, status, fix, details)


def check_write(session: MLflowSession, experiment_name: str, model_name: str | None) -> Check:
    """Harmless writes of the kinds a registration makes; reports which ones are refused, and why."""
    credentials = session.target.credentials
    probes = [probe_experiment(session, experiment_name), probe_model(session, model_name)]
    details = tuple(
        line for probe in probes for line in (_probe_line(probe), probe.note, probe.cleanup_error) if line
    )
    failed = [probe for probe in probes if probe.error is not None]
    if failed:
        return _failed_write(failed, credentials, details)
    if any(probe.cleanup_error for probe in probes):
        return Check(
            "write",
            WARNING,
            "ok, but a probe could not be cleaned up",
            fix="remove the probe named below by hand",
            details=details,
        )
    return Check("write", OK, "ok: the registry can log and register models", details=details)
