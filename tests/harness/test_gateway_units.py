"""The gateway's pure parts: path mapping, scope policy, rate limiting, the lockout of addresses, auth
parsing, error bodies, config."""

from __future__ import annotations

import json

import pytest

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.auth import authenticate, authorize, bearer_key
from hokusai_contracts.gateway.config import DEFAULT_AUTH_FAILURE_LIMIT, GatewayConfig, UpstreamAuth
from hokusai_contracts.gateway.errors import GatewayError
from hokusai_contracts.gateway.gatekeeper import admit
from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE, KeyStore, expired_at
from hokusai_contracts.gateway.lockout import FailureLimit, FailureLimiter
from hokusai_contracts.gateway.paths import upstream_path
from hokusai_contracts.gateway.policy import ANY_KEY, PUBLIC, required_scope, requirement
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


# ---------------------------------------------------------------------------------------------------
# Lockout of addresses that present invalid keys


def _lockout(failures: int = 3, window: float = 10.0, max_addresses: int = 100):
    now = [1000.0]
    return FailureLimiter(FailureLimit(failures, window, max_addresses), clock=lambda: now[0]), now


def test_an_address_is_blocked_at_the_limit_and_only_that_address():
    lockout, now = _lockout(failures=3, window=10.0)
    for _ in range(2):
        lockout.record_failure("10.0.0.1")
        assert lockout.blocked("10.0.0.1") == 0
    lockout.record_failure("10.0.0.1")
    assert lockout.blocked("10.0.0.1") == 10
    assert lockout.blocked("10.0.0.2") == 0
    now[0] += 2.5
    assert lockout.blocked("10.0.0.1") == 8  # whole seconds, rounded up
    now[0] += 7.5
    assert lockout.blocked("10.0.0.1") == 0
    lockout.record_failure("10.0.0.1")
    assert lockout.blocked("10.0.0.1") == 0  # a fresh count after the block


def test_failures_older_than_the_window_do_not_count():
    lockout, now = _lockout(failures=3, window=10.0)
    lockout.record_failure("a")
    lockout.record_failure("a")
    now[0] += 10.0
    lockout.record_failure("a")
    assert lockout.blocked("a") == 0
    lockout.record_failure("a")
    lockout.record_failure("a")
    assert lockout.blocked("a") == 10


def test_the_lockout_forgets_the_least_recently_seen_address_first():
    lockout, _ = _lockout(failures=2, max_addresses=3)
    lockout.record_failure("blocked")
    lockout.record_failure("blocked")
    for n in range(10):
        assert lockout.blocked("blocked") > 0  # knocking keeps it recent
        lockout.record_failure(f"other-{n}")
        assert lockout.tracked() <= 3
    assert lockout.blocked("blocked") > 0


@pytest.mark.parametrize(
    "limit", [{"failures": 0}, {"window": 0}, {"max_addresses": 0}], ids=["failures", "window", "addresses"]
)
def test_a_failure_limit_must_be_positive(limit):
    with pytest.raises(ValueError):
        FailureLimit(**limit)


def test_a_locked_out_address_is_refused_even_with_a_valid_key(tmp_path):
    store = KeyStore(tmp_path / "keys.db")
    valid = f"Bearer {store.issue([READ])}"
    lockout, _ = _lockout(failures=2)
    for bad in ("Bearer not-a-key", "Bearer hk_test_" + "Q" * 32):
        with pytest.raises(GatewayError) as caught:
            admit(store, None, bad, ANY_KEY, lockout=lockout, address="attacker")
        assert caught.value.hokusai_error == "invalid_api_key"
    with pytest.raises(GatewayError) as caught:
        admit(store, None, valid, ANY_KEY, lockout=lockout, address="attacker")
    assert (caught.value.status, caught.value.hokusai_error) == (429, "too_many_invalid_keys")
    assert caught.value.headers["Retry-After"] == "10"
    assert caught.value.body()["retry_after_seconds"] == 10
    assert admit(store, None, valid, ANY_KEY, lockout=lockout, address="someone-else").scopes == (READ,)


def test_missing_expired_and_revoked_keys_do_not_count_towards_the_lockout(tmp_path):
    store = KeyStore(tmp_path / "keys.db")
    expired = f"Bearer {store.issue([READ], expires_at=expired_at())}"
    revoked_key = store.issue([READ])
    store.revoke(store.validate(revoked_key).key_id)
    lockout, _ = _lockout(failures=2)
    for header in [None, "", expired, f"Bearer {revoked_key}"] * 3:
        with pytest.raises(GatewayError) as caught:
            admit(store, None, header, ANY_KEY, lockout=lockout, address="a")
        assert caught.value.status == 401
    assert lockout.blocked("a") == 0


def test_the_new_error_bodies():
    assert errors.too_many_invalid_keys(5).headers == {"Retry-After": "5"}
    for error, status in [
        (errors.too_many_invalid_keys(5), 429),
        (errors.payload_too_large(1024), 413),
        (errors.malformed_request(16384), 400),
        (errors.internal_error(), 500),
    ]:
        body = error.body()
        assert error.status == status
        assert body["message"] and body["hokusai_error"]
        # What MLflow's client derives from the code is the status, or the same class of error.
        derived = {**MLFLOW_STATUS, "INTERNAL_ERROR": 500}[body["error_code"]]
        assert derived // 100 == status // 100


def test_the_failure_limit_and_body_limit_round_trip_through_the_config_file(tmp_path):
    paths = ("http://127.0.0.1:5000", tmp_path / "k.db", tmp_path / "e.db")
    config = GatewayConfig(*paths, auth_failure_limit=FailureLimit(5, 2.5, 50), max_body_bytes=4096)
    assert GatewayConfig.from_json(config.to_json(), environ={}) == config
    off = GatewayConfig(*paths, auth_failure_limit=None)
    assert GatewayConfig.from_json(off.to_json(), environ={}).auth_failure_limit is None
    # A file without the field (written before the lockout existed) still protects.
    data = json.loads(GatewayConfig(*paths).to_json())
    del data["auth_failure_limit"]
    assert GatewayConfig.from_json(json.dumps(data), environ={}).auth_failure_limit == (
        DEFAULT_AUTH_FAILURE_LIMIT
    )
    assert (DEFAULT_AUTH_FAILURE_LIMIT.failures, DEFAULT_AUTH_FAILURE_LIMIT.window) == (20, 60.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "line 1: not JSON"),
        ('{"key_store": "k", "event_store": "e"}', "missing field 'upstream_url'"),
        ('{"upstream_url": "u", "key_store": "k", "event_store": "e", "auth_failure_limit": 3}', "type"),
    ],
)
def test_a_malformed_config_file_is_a_value_error_naming_the_problem(text, message):
    with pytest.raises(ValueError, match=message):
        GatewayConfig.from_json(text, environ={})
