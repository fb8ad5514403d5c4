"""The registration-event post (hokusai.core._notification) against a stub HTTP server: no MLflow."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hokusai.core._notification import (
    EVENTS_PATH,
    NotificationRequest,
    event_payload,
    notify_registration,
    platform_key,
)
from hokusai.exceptions import InvalidParameterError, NotificationError
from hokusai_contracts.servers import free_port

KEY = "hk_test_0123456789abcdefghijklmnopqrsKq7"
SESSION_TOKEN = "hk_test_sessiontoken0123456789abcdefgZz9"
RECORD = {
    "model_name": "lead-scoring",
    "version": "3",
    "token_id": "LSCOR",
    "metric_name": "accuracy",
    "baseline_value": 0.92,
    "mlflow_run_id": "abc123",
    "status": "registered",
    "tags": {"hokusai_token_id": "LSCOR"},
}


@dataclass
class Answer:
    """What the stub answers next: a status, a JSON body, headers, and a delay."""

    status: int = 201
    body: dict = field(default_factory=lambda: {"id": 1})
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Stub:
    """A platform stand-in recording every request it gets."""

    url: str
    answer: Answer
    requests: list[dict] = field(default_factory=list)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(url="", answer=Answer())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            answer = state.answer
            time.sleep(answer.delay)
            data = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def request(endpoint: str | None, **kwargs) -> NotificationRequest:
    return NotificationRequest(endpoint=endpoint, api_key=kwargs.pop("api_key", KEY), **kwargs)


def test_the_event_is_posted_with_the_key_as_bearer(stub):
    outcome = notify_registration(RECORD, request(stub.url + "/"), None)
    assert outcome == {
        "status": "sent", "endpoint": stub.url + EVENTS_PATH, "status_code": 201, "reason": None,
    }  # fmt: skip
    (sent,) = stub.requests
    assert sent["path"] == EVENTS_PATH
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    assert sent["body"] == event_payload(RECORD) == {
        "model_name": "lead-scoring", "model_version": "3", "token_id": "LSCOR", "metric_name": "accuracy",
        "baseline_value": 0.92, "mlflow_run_id": "abc123", "tags": {"hokusai_token_id": "LSCOR"},
    }  # fmt: skip


def test_skipped_without_endpoint_or_when_turned_off(stub):
    embedded = notify_registration(RECORD, request(None, embedded=True), None)
    assert embedded["status"] == "skipped" and "embedded store" in embedded["reason"]
    assert "HOKUSAI_API_ENDPOINT" in embedded["reason"]
    off = notify_registration(RECORD, request(stub.url, notify_site=False), None)
    assert off == {
        "status": "skipped",
        "endpoint": stub.url,
        "status_code": None,
        "reason": "notify_site=False",
    }
    assert stub.requests == []


def test_a_403_names_what_succeeded_what_failed_and_the_scope(stub):
    stub.answer = Answer(
        403,
        {
            "error_code": "PERMISSION_DENIED",
            "hokusai_error": "insufficient_scope",
            "required_scope": "mlflow:write",
            "message": "API key hk_test_...Kq7 lacks the `mlflow:write` scope",
        },
    )
    with pytest.raises(NotificationError) as info:
        notify_registration(RECORD, request(stub.url), None)
    exc = info.value
    assert (exc.mlflow_registered, exc.status_code) == (True, 403)
    text = str(exc)
    assert "Model 'lead-scoring' version 3 was registered in MLflow" in text
    assert "insufficient_scope" in text and "required scope: mlflow:write" in text
    assert "`mlflow:write` scope" in exc.fix and "do not register it again" in exc.fix
    assert exc.result["notification"]["status"] == "failed" and exc.result["version"] == "3"
    assert KEY not in text and KEY not in repr(exc)


def test_best_effort_returns_the_failure(stub):
    stub.answer = Answer(429, {"message": "slow down", "retry_after_seconds": 2}, {"Retry-After": "2"})
    outcome = notify_registration(RECORD, request(stub.url, best_effort=True), None)
    assert outcome["status"] == "failed" and outcome["status_code"] == 429
    assert outcome["reason"] == "HTTP 429: slow down"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(401, {"hokusai_error": "expired_api_key", "message": "expired"}), "create a new API key"),
        (
            Answer(422, {"detail": [{"loc": ["body", "tags"], "msg": "bad tags"}]}),
            "rejected the event's fields",
        ),
        (Answer(429, {}, {"Retry-After": "7"}), "after 7 seconds"),
        (Answer(502, {"message": "upstream"}), "reachable"),
    ],
)
def test_each_failure_has_its_fix(stub, answer, expected):
    stub.answer = answer
    with pytest.raises(NotificationError) as info:
        notify_registration(RECORD, request(stub.url), None)
    assert expected in info.value.fix
    assert info.value.status_code == answer.status


def test_unreachable_and_timeout_fail_without_status(stub):
    with pytest.raises(NotificationError) as info:
        notify_registration(RECORD, request(f"http://127.0.0.1:{free_port()}"), None)
    assert info.value.status_code is None and "unreachable" in str(info.value)
    stub.answer = Answer(delay=1.0)
    outcome = notify_registration(RECORD, request(stub.url, timeout=0.2, best_effort=True), None)
    assert outcome["status"] == "failed" and "timed out" in outcome["reason"]


def test_no_key_fails_before_any_request(stub):
    with pytest.raises(NotificationError) as info:
        notify_registration(RECORD, request(stub.url, api_key=None), None)
    assert "HOKUSAI_API_KEY" in info.value.fix
    assert stub.requests == []


def test_key_precedence(monkeypatch, isolated_environment):
    assert platform_key(None, SESSION_TOKEN) == SESSION_TOKEN
    monkeypatch.setenv("HOKUSAI_API_KEY", KEY)
    assert platform_key(None, SESSION_TOKEN) == KEY
    assert platform_key("hk_test_explicit0123456789abcdefghijklmn", SESSION_TOKEN).endswith("klmn")


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ((1, False, 10.0, None), "notify_site"),
        ((True, "yes", 10.0, None), "best_effort_notification"),
        ((True, False, 0, None), "notification_timeout"),
        ((True, False, float("nan"), None), "notification_timeout"),
        ((True, False, 10.0, " "), "notification_api_endpoint"),
    ],
)
def test_arguments_are_checked(arguments, parameter):
    with pytest.raises(InvalidParameterError) as info:
        NotificationRequest.from_arguments(*arguments)
    assert info.value.parameter_name == parameter
