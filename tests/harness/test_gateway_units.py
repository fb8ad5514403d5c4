"""The gateway's pure parts: path mapping, scope policy, rate limiting, auth parsing, error bodies, config."""

from __future__ import annotations

import json

import pytest

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.auth import authenticate, authorize, bearer_key
from hokusai_contracts.gateway.config import GatewayConfig, UpstreamAuth
from hokusai_contracts.gateway.errors import GatewayError
from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE, KeyStore, expired_at
from hokusai_contracts.gateway.paths import upstream_path
from hokusai_contracts.gateway.policy import PUBLIC, required_scope, requirement
from hokusai_contracts.gateway.ratelimit import RateLimit, RateLimiter

# MLflow's error codes and the statuses its client (and the SDK) derive from them.
MLFLOW_STATUS = {
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "TEMPORARILY_UNAVAILABLE": 503,
    "INVALID_PARAMETER_VALUE": 400,
    "ENDPOINT_NOT_FOUND": 404,
    "BAD_REQUEST": 400,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/mlflow/api/2.0/mlflow/experiments/search", "/api/2.0/mlflow/experiments/search"),
        ("/mlflow/api/2.0/mlflow/runs/get", "/api/2.0/mlflow/runs/get"),
        ("/api/2.0/mlflow/runs/get", "/api/2.0/mlflow/runs/get"),
        (
            "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%20b.txt",
            "/api/2.0/mlflow-artifacts/artifacts/1/a%20b.txt",
        ),
        ("/api/2.0/mlflow-artifacts/artifacts/x", "/api/2.0/mlflow-artifacts/artifacts/x"),
        ("/api/3.0/mlflow/server-info", "/api/3.0/mlflow/server-info"),
        ("/ajax-api/2.0/mlflow/runs/get", "/ajax-api/2.0/mlflow/runs/get"),
        ("/api/mlflow", None),
        ("/api/mlflowx/api/2.0/mlflow/runs/get", None),
        ("/api/models/tokenized-registration-events", None),
        ("/health", None),
    ],
)
def test_upstream_path(path, expected):
    assert upstream_path(path) == expected


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/2.0/mlflow/registered-models/get", READ),
        ("HEAD", "/api/2.0/mlflow-artifacts/artifacts/x", READ),
        ("POST", "/api/2.0/mlflow/experiments/search", READ),
        ("POST", "/api/2.0/mlflow/runs/search", READ),
        ("POST", "/api/2.0/mlflow/logged-models/search", READ),
        ("POST", "/ajax-api/2.0/mlflow/experiments/search-datasets", READ),
        ("POST", "/api/2.0/mlflow/experiments/create", WRITE),
        ("POST", "/api/2.0/mlflow/registered-models/create", WRITE),
        ("POST", "/api/2.0/mlflow/runs/log-batch", WRITE),
        ("PATCH", "/api/2.0/mlflow/registered-models/update", WRITE),
        ("DELETE", "/api/2.0/mlflow/registered-models/delete", WRITE),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/model.pkl", WRITE),
    ],
)
def test_required_scope(method, path, scope):
    assert required_scope(method, path) == scope


def test_requirements_of_the_gateway_routes():
    assert requirement("GET", "/health") is PUBLIC
    assert requirement("GET", "/openapi.json") is PUBLIC
    assert requirement("POST", "/api/auth/validate").scope is None
    assert requirement("POST", "/api/models/tokenized-registration-events").scope == WRITE
    assert requirement("GET", "/api/models/tokenized-registration-events").scope == READ
    assert requirement("POST", "/mlflow/api/2.0/mlflow/runs/create").scope == WRITE
    assert requirement("GET", "/nowhere") is None


def test_token_bucket_allows_a_burst_then_asks_to_wait():
    now = [100.0]
    limiter = RateLimiter(RateLimit(per_second=1, burst=2), clock=lambda: now[0])
    assert [limiter.check("k"), limiter.check("k")] == [0, 0]
    assert limiter.check("k") == 1
    assert limiter.check("other") == 0
    now[0] += 1.0
    assert limiter.check("k") == 0
    assert limiter.check("k") == 1


def test_retry_after_is_whole_seconds_rounded_up():
    now = [0.0]
    limiter = RateLimiter(RateLimit(per_second=0.25, burst=1), clock=lambda: now[0])
    assert limiter.check("k") == 0
    assert limiter.check("k") == 4
    now[0] += 3.5
    assert limiter.check("k") == 1


def test_rate_limit_must_be_positive():
    with pytest.raises(ValueError):
        RateLimit(per_second=0, burst=1)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_header_is_a_missing_key(header):
    with pytest.raises(GatewayError) as caught:
        bearer_key(header)
    assert (caught.value.status, caught.value.hokusai_error) == (401, "missing_api_key")


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "hk_test_" + "a" * 32]
)
def test_a_header_without_a_bearer_key_is_invalid(header):
    with pytest.raises(GatewayError) as caught:
        bearer_key(header)
    assert (caught.value.status, caught.value.hokusai_error) == (401, "invalid_api_key")


def test_authenticate_and_authorize(tmp_path):
    store = KeyStore(tmp_path / "keys.db")
    read = store.issue([READ])
    record = authenticate(store, f"bearer  {read}")
    authorize(record, READ)
    with pytest.raises(GatewayError) as caught:
        authorize(record, WRITE)
    assert caught.value.status == 403
    assert caught.value.body()["required_scope"] == WRITE
    authorize(authenticate(store, f"Bearer {store.issue([ADMIN])}"), WRITE)
    with pytest.raises(GatewayError) as caught:
        authenticate(store, f"Bearer {store.issue([READ], expires_at=expired_at())}")
    assert caught.value.hokusai_error == "expired_api_key"


@pytest.mark.parametrize(
    "error",
    [
        errors.missing_key(),
        errors.malformed_key(),
        errors.unknown_key("hk_test_...abcd"),
        errors.revoked_key("hk_test_...abcd"),
        errors.expired_key("hk_test_...abcd", "2020-01-01T00:00:00+00:00"),
        errors.insufficient_scope("hk_test_...abcd", WRITE, "registry writes"),
        errors.rate_limited(3),
        errors.upstream_unavailable("ConnectError"),
        errors.upstream_timeout(30),
        errors.not_found("/x"),
        errors.invalid_payload([{"loc": ["body", "model_name"], "msg": "missing", "type": "missing"}]),
    ],
)
def test_every_error_body_carries_an_mlflow_error_code_and_a_reason(error):
    body = error.body()
    assert body["error_code"] in MLFLOW_STATUS
    assert body["message"] and body["hokusai_error"]
    # The status MLflow's client derives from the code is the gateway's, or at least as severe.
    derived = MLFLOW_STATUS[body["error_code"]]
    assert derived == error.status or (derived >= 500 and error.status >= 500) or error.status in (404, 422)


def test_a_429_says_when_to_retry():
    error = errors.rate_limited(7)
    assert error.headers["Retry-After"] == "7"
    assert error.body()["retry_after_seconds"] == 7


def test_config_round_trip_keeps_credentials_out_of_the_file(tmp_path):
    auth = UpstreamAuth(username="admin", password="s3cret-password")
    config = GatewayConfig("http://127.0.0.1:5000", tmp_path / "k.db", tmp_path / "e.db", upstream_auth=auth)
    text = config.to_json()
    assert "s3cret-password" not in text
    again = GatewayConfig.from_json(text, environ=auth.environment())
    assert again == config
    assert json.loads(text)["rate_limit"] == {"per_second": 50.0, "burst": 100}
    assert "s3cret" not in repr(config)
    assert again.upstream_auth.header().startswith("Basic ")
    assert UpstreamAuth(token="t0ken").header() == "Bearer t0ken"
    assert UpstreamAuth().header() is None
