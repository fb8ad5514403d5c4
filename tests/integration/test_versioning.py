"""ModelVersionManager against a live MLflow server; every result is checked against MLflow itself."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from hokusai.core import ModelRegistry, ModelRegistryEntry, ModelVersionManager
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError, VersioningException

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def fitted():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(11)
    features = rng.normal(size=(50, 3))
    labels = (features[:, 2] > 0).astype(int)
    return LogisticRegression().fit(features, labels), features


@pytest.fixture
def registry(mlflow_server) -> ModelRegistry:
    return ModelRegistry(tracking_uri=mlflow_server.url, infer_pip_requirements=False)


@pytest.fixture
def manager(registry) -> ModelVersionManager:
    return ModelVersionManager(registry)


@pytest.fixture
def client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)


def add_versions(registry: ModelRegistry, name: str, count: int) -> None:
    """Create ``count`` more versions of ``name`` pointing at its version 1 (cheap: nothing is logged)."""
    for _ in range(count):
        registry.session.call(lambda client: client.create_model_version(name, f"models:/{name}/1"))


def test_register_version_assigns_semantic_versions(manager, registry, fitted, unique_name, client):
    model, features = fitted
    name = unique_name("semver")

    first = manager.register_version(model, name, metadata={"dataset": "v1"})
    assert isinstance(first, ModelRegistryEntry)
    assert (first.semver, first.version, first.model_type) == ("1.0.0", "1", name)
    assert first.metadata == {"dataset": "v1"}
    assert manager.register_version(model, name, auto_increment="minor").semver == "1.1.0"
    assert manager.register_version(model, name).semver == "1.1.1"
    assert manager.register_version(model, name, version="2.0.0-rc.1").semver == "2.0.0-rc.1"
    assert manager.register_version(model, name, auto_increment="major").semver == "2.0.0"

    stored = {v.version: v.tags["semver"] for v in client.search_model_versions(f"name = '{name}'")}
    assert stored == {"1": "1.0.0", "2": "1.1.0", "3": "1.1.1", "4": "2.0.0-rc.1", "5": "2.0.0"}
    assert manager.list_versions(name) == ["1.0.0", "1.1.0", "1.1.1", "2.0.0-rc.1", "2.0.0"]
    assert manager.get_latest_version(name) == "2.0.0"

    with registry.session.scope():
        import mlflow.pyfunc

        loaded = mlflow.pyfunc.load_model(f"models:/{name}/5")
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))

    with pytest.raises(VersioningException, match=r"already has version 1\.1\.0"):
        manager.register_version(model, name, version="1.1.0")
    assert len(manager.list_versions(name)) == 5


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"version": "1.0"}, "version"),
        ({"version": "v1.0.0"}, "version"),
        ({"auto_increment": "build"}, "auto_increment"),
        ({"version": "1.0.0", "auto_increment": "patch"}, "auto_increment"),
        ({"metadata": {"semver": "9.9.9"}}, "metadata"),
    ],
)
def test_register_version_validates_arguments(manager, fitted, unique_name, client, kwargs, parameter):
    name = unique_name("invalid")
    with pytest.raises(InvalidParameterError) as info:
        manager.register_version(fitted[0], name, **kwargs)
    assert info.value.parameter_name == parameter
    assert client.search_registered_models(filter_string=f"name = '{name}'") == []


def test_list_versions_orders_numerically(manager, registry, fitted, unique_name):
    name = unique_name("numeric")
    registry.register_baseline(model=fitted[0], model_type=name)
    add_versions(registry, name, 10)

    assert manager.list_versions(name) == [str(n) for n in range(1, 12)]
    assert manager.get_latest_version(name) == "11"

    registry.update_model_tags(name, 3, {"semver": "1.10.0"})
    registry.update_model_tags(name, 4, {"semver": "1.2.3"})
    versions = manager.list_versions(name)
    assert versions.index("1.2.3") < versions.index("1.10.0") < versions.index("2")
    assert manager.get_latest_version(name) == "11"


def test_unknown_or_empty_models_have_no_versions(manager, registry, unique_name):
    unknown = unique_name("unknown")
    assert manager.get_latest_version(unknown) is None
    assert manager.list_versions(unknown) == []

    empty = unique_name("empty")
    registry.session.call(lambda client: client.create_registered_model(empty))
    assert manager.get_latest_version(empty) is None
    assert manager.get_version_history(empty) == []
    with pytest.raises(ModelNotFoundError) as info:
        manager.get_version_history(unknown)
    assert info.value.model_name == unknown


def test_compare_versions_reports_metric_and_tag_differences(manager, registry, fitted, unique_name):
    name = unique_name("compare")
    registry.register_baseline(
        model=fitted[0], model_type=name, metadata={"data": "a"}, metrics={"accuracy": 0.8}
    )
    registry.register_baseline(
        model=fitted[0], model_type=name, metadata={"data": "b"}, metrics={"accuracy": 0.85, "f1": 0.7}
    )
    registry.update_model_tags(name, 2, {"semver": "1.0.0"})

    diff = manager.compare_versions(name, "1", "1.0.0")

    assert (diff["version_a"], diff["version_b"]) == ("1", "1.0.0")
    assert (diff["mlflow_version_a"], diff["mlflow_version_b"]) == ("1", "2")
    assert diff["metrics"]["accuracy"]["a"] == 0.8 and diff["metrics"]["accuracy"]["b"] == 0.85
    assert diff["metrics"]["accuracy"]["difference"] == pytest.approx(0.05)
    assert diff["metrics"]["f1"] == {"a": None, "b": 0.7, "difference": None}
    assert diff["tags"]["data"] == {"a": "a", "b": "b"}
    assert diff["tags"]["semver"] == {"a": None, "b": "1.0.0"}
    assert "model_type" not in diff["tags"]

    with pytest.raises(ModelNotFoundError):
        manager.compare_versions(name, "1", "3")
    with pytest.raises(ModelNotFoundError):
        manager.compare_versions(name, "1", "4.0.0")
    with pytest.raises(InvalidParameterError):
        manager.compare_versions(name, "1", "latest")


def test_rollback_to_version_and_history(manager, registry, fitted, unique_name, client):
    model = fitted[0]
    name = unique_name("history")
    manager.register_version(model, name)
    manager.register_version(model, name)
    manager.register_version(model, name, auto_increment="major")

    entry = manager.rollback_to_version(name, "1.0.1")

    assert (entry.version, entry.semver, entry.aliases) == ("2", "1.0.1", ("production",))
    assert client.get_model_version_by_alias(name, "production").version == "2"
    assert registry.get_latest_model(name).version == "2"

    history = manager.get_version_history(name)
    assert [h["version"] for h in history] == ["1.0.0", "1.0.1", "2.0.0"]
    assert [h["mlflow_version"] for h in history] == ["1", "2", "3"]
    assert [h["aliases"] for h in history] == [[], ["production"], []]
    assert all(isinstance(h["created"], datetime) for h in history)
    assert [h["created"] for h in history] == sorted(h["created"] for h in history)
    assert history[2]["tags"]["semver"] == "2.0.0" and history[2]["status"] == "READY"
    assert history[0]["run_id"] == client.get_model_version(name, "1").run_id

    assert manager.rollback_to_version(name, 3).version == "3"
    assert client.get_model_version_by_alias(name, "production").version == "3"
    with pytest.raises(ModelNotFoundError):
        manager.rollback_to_version(name, "9.9.9")
    with pytest.raises(ModelNotFoundError):
        manager.rollback_to_version(unique_name("absent"), "1")


def test_manager_needs_a_registry():
    with pytest.raises(InvalidParameterError, match="needs a ModelRegistry"):
        ModelVersionManager(object())
