"""The reference platform gateway: API-key auth, scopes, rate limits and a streaming proxy to MLflow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.config import GatewayConfig
from hokusai_contracts.gateway.errors import ErrorBody, GatewayError
from hokusai_contracts.gateway.events import EventList, EventStore, RegistrationEvent, StoredRegistrationEvent
from hokusai_contracts.gateway.gatekeeper import STATE_KEY, Gatekeeper, error_response
from hokusai_contracts.gateway.keys import KeyRecord, KeyStore
from hokusai_contracts.gateway.lockout import FailureLimiter
from hokusai_contracts.gateway.paths import (
    AUTH_VALIDATE,
    PROXY_PREFIXES,
    REGISTRATION_EVENTS,
    STRIPPED_PREFIXES,
    upstream_path,
)
from hokusai_contracts.gateway.proxy import Upstream
from hokusai_contracts.gateway.ratelimit import RateLimiter

API_VERSION = "1.0.0"
_DOCUMENTED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_UNDOCUMENTED_METHODS = ["HEAD", "OPTIONS"]

DESCRIPTION = """\
The Hokusai platform gateway in front of MLflow (the contract suite's reference implementation).

Every request but `/health` carries `Authorization: Bearer <hokusai API key>` (`hk_live_...` or
`hk_test_...`). Every error answer is JSON with MLflow's `error_code` (MLflow's client derives the HTTP
status from it alone) and `message`, plus the gateway's `hokusai_error`: `missing_api_key`,
`invalid_api_key`, `expired_api_key`, `revoked_api_key` (401); `insufficient_scope` (403, with
`required_scope`); `rate_limited` (429: the key's request rate) and `too_many_invalid_keys` (429: the
client address presented too many invalid keys, so every request from it that needs a key is refused for
a while, valid keys included), both with the `Retry-After` header; `upstream_unavailable` (502);
`upstream_timeout` (504); `invalid_payload` (422); `payload_too_large` (413); `endpoint_not_found` (404);
`malformed_request` (400: bytes that are not valid HTTP, e.g. a NUL in a header); `bad_request`;
`internal_error` (500).

MLflow is reached under `/api/mlflow/...` and `/mlflow/...` (prefix stripped: with the tracking URI
`http://gateway/api/mlflow` the MLflow client calls `/api/mlflow/api/2.0/mlflow/...`) and under MLflow's
own `/api/2.0/...`, `/api/3.0/...` and `/ajax-api/...`. Reads (GET, and POST searches) need
`mlflow:read`; every other call needs `mlflow:write`; `admin` includes every scope.
"""


def _error(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


AUTH_ERRORS = {
    401: _error("missing, malformed, unknown, revoked or expired API key"),
    403: _error("the key lacks the scope the call needs; `required_scope` names it"),
    429: {
        **_error(
            "rate limited (the key's request rate, or too many invalid keys from this address); retry "
            "after the `Retry-After` header's seconds"
        ),
        "headers": {
            "Retry-After": {
                "description": "whole seconds to wait",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}
# The gateway's own endpoints bound request bodies (config `max_body_bytes`); MLflow calls do not.
OWN_ERRORS = {**AUTH_ERRORS, 413: _error("the request body is over the gateway's limit")}
EVENT_ERRORS = {**OWN_ERRORS, 422: _error("the request does not match the schema; `detail` says where")}
# FastAPI answers a body that is not UTF-8 with 400 before validation (found by Schemathesis).
BODY_ERRORS = {**EVENT_ERRORS, 400: _error("the body cannot be decoded (not UTF-8)")}
PROXY_ERRORS = {
    **AUTH_ERRORS,
    502: _error("the MLflow server behind the gateway is unreachable"),
    504: _error("the MLflow server behind the gateway did not answer in time"),
    "default": {"description": "any other answer is MLflow's own, passed through unchanged"},
}


class Health(BaseModel):
    """The gateway's liveness."""

    status: str


class KeyInfo(BaseModel):
    """What the gateway knows about the presented key (never the key itself)."""

    key_id: str
    key_display: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None


def _key(request: Request) -> KeyRecord:
    # Put there by the Gatekeeper, which admitted the request.
    return request.scope["state"][STATE_KEY]


def create_gateway_app(config: GatewayConfig) -> FastAPI:
    """The gateway as an ASGI app for ``config`` (MLflow reached at ``config.upstream_url``)."""
    keys = KeyStore(config.key_store)
    events = EventStore(config.event_store)
    limiter = RateLimiter(config.rate_limit) if config.rate_limit else None
    lockout = FailureLimiter(config.auth_failure_limit) if config.auth_failure_limit else None
    upstream = Upstream.create(config.upstream_url, config.upstream_timeout, config.upstream_auth.header())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await upstream.aclose()

    app = FastAPI(
        title="Hokusai platform gateway", version=API_VERSION, description=DESCRIPTION, lifespan=lifespan
    )
    app.add_middleware(
        Gatekeeper, keys=keys, limiter=limiter, lockout=lockout, max_body_bytes=config.max_body_bytes
    )
    # Documents the bearer scheme; the Gatekeeper does the checking.
    bearer = [
        Security(HTTPBearer(auto_error=False, description="A Hokusai API key: hk_live_... or hk_test_..."))
    ]

    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type")),
            }
            for e in exc.errors()
        ]
        return error_response(errors.invalid_payload(detail))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            error = errors.not_found(request.url.path)
        else:
            error = errors.http_error(exc.status_code, str(exc.detail))
        error.headers.update(exc.headers or {})
        return error_response(error)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # Starlette still logs the exception (and re-raises it to the server) after this answer.
        return error_response(errors.internal_error())

    @app.get("/health", tags=["gateway"], operation_id="health")
    async def health() -> Health:
        """Liveness: 200 while the gateway runs (MLflow is not asked)."""
        return Health(status="ok")

    @app.post(
        AUTH_VALIDATE,
        tags=["auth"],
        operation_id="validate_api_key",
        dependencies=bearer,
        responses=OWN_ERRORS,
    )
    async def validate_key(request: Request) -> KeyInfo:
        """The presented key's id, scopes and expiry; 401 when it is not usable."""
        record = _key(request)
        return KeyInfo(
            key_id=record.key_id,
            key_display=record.display,
            scopes=list(record.scopes),
            created_at=record.created_at,
            expires_at=record.expires_at,
        )

    @app.post(
        REGISTRATION_EVENTS,
        tags=["models"],
        operation_id="add_registration_event",
        status_code=201,
        dependencies=bearer,
        responses=BODY_ERRORS,
    )
    async def add_registration_event(request: Request, event: RegistrationEvent) -> StoredRegistrationEvent:
        """Record a tokenized model registration (needs `mlflow:write`)."""
        return await run_in_threadpool(events.add, event, _key(request).key_id)

    @app.get(
        REGISTRATION_EVENTS,
        tags=["models"],
        operation_id="list_registration_events",
        dependencies=bearer,
        responses=EVENT_ERRORS,
    )
    async def list_registration_events(
        model_name: Annotated[str | None, Query()] = None,
        token_id: Annotated[str | None, Query()] = None,
    ) -> EventList:
        """The recorded registrations, oldest first (needs `mlflow:read`)."""
        return EventList(events=await run_in_threadpool(events.events, model_name, token_id))

    async def proxy(request: Request, path: str) -> Response:
        # Forward the percent-encoded path as the client sent it: decoding would turn %2F into a slash.
        raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        target = upstream_path(raw)
        if target is None:
            raise errors.not_found(request.url.path)
        return await upstream.forward(request, target)

    for prefix in PROXY_PREFIXES:
        name = prefix.strip("/").replace("/", "_").replace(".", "").replace("-", "_")
        route = f"{prefix}/{{path:path}}"
        for method in _DOCUMENTED_METHODS:
            app.add_api_route(
                route,
                proxy,
                methods=[method],
                name=f"proxy_{name}",
                operation_id=f"proxy_{name}_{method.lower()}",
                tags=["mlflow proxy"],
                dependencies=bearer,
                responses=PROXY_ERRORS,
                summary=f"Forward {prefix}/... to MLflow",
                description=_proxy_description(prefix),
            )
        app.add_api_route(route, proxy, methods=_UNDOCUMENTED_METHODS, include_in_schema=False)
    return app


def _proxy_description(prefix: str) -> str:
    scopes = "Reads (GET, POST searches) need `mlflow:read`, every other call `mlflow:write`."
    if prefix in STRIPPED_PREFIXES:
        return (
            f"`{prefix}/<path>` is forwarded to MLflow's `/<path>` (for a tracking URI ending in "
            f"`{prefix}`). {scopes}"
        )
    return f"Forwarded unchanged to MLflow. {scopes}"
