"""Forward MLflow calls to the upstream server with httpx, streaming both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse

from hokusai_contracts.base.http_headers import HOP_BY_HOP
from hokusai_contracts.gateway import errors

# Host and credentials are the gateway's own.
_NOT_FORWARDED_UP = HOP_BY_HOP | {"host", "authorization", "cookie"}
_NOT_FORWARDED_DOWN = HOP_BY_HOP | {"set-cookie"}


def request_headers(
    headers: list[tuple[str, str]], upstream_authorization: str | None
) -> list[tuple[str, str]]:
    """The headers to send upstream: the client's minus its credentials, plus the gateway's own."""
    forwarded = [(name, value) for name, value in headers if name.lower() not in _NOT_FORWARDED_UP]
    if upstream_authorization:
        forwarded.append(("authorization", upstream_authorization))
    return forwarded


def response_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The upstream answer's headers the client gets."""
    return [(name, value) for name, value in headers.multi_items() if name.lower() not in _NOT_FORWARDED_DOWN]


@dataclass
class Upstream:
    """The MLflow server behind the gateway and the client the gateway reaches it with."""

    base_url: str
    client: httpx.AsyncClient
    timeout: float
    authorization: str | None = None

    @classmethod
    def create(cls, base_url: str, timeout: float, authorization: str | None = None) -> Upstream:
        """An upstream with a pooled client; redirects reach the client as MLflow sent them."""
        client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
        )
        return cls(base_url.rstrip("/"), client, timeout, authorization)

    async def forward(self, request: Request, raw_path: str) -> StreamingResponse:
        """Send ``request`` to ``raw_path`` (percent-encoded) upstream and stream the answer back.

        Raises :class:`GatewayError` (502/504) when MLflow cannot be reached or does not answer in time.
        """
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        query = request.scope.get("query_string", b"").decode("latin-1")
        upstream_request = self.client.build_request(
            request.method,
            raw_path + (f"?{query}" if query else ""),
            headers=request_headers(request.headers.items(), self.authorization),
            content=_body(request) if has_body else None,
        )
        try:
            response = await self.client.send(upstream_request, stream=True)
        except httpx.TimeoutException as exc:
            raise errors.upstream_timeout(self.timeout) from exc
        except httpx.TransportError as exc:
            raise errors.upstream_unavailable(type(exc).__name__) from exc
        return StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            headers=_header_dict(response_headers(response.headers)),
            background=BackgroundTask(response.aclose),
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self.client.aclose()


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def _header_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    # Starlette's Response takes a mapping; repeated headers (rare from MLflow) are joined as RFC 9110 allows.
    merged: dict[str, str] = {}
    for name, value in headers:
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged
