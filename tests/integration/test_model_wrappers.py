"""HokusaiModel through register_baseline and register_version against a live MLflow server.

Every registered version is loaded back with ``mlflow.pyfunc.load_model`` and must predict what the
model in memory predicts: a real, loadable model, not a placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from hokusai.core import ModelRegistry, ModelVersionManager
from hokusai.core.models import HokusaiModel, ModelFactory, ModelType
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError

pytestmark = pytest.mark.server


class Scaler(HokusaiModel):
    """A model written against the Hokusai base class only: logged through the pyfunc adapter."""

    def __init__(self, factor: float, **fields) -> None:
        super().__init__(**fields)
        self.factor = factor

    def predict(self, data):
        return np.asarray(data, dtype=float).sum(axis=1) * self.factor


@dataclass(frozen=True)
class Trained:
    model: object
    features: np.ndarray


@pytest.fixture(scope="module")
def trained() -> Trained:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    features = rng.normal(size=(40, 3))
    labels = (features[:, 0] - features[:, 2] > 0).astype(int)
    return Trained(LogisticRegression().fit(features, labels), features)


@pytest.fixture
def registry(mlflow_server) -> ModelRegistry:
    return ModelRegistry(tracking_uri=mlflow_server.url, infer_pip_requirements=False)


@pytest.fixture
def client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)


def load(registry: ModelRegistry, model_uri: str):
    import mlflow.pyfunc

    with registry.session.scope():
        return mlflow.pyfunc.load_model(model_uri)


def flavors(registry: ModelRegistry, model_uri: str) -> set[str]:
    import mlflow.models

    with registry.session.scope():
        return set(mlflow.models.get_model_info(model_uri).flavors)


def test_register_baseline_with_a_wrapped_estimator(registry, trained, unique_name, client):
    wrapped = HokusaiModel.wrap(
        trained.model,
        model_type=ModelType.LEAD_SCORING,
        metadata={"dataset": "crm-2024"},
        metrics={"auroc": 0.87},
    )
    name = unique_name("wrapped")
    entry = registry.register_baseline(model=wrapped, model_type="lead_scoring", model_name=name)

    assert (entry.model_name, entry.model_type, entry.version) == (name, "lead_scoring", "1")
    assert entry.metadata == {"dataset": "crm-2024"} and entry.metrics == {"auroc": 0.87}
    assert client.get_run(entry.mlflow_run_id).data.metrics == {"auroc": 0.87}
    assert "sklearn" in flavors(registry, entry.model_uri)  # logged with mlflow.sklearn, not a pickle blob
    loaded = load(registry, entry.model_uri)
    np.testing.assert_array_equal(loaded.predict(trained.features), trained.model.predict(trained.features))
    np.testing.assert_array_equal(wrapped.predict(trained.features), trained.model.predict(trained.features))


def test_register_baseline_with_a_subclass(registry, trained, unique_name):
    model = Scaler(2.5, model_id="scaler", model_type="regression", metadata={"owner": "alice"})
    entry = registry.register_baseline(model=model, model_type=unique_name("scaler"), metrics={"rmse": 0.1})

    assert entry.metadata == {"owner": "alice"} and entry.metrics == {"rmse": 0.1}
    assert flavors(registry, entry.model_uri) == {"python_function"}
    loaded = load(registry, entry.model_uri)
    np.testing.assert_allclose(loaded.predict(trained.features), model.predict(trained.features))
    assert isinstance(loaded.unwrap_python_model().hokusai_model, Scaler)


def test_register_version_with_a_wrapped_estimator_and_a_subclass(registry, trained, unique_name):
    manager = ModelVersionManager(registry)
    name = unique_name("versions")
    wrapped = ModelFactory.create("classification", trained.model, source="crm")
    first = manager.register_version(model=wrapped, model_type=name)
    second = manager.register_version(model=Scaler(-1.0), model_type=name, auto_increment="minor")

    assert (first.semver, second.semver) == ("1.0.0", "1.1.0")
    assert first.metadata == {"source": "crm"}
    assert manager.list_versions(name) == ["1.0.0", "1.1.0"]
    np.testing.assert_array_equal(
        load(registry, first.model_uri).predict(trained.features), trained.model.predict(trained.features)
    )
    np.testing.assert_allclose(
        load(registry, second.model_uri).predict(trained.features), -trained.features.sum(axis=1)
    )


def test_from_mlflow_loads_a_version_and_registers_its_uri(registry, trained, unique_name):
    source = registry.register_baseline(model=HokusaiModel.wrap(trained.model), model_type=unique_name("src"))
    loaded = ModelFactory.from_mlflow(source.model_uri, registry=registry, model_type="lead_scoring")

    assert loaded.model_id == source.model_uri and loaded.model_type is ModelType.LEAD_SCORING
    np.testing.assert_array_equal(loaded.predict(trained.features), trained.model.predict(trained.features))
    copy = ModelVersionManager(registry).register_version(model=loaded, model_type=unique_name("copy"))
    np.testing.assert_array_equal(
        load(registry, copy.model_uri).predict(trained.features), trained.model.predict(trained.features)
    )


def test_from_mlflow_names_a_missing_model(registry, unique_name):
    with pytest.raises(ModelNotFoundError) as info:
        ModelFactory.from_mlflow(f"models:/{unique_name('missing')}/1", registry=registry)
    assert "No MLflow model at models:/" in info.value.message and registry.tracking_uri in info.value.message


def test_a_model_without_predict_is_rejected_before_anything_is_logged(registry, unique_name, client):
    name = unique_name("empty")
    with pytest.raises(InvalidParameterError):
        registry.register_baseline(model=HokusaiModel(), model_type=name)
    assert client.search_registered_models(filter_string=f"name = '{name}'") == []
