"""The reference gateway against a hostile client: a real uvicorn process, raw sockets, many addresses.

Every malformed request must get the gateway's JSON error (never uvicorn's text/plain, never a 5xx), and
an address that guesses keys must be locked out without touching other addresses. Each test talks from
its own loopback address (127.0.0.N, N >= 2: Linux routes all of 127/8 to the loopback interface), so the
lockout one test provokes cannot change another test's answers. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import socket
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hokusai_contracts.gateway.app import create_gateway_app
from hokusai_contracts.gateway.config import GatewayConfig
from hokusai_contracts.gateway.keys import READ, WRITE, KeyStore, expired_at
from hokusai_contracts.gateway.lockout import FailureLimit

pytestmark = pytest.mark.server

VALIDATE = "/api/auth/validate"
EVENTS = "/api/models/tokenized-registration-events"
# The default threshold, with a short window so that the test can watch the block end.
FAILURES, WINDOW = 20, 6.0
BODY_LIMIT = 64 * 1024
_ADDRESSES = itertools.count(2)


@dataclass
class Hostile:
    """The gateway under test: where it listens and the keys it knows."""

    port: int
    key: str
    expired: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Answer:
    """One HTTP answer as read off the socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator[Hostile]:
    """A gateway process with the default failure threshold, a short window and a 64 KiB body limit.

    Started here rather than through ``start_gateway``, which does not expose the lockout settings.
    MLflow behind it is a closed port: nothing here needs an answer from MLflow.
    """
    workdir = tmp_path_factory.mktemp("gateway-hostile")
    config = GatewayConfig(
        upstream_url=f"http://127.0.0.1:{_free_port()}",
        key_store=workdir / "keys.db",
        event_store=workdir / "events.db",
        auth_failure_limit=FailureLimit(failures=FAILURES, window=WINDOW),
        max_body_bytes=BODY_LIMIT,
    )
    (workdir / "gateway.json").write_text(config.to_json())
    store = KeyStore(config.key_store)
    key, expired = store.issue([READ, WRITE]), store.issue([READ], expires_at=expired_at())
    port = _free_port()
    log_path = workdir / "gateway.log"
    command = [sys.executable, "-m", "hokusai_contracts.gateway.serve", "--config", "gateway.json"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _await_health(f"http://127.0.0.1:{port}/health", process, log_path)
        yield Hostile(port, key, expired, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _await_health(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the gateway exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the gateway was not healthy within {timeout:.0f}s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def address():
    """Factory: a loopback address no other test of this module sends from."""

    def make() -> str:
        source = f"127.0.0.{next(_ADDRESSES)}"
        try:
            with socket.socket() as probe:
                probe.bind((source, 0))
        except OSError as exc:
            pytest.skip(f"this system cannot send from {source} ({exc}); the loopback is not 127/8")
        return source

    return make


def exchanges(gateway: Hostile, data: bytes, source: str) -> list[Answer]:
    """Send ``data`` as is from ``source``; the answers read until the gateway closes the connection."""
    target = ("127.0.0.1", gateway.port)
    with socket.create_connection(target, timeout=15, source_address=(source, 0)) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    answers = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {n.strip().lower(): v.strip() for n, _, v in (line.partition(":") for line in lines)}
        length = int(headers["content-length"])  # every gateway answer has one
        answers.append(Answer(int(status_line.split()[1]), headers, rest[:length]))
        received = rest[length:]
    return answers


def exchange(gateway: Hostile, data: bytes, source: str) -> Answer:
    """The one answer to ``data`` sent from ``source``."""
    (answer,) = exchanges(gateway, data, source)
    return answer


def request(
    method: bytes = b"POST", target: bytes = VALIDATE.encode(), headers: bytes = b"", body: bytes = b""
) -> bytes:
    """A raw HTTP/1.1 request (``headers``: extra header lines, each ending in CRLF)."""
    return (
        method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


def assert_json_error(answer: Answer, status: int, hokusai_error: str) -> dict:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/json", answer
    body = answer.json()
    assert body["hokusai_error"] == hokusai_error, body
    assert body["error_code"] and body["message"]
    return body


def client(gateway: Hostile, source: str) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=15, transport=httpx.HTTPTransport(local_address=source))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def random_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "hk_test_" + "".join(secrets.choice(alphabet) for _ in range(32))


# ---------------------------------------------------------------------------------------------------
# Malformed Authorization values, byte by byte

REJECTED_BY_THE_HTTP_PARSER = "malformed_request"


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        (b"Bearer hk_test_\x00" + b"A" * 31, 400, REJECTED_BY_THE_HTTP_PARSER),
        (b"Bearer hk_test_\r" + b"A" * 31, 400, REJECTED_BY_THE_HTTP_PARSER),
        (b"Bearer hk_test_\n" + b"A" * 31, 400, REJECTED_BY_THE_HTTP_PARSER),
        (b"Bearer hk_test_\x0b" + b"A" * 31, 400, REJECTED_BY_THE_HTTP_PARSER),
        (b"Bearer hk_test_\x0c" + b"A" * 31, 400, REJECTED_BY_THE_HTTP_PARSER),
        (b"Bearer " + b"a" * (1024 * 1024), 400, REJECTED_BY_THE_HTTP_PARSER),
        (b"Bearer hk_test_\x01" + b"A" * 31, 401, "invalid_api_key"),
        (b"Bearer hk_test_\x7f" + b"A" * 31, 401, "invalid_api_key"),
        (b"Bearer hk_test_\xe9\xff" + b"A" * 30, 401, "invalid_api_key"),
        ("Bearer hk_test_é".encode() + b"A" * 31, 401, "invalid_api_key"),
        (b"Bearer " + b"a" * 8000, 401, "invalid_api_key"),
        (b"Basic dXNlcjpwYXNz", 401, "invalid_api_key"),
        (b"Bearer", 401, "invalid_api_key"),
        (b"hk_test_" + b"A" * 32, 401, "invalid_api_key"),
        (b"", 401, "missing_api_key"),
        (b"    ", 401, "missing_api_key"),
    ],
    ids=[
        "NUL", "CR", "LF", "vertical-tab", "form-feed", "1-MiB", "0x01", "DEL", "latin-1", "utf-8",
        "8-KiB", "basic-scheme", "scheme-only", "no-scheme", "empty", "blank",
    ],
)  # fmt: skip
def test_every_malformed_authorization_gets_the_json_error(hostile, address, value, status, reason):
    answer = exchange(hostile, request(headers=b"Authorization: " + value + b"\r\n"), address())
    body = assert_json_error(answer, status, reason)
    # The presented value is never echoed (it may be a real key with a typo).
    assert b"A" * 30 not in answer.body and b"a" * 100 not in answer.body
    if status == 400:
        assert answer.headers["connection"] == "close"
        assert "not valid HTTP/1.1" in body["message"]


def test_two_authorization_headers_are_an_invalid_key_even_when_one_is_valid(hostile, address):
    headers = f"Authorization: Bearer {hostile.key}\r\nAuthorization: Bearer {random_key()}\r\n"
    answer = exchange(hostile, request(headers=headers.encode()), address())
    assert_json_error(answer, 401, "invalid_api_key")


# ---------------------------------------------------------------------------------------------------
# Requests that are not HTTP, or not routable


@pytest.mark.parametrize(
    "data",
    [
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(32),  # a TLS ClientHello on the plain port
        b"GET /health\r\n\r\n",  # HTTP/0.9
        b"GET /a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /\xe9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n",  # no Host
        b"GET /health HTTP/1.1\r\nHost: x\r\n: nameless\r\nConnection: close\r\n\r\n",
        request(headers=b"Content-Length: 1\r\n", body=b"ab"),  # two lengths
        b"POST /api/auth/validate HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /api/auth/validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    ],
    ids=[
        "tls", "http09", "space-in-target", "non-ascii-target", "no-host", "nameless-header",
        "two-content-lengths", "bad-content-length", "unknown-transfer-encoding",
    ],
)  # fmt: skip
def test_what_the_http_parser_rejects_gets_the_json_error(hostile, address, data):
    assert_json_error(exchange(hostile, data, address()), 400, REJECTED_BY_THE_HTTP_PARSER)


def test_the_http2_preface_is_a_404_then_the_json_400(hostile, address):
    # "PRI * HTTP/2.0" parses as an HTTP/1.1 request (no such route); the frame bytes after it do not.
    first, second = exchanges(hostile, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", address())
    assert_json_error(first, 404, "endpoint_not_found")
    assert_json_error(second, 400, REJECTED_BY_THE_HTTP_PARSER)


@pytest.mark.parametrize(
    ("method", "target", "status", "reason"),
    [
        (b"GET", b"foo", 404, "endpoint_not_found"),
        (b"OPTIONS", b"*", 404, "endpoint_not_found"),
        (b"GET", b"http://evil.invalid/api/auth/validate", 404, "endpoint_not_found"),
        (b"GET", b"/api/%00", 404, "endpoint_not_found"),
        (b"GET", b"/api/%zz%c3%28", 404, "endpoint_not_found"),
        (b"GET", b"/api/mlflow/../../etc/passwd", 401, "missing_api_key"),
        (b"GET", b"/api/mlflow/%2e%2e/%2e%2e/etc/passwd", 401, "missing_api_key"),
        (b"TRACE", b"/health", 405, "bad_request"),
        (b"BREW", b"/api/models/tokenized-registration-events", 401, "missing_api_key"),
    ],
    ids=[
        "relative", "asterisk", "absolute-uri", "percent-nul", "bad-percent", "dot-dot", "encoded-dot-dot",
        "trace", "unknown-method",
    ],
)  # fmt: skip
def test_bad_paths_and_methods_get_the_json_error(hostile, address, method, target, status, reason):
    assert_json_error(exchange(hostile, request(method, target), address()), status, reason)


def test_a_websocket_upgrade_is_an_ordinary_request(hostile, address):
    upgrade = b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    answer = exchange(hostile, request(b"GET", headers=upgrade), address())
    assert_json_error(answer, 401, "missing_api_key")


# ---------------------------------------------------------------------------------------------------
# Bodies


def test_malformed_bodies_get_the_json_error_after_authentication(hostile, address):
    def chunks(total: int) -> Iterator[bytes]:
        for _ in range(total // 8192):
            yield b"y" * 8192

    json_type = {"Content-Type": "application/json"}
    key, text = {**bearer(hostile.key), **json_type}, {"Content-Type": "text/plain"}
    with client(hostile, address()) as http:
        answers = {
            "not json": http.post(EVENTS, content=b'{"model_name": ', headers=key),
            "text/plain": http.post(EVENTS, content=b'{"model_name": "m"}', headers={**key, **text}),
            "form": http.post(EVENTS, data={"model_name": "m"}, headers=bearer(hostile.key)),
            "not utf-8": http.post(EVENTS, content=b'{"model_name": "\xff\xfe"}', headers=key),
            "declared over the limit": http.post(EVENTS, content=b"x" * (BODY_LIMIT + 1), headers=key),
            "chunked over the limit": http.post(EVENTS, content=chunks(4 * BODY_LIMIT), headers=key),
            "over the limit, no key": http.post(EVENTS, content=b"x" * (4 * BODY_LIMIT), headers=json_type),
        }  # fmt: skip
    expected = {
        "not json": (422, "invalid_payload"),
        "text/plain": (422, "invalid_payload"),
        "form": (422, "invalid_payload"),
        "not utf-8": (400, "bad_request"),
        "declared over the limit": (413, "payload_too_large"),
        "chunked over the limit": (413, "payload_too_large"),
        "over the limit, no key": (401, "missing_api_key"),
    }
    seen = {name: (a.status_code, a.json().get("hokusai_error")) for name, a in answers.items()}
    assert seen == expected
    assert all(a.headers["content-type"] == "application/json" for a in answers.values())


def test_a_body_within_the_limit_is_accepted(hostile, address):
    event = {
        "model_name": "hostile",
        "model_version": "1",
        "token_id": "HOST",
        "metric_name": "auroc",
        "baseline_value": 0.5,
        "mlflow_run_id": "0" * 32,
        "tags": {"padding": "p" * (BODY_LIMIT // 2)},
    }
    with client(hostile, address()) as http:
        response = http.post(EVENTS, json=event, headers=bearer(hostile.key))
    assert response.status_code == 201, response.text


# ---------------------------------------------------------------------------------------------------
# Brute force: the lockout per address


def test_150_invalid_keys_from_one_address_are_locked_out_and_other_addresses_are_not(hostile, address):
    attacker, bystander = address(), address()
    with client(hostile, attacker) as attack, client(hostile, bystander) as other:
        answers = [attack.post(VALIDATE, headers=bearer(random_key())) for _ in range(150)]
        statuses = [a.status_code for a in answers]
        assert statuses[:FAILURES] == [401] * FAILURES
        assert set(statuses[FAILURES:]) == {429}, statuses
        for answer in answers[FAILURES:]:
            body = answer.json()
            assert body["hokusai_error"] == "too_many_invalid_keys"
            retry_after = answer.headers["Retry-After"]
            assert retry_after.isdigit() and 1 <= int(retry_after) <= WINDOW
            assert body["retry_after_seconds"] == int(retry_after)

        # The whole address is refused, a valid key included: otherwise the one answer that is not a
        # 429 would tell the attacker which guess was right. Public paths stay open.
        assert attack.post(VALIDATE, headers=bearer(hostile.key)).status_code == 429
        assert attack.get("/health").status_code == 200
        # Another address is untouched: its valid key works, its invalid key is an ordinary 401.
        assert other.post(VALIDATE, headers=bearer(hostile.key)).status_code == 200
        assert other.post(VALIDATE, headers=bearer(random_key())).status_code == 401

        # The block ends when Retry-After says.
        last = attack.post(VALIDATE, headers=bearer(random_key()))
        assert last.status_code == 429
        time.sleep(int(last.headers["Retry-After"]))
        assert attack.post(VALIDATE, headers=bearer(hostile.key)).status_code == 200
        assert attack.post(VALIDATE, headers=bearer(random_key())).status_code == 401


def test_forwarded_headers_do_not_turn_one_address_into_many(hostile):
    # From 127.0.0.1, the one address uvicorn would trust X-Forwarded-For from by default (no other test
    # of this module sends from it).
    with client(hostile, "127.0.0.1") as http:
        statuses = [
            http.post(
                VALIDATE,
                headers={
                    **bearer(random_key()),
                    "X-Forwarded-For": f"203.0.113.{n}",
                    "X-Real-IP": f"198.51.100.{n}",
                    "Forwarded": f"for=192.0.2.{n}",
                },
            ).status_code
            for n in range(FAILURES + 5)
        ]
    assert statuses == [401] * FAILURES + [429] * 5


def test_missing_expired_and_malformed_keys_are_told_apart_and_only_guesses_count(hostile, address):
    with client(hostile, address()) as http:
        reasons = [
            http.post(VALIDATE, headers=headers).json()["hokusai_error"]
            for _ in range(FAILURES + 5)
            for headers in ({}, bearer(hostile.expired))
        ]
        assert set(reasons) == {"missing_api_key", "expired_api_key"}
        nope = {"Authorization": "Bearer nope"}
        malformed = [http.post(VALIDATE, headers=nope) for _ in range(FAILURES + 1)]
    # A malformed value is a guess too: it counts.
    assert [a.status_code for a in malformed] == [401] * FAILURES + [429]


def test_no_answer_was_a_server_error_and_no_key_was_logged(hostile):
    log = hostile.log_path.read_text(errors="replace")
    assert " 500 " not in log and "Traceback" not in log
    assert hostile.key not in log and hostile.expired not in log


def test_a_failure_inside_the_gateway_is_the_json_500(tmp_path):
    # In process: a key store that is not a SQLite file makes the key lookup raise.
    config = GatewayConfig("http://127.0.0.1:9", tmp_path / "keys.db", tmp_path / "events.db")
    app = create_gateway_app(config)
    config.key_store.write_bytes(b"this is not a database " * 100)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            return await http.post(VALIDATE, headers=bearer(random_key()))

    response = asyncio.run(call())
    assert response.status_code == 500
    assert response.json()["hokusai_error"] == "internal_error"
    assert response.json()["error_code"] == "INTERNAL_ERROR"
