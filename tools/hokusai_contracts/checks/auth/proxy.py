"""A recording pass-through proxy: the SDK talks to it, it forwards to the real server and notes each request.

It lets a scenario count what reached the server (retries, "no request before the config error",
"the open circuit sent nothing") without touching the SDK, MLflow or the server.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hokusai_contracts.checks.auth.model import RecordedRequest

# Hop-by-hop headers (RFC 9110) and those the proxy recomputes.
_DROPPED = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)
_TIMEOUT_S = 60.0


class RecordingProxy:
    """Forwards every request to ``upstream`` (a root URL) and records method, path, status and time."""

    def __init__(self, upstream: str):
        parsed = urllib.parse.urlsplit(upstream)
        self._host, self._port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self._prefix = parsed.path.rstrip("/")
        self._records: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._before_first: list[Callable[[], None]] = []
        self._first_lock = threading.Lock()
        self.setup_error: Exception | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop to notice, once per scenario.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="auth-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        """The proxy's root URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RecordingProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def before_first_request(self, action: Callable[[], None]) -> None:
        """Run ``action`` once, just before the first request is forwarded (e.g. drain a rate limit)."""
        self._before_first.append(action)

    def _run_before_first(self) -> None:
        # Later requests wait until the actions are done: they must see the state the actions made.
        with self._first_lock:
            actions, self._before_first = self._before_first, []
            for action in actions:
                try:
                    action()
                except Exception as exc:  # reported by the runner after the call, as infrastructure
                    self.setup_error = exc

    def records(self) -> list[RecordedRequest]:
        """Every request forwarded so far, in arrival order."""
        with self._lock:
            return list(self._records)

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None):
        connection = http.client.HTTPConnection(self._host, self._port, timeout=_TIMEOUT_S)
        try:
            connection.request(method, self._prefix + path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                started = time.monotonic()
                body = _read_body(self)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _DROPPED}
                if body is not None:
                    headers["Content-Length"] = str(len(body))
                try:
                    proxy._run_before_first()
                    status, reason, answer_headers, answer = proxy._forward(
                        self.command, self.path, headers, body
                    )
                except OSError as exc:
                    status, reason, answer_headers = 502, "Bad Gateway", [("Content-Type", "text/plain")]
                    answer = f"recording proxy: upstream unreachable ({exc})".encode()
                proxy._record(RecordedRequest(self.command, self.path.split("?", 1)[0], status, started))
                self.send_response(status, reason)
                for name, value in answer_headers:
                    if name.lower() not in _DROPPED and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay

            def log_message(self, format: str, *args: object) -> None:
                pass  # the proxy's own access log would only add noise (and the SDK's logs are checked)

        return Handler


def _read_body(handler: BaseHTTPRequestHandler) -> bytes | None:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = handler.headers.get("Content-Length")
    return handler.rfile.read(int(length)) if length else None


@contextmanager
def recording(upstream: str) -> Iterator[RecordingProxy]:
    """A started proxy to ``upstream``, stopped on exit."""
    proxy = RecordingProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()
