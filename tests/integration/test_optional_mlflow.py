"""Optional-MLflow mode: tracking falls back to the local store only when the server is unreachable."""

from __future__ import annotations

import logging
import os
import re

import pytest

from hokusai._mlflow.fallback import local_store_path
from hokusai._mlflow.target import embedded_target
from hokusai.exceptions import AuthenticationError, LocalFallbackWarning, MLflowConnectionError
from hokusai.tracking import ExperimentManager, PerformanceTracker
from hokusai_contracts.servers import free_port


@pytest.fixture
def unreachable_uri() -> str:
    """A loopback URL with nothing listening."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def optional_mode(monkeypatch):
    monkeypatch.setenv("HOKUSAI_OPTIONAL_MLFLOW", "true")


@pytest.fixture
def local_client():
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=embedded_target().tracking_uri)


def local_path() -> str:
    return local_store_path(embedded_target())


def test_inference_falls_back_with_a_warning_naming_the_sqlite_file(
    unreachable_uri, optional_mode, local_client, caplog
):
    tracker = PerformanceTracker(unreachable_uri)
    with (
        pytest.warns(LocalFallbackWarning, match=re.escape(local_path())) as caught,
        caplog.at_level(logging.WARNING, "hokusai"),
    ):
        run_id = tracker.track_inference(model_id="m", model_version="1", latency_ms=8.5, confidence=0.7)

    message = str(caught[0].message)
    assert unreachable_uri in message
    assert local_path() in caplog.text
    run = local_client.get_run(run_id)
    assert run.data.metrics == {"latency_ms": 8.5, "confidence": 0.7}
    assert run.data.tags["hokusai.model_id"] == "m"
    assert local_client.get_experiment(run.info.experiment_id).name == "hokusai_performance"
    assert tracker.fallback_count == 1

    # Reads fall back too, so what was tracked locally can be queried while the server is down.
    with pytest.warns(LocalFallbackWarning):
        assert [r["run_id"] for r in tracker.get_inference_metrics(model_id="m")] == [run_id]
    assert tracker.get_summary()["local_fallbacks"] == 2


def test_experiments_fall_back_and_history_reads_the_local_store(
    unreachable_uri, optional_mode, local_client
):
    import mlflow

    manager = ExperimentManager(experiment_name="offline", mlflow_tracking_uri=unreachable_uri)
    with pytest.warns(LocalFallbackWarning, match=re.escape(local_path())):
        run_id = manager.create_improvement_experiment("base/1", {"data_hash": "h", "rows": 4})
    with pytest.warns(LocalFallbackWarning), manager.start_experiment(run_name="offline-train") as run:
        mlflow.log_metric("accuracy", 0.75)

    assert local_client.get_run(run_id).data.params["contributed_data.data_hash"] == "h"
    trained = local_client.get_run(run.info.run_id)
    assert (trained.info.status, trained.data.metrics) == ("FINISHED", {"accuracy": 0.75})
    with pytest.warns(LocalFallbackWarning):
        history = manager.get_experiment_history()
    assert [entry["run_id"] for entry in history] == [run.info.run_id, run_id]


def test_without_the_flag_the_connection_error_names_the_uri(unreachable_uri):
    tracker = PerformanceTracker(unreachable_uri)
    with pytest.raises(MLflowConnectionError, match=re.escape(unreachable_uri)):
        tracker.track_inference(model_id="m", model_version="1", latency_ms=1)
    manager = ExperimentManager(experiment_name="x", mlflow_tracking_uri=unreachable_uri)
    with pytest.raises(MLflowConnectionError, match=re.escape(unreachable_uri)):
        manager.create_improvement_experiment("base/1", {"data_hash": "h"})
    assert not os.path.exists(local_path())


@pytest.mark.auth_server
def test_authentication_errors_never_fall_back(basic_auth_server, optional_mode, recwarn):
    tracker = PerformanceTracker(basic_auth_server.url)
    with pytest.raises(AuthenticationError) as info:
        tracker.track_inference(model_id="m", model_version="1", latency_ms=1)
    assert info.value.status_code == 401
    assert not [w for w in recwarn if issubclass(w.category, LocalFallbackWarning)]
    assert tracker.fallback_count == 0
    assert not os.path.exists(local_path())
