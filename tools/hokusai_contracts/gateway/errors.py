"""The gateway's error answers: an MLflow-compatible body (``error_code`` + ``message``) plus its own fields.

MLflow's client derives the status of a failed call only from the body's ``error_code``; a body without
one loses its status on the way to the SDK. So every answer here carries one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

UNAUTHENTICATED = "UNAUTHENTICATED"
PERMISSION_DENIED = "PERMISSION_DENIED"
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
BAD_REQUEST = "BAD_REQUEST"
INTERNAL_ERROR = "INTERNAL_ERROR"


class ErrorBody(BaseModel):
    """Every gateway error: MLflow's ``error_code`` and ``message``, and the gateway's own reason."""

    error_code: str = Field(description="MLflow error code; MLflow's client derives the HTTP status from it")
    message: str = Field(description="What went wrong and what to do about it")
    hokusai_error: str = Field(description="The gateway's reason, e.g. invalid_api_key, insufficient_scope")
    required_scope: str | None = Field(default=None, description="403 only: the scope the call needs")
    retry_after_seconds: int | None = Field(default=None, description="429 only: as the Retry-After header")
    detail: list[dict[str, Any]] | None = Field(default=None, description="422 only: the invalid fields")


@dataclass
class GatewayError(Exception):
    """An error the gateway answers with ``status`` and an :class:`ErrorBody`."""

    status: int
    error_code: str
    hokusai_error: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The JSON body (fields that are None left out)."""
        body = ErrorBody(
            error_code=self.error_code, message=self.message, hokusai_error=self.hokusai_error, **self.extra
        )
        return body.model_dump(exclude_none=True)


def missing_key() -> GatewayError:
    """401: no ``Authorization: Bearer`` header."""
    return GatewayError(
        401,
        UNAUTHENTICATED,
        "missing_api_key",
        "no API key: send `Authorization: Bearer <hokusai API key>` "
        "(set HOKUSAI_API_KEY or MLFLOW_TRACKING_TOKEN to the key)",
        headers={"WWW-Authenticate": 'Bearer realm="hokusai"'},
    )


def malformed_key() -> GatewayError:
    """401: the Authorization header is not ``Bearer hk_(live|test)_...``."""
    return GatewayError(
        401,
        UNAUTHENTICATED,
        "invalid_api_key",
        "the Authorization header does not carry a Hokusai API key: expected `Bearer hk_live_...` "
        "or `Bearer hk_test_...`; check HOKUSAI_API_KEY / MLFLOW_TRACKING_TOKEN",
        headers={"WWW-Authenticate": 'Bearer realm="hokusai", error="invalid_token"'},
    )


def unknown_key(display: str) -> GatewayError:
    """401: a well-formed key the gateway does not know."""
    return GatewayError(
        401,
        UNAUTHENTICATED,
        "invalid_api_key",
        f"API key {display} is not valid: it is unknown to this platform; check that the key is "
        "complete and meant for this environment (hk_live_ vs hk_test_)",
        headers={"WWW-Authenticate": 'Bearer realm="hokusai", error="invalid_token"'},
    )


def revoked_key(display: str) -> GatewayError:
    """401: a revoked key."""
    return GatewayError(
        401,
        UNAUTHENTICATED,
        "revoked_api_key",
        f"API key {display} was revoked; ask for a new key",
        headers={"WWW-Authenticate": 'Bearer realm="hokusai", error="invalid_token"'},
    )


def expired_key(display: str, expired_at: str) -> GatewayError:
    """401: an expired key."""
    return GatewayError(
        401,
        UNAUTHENTICATED,
        "expired_api_key",
        f"API key {display} expired at {expired_at}; ask for a new key (or a renewal)",
        headers={"WWW-Authenticate": 'Bearer realm="hokusai", error="invalid_token"'},
    )


def insufficient_scope(display: str, scope: str, purpose: str) -> GatewayError:
    """403: a valid key without the scope the call needs."""
    return GatewayError(
        403,
        PERMISSION_DENIED,
        "insufficient_scope",
        f"API key {display} lacks the `{scope}` scope required for {purpose}; ask for a key with {scope}",
        extra={"required_scope": scope},
    )


def rate_limited(retry_after: int) -> GatewayError:
    """429: the key's request budget is spent for now."""
    return GatewayError(
        429,
        REQUEST_LIMIT_EXCEEDED,
        "rate_limited",
        f"too many requests with this API key; retry after {retry_after} second(s)",
        extra={"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def too_many_invalid_keys(retry_after: int) -> GatewayError:
    """429: this client address presented too many invalid keys; it is refused until the block ends."""
    return GatewayError(
        429,
        REQUEST_LIMIT_EXCEEDED,
        "too_many_invalid_keys",
        f"too many invalid API keys from this address; every request from it is refused for "
        f"{retry_after} second(s). Check that HOKUSAI_API_KEY / MLFLOW_TRACKING_TOKEN holds the complete "
        "key before retrying",
        extra={"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def upstream_unavailable(reason: str) -> GatewayError:
    """502: MLflow behind the gateway could not be reached."""
    return GatewayError(
        502,
        TEMPORARILY_UNAVAILABLE,
        "upstream_unavailable",
        f"the MLflow server behind the gateway is unreachable ({reason}); this is a platform problem, "
        "not a client one: retry later",
    )


def upstream_timeout(seconds: float) -> GatewayError:
    """504: MLflow behind the gateway did not answer in time."""
    return GatewayError(
        504,
        TEMPORARILY_UNAVAILABLE,
        "upstream_timeout",
        f"the MLflow server behind the gateway did not answer within {seconds:g}s; retry later",
    )


def not_found(path: str) -> GatewayError:
    """404: no such gateway route."""
    return GatewayError(
        404,
        ENDPOINT_NOT_FOUND,
        "endpoint_not_found",
        f"the gateway has no route {path}; MLflow calls go under /api/mlflow/, /mlflow/ or /api/2.0/mlflow/",
    )


def invalid_payload(detail: list[dict[str, Any]]) -> GatewayError:
    """422: a request body that does not match its schema."""
    fields = ", ".join(".".join(str(p) for p in d.get("loc", ())[1:]) or "body" for d in detail)
    return GatewayError(
        422,
        INVALID_PARAMETER_VALUE,
        "invalid_payload",
        f"the request body is invalid ({fields}); see `detail` and the gateway's /openapi.json",
        extra={"detail": detail},
    )


def http_error(status: int, message: str) -> GatewayError:
    """Any other HTTP error the framework raises (405, 400...)."""
    return GatewayError(status, BAD_REQUEST, "bad_request", message)


def payload_too_large(limit: int) -> GatewayError:
    """413: a body over the gateway's own endpoints' limit (MLflow's client reads BAD_REQUEST as 400)."""
    return GatewayError(
        413,
        BAD_REQUEST,
        "payload_too_large",
        f"the request body is larger than {limit} bytes, the limit of the gateway's own endpoints",
    )


def malformed_request(header_limit: int) -> GatewayError:
    """400: bytes the HTTP parser rejects before the gateway app sees a request."""
    return GatewayError(
        400,
        BAD_REQUEST,
        "malformed_request",
        "the request is not valid HTTP/1.1 and was not processed: a header value holds a NUL byte or a "
        f"line break, the request line is malformed, or the headers exceed {header_limit} bytes; send "
        "printable ASCII header values, e.g. `Authorization: Bearer hk_live_...`",
    )


def internal_error() -> GatewayError:
    """500: a bug in the gateway (logged server-side; the answer says nothing more)."""
    return GatewayError(
        500,
        INTERNAL_ERROR,
        "internal_error",
        "the gateway failed to handle the request; this is a platform problem, not a client one",
    )
