"""A recording reverse proxy on loopback: forwards every request to one upstream and keeps the exchange.

The SDK talks to MLflow through ``requests`` deep inside MLflow's client, where no hook is reachable;
pointing the SDK's tracking URI at this proxy records exactly what went over the wire instead. The
HTTP contracts check the recorded bodies against the contract, the auth scenarios count what reached
the server (retries, "no request before the config error"), and bug-report replays keep a transcript
with credentials masked (:meth:`Exchange.masked_headers`).

A ``fault`` hook turns it into the fault-injecting proxy of the resilience tests and benchmarks: it is
given each request and a ``forward`` callable and decides the answer. Forward and return the answer
(relayed as is), forward and return :data:`LOST` (the upstream did the work, the client's connection is
closed without a byte: a lost response), return another :class:`Answer` (a balancer's 502 for an
instance that died after committing), or hold the request and send it later with
:meth:`RecordingProxy.send` (a create an instance applies after the client gave up). A lost answer is
recorded with status 0.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hokusai_contracts.base.http_headers import HOP_BY_HOP
from hokusai_contracts.base.masking import mask_secrets

# Bodies beyond this are kept truncated: artifact uploads and downloads are not validated anyway.
MAX_KEPT_BODY = 256 * 1024
# The proxy's own connection decides these; the body length may change on the way.
_NOT_RELAYED = HOP_BY_HOP | {"host", "content-length"}
DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ProxiedRequest:
    """A request as the proxy relays it: method, path with its query, relayed headers, body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        """The path without its query."""
        return urlsplit(self.path).path


@dataclass(frozen=True)
class Answer:
    """An answer for the client: status, reason, headers, body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def error_answer(status: int, reason: str = "Bad Gateway") -> Answer:
    """An HTML error page as a balancer sends it (HAProxy's 502/503/504)."""
    page = f"<html><body><h1>{status} {reason}</h1></body></html>\n".encode()
    return Answer(status, reason, [("Content-Type", "text/html")], page)


LOST: None = None  # a fault hook's "no answer": the client's connection is closed without a byte
# (the request, forward upstream) -> the answer for the client, or LOST
FaultHook = Callable[[ProxiedRequest, Callable[[], Answer]], "Answer | None"]


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
    started: float = 0.0  # time.monotonic() when the request arrived

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

    def masked_headers(
        self, names: Iterable[str], secrets: Iterable[str] = ()
    ) -> tuple[tuple[str, str], ...]:
        """The request headers among ``names`` (in that order), title-cased, their values masked."""
        sent = {name.lower(): value for name, value in self.request_headers}
        secrets = tuple(secrets)
        return tuple(
            (name.title(), masked_header_value(name, sent[name.lower()], secrets))
            for name in names
            if name.lower() in sent
        )


def masked_header_value(name: str, value: str, secrets: Iterable[str] = ()) -> str:
    """``value`` of header ``name`` with credentials masked."""
    # Masked as a header line, so the Authorization rule applies even to a scheme masking does not know.
    line = mask_secrets(f"{name}: {value}", secrets)
    return line.split(": ", 1)[1] if ": " in line else "***"


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

    def __len__(self) -> int:
        with self._lock:
            return len(self.exchanges)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body: chunked transfer encoding decoded, else ``Content-Length`` bytes (may be none)."""
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


class RecordingProxy:
    """A proxy to ``upstream`` (a root URL, maybe with a path prefix) recording every exchange.

    :meth:`start` serves it in a daemon thread on a free loopback port; :attr:`url` is where clients go.
    """

    def __init__(self, upstream: str, *, timeout: float = DEFAULT_TIMEOUT_S, fault: FaultHook | None = None):
        target = urlsplit(upstream.rstrip("/"))
        self._host, self._port = target.hostname or "127.0.0.1", target.port or 80
        self._prefix = target.path
        self._timeout = timeout
        self.fault = fault
        self.recording = Recording()
        self._before_first: list[Callable[[], None]] = []
        self._first_lock = threading.Lock()
        self.setup_error: Exception | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop to notice (once per auth scenario).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="hokusai-recording-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        """The proxy's root URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RecordingProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def before_first_request(self, action: Callable[[], None]) -> None:
        """Run ``action`` once, just before the first request is forwarded (e.g. drain a rate limit)."""
        self._before_first.append(action)

    def run_before_first(self) -> None:
        """Run the :meth:`before_first_request` actions once; a failure is kept in ``setup_error``."""
        # Later requests wait until the actions are done: they must see the state the actions made.
        with self._first_lock:
            actions, self._before_first = self._before_first, []
            for action in actions:
                try:
                    action()
                except Exception as exc:  # reported by the caller after the call, as infrastructure
                    self.setup_error = exc

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Send one request upstream: the answer's status, reason, headers, body (502: unreachable)."""
        connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            connection.request(method, self._prefix + path, body=body or None, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.reason, answer.getheaders(), answer.read()
        except OSError as exc:
            payload = json.dumps({"error_code": "BAD_GATEWAY", "message": f"recording proxy: {exc}"}).encode()
            return 502, "Bad Gateway", [("Content-Type", "application/json")], payload
        finally:
            connection.close()

    def send(self, request: ProxiedRequest) -> Answer:
        """Forward ``request`` upstream now (a fault hook may hold one and send it later); the answer."""
        return Answer(*self.forward(request.method, request.path, request.headers, request.body))

    def answer(self, request: ProxiedRequest) -> Answer | None:
        """The answer the client gets: the upstream's, or what the fault hook decides (:data:`LOST`)."""
        if self.fault is None:
            return self.send(request)
        return self.fault(request, lambda: self.send(request))


def _handler_class(proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            started = time.monotonic()
            body = read_body(self)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_RELAYED}
            proxy.run_before_first()
            answer = proxy.answer(ProxiedRequest(self.command, self.path, headers, body))
            status, reason, answer_headers, payload = (
                (answer.status, answer.reason, answer.headers, answer.body) if answer else (0, "", [], b"")
            )
            # Recorded before the client has its answer: whoever counts requests right after a call
            # returns sees every request of it.
            parts = urlsplit(self.path)
            proxy.recording.add(
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
                    started=started,
                )
            )
            if answer is LOST:
                self.close_connection = True  # the upstream did the work; the client never hears of it
                return
            self.send_response(status, reason)
            for name, value in answer_headers:
                if name.lower() not in _NOT_RELAYED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            # One request per connection: a stopped proxy leaves no handler waiting on an idle client.
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay

        def log_message(self, format: str, *args: Any) -> None:
            # The exchanges are the record; a line per request on stderr would only be noise.
            return

    return Handler


def start_recording_proxy(
    upstream: str, *, timeout: float = DEFAULT_TIMEOUT_S, fault: FaultHook | None = None
) -> RecordingProxy:
    """A proxy to ``upstream`` serving on a free loopback port, in a daemon thread."""
    return RecordingProxy(upstream, timeout=timeout, fault=fault).start()


@contextmanager
def recording_proxy(
    upstream: str, *, timeout: float = DEFAULT_TIMEOUT_S, fault: FaultHook | None = None
) -> Iterator[RecordingProxy]:
    """:func:`start_recording_proxy` as a context manager that always stops the proxy."""
    proxy = start_recording_proxy(upstream, timeout=timeout, fault=fault)
    try:
        yield proxy
    finally:
        proxy.stop()
