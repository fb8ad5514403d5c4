"""PerformanceTracker against a live MLflow server; every result is read back with MlflowClient."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import embedded_target, resolve_target
from hokusai.exceptions import InvalidParameterError
from hokusai.tracking import PerformanceTracker

pytestmark = pytest.mark.server


@dataclass
class SessionRegistry:
    """The part of a ModelRegistry the tracking classes rely on: its MLflow session."""

    session: MLflowSession


@pytest.fixture
def client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


@pytest.fixture
def tracker(mlflow_server, unique_name):
    return PerformanceTracker(mlflow_server.url, experiment_name=unique_name("perf"))


def test_track_inference_is_an_mlflow_run(tracker, client):
    run_id = tracker.track_inference(
        {
            "model_id": "churn",
            "model_version": 3,
            "latency_ms": 12.5,
            "confidence": 0.93,
            "batch_size": 16,
            "user_id": "user-7",
            "gpu_ms": 4.25,
            "region": "eu-west",
        }
    )

    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == tracker.experiment_name
    assert run.data.metrics == {"latency_ms": 12.5, "confidence": 0.93, "batch_size": 16.0, "gpu_ms": 4.25}
    assert run.data.tags["hokusai.model_id"] == "churn"
    assert run.data.tags["hokusai.model_version"] == "3"
    assert run.data.tags["hokusai.user_id"] == "user-7"
    assert run.data.tags["hokusai.run_type"] == "inference"
    assert run.data.tags["region"] == "eu-west"


def test_track_inference_keyword_forms(tracker, client):
    run_id = tracker.track_inference(model_id="m", model_version="1", latency_ms=7)
    assert client.get_run(run_id).data.metrics == {"latency_ms": 7.0}
    run_id = tracker.track_inference(metrics={"model_id": "m", "model_version": "1", "latency_ms": 8})
    assert client.get_run(run_id).data.metrics == {"latency_ms": 8.0}


def test_get_inference_metrics_filters_by_model_and_version(tracker):
    ids = {
        (model, version, latency): tracker.track_inference(
            {"model_id": model, "model_version": version, "latency_ms": latency}
        )
        for model, version, latency in (("a", "1", 10), ("a", "1", 20), ("a", "2", 30), ("b", "1", 40))
    }

    everything = tracker.get_inference_metrics()
    assert {r["run_id"] for r in everything} == set(ids.values())

    a1 = tracker.get_inference_metrics(model_id="a", model_version=1)
    assert sorted(r["latency_ms"] for r in a1) == [10.0, 20.0]
    assert {(r["model_id"], r["model_version"]) for r in a1} == {("a", "1")}
    assert all(r["timestamp"] > 0 and r["metrics"]["latency_ms"] == r["latency_ms"] for r in a1)

    assert [r["latency_ms"] for r in tracker.get_inference_metrics(model_id="a", model_version="2")] == [30.0]
    assert len(tracker.get_inference_metrics(model_id="a")) == 3
    assert tracker.get_inference_metrics(model_id="nobody") == []


def test_quotes_in_model_ids_are_matched_exactly(tracker):
    tracker.track_inference(model_id="it's", model_version="1", latency_ms=1)
    tracker.track_inference(model_id="its", model_version="1", latency_ms=2)
    assert [r["latency_ms"] for r in tracker.get_inference_metrics(model_id="it's")] == [1.0]


def test_reading_an_experiment_that_does_not_exist_yet(mlflow_server, unique_name):
    assert PerformanceTracker(mlflow_server.url, unique_name("empty")).get_inference_metrics() == []


def test_validation_errors_log_nothing(tracker):
    with pytest.raises(InvalidParameterError, match=r"missing required key\(s\): model_version"):
        tracker.track_inference({"model_id": "m", "latency_ms": 3})
    with pytest.raises(InvalidParameterError, match="latency_ms must be a finite number"):
        tracker.track_inference({"model_id": "m", "model_version": "1", "latency_ms": "slow"})
    assert tracker.get_inference_metrics() == []


def test_track_improvement_logs_deltas_and_contribution(tracker, client):
    result = tracker.track_improvement(
        {"accuracy": 0.80, "loss": 0.50},
        {"accuracy": 0.86, "loss": 0.45, "f1": 0.7},
        {"contributor_id": "alice", "dataset_hash": "sha256:c0ffee", "data_size": 1500},
    )

    assert result["delta"] == pytest.approx({"accuracy": 0.06, "loss": -0.05})
    assert result["metrics"]["loss"]["is_better"] is True
    assert result["improvement"] is True
    assert result["contribution"] == {
        "data_hash": "sha256:c0ffee",
        "hash_source": "provided",
        "rows": 1500,
        "contributor_id": "alice",
    }
    run = client.get_run(result["run_id"])
    assert run.data.metrics == pytest.approx(
        {
            "baseline.accuracy": 0.80,
            "improved.accuracy": 0.86,
            "delta.accuracy": 0.06,
            "baseline.loss": 0.50,
            "improved.loss": 0.45,
            "delta.loss": -0.05,
        }
    )
    assert run.data.params["contribution.data_hash"] == "sha256:c0ffee"
    assert run.data.params["contribution.rows"] == "1500"
    assert run.data.tags["hokusai.improvement"] == "true"
    assert run.data.tags["hokusai.contributor_id"] == "alice"


def test_track_improvement_needs_every_baseline_metric(tracker):
    with pytest.raises(InvalidParameterError, match="improved_metrics has no metric 'auroc'"):
        tracker.track_improvement({"auroc": 0.7}, {"accuracy": 0.9}, {"data_hash": "h"})


def test_summary_after_tracking(tracker):
    for latency in (10, 30):
        tracker.track_inference(model_id="m", model_version="1", latency_ms=latency)
    tracker.track_improvement({"accuracy": 0.5}, {"accuracy": 0.6}, {"data_hash": "h"})
    summary = tracker.get_summary()
    assert summary["inference_count"] == 2
    assert summary["mean_latency_ms"] == 20
    assert summary["improvement_count"] == 1
    assert summary["models"]["m/1"]["count"] == 2
    assert summary["local_fallbacks"] == 0


def test_registry_session_is_reused(mlflow_server, unique_name, client):
    registry = SessionRegistry(MLflowSession(resolve_target(mlflow_server.url)))
    tracker = PerformanceTracker(registry=registry, experiment_name=unique_name("perf"))
    run_id = tracker.track_inference(model_id="m", model_version="1", latency_ms=5)
    assert client.get_run(run_id).data.metrics["latency_ms"] == 5.0


def test_default_tracker_writes_to_the_embedded_store():
    from mlflow import MlflowClient

    tracker = PerformanceTracker()
    run_id = tracker.track_inference(model_id="local", model_version="1", latency_ms=2.5)

    local = MlflowClient(tracking_uri=embedded_target().tracking_uri)
    assert local.get_run(run_id).data.metrics == {"latency_ms": 2.5}
    assert [r["run_id"] for r in tracker.get_inference_metrics()] == [run_id]
