"""Decision logic of optional-MLflow mode (the live fallback is in tests/integration)."""

from __future__ import annotations

import logging

import pytest

from hokusai._credentials import Credentials
from hokusai._mlflow.fallback import (
    LocalFallbackWarning,
    TrackingSession,
    call_with_fallback,
    display_uri,
    local_store_path,
    optional_mlflow_enabled,
)
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import MLflowTarget, embedded_target
from hokusai.exceptions import AuthenticationError, CircuitOpenError, MLflowConnectionError

REMOTE = "http://mlflow.invalid:5000"


def remote_session() -> MLflowSession:
    return MLflowSession(MLflowTarget(tracking_uri=REMOTE, source="argument"))


def unreachable_primary(error: Exception):
    """An operation that fails on the remote session and reports where it ran otherwise."""

    def operation(session: MLflowSession) -> str:
        if session.tracking_uri == REMOTE:
            raise error
        return session.tracking_uri

    return operation


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("no", False), ("", False)])
def test_flag_parsing(value, expected):
    assert optional_mlflow_enabled({"HOKUSAI_OPTIONAL_MLFLOW": value}) is expected


def test_local_store_path_of_sqlite_and_other_uris():
    assert (
        local_store_path(MLflowTarget("sqlite:////tmp/x/mlflow.db", "embedded default")) == "/tmp/x/mlflow.db"
    )
    assert local_store_path(MLflowTarget(REMOTE, "argument")) == REMOTE


def test_without_the_flag_the_connection_error_propagates():
    with pytest.raises(MLflowConnectionError):
        call_with_fallback(remote_session(), unreachable_primary(MLflowConnectionError(tracking_uri=REMOTE)))


@pytest.mark.parametrize(
    "error",
    [MLflowConnectionError(tracking_uri=REMOTE), CircuitOpenError(tracking_uri=REMOTE, retry_after=3)],
)
def test_with_the_flag_the_operation_runs_on_the_local_store(monkeypatch, caplog, error):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    local_path = local_store_path(embedded_target())
    with pytest.warns(LocalFallbackWarning, match=local_path), caplog.at_level(logging.WARNING, "hokusai"):
        result, used = call_with_fallback(remote_session(), unreachable_primary(error))
    assert result == used.tracking_uri == f"sqlite:///{local_path}"
    assert any(local_path in record.getMessage() for record in caplog.records)


def test_authentication_errors_never_fall_back(monkeypatch):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    with pytest.raises(AuthenticationError):
        call_with_fallback(remote_session(), unreachable_primary(AuthenticationError(tracking_uri=REMOTE)))


def test_an_embedded_primary_has_nowhere_to_fall_back_to(monkeypatch):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    embedded = MLflowSession(embedded_target())

    def failing(session):
        raise MLflowConnectionError(tracking_uri=session.tracking_uri)

    with pytest.raises(MLflowConnectionError):
        call_with_fallback(embedded, failing)


def test_one_logging_warning_per_outage_but_a_python_warning_every_time(monkeypatch, caplog):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    tracking = TrackingSession(remote_session())
    operation = unreachable_primary(MLflowConnectionError(tracking_uri=REMOTE))
    with caplog.at_level(logging.INFO, "hokusai"), pytest.warns(LocalFallbackWarning) as caught:
        for _ in range(3):
            tracking.call(operation)
    assert len(caught) == 3
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO, logging.INFO]
    assert tracking.fallback_count == 3
    assert tracking.last_event is not None and tracking.last_event.primary_uri == REMOTE


def test_recovery_is_logged_with_where_the_local_data_stays(monkeypatch, caplog):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    tracking = TrackingSession(remote_session())
    with pytest.warns(LocalFallbackWarning):
        tracking.call(unreachable_primary(MLflowConnectionError(tracking_uri=REMOTE)))
    with caplog.at_level(logging.WARNING, "hokusai"):
        assert tracking.call(lambda session: "back") == "back"
    assert "reachable again" in caplog.text
    assert local_store_path(embedded_target()) in caplog.text


def test_the_warning_points_at_the_callers_line(monkeypatch):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    with pytest.warns(LocalFallbackWarning) as caught:
        call_with_fallback(remote_session(), unreachable_primary(MLflowConnectionError(tracking_uri=REMOTE)))
    assert caught[0].filename == __file__


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("https://bob:s3cret@mlflow.example:8443/path", "https://bob:***@mlflow.example:8443/path"),
        ("https://mlflow.example", "https://mlflow.example"),
        ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
    ],
)
def test_display_uri_masks_passwords(uri, shown):
    assert display_uri(uri) == shown


def test_the_warning_never_shows_secrets(monkeypatch, caplog):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")
    uri = "http://bob:uri-password-123@mlflow.invalid:5000"
    token = "hk_live_supersecrettoken42"
    session = MLflowSession(MLflowTarget(uri, "argument", credentials=Credentials(token=token)))

    def unreachable(s):
        if s is session:
            raise MLflowConnectionError(f"cannot reach {uri} with {token}", tracking_uri=uri)
        return "local"

    with pytest.warns(LocalFallbackWarning) as caught, caplog.at_level(logging.WARNING, "hokusai"):
        call_with_fallback(session, unreachable)
    for text in (str(caught[0].message), caplog.text):
        assert "uri-password-123" not in text
        assert token not in text
        assert "bob:***@mlflow.invalid" in text
