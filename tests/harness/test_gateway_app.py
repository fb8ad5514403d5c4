"""The reference gateway, live: a uvicorn subprocess in front of a real MLflow server.

Called with httpx (to see the exact answers) and with the real ``mlflow.MlflowClient`` (to see what the
SDK sees: MLflow's client derives an error's status from the body's ``error_code`` alone).
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import yaml

from hokusai_contracts.gateway import openapi
from hokusai_contracts.gateway.config import UpstreamAuth
from hokusai_contracts.gateway.keys import READ, WRITE
from hokusai_contracts.servers.gateway import RunningGateway, start_gateway

pytestmark = pytest.mark.server

SEARCH = "/api/mlflow/api/2.0/mlflow/experiments/search"
CREATE_EXPERIMENT = "/api/mlflow/api/2.0/mlflow/experiments/create"
EVENTS = "/api/models/tokenized-registration-events"
UPSTREAM_TOKEN = "upstream-only-token-0123456789"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def client_for(gateway: RunningGateway) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=30)


def assert_error(response: httpx.Response, status: int, error_code: str, hokusai_error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error_code"], body["hokusai_error"]) == (error_code, hokusai_error)
    assert body["message"]
    return body


@pytest.fixture
def mlflow_client(monkeypatch):
    """Factory: an MlflowClient through ``gateway`` (tracking URI suffix ``suffix``) with ``key``."""
    import mlflow

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

    def make(gateway: RunningGateway, key: str, suffix: str = "/api/mlflow"):
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
        return mlflow.MlflowClient(tracking_uri=gateway.url + suffix, registry_uri=gateway.url + suffix)

    return make


def sdk_status(exc: BaseException) -> int | None:
    """The status the SDK reads from an MLflow client exception."""
    from hokusai._mlflow.errors import http_status

    return http_status(exc)


# ---------------------------------------------------------------------------------------------------
# Authentication: 401


class TestAuthentication:
    def test_no_key_is_401(self, gateway):
        with client_for(gateway) as http:
            response = http.post(SEARCH, json={})
        assert_error(response, 401, "UNAUTHENTICATED", "missing_api_key")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "header", ["Basic YWRtaW46cGFzc3dvcmQ=", "Bearer not-a-hokusai-key", "hk_test_x"]
    )
    def test_a_header_without_a_bearer_key_is_401(self, gateway, header):
        with client_for(gateway) as http:
            response = http.post(SEARCH, json={}, headers={"Authorization": header})
        assert_error(response, 401, "UNAUTHENTICATED", "invalid_api_key")

    def test_an_unknown_key_is_401_and_only_its_last_four_are_shown(self, gateway):
        unknown = "hk_test_" + "Zq3" * 10 + "Wx"
        with client_for(gateway) as http:
            response = http.post(SEARCH, json={}, headers=bearer(unknown))
        body = assert_error(response, 401, "UNAUTHENTICATED", "invalid_api_key")
        assert f"hk_test_...{unknown[-4:]}" in body["message"]
        leaked = unknown in response.text
        assert not leaked

    def test_an_expired_key_is_401_expired(self, gateway):
        with client_for(gateway) as http:
            response = http.post(SEARCH, json={}, headers=bearer(gateway.keys.expired))
        body = assert_error(response, 401, "UNAUTHENTICATED", "expired_api_key")
        assert "expired at" in body["message"]

    def test_a_revoked_key_is_401_revoked(self, gateway):
        key = gateway.issue_key([READ])
        store = gateway.key_store()
        assert store.revoke(store.validate(key).key_id)
        with client_for(gateway) as http:
            response = http.post(SEARCH, json={}, headers=bearer(key))
        assert_error(response, 401, "UNAUTHENTICATED", "revoked_api_key")

    def test_validate_names_the_keys_scopes_and_expiry(self, gateway):
        with client_for(gateway) as http:
            response = http.post("/api/auth/validate", headers=bearer(gateway.keys.write))
            expired = http.post("/api/auth/validate", headers=bearer(gateway.keys.expired))
            missing = http.post("/api/auth/validate")
        assert response.status_code == 200, response.text
        info = response.json()
        assert info["scopes"] == [READ, WRITE]
        assert info["expires_at"] is None
        assert info["key_id"].startswith("key_")
        assert info["key_display"] == f"hk_test_...{gateway.keys.write[-4:]}"
        assert_error(expired, 401, "UNAUTHENTICATED", "expired_api_key")
        assert_error(missing, 401, "UNAUTHENTICATED", "missing_api_key")

    def test_health_needs_no_key(self, gateway):
        with client_for(gateway) as http:
            assert http.get("/health").json() == {"status": "ok"}

    def test_unknown_routes_are_404_with_an_error_code(self, gateway):
        with client_for(gateway) as http:
            response = http.get("/api/nothing-here", headers=bearer(gateway.keys.read))
        assert_error(response, 404, "ENDPOINT_NOT_FOUND", "endpoint_not_found")


# ---------------------------------------------------------------------------------------------------
# Scopes: 403


class TestScopes:
    def test_a_read_key_reads(self, gateway):
        with client_for(gateway) as http:
            search = http.post(SEARCH, json={"max_results": 5}, headers=bearer(gateway.keys.read))
            models = http.get(
                "/api/mlflow/api/2.0/mlflow/registered-models/search", headers=bearer(gateway.keys.read)
            )
        assert search.status_code == 200, search.text
        assert "experiments" in search.json()
        assert models.status_code == 200, models.text

    def test_a_read_key_cannot_write_and_is_told_which_scope_it_needs(self, gateway, unique_name):
        with client_for(gateway) as http:
            response = http.post(
                CREATE_EXPERIMENT, json={"name": unique_name("exp")}, headers=bearer(gateway.keys.read)
            )
        body = assert_error(response, 403, "PERMISSION_DENIED", "insufficient_scope")
        assert body["required_scope"] == WRITE
        assert "lacks the `mlflow:write` scope" in body["message"]
        assert "ask for a key with mlflow:write" in body["message"]

    @pytest.mark.parametrize("which", ["write", "admin"])
    def test_write_and_admin_keys_write(self, gateway, unique_name, which):
        key = getattr(gateway.keys, which)
        with client_for(gateway) as http:
            response = http.post(CREATE_EXPERIMENT, json={"name": unique_name(which)}, headers=bearer(key))
        assert response.status_code == 200, response.text
        assert response.json()["experiment_id"]

    def test_a_write_only_key_cannot_read(self, gateway):
        key = gateway.issue_key([WRITE])
        with client_for(gateway) as http:
            response = http.post(SEARCH, json={}, headers=bearer(key))
        assert (
            assert_error(response, 403, "PERMISSION_DENIED", "insufficient_scope")["required_scope"] == READ
        )


# ---------------------------------------------------------------------------------------------------
# The real MLflow client through the gateway


class TestMlflowClient:
    def test_registry_round_trip_with_artifacts(self, gateway, mlflow_client, unique_name, tmp_path):
        writer = mlflow_client(gateway, gateway.keys.write)
        experiment_id = writer.create_experiment(unique_name("exp"))
        run = writer.create_run(experiment_id)
        run_id = run.info.run_id
        writer.log_metric(run_id, "accuracy", 0.9)
        # Proxied artifact upload: PUT <tracking_uri>/api/2.0/mlflow-artifacts/artifacts/...
        writer.log_text(run_id, "weights", "model/weights file.txt")
        name = unique_name("model")
        writer.create_registered_model(name)
        version = writer.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)

        reader = mlflow_client(gateway, gateway.keys.read)
        assert reader.get_registered_model(name).name == name
        assert reader.get_model_version(name, version.version).run_id == run_id
        downloaded = reader.download_artifacts(run_id, "model/weights file.txt", str(tmp_path))
        with open(downloaded) as handle:
            assert handle.read() == "weights"

    def test_a_read_key_write_is_a_403_for_the_sdk(self, gateway, mlflow_client, unique_name):
        from mlflow.exceptions import RestException

        reader = mlflow_client(gateway, gateway.keys.read)
        with pytest.raises(RestException) as caught:
            reader.create_registered_model(unique_name("model"))
        assert caught.value.error_code == "PERMISSION_DENIED"
        assert sdk_status(caught.value) == 403
        assert "mlflow:write" in str(caught.value)

    def test_an_expired_key_is_a_401_for_the_sdk(self, gateway, mlflow_client):
        from mlflow.exceptions import RestException

        with pytest.raises(RestException) as caught:
            mlflow_client(gateway, gateway.keys.expired).search_experiments()
        assert caught.value.error_code == "UNAUTHENTICATED"
        assert sdk_status(caught.value) == 401

    @pytest.mark.parametrize("suffix", ["/api/mlflow", "/mlflow", ""])
    def test_every_tracking_uri_form(self, gateway, mlflow_client, unique_name, suffix):
        client = mlflow_client(gateway, gateway.keys.write, suffix)
        experiment_id = client.create_experiment(unique_name("exp"))
        run_id = client.create_run(experiment_id).info.run_id
        client.log_text(run_id, "x", "a.txt")
        assert [f.path for f in client.list_artifacts(run_id)] == ["a.txt"]


@pytest.mark.parametrize(
    "prefix",
    ["/api/mlflow/api/2.0/mlflow", "/mlflow/api/2.0/mlflow", "/api/2.0/mlflow", "/ajax-api/2.0/mlflow"],
)
def test_every_path_prefix_reaches_mlflow(gateway, prefix):
    with client_for(gateway) as http:
        response = http.get(
            f"{prefix}/experiments/get-by-name",
            params={"experiment_name": "Default"},
            headers=bearer(gateway.keys.read),
        )
    assert response.status_code == 200, response.text
    assert response.json()["experiment"]["experiment_id"] == "0"


def test_mlflow_errors_pass_through_unchanged(gateway):
    with client_for(gateway) as http:
        response = http.get(
            "/api/mlflow/api/2.0/mlflow/registered-models/get",
            params={"name": "no-such-model-anywhere"},
            headers=bearer(gateway.keys.read),
        )
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


# ---------------------------------------------------------------------------------------------------
# Rate limit, dead and slow upstreams


def test_rate_limit_answers_429_with_retry_after(rate_limited_gateway, mlflow_client):
    key = rate_limited_gateway.issue_key([READ])  # a bucket of its own
    with client_for(rate_limited_gateway) as http:
        answers = [http.post(SEARCH, json={"max_results": 1}, headers=bearer(key)) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    body = assert_error(answers[2], 429, "REQUEST_LIMIT_EXCEEDED", "rate_limited")
    retry_after = answers[2].headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert body["retry_after_seconds"] == int(retry_after)

    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as caught:
        mlflow_client(rate_limited_gateway, key).search_experiments()
    assert sdk_status(caught.value) == 429


def test_dead_upstream_is_502(dead_upstream_gateway, mlflow_client):
    with client_for(dead_upstream_gateway) as http:
        response = http.post(SEARCH, json={}, headers=bearer(dead_upstream_gateway.keys.read))
        unauthenticated = http.post(SEARCH, json={})
    body = assert_error(response, 502, "TEMPORARILY_UNAVAILABLE", "upstream_unavailable")
    assert "retry later" in body["message"]
    # Credentials are checked before MLflow is asked.
    assert_error(unauthenticated, 401, "UNAUTHENTICATED", "missing_api_key")

    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as caught:
        mlflow_client(dead_upstream_gateway, dead_upstream_gateway.keys.read).search_experiments()
    assert sdk_status(caught.value) == 502


@pytest.fixture(scope="module")
def hanging_gateway(tmp_path_factory) -> Iterator[RunningGateway]:
    """A gateway whose upstream accepts connections and never answers (0.5 s upstream timeout)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        gateway = start_gateway(url, tmp_path_factory.mktemp("gateway-hanging"), upstream_timeout=0.5)
        try:
            yield gateway
        finally:
            gateway.stop()


def test_slow_upstream_is_504(hanging_gateway):
    with client_for(hanging_gateway) as http:
        response = http.post(SEARCH, json={}, headers=bearer(hanging_gateway.keys.read))
    body = assert_error(response, 504, "TEMPORARILY_UNAVAILABLE", "upstream_timeout")
    assert "0.5s" in body["message"]


# ---------------------------------------------------------------------------------------------------
# Tokenized registration events


def _event(**changes) -> dict:
    event = {
        "model_name": "lead_scoring",
        "model_version": "1",
        "token_id": "LEAD",
        "metric_name": "auroc",
        "baseline_value": 0.81,
        "mlflow_run_id": "0123456789abcdef0123456789abcdef",
        "tags": {"team": "growth"},
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_event(model_name=...), "model_name"),
        (_event(baseline_value="high"), "baseline_value"),
        (_event(tags={"team": 1}), "tags"),
        (_event(surprise=True), "surprise"),
        (_event(token_id=""), "token_id"),
    ],
)
def test_a_malformed_event_is_422_naming_the_field(gateway, payload, field):
    with client_for(gateway) as http:
        response = http.post(EVENTS, json=payload, headers=bearer(gateway.keys.write))
    body = assert_error(response, 422, "INVALID_PARAMETER_VALUE", "invalid_payload")
    assert any(field in entry["loc"] for entry in body["detail"]), body
    assert field in body["message"]


def test_an_event_that_is_not_json_is_422_but_only_after_authentication(gateway):
    headers = {"Content-Type": "application/json"}
    with client_for(gateway) as http:
        anonymous = http.post(EVENTS, content=b"{not json", headers=headers)
        authenticated = http.post(
            EVENTS, content=b"{not json", headers={**headers, **bearer(gateway.keys.write)}
        )
    assert_error(anonymous, 401, "UNAUTHENTICATED", "missing_api_key")
    assert_error(authenticated, 422, "INVALID_PARAMETER_VALUE", "invalid_payload")


def test_events_are_stored_and_listed(gateway, unique_name):
    name = unique_name("lead_scoring")
    with client_for(gateway) as http:
        created = http.post(
            EVENTS, json=_event(model_name=name, model_version=2), headers=bearer(gateway.keys.write)
        )
        denied = http.post(EVENTS, json=_event(model_name=name), headers=bearer(gateway.keys.read))
        listed = http.get(EVENTS, params={"model_name": name}, headers=bearer(gateway.keys.read))
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["model_version"] == "2" and stored["key_id"].startswith("key_")
    assert_error(denied, 403, "PERMISSION_DENIED", "insufficient_scope")
    assert listed.status_code == 200
    assert listed.json()["events"] == [stored]


# ---------------------------------------------------------------------------------------------------
# What the proxy sends upstream (an echo server in place of MLflow)


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "cookie": self.headers.get("Cookie"),
                "custom": self.headers.get("X-Custom"),
                "length": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
        ).encode()
        self.send_response(418 if self.path.endswith("/teapot") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def echo_gateway(tmp_path_factory) -> Iterator[RunningGateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway = start_gateway(
        f"http://127.0.0.1:{server.server_address[1]}",
        tmp_path_factory.mktemp("gateway-echo"),
        upstream_auth=UpstreamAuth(token=UPSTREAM_TOKEN),
        rate_limit=None,
    )
    try:
        yield gateway
    finally:
        gateway.stop()
        server.shutdown()
        server.server_close()


def test_the_callers_key_never_reaches_mlflow(echo_gateway):
    with client_for(echo_gateway) as http:
        response = http.get(
            "/api/mlflow/api/2.0/mlflow/runs/get",
            params={"run_id": "abc"},
            headers={**bearer(echo_gateway.keys.read), "Cookie": "session=1", "X-Custom": "kept"},
        )
    seen = response.json()
    assert seen["authorization"] == f"Bearer {UPSTREAM_TOKEN}"
    assert seen["cookie"] is None
    assert seen["custom"] == "kept"
    assert seen["path"] == "/api/2.0/mlflow/runs/get?run_id=abc"
    assert response.headers["X-Upstream"] == "echo"


def test_paths_bodies_and_statuses_are_forwarded_as_sent(echo_gateway):
    payload = bytes(range(256)) * 4096  # 1 MiB, streamed through
    with client_for(echo_gateway) as http:
        upload = http.put(
            "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%20b/c%2Fd.bin",
            content=payload,
            headers=bearer(echo_gateway.keys.write),
        )
        teapot = http.post("/api/2.0/mlflow/teapot", json={}, headers=bearer(echo_gateway.keys.write))
    seen = upload.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/api/2.0/mlflow-artifacts/artifacts/1/a%20b/c%2Fd.bin"
    assert (seen["length"], seen["sha256"]) == (len(payload), hashlib.sha256(payload).hexdigest())
    assert teapot.status_code == 418


# ---------------------------------------------------------------------------------------------------
# The OpenAPI contract and the logs


def test_the_committed_openapi_document_is_the_one_served(gateway):
    with client_for(gateway) as http:
        served = http.get("/openapi.json").json()
    committed = yaml.safe_load(openapi.COMMITTED.read_text())
    assert committed == served, "run `hokusai-contracts gateway openapi` and commit the result"


def test_the_gateway_log_never_contains_a_key(gateway):
    with client_for(gateway) as http:
        for key in gateway.keys.all():
            http.post(SEARCH, json={}, headers=bearer(key))
            http.get(SEARCH, params={"note": "x"}, headers=bearer(key))
    raw = gateway.log_path.read_text()
    leaked = [
        name
        for name, key in zip(("write", "read", "expired", "admin"), gateway.keys.all(), strict=True)
        if key in raw
    ]
    assert leaked == []
    assert "Bearer" not in gateway.log_tail(200)
