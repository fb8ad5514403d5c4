"""Constructor forms of ExperimentManager / PerformanceTracker and the hokusai.tracking exports."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import hokusai.tracking
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import resolve_target
from hokusai.exceptions import InvalidParameterError
from hokusai.tracking import ExperimentManager, PerformanceTracker

URI = "http://mlflow.example:5000"


@dataclass
class SessionRegistry:
    """The part of ModelRegistry the tracking classes rely on: its MLflow session."""

    session: MLflowSession


@dataclass
class UriRegistry:
    """An older registry shape that only exposes its tracking URI."""

    tracking_uri: str


def test_exports_are_visible():
    assert hokusai.tracking.__all__ == ["ExperimentManager", "PerformanceTracker"]
    assert {"ExperimentManager", "PerformanceTracker"} <= set(dir(hokusai.tracking))


def test_registry_as_first_positional_argument_reuses_its_session():
    registry = SessionRegistry(MLflowSession(resolve_target(URI, api_key="hk_live_abcdefghijkl")))
    manager = ExperimentManager(registry)
    assert manager.session is registry.session
    assert manager.registry is registry
    assert manager.experiment_name == "hokusai_model_improvements"


def test_registry_keyword_and_experiment_name():
    registry = SessionRegistry(MLflowSession(resolve_target(URI)))
    manager = ExperimentManager(experiment_name="exp-a", registry=registry)
    assert (manager.experiment_name, manager.session) == ("exp-a", registry.session)


def test_registry_then_experiment_name_positionally():
    registry = SessionRegistry(MLflowSession(resolve_target(URI)))
    manager = ExperimentManager(registry, "exp-b")
    assert (manager.experiment_name, manager.session) == ("exp-b", registry.session)


def test_registry_with_only_a_tracking_uri():
    manager = ExperimentManager(UriRegistry(URI + "/"))
    assert manager.tracking_uri == URI


def test_experiment_name_only_uses_the_embedded_store_by_default(isolated_environment):
    manager = ExperimentManager(experiment_name="x")
    assert manager.experiment_name == "x"
    assert manager.session.target.is_embedded
    assert str(isolated_environment) in manager.tracking_uri


def test_explicit_tracking_uri():
    assert ExperimentManager("x", mlflow_tracking_uri=URI).tracking_uri == URI


@pytest.mark.parametrize("bad", [42, {"experiment_name": "x"}, 3.5, ["x"]])
def test_wrong_first_argument_names_both_accepted_forms(bad):
    with pytest.raises(TypeError) as info:
        ExperimentManager(bad)
    text = str(info.value)
    assert "ExperimentManager(registry)" in text
    assert "ExperimentManager(experiment_name='my_experiment')" in text
    assert type(bad).__name__ in text


def test_string_registry_points_at_mlflow_tracking_uri():
    with pytest.raises(TypeError, match="mlflow_tracking_uri="):
        ExperimentManager("x", URI)


def test_registry_and_different_tracking_uri_conflict():
    registry = SessionRegistry(MLflowSession(resolve_target(URI)))
    with pytest.raises(InvalidParameterError, match="pass either the registry"):
        ExperimentManager(registry, mlflow_tracking_uri="http://other:5000")


def test_empty_experiment_name_is_rejected():
    with pytest.raises(InvalidParameterError, match="non-empty"):
        ExperimentManager(experiment_name="  ")


def test_performance_tracker_constructs_without_arguments(isolated_environment):
    tracker = PerformanceTracker()
    assert tracker.experiment_name == "hokusai_performance"
    assert tracker.session.target.is_embedded


def test_performance_tracker_accepts_uri_or_registry():
    registry = SessionRegistry(MLflowSession(resolve_target(URI)))
    assert PerformanceTracker(URI).tracking_uri == URI
    assert PerformanceTracker(registry).session is registry.session
    assert PerformanceTracker(registry=registry, experiment_name="perf").experiment_name == "perf"


def test_performance_tracker_rejects_a_wrong_first_argument():
    with pytest.raises(TypeError, match="tracking URI"):
        PerformanceTracker(42)


def test_mock_mode_means_the_embedded_store(monkeypatch):
    monkeypatch.setenv("HOKUSAI_MOCK_MODE", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", URI)
    assert PerformanceTracker().session.target.is_embedded
    assert ExperimentManager().session.target.is_embedded
