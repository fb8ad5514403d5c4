"""ASGI middleware that admits a request before any routing or body parsing: 401, 403, 413 or 429 first.

Running ahead of the framework keeps the order of answers fixed: a request without a usable key gets
401 even when its body is malformed (FastAPI would parse the body, and answer 422, before a dependency).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.auth import authenticate, authorize
from hokusai_contracts.gateway.errors import GatewayError
from hokusai_contracts.gateway.keys import KeyRecord, KeyStore
from hokusai_contracts.gateway.lockout import FailureLimiter
from hokusai_contracts.gateway.paths import upstream_path
from hokusai_contracts.gateway.policy import Requirement, requirement
from hokusai_contracts.gateway.ratelimit import RateLimiter

STATE_KEY = "hokusai_key"
# A connection without a peer address (a Unix socket): all such clients share one lockout entry.
UNKNOWN_ADDRESS = "unknown"
# The failures that count towards the lockout: a key that matches nothing (malformed or unknown) is what
# guessing produces. A missing key guesses nothing; an expired or revoked key is a real key whose owner
# must keep hearing exactly that (a 429 would hide the fix, "ask for a new key", behind a wait).
_GUESS = "invalid_api_key"


def admit(
    keys: KeyStore,
    limiter: RateLimiter | None,
    authorization: str | None,
    needed: Requirement,
    *,
    lockout: FailureLimiter | None = None,
    address: str = UNKNOWN_ADDRESS,
) -> KeyRecord:
    """The key record of a request that may proceed; GatewayError 401, 403 or 429 otherwise.

    A locked-out address is refused before its key is looked at (see ``lockout``). Scope before rate
    limit: a call that can never succeed is told so at once, not after a wait.
    """
    if lockout is not None:
        wait = lockout.blocked(address)
        if wait:
            raise errors.too_many_invalid_keys(wait)
    try:
        record = authenticate(keys, authorization)
    except GatewayError as exc:
        if lockout is not None and exc.hokusai_error == _GUESS:
            lockout.record_failure(address)
        raise
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


def client_address(scope: Scope) -> str:
    """The TCP peer's address: never a header (X-Forwarded-For is whatever the client writes)."""
    client = scope.get("client")
    return client[0] if client else UNKNOWN_ADDRESS


def authorization_header(headers: Headers) -> str | None:
    """The Authorization value; repeated headers are joined (RFC 9110), which no key matches."""
    values = headers.getlist("authorization")
    return ", ".join(values) if values else None


async def read_body(receive: Receive, limit: int) -> tuple[list[Message], bool]:
    """The request's body messages, read until its end or until more than ``limit`` bytes arrived.

    The bool is False when the body is over ``limit`` (reading stops there: memory stays bounded).
    """
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, True
        size += len(message.get("body", b""))
        if size > limit:
            return messages, False
        if not message.get("more_body", False):
            return messages, True


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then defers to ``receive`` (for disconnects)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


@dataclass
class Gatekeeper:
    """Admits each HTTP request per :func:`requirement`; the admitted key goes into the request state.

    ``lockout`` refuses client addresses that presented too many invalid keys; ``max_body_bytes``
    bounds the bodies of the gateway's own endpoints (MLflow calls stream through unbounded: artifact
    uploads may be large, and MLflow sets its own limits).
    """

    app: ASGIApp
    keys: KeyStore
    limiter: RateLimiter | None
    lockout: FailureLimiter | None = None
    max_body_bytes: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401/403/413/429 here, or pass the request on with its key record."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        needed = requirement(scope["method"], scope["path"])
        if needed is not None and not needed.public:
            headers = Headers(scope=scope)
            try:
                # In a thread: the key store is SQLite.
                record = await run_in_threadpool(
                    admit,
                    self.keys,
                    self.limiter,
                    authorization_header(headers),
                    needed,
                    lockout=self.lockout,
                    address=client_address(scope),
                )
            except GatewayError as exc:
                await error_response(exc)(scope, receive, send)
                return
            scope.setdefault("state", {})[STATE_KEY] = record
            if self.max_body_bytes is not None and upstream_path(scope["path"]) is None:
                receive = await self._bounded(headers, receive, scope, send)
                if receive is None:
                    return
        await self.app(scope, receive, send)

    async def _bounded(self, headers: Headers, receive: Receive, scope: Scope, send: Send) -> Receive | None:
        # The declared length is refused before a byte is read; a chunked body when it passes the limit.
        limit = self.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            messages, within = [], False
        else:
            messages, within = await read_body(receive, limit)
        if not within:
            await error_response(errors.payload_too_large(limit))(scope, receive, send)
            return None
        return replay(messages, receive)
