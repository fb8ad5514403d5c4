"""Tell the Hokusai platform about a tokenized registration once MLflow has recorded it.

The event goes to ``<api endpoint>/api/models/tokenized-registration-events`` with the Hokusai API key
as a bearer token. MLflow has already succeeded when this runs, so every failure says so: the model
version exists and must not be registered again.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hokusai._credentials import mask_secret
from hokusai._mlflow.errors import scrub
from hokusai.exceptions import ConfigurationError, InvalidParameterError, NotificationError

__all__ = ["EVENTS_PATH", "NotificationRequest", "notify_registration"]

EVENTS_PATH = "/api/models/tokenized-registration-events"
SENT, SKIPPED, FAILED = "sent", "skipped", "failed"
_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class NotificationRequest:
    """Where and how to send the event, as ``register_tokenized_model``'s arguments ask."""

    notify_site: bool = True
    best_effort: bool = False
    timeout: float = 10.0
    endpoint: str | None = None
    api_key: str | None = None
    embedded: bool = False

    @classmethod
    def from_arguments(
        cls,
        notify_site: object,
        best_effort: object,
        timeout: object,
        endpoint: object,
    ) -> NotificationRequest:
        """Validated settings (before MLflow is called, so a typo costs no registration)."""
        for name, value in (("notify_site", notify_site), ("best_effort_notification", best_effort)):
            if not isinstance(value, bool):
                raise InvalidParameterError(
                    name, f"{name} must be True or False, got {value!r}", fix=f"pass {name}=True"
                )
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise InvalidParameterError(
                "notification_timeout",
                f"notification_timeout must be a positive number of seconds, got {timeout!r}",
                fix="pass notification_timeout=10.0",
            )
        if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.strip()):
            raise InvalidParameterError(
                "notification_api_endpoint",
                f"notification_api_endpoint must be a URL string, got {endpoint!r}",
                fix="pass notification_api_endpoint='https://api.hokus.ai' (or leave it out)",
            )
        return cls(notify_site, best_effort, float(timeout), endpoint.strip() if endpoint else None)


@dataclass(frozen=True)
class Outcome:
    """What happened to the event; ``as_dict`` is the ``notification`` entry of the result."""

    status: str
    endpoint: str | None = None
    status_code: int | None = None
    reason: str | None = None
    error_code: str | None = None
    required_scope: str | None = None
    retry_after: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The public view: status, endpoint, status_code and reason."""
        return {
            "status": self.status,
            "endpoint": self.endpoint,
            "status_code": self.status_code,
            "reason": self.reason,
        }


def events_url(endpoint: str) -> str:
    """The registration-events URL under the platform ``endpoint``."""
    return endpoint.rstrip("/") + EVENTS_PATH


def event_payload(record: Mapping[str, Any]) -> dict[str, Any]:
    """The event body for a ``register_tokenized_model`` result."""
    return {
        "model_name": record["model_name"],
        "model_version": str(record["version"]),
        "token_id": record["token_id"],
        "metric_name": record["metric_name"],
        "baseline_value": record["baseline_value"],
        "mlflow_run_id": record["mlflow_run_id"],
        "tags": dict(record.get("tags") or {}),
    }


def platform_key(explicit: str | None, session_token: str | None) -> str | None:
    """The Hokusai API key: ``api_key=`` > ``HOKUSAI_API_KEY`` > the config file > the MLflow token."""
    from hokusai.auth.config import AuthConfig

    try:
        with warnings.catch_warnings():
            # The key's format was already judged when the registry was built; once is enough.
            warnings.simplefilter("ignore")
            key = AuthConfig(api_key=explicit).api_key
    except ConfigurationError:
        key = None  # an unreadable config file must not hide the key MLflow already used
    return key or session_token


def _server_detail(body: bytes, secrets: tuple[str, ...]) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        text = body.decode("utf-8", errors="replace").strip()
        return {"message": scrub(text[:300], secrets)} if text and not text.startswith("<") else {}
    if not isinstance(data, dict):
        return {}
    message = data.get("message") or data.get("detail")
    if isinstance(message, list):  # a validation error list (FastAPI's 422)
        message = "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in message
        )
    return {
        "message": scrub(str(message), secrets) if message else None,
        "error_code": data.get("hokusai_error") or data.get("error_code"),
        "required_scope": data.get("required_scope"),
        "retry_after": data.get("retry_after_seconds"),
    }


def _retry_after(header: str | None, body_value: object) -> float | None:
    for value in (header, body_value):
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            continue
    return None


def post_event(url: str, payload: Mapping[str, Any], api_key: str | None, timeout: float) -> Outcome:
    """POST ``payload`` to ``url``; never raises for HTTP or network failures (they are the outcome)."""
    if not api_key:
        return Outcome(FAILED, url, reason="no Hokusai API key to authenticate the event")
    secrets = (api_key,)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {api_key}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Outcome(SENT, url, status_code=response.status)
    except urllib.error.HTTPError as exc:
        try:
            detail = _server_detail(exc.read(_MAX_BODY), secrets)
        finally:
            exc.close()
        message = detail.get("message")
        return Outcome(
            FAILED,
            url,
            status_code=exc.code,
            reason=f"HTTP {exc.code}" + (f": {message}" if message else ""),
            error_code=detail.get("error_code"),
            required_scope=detail.get("required_scope"),
            retry_after=_retry_after(exc.headers.get("Retry-After"), detail.get("retry_after")),
        )
    except TimeoutError:
        return Outcome(FAILED, url, reason=f"no answer within {timeout:g}s (timed out)")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
            return Outcome(FAILED, url, reason=f"no answer within {timeout:g}s (timed out)")
        return Outcome(FAILED, url, reason=f"platform unreachable ({scrub(str(reason), secrets)})")
    except OSError as exc:
        return Outcome(FAILED, url, reason=f"platform unreachable ({scrub(str(exc), secrets)})")


def _fix(outcome: Outcome, api_key: str | None) -> str:
    code, status = outcome.error_code, outcome.status_code
    if status is None and not api_key:
        first = "set HOKUSAI_API_KEY (or pass api_key=) to your Hokusai API key"
    elif status == 401:
        first = (
            "create a new API key and set it in HOKUSAI_API_KEY (or api_key=)"
            if code in ("expired_api_key", "revoked_api_key")
            else f"check the API key sent ({mask_secret(api_key)}): set HOKUSAI_API_KEY (or api_key=) to a "
            "valid Hokusai API key"
        )
    elif status == 403:
        scope = outcome.required_scope or "mlflow:write"
        first = f"use an API key with the `{scope}` scope (set HOKUSAI_API_KEY or api_key=)"
    elif status == 404:
        first = (
            "check HOKUSAI_API_ENDPOINT / api_endpoint=: the platform there has no registration-event route"
        )
    elif status == 422:
        first = "the platform rejected the event's fields (see the message); check the registered values"
    elif status == 429:
        wait = f"{outcome.retry_after:g} seconds" if outcome.retry_after is not None else "a while"
        first = f"the platform rate-limited the key: send the event again after {wait}"
    else:
        first = (
            "check that the platform is reachable at HOKUSAI_API_ENDPOINT / api_endpoint= "
            "(or raise notification_timeout=)"
        )
    return (
        f"{first}. The model version is registered in MLflow: do not register it again; pass "
        "best_effort_notification=True to get such failures in the result instead of an exception"
    )


def notification_error(record: Mapping[str, Any], outcome: Outcome, api_key: str | None) -> NotificationError:
    """The error for a failed event: what MLflow recorded, what the platform did not, and the fix."""
    scope = f"; required scope: {outcome.required_scope}" if outcome.required_scope else ""
    code = f" ({outcome.error_code})" if outcome.error_code else ""
    message = (
        f"Model '{record['model_name']}' version {record['version']} was registered in MLflow "
        f"(run {record['mlflow_run_id']}), but the registration event was not recorded by the Hokusai "
        f"platform: POST {outcome.endpoint} failed{code}: {outcome.reason}{scope}"
    )
    message = scrub(message, (api_key,) if api_key else ())  # also a password written into the URL
    error = NotificationError(
        message, mlflow_registered=True, status_code=outcome.status_code, fix=_fix(outcome, api_key)
    )
    error.result = {**record, "notification": outcome.as_dict()}
    return error


def notify_registration(
    record: Mapping[str, Any], request: NotificationRequest, session_token: str | None
) -> dict[str, Any]:
    """Send the event for ``record``; the ``notification`` entry, or :class:`NotificationError`."""
    if not request.notify_site:
        return Outcome(SKIPPED, request.endpoint, reason="notify_site=False").as_dict()
    if not request.endpoint:
        where = "the embedded store is local and " if request.embedded else ""
        return Outcome(
            SKIPPED,
            reason=f"{where}no platform endpoint is configured (api_endpoint=, auth, HOKUSAI_API_ENDPOINT "
            "or notification_api_endpoint=)",
        ).as_dict()
    api_key = platform_key(request.api_key, session_token)
    outcome = post_event(events_url(request.endpoint), event_payload(record), api_key, request.timeout)
    if outcome.status == FAILED and not request.best_effort:
        raise notification_error(record, outcome, api_key)
    return outcome.as_dict()
