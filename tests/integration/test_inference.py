"""HokusaiInferencePipeline against a live MLflow server (and the embedded store): real registered models."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from hokusai.core.ab_testing import ABTestConfig, ModelTrafficRouter
from hokusai.core.inference import CacheConfig, HokusaiInferencePipeline, InferenceRequest, InferenceResponse
from hokusai.core.registry import ModelRegistry
from hokusai.core.versioning import ModelVersionManager
from hokusai.exceptions import InferenceException, InvalidParameterError, ModelNotFoundError
from hokusai.tracking.performance import PerformanceTracker

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class Registered:
    """A model name with two registered versions that predict differently, and data to predict on."""

    name: str
    v1: object
    v2: object
    features: pd.DataFrame

    def expected(self, version: str | int) -> list:
        model = self.v1 if str(version) == "1" else self.v2
        return model.predict(self.features).tolist()


def train_pair(seed: int = 7) -> tuple[object, object, pd.DataFrame]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    features = pd.DataFrame(rng.normal(size=(40, 4)), columns=["f0", "f1", "f2", "f3"])
    labels = (features["f0"] + 0.5 * features["f1"] > 0).astype(int)
    # Version 2 learns the opposite labels, so which version served is visible in the predictions.
    return (
        LogisticRegression().fit(features, labels),
        LogisticRegression().fit(features, 1 - labels),
        features,
    )


def make_registry(server) -> ModelRegistry:
    return ModelRegistry(tracking_uri=server.url, infer_pip_requirements=False)


@pytest.fixture(scope="module")
def registered(mlflow_server) -> Registered:
    v1, v2, features = train_pair()
    name = f"inference-{uuid.uuid4().hex[:10]}"
    registry = make_registry(mlflow_server)
    assert registry.register_baseline(model=v1, model_name=name).version == "1"
    assert registry.register_baseline(model=v2, model_name=name).version == "2"
    assert v1.predict(features).tolist() != v2.predict(features).tolist()
    return Registered(name, v1, v2, features)


@pytest.fixture
def registry(mlflow_server) -> ModelRegistry:
    return make_registry(mlflow_server)


def pipeline_for(registry, router=None, **kwargs) -> HokusaiInferencePipeline:
    return HokusaiInferencePipeline(registry, ModelVersionManager(registry), router, **kwargs)


def broken_model():
    """A pyfunc model that loads fine and fails at predict time (built lazily, like mlflow imports)."""
    import mlflow.pyfunc

    class Broken(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: pd.DataFrame, params=None):
            raise RuntimeError("broken on purpose")

    return Broken()


# -- predict_batch --------------------------------------------------------------------------------


def test_predict_batch_returns_the_models_predictions(registry, registered):
    pipeline = pipeline_for(registry)
    records = registered.features.to_dict(orient="records")

    from_records = pipeline.predict_batch(records, registered.name, "1")
    from_frame = pipeline.predict_batch(registered.features, registered.name, 1)

    assert from_records == registered.expected(1)
    assert from_frame == registered.expected(1)
    assert all(type(p) is int for p in from_frame)
    assert pipeline.loaded_models() == [f"{registered.name}/1"]


def test_latest_version_serves_when_none_is_given(registry, registered):
    pipeline = pipeline_for(registry)
    assert pipeline.predict_batch(registered.features, registered.name) == registered.expected(2)
    response = asyncio.run(pipeline.predict(InferenceRequest(registered.name, registered.features)))
    assert (response.model_name, response.model_version, response.fallback_from) == (
        registered.name,
        "2",
        None,
    )


def test_unknown_model_or_version_is_model_not_found(registry, registered):
    pipeline = pipeline_for(registry)
    with pytest.raises(ModelNotFoundError) as info:
        pipeline.predict_batch(registered.features, f"missing-{uuid.uuid4().hex[:8]}")
    assert info.value.model_name.startswith("missing-")
    with pytest.raises(ModelNotFoundError) as info:
        pipeline.predict_batch(registered.features, registered.name, 99)
    assert (info.value.model_name, info.value.version) == (registered.name, "99")
    assert pipeline.loaded_models() == []


def test_empty_or_shapeless_data_is_rejected_before_any_mlflow_call(registry, registered):
    pipeline = pipeline_for(registry)
    for data in ([], pd.DataFrame(), None):
        with pytest.raises(InvalidParameterError, match="nothing to predict on"):
            pipeline.predict_batch(data, registered.name)
    with pytest.raises(InvalidParameterError, match="model_version"):
        pipeline.predict_batch(registered.features, registered.name, "newest")


def test_predict_batch_works_inside_a_running_event_loop(registry, registered):
    pipeline = pipeline_for(registry)

    async def inside_the_loop():
        asyncio.get_running_loop()  # a loop is running: predict_batch must not try to start one
        direct = pipeline.predict_batch(registered.features, registered.name, 1)
        responses = await pipeline.batch_predict(
            [
                InferenceRequest(registered.name, registered.features, model_version=2),
                InferenceRequest(registered.name, registered.features, model_version=42),
            ]
        )
        return direct, responses

    direct, (ok, failed) = asyncio.run(inside_the_loop())
    assert direct == registered.expected(1)
    assert isinstance(ok, InferenceResponse) and ok.predictions == registered.expected(2) and ok.error is None
    assert failed.error.startswith("ModelNotFoundError: Model") and failed.predictions == []


def test_semantic_version_labels_resolve_to_their_mlflow_versions(registry, unique_name):
    v1, v2, features = train_pair(seed=5)
    name = unique_name("semver")
    manager = ModelVersionManager(registry)
    manager.register_version(v1, model_type=name)  # 1.0.0 -> MLflow version 1
    manager.register_version(v2, model_type=name, auto_increment="minor")  # 1.1.0 -> version 2
    pipeline = HokusaiInferencePipeline(registry, manager, None)

    assert pipeline.predict_batch(features, name, "1.0.0") == v1.predict(features).tolist()
    assert pipeline.predict_batch(features, name, "1.1.0") == v2.predict(features).tolist()
    assert pipeline.loaded_models() == [f"{name}/1", f"{name}/2"]
    with pytest.raises(ModelNotFoundError) as info:
        pipeline.predict_batch(features, name, "2.0.0")
    assert info.value.version == "2.0.0"


# -- A/B routing ----------------------------------------------------------------------------------


def test_ab_test_routes_each_user_to_the_version_the_router_assigns(registry, registered):
    router = ModelTrafficRouter(registry=registry)  # checks that both versions exist
    config = ABTestConfig(
        "exp-1",
        {"model_a": 0.5, "model_b": 0.5},
        model_a=f"{registered.name}/1",
        model_b=f"{registered.name}/2",
    )
    router.create_ab_test(config)
    reference = ModelTrafficRouter()  # routing is a pure hash: another router assigns the same way
    reference.create_ab_test(config)
    pipeline = pipeline_for(registry, router)
    users = [f"user-{i}" for i in range(24)]

    responses = asyncio.run(
        pipeline.batch_predict(
            [InferenceRequest(registered.name, registered.features, user_id=u) for u in users]
        )
    )

    for user, response in zip(users, responses, strict=True):
        expected = reference.route("exp-1", user)
        assert response.error is None
        assert (response.ab_test_id, response.variant) == ("exp-1", expected.variant)
        assert f"{response.model_name}/{response.model_version}" == expected.model_reference
        assert response.predictions == registered.expected(response.model_version)
    assert {r.variant for r in responses} == {"model_a", "model_b"}
    results = router.get_ab_test_results("exp-1")
    assert results.request_counts == reference.get_ab_test_results("exp-1").request_counts
    served = sum(not r.cached for r in responses)
    assert sum(c.get("latency_ms", 0) for c in results.metric_counts.values()) == served

    # No user id, or a pinned version: no A/B routing.
    plain = asyncio.run(pipeline.predict(InferenceRequest(registered.name, registered.features)))
    assert (plain.ab_test_id, plain.variant, plain.model_version) == (None, None, "2")
    pinned = asyncio.run(
        pipeline.predict(InferenceRequest(registered.name, registered.features, model_version=1, user_id="u"))
    )
    assert (pinned.ab_test_id, pinned.model_version) == (None, "1")


def test_ab_test_with_an_unknown_version_is_refused_at_creation(registry, registered):
    router = ModelTrafficRouter(registry=registry)
    config = ABTestConfig(
        "x", {"a": 0.5, "b": 0.5}, models={"a": f"{registered.name}/1", "b": f"{registered.name}/9"}
    )
    with pytest.raises(ModelNotFoundError) as info:
        router.create_ab_test(config)
    assert info.value.version == "9"


# -- fallback -------------------------------------------------------------------------------------


def test_failing_latest_version_falls_back_to_the_previous_one(registry, unique_name):
    good, _, features = train_pair(seed=3)
    name = unique_name("fallback")
    registry.register_baseline(model=good, model_name=name)
    # latest_version_ttl_seconds=0: every request asks the registry, so version 2 is seen at once.
    pipeline = pipeline_for(registry, cache_config=CacheConfig(enabled=False, latest_version_ttl_seconds=0))
    assert pipeline.predict_batch(features, name) == good.predict(features).tolist()

    registry.register_baseline(model=broken_model(), model_name=name)
    response = asyncio.run(pipeline.predict(InferenceRequest(name, features)))

    assert (response.model_version, response.fallback_from) == ("1", "2")
    assert response.predictions == good.predict(features).tolist()
    assert pipeline.predict_batch(features, name) == good.predict(features).tolist()

    with pytest.raises(InferenceException, match="version 2 failed to predict: RuntimeError") as info:
        pipeline.predict_batch(features, name, 2)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "model_version=" in info.value.fix


# -- caches ---------------------------------------------------------------------------------------


def test_lru_keeps_at_most_max_models_in_memory(registry, registered):
    pipeline = pipeline_for(registry, cache_config=CacheConfig(enabled=False), max_models_in_memory=1)
    assert pipeline.predict_batch(registered.features, registered.name, 1) == registered.expected(1)
    assert pipeline.loaded_models() == [f"{registered.name}/1"]
    assert pipeline.predict_batch(registered.features, registered.name, 2) == registered.expected(2)
    assert pipeline.loaded_models() == [f"{registered.name}/2"]
    assert pipeline.predict_batch(registered.features, registered.name, 1) == registered.expected(1)
    assert pipeline.loaded_models() == [f"{registered.name}/1"]
    assert pipeline.cache_stats() == {"backend": "disabled", "hits": 0, "misses": 0, "entries": 0}


def test_second_identical_request_is_served_from_the_result_cache(registry, registered):
    pipeline = pipeline_for(registry)
    request = InferenceRequest(registered.name, registered.features, model_version=1)

    first = asyncio.run(pipeline.predict(request))
    second = asyncio.run(pipeline.predict(InferenceRequest(registered.name, registered.features.copy(), 1)))
    bypass = asyncio.run(
        pipeline.predict(InferenceRequest(registered.name, registered.features, 1, use_cache=False))
    )
    other_data = pipeline.predict_batch(registered.features.iloc[:5], registered.name, 1)

    assert (first.cached, second.cached, bypass.cached) == (False, True, False)
    assert first.predictions == second.predictions == bypass.predictions == registered.expected(1)
    assert other_data == registered.expected(1)[:5]
    assert pipeline.cache_stats() == {"backend": "memory", "hits": 1, "misses": 2, "entries": 2}


# -- performance tracking -------------------------------------------------------------------------


def test_every_prediction_is_reported_to_the_performance_tracker(registry, registered, unique_name):
    tracker = PerformanceTracker(registry=registry, experiment_name=unique_name("inference-perf"))
    pipeline = pipeline_for(registry, performance_tracker=tracker)

    response = asyncio.run(
        pipeline.predict(
            InferenceRequest(registered.name, registered.features, model_version=1, user_id="u-7")
        )
    )

    [record] = tracker.get_inference_metrics(model_id=f"{registered.name}/1")
    assert record["model_version"] == "1"
    assert record["user_id"] == "u-7"
    assert record["latency_ms"] == pytest.approx(response.latency_ms)
    assert record["metrics"]["batch_size"] == len(registered.features)
    assert record["tags"]["cached"] == "false"
    assert record["tags"]["request_id"] == response.request_id


# -- embedded store -------------------------------------------------------------------------------


def test_predict_batch_on_the_embedded_store(isolated_environment):
    v1, _, features = train_pair(seed=11)
    registry = ModelRegistry(infer_pip_requirements=False)
    assert registry.tracking_uri.startswith("sqlite:///")
    entry = registry.register_baseline(model=v1, model_name="embedded-inference")

    pipeline = HokusaiInferencePipeline(registry, None, None)

    assert (
        pipeline.predict_batch(features.to_dict(orient="records"), entry.model_name)
        == v1.predict(features).tolist()
    )
    assert pipeline.loaded_models() == ["embedded-inference/1"]
