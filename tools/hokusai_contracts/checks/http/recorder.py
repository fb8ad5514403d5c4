"""A recording reverse proxy on loopback: forwards every request to one upstream and keeps the exchange.

The SDK talks to MLflow through ``requests`` deep inside MLflow's client, where no hook is reachable;
pointing the SDK's tracking URI at this proxy records exactly what went over the wire instead.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hokusai_contracts.base.http_headers import HOP_BY_HOP

# Bodies beyond this are kept truncated: artifact uploads and downloads are not validated anyway.
MAX_KEPT_BODY = 256 * 1024
# The recorder's own connection decides these; the body length may change on the way.
_NOT_RELAYED = HOP_BY_HOP | {"host", "content-length"}


@dataclass(frozen=True)
class Exchange:
    """One request the client sent and the answer the upstream gave."""

    method: str
    path: str
    query: dict[str, list[str]]
    request_body: bytes
    request_content_type: str
    status: int
    response_body: bytes
    response_content_type: str
    request_headers: tuple[tuple[str, str], ...] = ()  # as sent by the client, credentials included

    def request_json(self) -> Any:
        """The request body as JSON, None when it is not JSON."""
        return _json(self.request_body, self.request_content_type)

    def response_json(self) -> Any:
        """The response body as JSON, None when it is not JSON."""
        return _json(self.response_body, self.response_content_type)

    @property
    def label(self) -> str:
        """``METHOD /path`` as in an access log."""
        return f"{self.method} {self.path}"


def _json(body: bytes, content_type: str) -> Any:
    if not body or "json" not in content_type.lower():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


@dataclass
class Recording:
    """The exchanges seen so far (thread-safe: the proxy serves requests on several threads)."""

    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, exchange: Exchange) -> None:
        """Keep one exchange."""
        with self._lock:
            self.exchanges.append(exchange)

    def snapshot(self) -> list[Exchange]:
        """A copy of the exchanges, in arrival order."""
        with self._lock:
            return list(self.exchanges)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()  # the blank line after the last chunk
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _handler_class(upstream: str, recording: Recording, timeout: float) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = _read_body(self)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_RELAYED}
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=timeout)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                status, reason, answer_headers = answer.status, answer.reason, answer.getheaders()
            except OSError as exc:
                payload = json.dumps({"error_code": "BAD_GATEWAY", "message": str(exc)}).encode()
                status, reason, answer_headers = 502, "Bad Gateway", [("Content-Type", "application/json")]
            finally:
                connection.close()
            self.send_response(status, reason)
            for name, value in answer_headers:
                if name.lower() not in _NOT_RELAYED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            parts = urlsplit(self.path)
            recording.add(
                Exchange(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    request_body=body[:MAX_KEPT_BODY],
                    request_content_type=self.headers.get("Content-Type", ""),
                    status=status,
                    response_body=payload[:MAX_KEPT_BODY],
                    response_content_type=dict((k.lower(), v) for k, v in answer_headers).get(
                        "content-type", ""
                    ),
                    request_headers=tuple(self.headers.items()),
                )
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: Any) -> None:
            # The exchanges are the record; a line per request on stderr would only be noise.
            return

    return Handler


@dataclass
class RecordingProxy:
    """A running proxy: ``url`` to point clients at, ``recording`` of what went through."""

    url: str
    recording: Recording
    _server: ThreadingHTTPServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_recording_proxy(upstream: str, *, timeout: float = 60.0) -> RecordingProxy:
    """Serve a recording proxy to ``upstream`` on a free loopback port, in a daemon thread."""
    recording = Recording()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(upstream.rstrip("/"), recording, timeout))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="hokusai-http-recorder", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    return RecordingProxy(url=f"http://{host}:{port}", recording=recording, _server=server, _thread=thread)


@contextmanager
def recording_proxy(upstream: str, *, timeout: float = 60.0) -> Iterator[RecordingProxy]:
    """:func:`start_recording_proxy` as a context manager that always stops the proxy."""
    proxy = start_recording_proxy(upstream, timeout=timeout)
    try:
        yield proxy
    finally:
        proxy.stop()
