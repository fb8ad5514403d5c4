"""401/403 errors carry what the server said: its message, its error code and the scope it requires."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException, RestException
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED

from hokusai._credentials import Credentials
from hokusai._mlflow.errors import server_detail, translate
from hokusai._mlflow.target import MLflowTarget
from hokusai.exceptions import AuthenticationError, AuthorizationError

KEY = "hk_test_abcdefghijklmnopqrstuvwxyz012345"
TARGET = MLflowTarget("http://gw:1/api/mlflow", "argument", Credentials(token=KEY))


def gateway_error(**body) -> RestException:
    """The exception MLflow's client raises for a JSON error body (as the gateway sends)."""
    return RestException(body)


def test_expired_key_names_the_cause_and_the_fix():
    exc = translate(
        gateway_error(
            error_code="UNAUTHENTICATED",
            message="the API key has expired",
            hokusai_error="expired_api_key",
        ),
        TARGET,
    )
    assert isinstance(exc, AuthenticationError)
    assert exc.status_code == 401
    assert exc.error_code == "expired_api_key"
    assert "server said: the API key has expired" in str(exc)
    assert "create a new key" in exc.fix
    assert KEY not in str(exc)
    assert "hk_test_...345" in str(exc)


def test_missing_scope_is_named_in_the_fix():
    exc = translate(
        gateway_error(
            error_code="PERMISSION_DENIED",
            message="this API key lacks the `mlflow:write` scope",
            hokusai_error="insufficient_scope",
            required_scope="mlflow:write",
        ),
        TARGET,
    )
    assert isinstance(exc, AuthorizationError)
    assert (exc.status_code, exc.required_scope) == (403, "mlflow:write")
    assert "ask for a key with `mlflow:write`" in exc.fix


def test_plain_text_403_from_basic_auth_keeps_the_servers_words():
    raw = MlflowException(
        "API request to endpoint /api/2.0/mlflow/registered-models/set-tag failed with error code 403 "
        "!= 200. Response body: 'Permission denied'",
        error_code=PERMISSION_DENIED,
    )
    exc = translate(raw, TARGET)
    assert isinstance(exc, AuthorizationError)
    assert exc.endpoint == "/api/2.0/mlflow/registered-models/set-tag"
    assert exc.server_message == "Permission denied"
    assert "write permission" in exc.fix


@pytest.mark.parametrize(
    "raw",
    [
        MlflowException("API request failed with error code 401 != 200. Response body: '<!doctype html>'"),
        MlflowException("no body at all"),
    ],
)
def test_html_or_missing_bodies_add_no_server_message(raw):
    assert server_detail(raw).message is None


def test_a_secret_echoed_by_the_server_is_scrubbed():
    detail = server_detail(gateway_error(error_code="UNAUTHENTICATED", message=f"unknown key {KEY}"), (KEY,))
    assert KEY not in detail.message
