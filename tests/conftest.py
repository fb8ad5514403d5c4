"""Shared test setup: every test runs with a clean Hokusai / MLflow environment of its own."""

from __future__ import annotations

import pytest

from hokusai import resilience
from hokusai.resilience import RetryPolicy, configure_resilience, reset_circuit_breakers

pytest_plugins = ["pytester"]

_ISOLATED_VARS = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_AWS_SIGV4",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "HOKUSAI_API_KEY",
    "HOKUSAI_API_ENDPOINT",
    "HOKUSAI_OPTIONAL_MLFLOW",
    "HOKUSAI_MOCK_MODE",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No inherited MLflow/Hokusai settings; HOKUSAI_HOME and HOME point into the test's tmp dir."""
    for name in _ISOLATED_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HOKUSAI_HOME", str(home / ".hokusai"))
    # Fast retries keep failure-path tests quick; the schedule itself is unit-tested.
    configure_resilience(
        retry=RetryPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.05), request_timeout=15.0
    )
    reset_circuit_breakers()
    _reset_process_defaults()
    yield home
    # The fast policy above is process-global: leave the defaults for whatever runs next in this
    # worker (documentation pages count on them).
    resilience._config = None
    reset_circuit_breakers()
    _reset_process_defaults()


def _reset_process_defaults() -> None:
    """Forget configuration that earlier tests made the process default."""
    import hokusai.auth.client
    import hokusai.config

    hokusai.config.reset_mlflow_auth()
    hokusai.auth.client._global_auth = None
