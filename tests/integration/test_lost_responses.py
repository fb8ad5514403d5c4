"""Lost responses, 429 pacing and the breaker's health probe, over real sockets.

A real MLflow server behind the harness's recording proxy (servers/proxy.py) whose fault hook drops
exactly the first response of each create request (it forwards the request, reads MLflow's full
answer, then closes the connection without sending it): the retried registration must return the
version that exists, never create a second. A tiny real HTTP server answers 429 with ``Retry-After``
(seconds or an HTTP date), and the reference gateway's rate-limited mode does too: the SDK waits what
the server asks (capped by ``max_wait``) and fills ``RateLimitError.retry_after``.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import numpy as np
import pytest
import requests

from hokusai import ModelRegistry
from hokusai._mlflow.health import health_probe
from hokusai._mlflow.target import MLflowTarget
from hokusai.core.entries import TAG_REGISTRATION_ID
from hokusai.exceptions import MLflowConnectionError, RateLimitError
from hokusai.resilience import CircuitState, RetryPolicy, configure_resilience, get_circuit_breaker
from hokusai_contracts.servers.proxy import LOST, Answer, ProxiedRequest, RecordingProxy, error_answer

pytestmark = pytest.mark.server

CREATE_PATHS = ("/registered-models/create", "/model-versions/create")


class DroppingProxy:
    """The recording proxy losing the answers ``drop(method, path, body)`` picks, after MLflow answered."""

    def __init__(
        self, upstream: str, drop: Callable[[str, str, bytes], bool], lost_as: int | None = None
    ) -> None:
        # lost_as: answer a lost request with this status (a balancer's 502 for an instance that died
        # after committing) instead of closing the connection without a byte.
        self.dropped: list[tuple[str, str, bytes]] = []
        self.statuses: list[tuple[str, int]] = []  # (path with query, upstream status)
        self._drop, self._lost_as = drop, lost_as
        self._lock = threading.Lock()
        self._proxy = RecordingProxy(upstream, fault=self._fault)

    def _fault(self, request: ProxiedRequest, forward: Callable[[], Answer]) -> Answer | None:
        answer = forward()  # MLflow has answered (and committed) in full
        exchange = (request.method, request.route, request.body)
        with self._lock:
            self.statuses.append((request.path, answer.status))
            lose = self._drop(*exchange)
            if lose:
                self.dropped.append(exchange)
        if not lose:
            return answer
        return LOST if self._lost_as is None else error_answer(self._lost_as)

    @property
    def url(self) -> str:
        """Where clients go."""
        return self._proxy.url

    @property
    def requests(self) -> list[tuple[str, str, bytes]]:
        """Every request that reached the server: method, path, body."""
        return [(e.method, e.path, e.request_body) for e in self._proxy.recording.snapshot()]

    def count(self, suffix: str) -> int:
        """Requests whose path ends with ``suffix`` that reached the server."""
        return sum(1 for _, path, _ in self.requests if path.endswith(suffix))

    @contextmanager
    def running(self) -> Iterator[DroppingProxy]:
        """Serve for the block."""
        self._proxy.start()
        try:
            yield self
        finally:
            self._proxy.stop()


def first_answer_of_each_create() -> Callable[[str, str, bytes], bool]:
    """Drop the answer to the first request of every distinct create (path and body)."""
    seen: set[tuple[str, bytes]] = set()

    def drop(method: str, path: str, body: bytes) -> bool:
        if method != "POST" or not path.endswith(CREATE_PATHS) or (path, body) in seen:
            return False
        seen.add((path, body))
        return True

    return drop


@pytest.fixture(scope="module")
def trained():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    features = rng.normal(size=(40, 3))
    return LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))


@pytest.fixture
def baseline(mlflow_server, trained, unique_name):
    """A baseline registered directly (no proxy): its model is what the tests register again."""
    registry = ModelRegistry(tracking_uri=mlflow_server.url, infer_pip_requirements=False)
    return registry.register_baseline(model=trained, model_type=unique_name("lost-base"))


def mlflow_versions(server_url: str, name: str) -> list:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=server_url, registry_uri=server_url)
    return sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))


@pytest.mark.parametrize(
    "uri_kind", ["models", "runs"], ids=["create_model_version", "mlflow.register_model"]
)
def test_a_lost_create_answer_returns_the_existing_version(mlflow_server, baseline, unique_name, uri_kind):
    # Both registration paths: a models:/ source is created with the client, a runs:/ source through
    # mlflow.register_model (fluent). Each create's first answer is lost after MLflow committed it.
    source = baseline.model_uri if uri_kind == "models" else f"runs:/{baseline.mlflow_run_id}/model"
    name = unique_name("lost")
    with DroppingProxy(mlflow_server.url, first_answer_of_each_create()).running() as proxy:
        registry = ModelRegistry(tracking_uri=proxy.url, infer_pip_requirements=False)
        result = registry.register_tokenized_model(source, name, "LOST", "auc", 0.7)
        read_back = registry.get_tokenized_model(name)

    dropped_paths = sorted(path.rsplit("/", 2)[-2] for _, path, _ in proxy.dropped)
    assert dropped_paths == ["model-versions", "registered-models"], "both creates lost their first answer"
    assert proxy.count("/model-versions/create") == 1, "the retry found the version instead of creating it"
    assert proxy.count("/registered-models/create") == 2, "the model create is retried (exists: tolerated)"
    stored = mlflow_versions(mlflow_server.url, name)
    assert [v.version for v in stored] == ["1"], "exactly one version exists"
    assert result["version"] == "1" and result["model_name"] == name and result["token_id"] == "LOST"
    registration_id = stored[0].tags[TAG_REGISTRATION_ID]
    assert len(registration_id) == 32, "a UUID per logical call, written with the create"
    assert TAG_REGISTRATION_ID not in result["tags"], "the SDK's bookkeeping tag is not the user's data"
    tag_searches = [
        status for path, status in proxy.statuses if "search" in path and "registration_id" in path
    ]
    assert tag_searches and set(tag_searches) == {200}, "this server accepts the tag filter (no fallback)"
    assert read_back["tags"] == result["tags"]


def test_when_the_last_attempts_answer_is_lost_the_version_is_found_not_reported_as_failed(
    mlflow_server, baseline, unique_name
):
    # One attempt only: the call's retries are spent when the create's answer is lost. The version
    # exists, so the call returns it (one more look, with retries of its own), as a success would.
    configure_resilience(RetryPolicy(max_attempts=1))
    name = unique_name("last")
    dropped_versions = first_answer_of_each_create()

    def drop(method: str, path: str, body: bytes) -> bool:
        return path.endswith("/model-versions/create") and dropped_versions(method, path, body)

    with DroppingProxy(mlflow_server.url, drop).running() as proxy:
        registry = ModelRegistry(tracking_uri=proxy.url, infer_pip_requirements=False)
        result = registry.register_tokenized_model(baseline.model_uri, name, "LAST", "auc", 0.5)
    assert len(proxy.dropped) == 1
    assert [v.version for v in mlflow_versions(mlflow_server.url, name)] == ["1"]
    assert result["version"] == "1"
    assert proxy.count("/model-versions/create") == 1, "never created twice"
    assert get_circuit_breaker(proxy.url).state is CircuitState.CLOSED, "the look found the server up"


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize(
    "uri_kind", ["models", "runs"], ids=["create_model_version", "mlflow.register_model"]
)
def test_a_balancer_error_after_the_create_committed_creates_one_version(
    mlflow_server, baseline, unique_name, uri_kind, status
):
    # HAProxy answers 502 when the instance that committed the create dies before answering: the
    # request reached MLflow, so neither MLflow's own retries nor the SDK may send the create again.
    source = baseline.model_uri if uri_kind == "models" else f"runs:/{baseline.mlflow_run_id}/model"
    name = unique_name("bad-gateway")
    dropped_versions = first_answer_of_each_create()

    def drop(method: str, path: str, body: bytes) -> bool:
        return path.endswith("/model-versions/create") and dropped_versions(method, path, body)

    with DroppingProxy(mlflow_server.url, drop, lost_as=status).running() as proxy:
        registry = ModelRegistry(tracking_uri=proxy.url, infer_pip_requirements=False)
        result = registry.register_tokenized_model(source, name, "GATEWAY", "auc", 0.6)
    assert len(proxy.dropped) == 1
    assert [v.version for v in mlflow_versions(mlflow_server.url, name)] == ["1"], "one version exists"
    assert proxy.count("/model-versions/create") == 1, "the create was never sent twice"
    assert result["version"] == "1"


def test_a_registration_that_never_reached_a_server_raises_and_looks_nothing_up(unique_name, trained):
    # Connection refused: nothing was sent, so there is nothing to find and no lookup is made.
    registry = ModelRegistry(tracking_uri="http://127.0.0.1:9", infer_pip_requirements=False)
    with pytest.raises(MLflowConnectionError) as info:
        registry.register_tokenized_model("models:/m/1", unique_name("never"), "NEVER", "auc", 0.5)
    assert "127.0.0.1:9" in str(info.value)


# -- 429 and Retry-After --------------------------------------------------------------------------


class TinyServer:
    """A real HTTP server on loopback whose answers ``answer(request_number, path)`` decides."""

    def __init__(self, answer: Callable[[int, str], tuple[int, dict[str, str], dict]]) -> None:
        self.seen: list[tuple[float, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.seen.append((time.monotonic(), self.path))
                status, headers, body = answer(len(server.seen), urlsplit(self.path).path)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


RATE_LIMITED = {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}


def test_retries_wait_the_seconds_retry_after_asks_then_succeed():
    configure_resilience(RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05, max_wait=5.0))

    def answer(number: int, path: str) -> tuple[int, dict[str, str], dict]:
        if number <= 2:
            return 429, {"Retry-After": "1"}, RATE_LIMITED
        return 200, {}, {"model_versions": []}

    server = TinyServer(answer)
    try:
        started = time.monotonic()
        assert ModelRegistry(tracking_uri=server.url).list_models_by_token("PACE") == []
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    times = [at for at, _ in server.seen]
    assert len(times) == 3
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.95 for gap in gaps), (
        f"Retry-After: 1 honoured between attempts, not the backoff: {gaps}"
    )
    assert elapsed < 4, "and not much longer"
    assert get_circuit_breaker(server.url).state is CircuitState.CLOSED


def test_the_final_429s_http_date_fills_retry_after_and_the_wait_is_capped():
    configure_resilience(RetryPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.05, max_wait=0.3))

    def answer(number: int, path: str) -> tuple[int, dict[str, str], dict]:
        when = email.utils.formatdate(time.time() + 30, usegmt=True)
        return 429, {"Retry-After": when}, RATE_LIMITED

    server = TinyServer(answer)
    try:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as info:
            ModelRegistry(tracking_uri=server.url).list_models_by_token("PACE")
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    error = info.value
    assert error.status_code == 429
    assert error.retry_after is not None and 28 <= error.retry_after <= 31, error.retry_after
    assert "retry after" in str(error) and "slow down" in str(error), str(error)
    gap = server.seen[1][0] - server.seen[0][0]
    assert 0.25 <= gap < 2 and elapsed < 3, "waited max_wait (0.3 s), not the 30 s asked"
    assert get_circuit_breaker(server.url).state is CircuitState.CLOSED, "a 429 is an answer"


def test_the_rate_limited_gateways_retry_after_is_honoured(rate_limited_gateway):
    # The reference gateway: 1 request/s, burst 2, per key, answering 429 with Retry-After. The
    # bucket is emptied first; the SDK's call then succeeds because it waits as long as it is told.
    configure_resilience(RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05, max_wait=3.0))
    key = rate_limited_gateway.issue_key(["mlflow:read"])
    search = f"{rate_limited_gateway.tracking_uri}/api/2.0/mlflow/model-versions/search"
    statuses = Counter()
    for _ in range(4):
        statuses[
            requests.get(search, headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code
        ] += 1
    assert statuses[429] >= 1, f"the bucket is empty: {statuses}"
    registry = ModelRegistry(tracking_uri=rate_limited_gateway.tracking_uri, api_key=key)
    assert registry.list_models_by_token("NO-SUCH-TOKEN") == []


def test_the_rate_limited_gateway_fills_retry_after_when_retries_run_out(rate_limited_gateway):
    configure_resilience(RetryPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.05))
    key = rate_limited_gateway.issue_key(["mlflow:read"])
    search = f"{rate_limited_gateway.tracking_uri}/api/2.0/mlflow/model-versions/search"
    for _ in range(4):
        requests.get(search, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    with pytest.raises(RateLimitError) as info:
        ModelRegistry(tracking_uri=rate_limited_gateway.tracking_uri, api_key=key).list_models_by_token("X")
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 2, info.value.retry_after
    assert key not in str(info.value)


# -- the breaker's health probe -------------------------------------------------------------------


@pytest.mark.parametrize(("status", "answered"), [(200, True), (401, True), (404, True), (502, False)])
def test_the_health_probe_counts_any_answer_below_500(status, answered):
    server = TinyServer(lambda number, path: (status, {}, {"path": path}))
    try:
        assert health_probe(MLflowTarget(tracking_uri=server.url, source="argument"))() is answered
        assert server.seen[-1][1] == "/health"
    finally:
        server.stop()


def test_the_health_probe_of_a_closed_port_is_false_quickly():
    started = time.monotonic()
    assert health_probe(MLflowTarget(tracking_uri="http://127.0.0.1:9", source="argument"))() is False
    assert time.monotonic() - started < 3


def test_an_open_breaker_lets_calls_through_as_soon_as_health_answers():
    # A server that answers 503 to everything (so the SDK's calls fail and open the breaker), then
    # recovers; the first call after recovery goes through without waiting for recovery_timeout.
    configure_resilience(RetryPolicy(max_attempts=1), failure_threshold=2, recovery_timeout=60.0)
    healthy = threading.Event()

    def answer(number: int, path: str) -> tuple[int, dict[str, str], dict]:
        if not healthy.is_set():
            return 503, {}, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down"}
        return 200, {}, {"model_versions": []} if "search" in path else {}

    server = TinyServer(answer)
    try:
        registry = ModelRegistry(tracking_uri=server.url)
        for _ in range(2):
            with pytest.raises(MLflowConnectionError):
                registry.list_models_by_token("T")
        breaker = get_circuit_breaker(server.url)
        assert breaker.state is CircuitState.OPEN
        assert "503" in (breaker.last_failure or ""), breaker.last_failure
        healthy.set()
        recovered_at = time.monotonic()
        while True:
            try:
                assert registry.list_models_by_token("T") == []
                break
            except MLflowConnectionError as exc:
                assert "last failure" in str(exc) and "503" in str(exc), str(exc)
                assert time.monotonic() - recovered_at < 5, "recovered within seconds, not after 60 s"
                time.sleep(0.05)
        assert time.monotonic() - recovered_at < 2, "the first probe is due 0.5 s after opening"
        assert breaker.state is CircuitState.CLOSED
    finally:
        server.stop()


class LateCreateProxy:
    """A proxy whose first version create is answered 502 at once and applied only later.

    It forwards the held create to MLflow just before the next create, i.e. after the SDK's lookup
    found nothing: what an instance killed after sending its COMMIT (or paused with the request read)
    does. Everything else is relayed as is.
    """

    def __init__(self, upstream: str, *, before_next_create: bool = True) -> None:
        # before_next_create=False: the held create is applied only by release() (after the call).
        self.before_next_create = before_next_create
        self.held: list[ProxiedRequest] = []
        self.creates_applied = 0
        self._lock = threading.Lock()
        self._holding = True
        self._proxy = RecordingProxy(upstream, fault=self._fault).start()

    @property
    def url(self) -> str:
        return self._proxy.url

    def _fault(self, request: ProxiedRequest, forward: Callable[[], Answer]) -> Answer:
        if not request.route.endswith("/model-versions/create"):
            return forward()
        with self._lock:
            if self._holding:
                self._holding = False
                self.held.append(request)
                return error_answer(502)
            if self.before_next_create:
                self.release()  # the first create is applied now, after the retry's lookup
            self.creates_applied += 1
            return forward()

    def release(self) -> None:
        """Apply the held create now."""
        for held in self.held:
            self._proxy.send(held)
            self.creates_applied += 1
        self.held.clear()

    def stop(self) -> None:
        self._proxy.stop()


@pytest.mark.parametrize(
    "uri_kind", ["models", "runs"], ids=["create_model_version", "mlflow.register_model"]
)
def test_a_create_applied_after_the_retrys_lookup_leaves_one_version(
    mlflow_server, baseline, unique_name, uri_kind
):
    # The measured duplicate of the ha fault run: the lookup before the retry saw nothing because the
    # first create was still being applied; it landed just before the retry's create (version 1, then 2).
    source = baseline.model_uri if uri_kind == "models" else f"runs:/{baseline.mlflow_run_id}/model"
    name = unique_name("late")
    proxy = LateCreateProxy(mlflow_server.url)
    try:
        registry = ModelRegistry(tracking_uri=proxy.url, infer_pip_requirements=False)
        result = registry.register_tokenized_model(source, name, "LATE", "auc", 0.6)
    finally:
        proxy.stop()
    assert proxy.creates_applied == 2, "both creates reached MLflow: the late one and the retry's"
    assert [v.version for v in mlflow_versions(mlflow_server.url, name)] == ["1"], "the duplicate is gone"
    assert result["version"] == "1", "the oldest version of the registration is the one returned"


def test_a_create_applied_after_the_call_returned_is_deleted_by_the_next_registration(
    mlflow_server, baseline, unique_name
):
    # A paused (or starved) instance applies the lost create after the call returned version 1: the
    # duplicate (version 2) is deleted by the next registration to the same server, before it creates.
    name = unique_name("later")
    proxy = LateCreateProxy(mlflow_server.url, before_next_create=False)
    try:
        registry = ModelRegistry(tracking_uri=proxy.url, infer_pip_requirements=False)
        first = registry.register_tokenized_model(baseline.model_uri, name, "LATER", "auc", 0.6)
        proxy.release()
        assert [v.version for v in mlflow_versions(mlflow_server.url, name)] == ["1", "2"]
        second = registry.register_tokenized_model(baseline.model_uri, name, "LATER", "auc", 0.7)
    finally:
        proxy.stop()
    assert (first["version"], second["version"]) == ("1", "3")
    assert [v.version for v in mlflow_versions(mlflow_server.url, name)] == ["1", "3"], "version 2 is gone"
