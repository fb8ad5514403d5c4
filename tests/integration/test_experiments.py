"""ExperimentManager against a live MLflow server; every result is read back with MlflowClient."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import resolve_target
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError
from hokusai.tracking import ExperimentManager

pytestmark = pytest.mark.server


@dataclass
class SessionRegistry:
    """The part of a ModelRegistry the tracking classes rely on: its MLflow session."""

    session: MLflowSession


@pytest.fixture
def client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)


@pytest.fixture
def manager(mlflow_server, unique_name):
    return ExperimentManager(experiment_name=unique_name("exp"), mlflow_tracking_uri=mlflow_server.url)


def logged_run(manager: ExperimentManager, **metrics: float) -> str:
    """A finished run of ``manager``'s experiment with ``metrics`` logged through the fluent API."""
    import mlflow

    with manager.start_experiment(run_name="train") as run:
        mlflow.log_metrics(metrics)
    return run.info.run_id


def test_registry_positional_form_logs_to_the_registry_server(mlflow_server, unique_name, client):
    registry = SessionRegistry(MLflowSession(resolve_target(mlflow_server.url)))
    name = unique_name("exp")
    manager = ExperimentManager(registry, name)
    assert manager.session is registry.session

    run_id = manager.create_improvement_experiment("churn/1", {"data_hash": "h", "rows": 3})

    run = client.get_run(run_id)
    assert client.get_experiment(run.info.experiment_id).name == name


def test_real_model_registry_is_accepted(mlflow_server, unique_name):
    registry_module = pytest.importorskip("hokusai.core.registry")
    from sklearn.dummy import DummyClassifier

    registry = registry_module.ModelRegistry(tracking_uri=mlflow_server.url)
    manager = ExperimentManager(registry)
    assert manager.session is registry.session
    assert manager.tracking_uri == mlflow_server.url

    name = unique_name("registered")
    model = DummyClassifier().fit([[0], [1]], [0, 1])
    entries = [
        registry.register_baseline(
            model, model_name=name, metrics={"accuracy": accuracy}, pip_requirements=["scikit-learn"]
        )
        for accuracy in (0.7, 0.8)
    ]
    result = manager.compare_models(entries[0].model_id, entries[1].model_id, log_results=False)
    assert result["metrics"]["accuracy"]["delta"] == pytest.approx(0.1)
    assert result["improvement"] is True


def test_start_experiment_yields_the_active_run(manager, client):
    import mlflow

    before = mlflow.get_tracking_uri()
    with manager.start_experiment(run_name="first", tags={"team": "ml"}) as run:
        assert mlflow.active_run().info.run_id == run.info.run_id
        mlflow.log_metric("accuracy", 0.91)
        mlflow.log_param("alpha", 0.5)

    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.run_name == "first"
    assert stored.data.metrics == {"accuracy": 0.91}
    assert stored.data.params == {"alpha": "0.5"}
    assert stored.data.tags["team"] == "ml"
    assert stored.data.tags["hokusai.run_type"] == "experiment"
    assert client.get_experiment(stored.info.experiment_id).name == manager.experiment_name
    # MLflow's global state is restored after the block.
    assert mlflow.active_run() is None
    assert mlflow.get_tracking_uri() == before


def test_start_experiment_marks_the_run_failed_when_the_block_raises(manager, client):
    with pytest.raises(RuntimeError, match="boom"), manager.start_experiment() as run:
        raise RuntimeError("boom")
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_start_experiment_in_another_experiment(manager, client, unique_name):
    other = unique_name("other")
    with manager.start_experiment(experiment_name=other) as run:
        pass
    experiment_id = client.get_run(run.info.run_id).info.experiment_id
    assert client.get_experiment(experiment_id).name == other


def test_start_experiment_ignores_the_callers_mlflow_set_experiment(
    manager, client, unique_name, monkeypatch
):
    import mlflow
    from mlflow.tracking import fluent

    # Restore MLflow's process-wide experiment selection after the test.
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    with manager.session.scope():
        mlflow.set_experiment(unique_name("users-own"))

    with manager.start_experiment() as run:
        pass
    experiment_id = client.get_run(run.info.run_id).info.experiment_id
    assert client.get_experiment(experiment_id).name == manager.experiment_name


def test_create_improvement_experiment_logs_the_contribution(manager, client):
    contribution = {
        "features": [[1, 2], [3, 4], [5, 6]],
        "metadata": {"dataset_hash": "sha256:feed", "contributor_id": "alice", "license": "cc-by"},
    }
    run_id = manager.create_improvement_experiment("churn/3", contribution, tags={"ticket": "T-1"})

    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "baseline_model_id": "churn/3",
        "experiment_type": "model_improvement",
        "contributed_data.data_hash": "sha256:feed",
        "contributed_data.hash_source": "provided",
        "contributed_data.rows": "3",
        "contributed_data.columns": "2",
        "contributed_data.contributor_id": "alice",
        "contributed_data.license": "cc-by",
    }
    assert run.data.metrics == {"contributed_data.rows": 3.0}
    assert run.data.tags["hokusai.baseline_model_id"] == "churn/3"
    assert run.data.tags["hokusai.contributor_id"] == "alice"
    assert run.data.tags["ticket"] == "T-1"


def test_compare_models_by_run_id(manager, client):
    baseline = logged_run(manager, accuracy=0.80, loss=0.50, f1=0.7)
    candidate = logged_run(manager, accuracy=0.86, loss=0.40)

    result = manager.compare_models(baseline, candidate)

    assert result["source"] == "logged_metrics"
    assert set(result["metrics"]) == {"accuracy", "loss"}
    assert result["metrics"]["accuracy"]["baseline"] == pytest.approx(0.80)
    assert result["metrics"]["accuracy"]["candidate"] == pytest.approx(0.86)
    assert result["metrics"]["accuracy"]["delta"] == pytest.approx(0.06)
    assert result["metrics"]["loss"]["delta"] == pytest.approx(-0.10)
    assert result["improvement"] is True
    logged = client.get_run(result["run_id"])
    assert logged.data.metrics["delta.accuracy"] == pytest.approx(0.06)
    assert logged.data.tags["hokusai.improvement"] == "true"


def test_compare_models_regression_and_metric_selection(manager):
    baseline = logged_run(manager, accuracy=0.9, loss=0.2)
    candidate = logged_run(manager, accuracy=0.95, loss=0.3)

    both = manager.compare_models(baseline, candidate, log_results=False)
    assert both["improvement"] is False
    assert both["regressed_metrics"] == ["loss"]
    assert "run_id" not in both

    only_accuracy = manager.compare_models(baseline, candidate, metric_names=["accuracy"], log_results=False)
    assert only_accuracy["improvement"] is True

    with pytest.raises(InvalidParameterError, match="has no metric 'f1'"):
        manager.compare_models(baseline, candidate, metric_names=["f1"])


def test_compare_models_unknown_references(manager):
    run_id = logged_run(manager, accuracy=0.5)
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        manager.compare_models("no-such-model/1", run_id)
    with pytest.raises(ModelNotFoundError, match="deadbeef"):
        manager.compare_models(run_id, "deadbeef" * 4)


def test_compare_registered_versions_by_logged_metrics_and_on_test_data(manager, unique_name, client):
    import mlflow
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    features = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]
    labels = [0, 0, 0, 1, 1, 1]
    name = unique_name("model")
    for model, accuracy in (
        (DummyClassifier(strategy="constant", constant=0), 0.5),
        (LogisticRegression(), 1.0),
    ):
        model.fit(features, labels)
        with manager.start_experiment(run_name=type(model).__name__):
            mlflow.log_metric("accuracy", accuracy)
            mlflow.sklearn.log_model(
                model, name="model", registered_model_name=name, pip_requirements=["scikit-learn"]
            )
    assert {v.version for v in client.search_model_versions(f"name = '{name}'")} == {"1", "2"}

    logged = manager.compare_models(f"{name}/1", f"models:/{name}/2", log_results=False)
    accuracy = logged["metrics"]["accuracy"]
    assert (accuracy["baseline"], accuracy["candidate"], accuracy["delta"]) == (0.5, 1.0, 0.5)
    assert accuracy["improved"] is True

    evaluated = manager.compare_models(
        f"{name}/1", f"{name}/2", test_data={"features": features, "labels": labels, "dataset_name": "toy"}
    )
    assert evaluated["source"] == "test_data"
    assert evaluated["dataset_name"] == "toy"
    assert evaluated["metrics"]["accuracy"]["baseline"] == pytest.approx(0.5)
    assert evaluated["metrics"]["accuracy"]["candidate"] == pytest.approx(1.0)
    assert evaluated["improvement"] is True
    assert client.get_run(evaluated["run_id"]).data.params["dataset_name"] == "toy"


def test_get_experiment_history(manager, client):
    first = manager.create_improvement_experiment("base/1", {"data_hash": "a", "rows": 1})
    second = manager.create_improvement_experiment("base/2", {"data_hash": "b", "rows": 2})
    trained = logged_run(manager, accuracy=0.7)

    history = manager.get_experiment_history()
    assert [entry["run_id"] for entry in history] == [trained, second, first]
    newest_improvement = history[1]
    assert newest_improvement["status"] == "FINISHED"
    assert newest_improvement["params"]["contributed_data.data_hash"] == "b"
    assert newest_improvement["metrics"] == {"contributed_data.rows": 2.0}
    assert newest_improvement["tags"]["hokusai.baseline_model_id"] == "base/2"
    assert newest_improvement["start_time"] == client.get_run(second).info.start_time
    assert history[0]["metrics"] == {"accuracy": 0.7}

    assert [e["run_id"] for e in manager.get_experiment_history(max_results=1)] == [trained]
    assert [e["run_id"] for e in manager.get_experiment_history(baseline_model_id="base/1")] == [first]


def test_history_of_an_unknown_experiment_is_empty(manager, unique_name):
    assert manager.get_experiment_history(experiment_name=unique_name("never-created")) == []
