"""Turn MLflow client exceptions into the SDK's documented, actionable exceptions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hokusai._mlflow.diagnosis import diagnose_connection
from hokusai._mlflow.target import MLflowTarget
from hokusai._mlflow.transport import WireNotes
from hokusai.exceptions import (
    AuthenticationError,
    AuthorizationError,
    HokusaiException,
    InvalidParameterError,
    MLflowConnectionError,
    MLflowError,
    RateLimitError,
)
from hokusai.resilience import get_resilience_config

_STATUS_PATTERNS = (
    re.compile(r"failed with error code (\d{3})"),
    re.compile(r"too many (\d{3}) error responses"),
)
_ENDPOINT_PATTERN = re.compile(r"API request to (?:endpoint )?(\S+?) failed")
_CONNECTION_MARKERS = (
    "failed with exception",
    "failed with timeout exception",
    "Max retries exceeded",
    "Connection refused",
    "Name or service not known",
)
# MLflow error codes (from its protobuf enum) -> the HTTP status they stand for.
_ERROR_CODE_STATUS = {
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "CUSTOMER_UNAUTHORIZED": 401,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_ALREADY_EXISTS": 409,
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_EXHAUSTED": 429,
    "TEMPORARILY_UNAVAILABLE": 503,
    "SERVICE_UNDER_MAINTENANCE": 503,
}


_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/:@\s]+):[^/@\s]+@", re.IGNORECASE)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text``, and any password written into a URL, by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return _URL_USERINFO.sub(r"\g<scheme>\g<user>:***@", text)


def error_code_name(exc: BaseException) -> str | None:
    """The MLflow error code name (e.g. ``RESOURCE_DOES_NOT_EXIST``) of an MLflow exception."""
    code = getattr(exc, "error_code", None)
    if code is None:
        return None
    if isinstance(code, str):
        return code
    try:
        from mlflow.protos.databricks_pb2 import ErrorCode

        return ErrorCode.Name(code)
    except (ImportError, ValueError):
        return None


def http_status(exc: BaseException) -> int | None:
    """The HTTP status behind an MLflow exception, when one can be known."""
    text = str(exc)
    for pattern in _STATUS_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    body = getattr(exc, "json", None)
    if isinstance(body, dict) and "error_code" not in body:
        # A JSON error without an MLflow error code (an auth proxy, a gateway): MLflow labels it
        # INTERNAL_ERROR, but the real status is unknown - do not pretend it was a retryable 500.
        return None
    name = error_code_name(exc)
    if name in _ERROR_CODE_STATUS:
        return _ERROR_CODE_STATUS[name]
    if name == "INTERNAL_ERROR" and type(exc).__name__ == "RestException":
        return 500
    return None


# A connection that was never established: the request cannot have reached the server.
_NOT_SENT_MARKERS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Connection refused",
    "ConnectTimeoutError",
    "Name or service not known",
    "nodename nor servname",
)


def request_may_have_arrived(exc: BaseException) -> bool:
    """False when ``exc`` proves the request never reached the server or was refused (HTTP 4xx).

    True for everything else: a lost response (connection closed or reset after sending, a read
    timeout) or a 5xx may come after the server did the work.
    """
    text = str(exc)
    if any(marker in text for marker in _NOT_SENT_MARKERS):
        return False
    status = http_status(exc) if _is_mlflow_exception(exc) else getattr(exc, "status_code", None)
    return not (isinstance(status, int) and 400 <= status < 500)


def is_not_found(exc: BaseException) -> bool:
    """True when MLflow said the requested resource does not exist."""
    return http_status(exc) == 404 or (isinstance(exc, MLflowError) and exc.status_code == 404)


def is_already_exists(exc: BaseException) -> bool:
    """True when MLflow refused to create something because it exists already (HTTP 409)."""
    return error_code_name(exc) in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS")


def _endpoint(text: str) -> str | None:
    match = _ENDPOINT_PATTERN.search(text)
    if not match:
        return None
    endpoint = match.group(1)
    api = endpoint.find("/api/")
    return endpoint[api:] if api > 0 else endpoint


@dataclass(frozen=True)
class ServerDetail:
    """What the server said in an error body (an MLflow JSON error, a gateway error, or plain text)."""

    message: str | None = None
    error_code: str | None = None
    required_scope: str | None = None


_PLAIN_BODY = re.compile(r"Response body: '(?P<body>.*)'", re.DOTALL)


def server_detail(exc: BaseException, secrets: tuple[str, ...] = ()) -> ServerDetail:
    """The message, error code and required scope the server put in its error body, scrubbed."""
    body = getattr(exc, "json", None)
    if isinstance(body, dict):
        message = body.get("message")
        return ServerDetail(
            message=_first_line(scrub(str(message), secrets)) if message else None,
            error_code=body.get("hokusai_error") or body.get("error_code"),
            required_scope=body.get("required_scope"),
        )
    match = _PLAIN_BODY.search(str(exc))
    if match and match.group("body").strip() and "<" not in match.group("body")[:1]:
        return ServerDetail(message=_first_line(scrub(match.group("body"), secrets)))
    return ServerDetail()


_READ_ENDPOINT_WORDS = ("/get", "/search", "get-", "search-", "/list")


def _forbidden_fix(target: MLflowTarget, endpoint: str | None) -> str | None:
    """A 403 fix for a basic-auth user (the default one speaks of API-key scopes)."""
    credentials = target.credentials
    if credentials.kind != "basic":
        return None
    reading = bool(endpoint) and any(word in endpoint for word in _READ_ENDPOINT_WORDS)
    needed = "READ" if reading else "EDIT (or MANAGE)"
    return (
        f"the MLflow user {credentials.username!r} signed in but may not "
        f"{'read' if reading else 'change'} this resource: ask an MLflow admin for {needed} permission "
        "on it (or use an account that has it)"
    )


def _server_error_fix(status: int, target: MLflowTarget) -> str:
    if status in (502, 503, 504):
        return (
            f"the server (or a gateway in front of MLflow) answered HTTP {status}: MLflow is down or "
            "overloaded, not your credentials; the call was retried - try again later"
        )
    if target.credentials.kind == "bearer":
        return (
            "check the server's log; an MLflow basic-auth server answers a bearer token with HTTP 500: "
            "use MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD with such a server"
        )
    return "the server failed (not the SDK): check its log; the call is retried automatically"


def translate(exc: BaseException, target: MLflowTarget, notes: WireNotes | None = None) -> BaseException:
    """The SDK exception that stands for ``exc`` (returned, not raised; unknown errors pass through).

    ``notes``: what the call attempt's responses showed (a 429 and its ``Retry-After``, which MLflow's
    exceptions do not carry).
    """
    if isinstance(exc, HokusaiException):
        return exc
    secrets = target.credentials.secrets()
    if isinstance(exc, ConnectionError | TimeoutError):
        return _unreachable(exc, target)
    text = scrub(str(exc), secrets)
    if notes is not None and notes.rate_limited and not any(m in text for m in _CONNECTION_MARKERS):
        # The attempt's last response was a 429 and this is the error MLflow raised for it (its JSON
        # code may be anything, or the body not JSON at all).
        endpoint = _endpoint(text)
        detail = server_detail(exc, secrets)
        where = endpoint or target.tracking_uri
        said = f": {detail.message}" if detail.message else ""
        return RateLimitError(
            f"MLflow rate-limited the request to {where} (HTTP 429){said}",
            retry_after=notes.retry_after,
            tracking_uri=target.tracking_uri,
            endpoint=endpoint,
            error_code=detail.error_code,
        )
    if not _is_mlflow_exception(exc):
        return exc

    status = http_status(exc)
    endpoint = _endpoint(text)
    credential = target.credentials.describe()
    common = {"tracking_uri": target.tracking_uri, "endpoint": endpoint}

    if status in (401, 403):
        detail = server_detail(exc, secrets)
        error = AuthenticationError if status == 401 else AuthorizationError
        fix = _forbidden_fix(target, endpoint) if status == 403 and not detail.required_scope else None
        return error(
            credential=credential,
            server_message=detail.message,
            error_code=detail.error_code,
            required_scope=detail.required_scope,
            fix=fix,
            **common,
        )
    if status == 429:
        return RateLimitError(
            f"MLflow rate-limited the request to {endpoint or target.tracking_uri}", **common
        )
    if status is not None and status >= 500:
        return MLflowConnectionError(
            f"MLflow at {target.tracking_uri} answered HTTP {status} for {endpoint or 'a request'} "
            f"(credential sent: {credential}): {_first_line(text)}",
            status_code=status,
            fix=_server_error_fix(status, target),
            **common,
        )
    if status is None and any(marker in text for marker in _CONNECTION_MARKERS):
        return _unreachable(exc, target, endpoint)
    if status == 400:
        rejected = InvalidParameterError(message=f"MLflow rejected the request: {_first_line(text)}")
        # The server's answer: resilience counts an exception with a status as proof the server is up.
        rejected.status_code = 400
        return rejected
    return MLflowError(_first_line(text), status_code=status, **common)


def _unreachable(
    exc: BaseException, target: MLflowTarget, endpoint: str | None = None
) -> MLflowConnectionError:
    # The same cause and fix `hokusai doctor` prints: refused, DNS, TLS, proxy or timeout.
    failure = diagnose_connection(exc, target.tracking_uri, get_resilience_config().request_timeout)
    return MLflowConnectionError(
        f"Could not connect to the MLflow tracking server at {target.tracking_uri}: "
        f"{scrub(failure.cause, target.credentials.secrets())}",
        tracking_uri=target.tracking_uri,
        endpoint=endpoint,
        fix=f"{failure.fix}; set HOKUSAI_OPTIONAL_MLFLOW=true to keep tracking locally while it is down",
    )


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _is_mlflow_exception(exc: BaseException) -> bool:
    return any(cls.__name__ == "MlflowException" for cls in type(exc).__mro__)
