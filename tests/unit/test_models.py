"""HokusaiModel, ModelType and ModelFactory without a server: validation, wrapping, what gets logged."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from hokusai.core._model_logging import classify_model
from hokusai.core.entries import TAG_METRICS
from hokusai.core.models import HokusaiModel, ModelFactory, ModelType, WrappedModel
from hokusai.exceptions import InvalidParameterError, MethodNotImplementedError


class Doubler(HokusaiModel):
    def predict(self, data):
        return np.asarray(data, dtype=float) * 2


class NoSuperInit(HokusaiModel):
    def __init__(self, factor: float) -> None:  # skips super().__init__() on purpose
        self.factor = factor

    def predict(self, data):
        return np.asarray(data, dtype=float) * self.factor


class Plain:
    """Not a scikit-learn estimator nor a PythonModel, but it predicts."""

    def predict(self, data):
        return [len(str(row)) for row in data]


@pytest.fixture(scope="module")
def estimator():
    from sklearn.linear_model import LinearRegression

    features = np.arange(12, dtype=float).reshape(6, 2)
    return LinearRegression().fit(features, features @ np.array([1.0, 2.0]))


def test_importing_models_does_not_import_mlflow_sklearn_or_pandas():
    code = (
        "import sys, hokusai.core.models; "
        "print(sorted(m for m in ('mlflow', 'sklearn', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("text", ["lead_scoring", "LEAD_SCORING", " Lead_Scoring "])
def test_model_type_parses_values_and_names(text):
    assert ModelType.parse(text) is ModelType.LEAD_SCORING


def test_model_type_prints_as_its_value():
    assert str(ModelType.REGRESSION) == "regression"
    assert f"{ModelType.RANKING}" == "ranking"
    assert ModelType.CLASSIFICATION == "classification"


def test_unknown_model_type_lists_the_known_ones():
    with pytest.raises(InvalidParameterError) as info:
        ModelType.parse("lead-scoring")
    assert "lead_scoring" in info.value.fix and "custom" in info.value.fix


def test_hokusai_model_fields_and_defaults():
    model = Doubler(model_id="dbl", model_type="regression", version="1.2.0", metadata={"team": "growth"})
    assert model.model_type is ModelType.REGRESSION
    assert (model.model_id, model.version, model.metadata) == ("dbl", "1.2.0", {"team": "growth"})
    assert model.get_metrics() == {}
    assert Doubler().model_type is ModelType.CUSTOM
    data = model.to_dict()
    assert data["model_type"] == "regression" and data["class"].endswith("Doubler")
    assert data["created_at"] is not None


def test_other_model_types_are_kept_as_strings():
    assert Doubler(model_type=" churn ").model_type == "churn"
    with pytest.raises(InvalidParameterError):
        Doubler(model_type="")


def test_get_metrics_returns_a_copy():
    model = Doubler(metrics={"auroc": 0.9})
    model.get_metrics()["auroc"] = 0.1
    assert model.get_metrics() == {"auroc": 0.9}


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"metadata": {"semver": "1.0.0"}}, "metadata"),  # reserved by the registry
        ({"metadata": {"bad key!": 1}}, "metadata"),
        ({"metadata": ["not", "a", "dict"]}, "metadata"),
        ({"metrics": {"auroc": math.nan}}, "metrics"),
        ({"model_id": ""}, "model_id"),
    ],
)
def test_invalid_fields_fail_at_construction(kwargs, parameter):
    with pytest.raises(InvalidParameterError) as info:
        Doubler(**kwargs)
    assert info.value.parameter_name == parameter


def test_the_base_class_does_not_predict_and_cannot_be_registered():
    model = HokusaiModel(model_id="nothing")
    with pytest.raises(MethodNotImplementedError) as info:
        model.predict([1])
    assert "override predict" in info.value.fix
    with pytest.raises(InvalidParameterError) as info:
        classify_model(model)
    assert "does not implement predict" in info.value.message


def test_a_subclass_that_skips_super_init_still_works():
    model = NoSuperInit(3)
    assert model.model_type is ModelType.CUSTOM and model.get_metrics() == {} and model.metadata == {}
    assert classify_model(model).kind == "pyfunc"


def test_a_subclass_is_logged_through_a_pyfunc_adapter_that_calls_predict():
    import mlflow.pyfunc

    model = Doubler(metadata={"team": "growth"}, metrics={"auroc": 0.9})
    source = classify_model(model)
    assert source.kind == "pyfunc"
    assert isinstance(source.value, mlflow.pyfunc.PythonModel)
    assert source.value.hokusai_model is model
    np.testing.assert_allclose(source.value.predict(None, [[1.0, 2.0]]), [[2.0, 4.0]])
    assert source.tags == {"team": "growth", TAG_METRICS: '{"auroc": 0.9}'}
    assert source.metrics == {"auroc": 0.9}


def test_a_wrapped_estimator_keeps_its_flavor(estimator):
    model = HokusaiModel.wrap(estimator, model_type=ModelType.REGRESSION, metadata={"dataset": "v3"})
    assert isinstance(model, WrappedModel) and model.model is estimator
    assert model.as_mlflow_model() is estimator
    source = classify_model(model)
    assert (source.kind, source.value, source.tags) == ("sklearn", estimator, {"dataset": "v3"})
    features = np.array([[1.0, 1.0], [2.0, 0.0]])
    np.testing.assert_allclose(model.predict(features), estimator.predict(features))


def test_a_wrapped_python_model_is_logged_as_it_is():
    import mlflow.pyfunc

    class Constant(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: pd.DataFrame, params=None):
            return [7] * len(model_input)

    inner = Constant()
    model = HokusaiModel.wrap(inner)
    assert classify_model(model).value is inner
    assert model.predict([1, 2]) == [7, 7]


def test_any_object_with_predict_is_wrapped_through_the_adapter():
    model = ModelFactory.create("ranking", Plain(), model_id="len", owner="alice", dataset="v3")
    assert model.model_type is ModelType.RANKING
    assert model.metadata == {"owner": "alice", "dataset": "v3"}
    assert model.predict(["ab", "abc"]) == [2, 3]
    source = classify_model(model)
    assert source.kind == "pyfunc" and source.value.hokusai_model is model


def test_a_model_loaded_from_a_uri_registers_that_uri():
    model = WrappedModel(Plain(), source="models:/lead_scoring/3")
    source = classify_model(model)
    assert (source.kind, source.value) == ("uri", "models:/lead_scoring/3")


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        (object(), "has no predict()"),
        ("runs:/abc/model", "ModelFactory.from_mlflow"),
        (Doubler(), "HokusaiModel already"),
    ],
)
def test_wrap_rejects_what_it_cannot_wrap(inner, expected):
    with pytest.raises(InvalidParameterError) as info:
        HokusaiModel.wrap(inner)
    assert expected in f"{info.value.message} {info.value.fix}"


def test_token_registration_still_takes_uris_only():
    with pytest.raises(InvalidParameterError) as info:
        classify_model(Doubler(), "model_uri", allow_objects=False)
    assert "must be a model URI string" in info.value.message


def test_from_mlflow_rejects_an_empty_uri():
    with pytest.raises(InvalidParameterError):
        ModelFactory.from_mlflow("  ")
