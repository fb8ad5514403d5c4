"""ASGI middleware that admits a request before any routing or body parsing: 401, 403 or 429 first.

Running ahead of the framework keeps the order of answers fixed: a request without a usable key gets
401 even when its body is malformed (FastAPI would parse the body, and answer 422, before a dependency).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.auth import authenticate, authorize
from hokusai_contracts.gateway.errors import GatewayError
from hokusai_contracts.gateway.keys import KeyRecord, KeyStore
from hokusai_contracts.gateway.policy import Requirement, requirement
from hokusai_contracts.gateway.ratelimit import RateLimiter

STATE_KEY = "hokusai_key"


def admit(
    keys: KeyStore, limiter: RateLimiter | None, authorization: str | None, needed: Requirement
) -> KeyRecord:
    """The key record of a request that may proceed; GatewayError 401, 403 or 429 otherwise.

    Scope before rate limit: a call that can never succeed is told so at once, not after a wait.
    """
    record = authenticate(keys, authorization)
    if needed.scope is not None:
        authorize(record, needed.scope)
    if limiter is not None:
        wait = limiter.check(record.key_id)
        if wait:
            raise errors.rate_limited(wait)
    return record


def error_response(error: GatewayError) -> JSONResponse:
    """The HTTP answer for ``error``."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


@dataclass
class Gatekeeper:
    """Admits each HTTP request per :func:`requirement`; the admitted key goes into the request state."""

    app: ASGIApp
    keys: KeyStore
    limiter: RateLimiter | None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401/403/429 here, or pass the request on with its key record."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        needed = requirement(scope["method"], scope["path"])
        if needed is not None and not needed.public:
            authorization = Headers(scope=scope).get("authorization")
            try:
                # In a thread: the key store is SQLite.
                record = await run_in_threadpool(admit, self.keys, self.limiter, authorization, needed)
            except GatewayError as exc:
                await error_response(exc)(scope, receive, send)
                return
            scope.setdefault("state", {})[STATE_KEY] = record
        await self.app(scope, receive, send)
