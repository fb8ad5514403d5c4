"""ModelRegistry against a live MLflow server and the embedded SQLite store; results read back from MLflow."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hokusai._credentials import Credentials
from hokusai.core import ModelLineage, ModelRegistry, ModelRegistryEntry
from hokusai.core._model_logging import LogOptions
from hokusai.core.entries import TAG_REGISTRATION_ID
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError

pytestmark = pytest.mark.server

TOKEN_RESULT_KEYS = {
    "model_name", "version", "token_id", "metric_name", "baseline_value", "mlflow_run_id", "status", "tags",
}  # fmt: skip


@dataclass(frozen=True)
class Trained:
    """A fitted scikit-learn model and data it predicts on."""

    model: object
    features: np.ndarray


@pytest.fixture(scope="module")
def trained() -> Trained:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    features = rng.normal(size=(60, 4))
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int)
    return Trained(LogisticRegression().fit(features, labels), features)


@pytest.fixture
def registry(mlflow_server) -> ModelRegistry:
    # The flavor's default requirements: MLflow's inference (exercised once below) costs seconds per model.
    return ModelRegistry(tracking_uri=mlflow_server.url, infer_pip_requirements=False)


@pytest.fixture
def client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)


def load_and_predict(registry: ModelRegistry, model_uri: str, features: np.ndarray) -> np.ndarray:
    import mlflow.pyfunc

    with registry.session.scope():
        return np.asarray(mlflow.pyfunc.load_model(model_uri).predict(features))


def count_registered_models(client) -> int:
    return len(client.search_registered_models(max_results=1000))


class DoublingModel:
    """Created lazily so importing this module does not import mlflow."""

    @staticmethod
    def make():
        import mlflow.pyfunc

        class Doubling(mlflow.pyfunc.PythonModel):
            # A DataFrame hint: no hint at all makes MLflow warn (through a filter pytest cannot override).
            def predict(self, context, model_input: pd.DataFrame, params=None):
                return np.asarray(model_input, dtype=float) * 2

        return Doubling()


# -- register_baseline ----------------------------------------------------------------------------


def test_register_baseline_logs_a_loadable_model_version(registry, trained, unique_name, client):
    model_type = unique_name("lead_scoring")
    entry = registry.register_baseline(
        model=trained.model, model_type=model_type, metadata={"owner": "data-team", "rows": 60},
        metrics={"accuracy": 0.91},
    )  # fmt: skip

    assert isinstance(entry, ModelRegistryEntry)
    assert (entry.model_name, entry.model_type, entry.version) == (model_type, model_type, "1")
    assert entry.model_id == f"{model_type}/1"
    assert entry.is_baseline and entry.metrics == {"accuracy": 0.91}
    assert entry.metadata == {"owner": "data-team", "rows": "60"}
    assert entry.created_at is not None and entry.created_at.tzinfo is not None

    version = client.get_model_version(model_type, "1")
    assert version.tags["model_type"] == model_type
    assert version.tags["is_baseline"] == "true"
    assert version.tags["owner"] == "data-team" and version.tags["rows"] == "60"
    assert version.run_id == entry.mlflow_run_id
    run = client.get_run(entry.mlflow_run_id)
    assert client.get_experiment(run.info.experiment_id).name == "hokusai-registry"
    assert run.data.metrics == {"accuracy": 0.91}
    assert version.source.startswith(("models:/m-", "mlflow-artifacts:", "runs:/"))

    predictions = load_and_predict(registry, entry.model_uri, trained.features)
    np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))


def test_register_baseline_accepts_model_name_instead_of_model_type(registry, trained, unique_name, client):
    name = unique_name("lead_scoring")
    by_name = registry.register_baseline(model_name=name, model=trained.model)
    assert (by_name.model_name, by_name.model_type, by_name.version) == (name, name, "1")

    both = registry.register_baseline(model=trained.model, model_type="lead_scoring", model_name=name)
    assert (both.model_name, both.model_type, both.version) == (name, "lead_scoring", "2")
    assert client.get_model_version(name, "2").tags["model_type"] == "lead_scoring"


def test_register_baseline_with_mlflow_requirement_inference(mlflow_server, trained, unique_name, client):
    registry = ModelRegistry(tracking_uri=mlflow_server.url)
    entry = registry.register_baseline(model=trained.model, model_type=unique_name("inferred"))

    import mlflow.pyfunc

    with registry.session.scope():
        requirements = Path(mlflow.pyfunc.get_model_dependencies(entry.model_uri)).read_text()
    assert "scikit-learn" in requirements
    predictions = load_and_predict(registry, entry.model_uri, trained.features)
    np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))


def test_register_baseline_accepts_a_python_model(registry, unique_name):
    entry = registry.register_baseline(model=DoublingModel.make(), model_type=unique_name("pyfunc"))
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(load_and_predict(registry, entry.model_uri, data), data * 2)


def test_register_baseline_registers_a_model_uri_as_is(registry, trained, unique_name, client):
    first = registry.register_baseline(model=trained.model, model_type=unique_name("source"))

    copy = registry.register_baseline(model=first.model_uri, model_type=unique_name("copy"))

    assert copy.source == first.model_uri
    assert client.get_model_version(copy.model_name, copy.version).source == first.model_uri
    assert copy.mlflow_run_id == first.mlflow_run_id
    predictions = load_and_predict(registry, copy.model_uri, trained.features)
    np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))


def test_register_baseline_uploads_a_local_model_folder(registry, trained, unique_name, tmp_path):
    import mlflow.sklearn

    folder = tmp_path / "saved"
    mlflow.sklearn.save_model(trained.model, str(folder), pip_requirements=["scikit-learn"])

    entry = registry.register_baseline(model=str(folder), model_type=unique_name("folder"))
    shutil.rmtree(folder)  # the registered copy must live in the server's artifact store

    assert str(tmp_path) not in entry.source
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidParameterError, match="no MLmodel file"):
        registry.register_baseline(model=tmp_path / "empty", model_type=entry.model_name)
    predictions = load_and_predict(registry, entry.model_uri, trained.features)
    np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))


@pytest.mark.parametrize(
    ("kwargs", "parameter", "in_message"),
    [
        ({"model_type": "x"}, "model", "needs the model"),
        ({"model": "MODEL"}, "model_type", "model_type or model_name"),
        ({"model": object(), "model_type": "x"}, "model", "builtins.object"),
        ({"model": "MODEL", "model_type": "x", "colour": "red"}, "colour", "unexpected keyword"),
        ({"model": "MODEL", "model_type": "x", "metadata": {"is_baseline": "no"}}, "metadata", "reserved"),
        ({"model": "MODEL", "model_type": "x", "metadata": ["a"]}, "metadata", "must be a dict"),
        ({"model": "MODEL", "model_type": "x", "metrics": {"acc": "high"}}, "metrics", "finite number"),
        ({"model": "MODEL", "model_type": "  "}, "model_type", "non-empty"),
    ],
)
def test_register_baseline_rejects_bad_arguments_before_touching_mlflow(
    registry, trained, client, kwargs, parameter, in_message
):
    kwargs = {k: trained.model if v == "MODEL" else v for k, v in kwargs.items()}
    before = count_registered_models(client)
    with pytest.raises(InvalidParameterError) as info:
        registry.register_baseline(**kwargs)
    assert info.value.parameter_name == parameter
    assert in_message in info.value.message
    assert info.value.fix
    assert count_registered_models(client) == before


def test_missing_model_type_error_says_what_to_pass(registry, trained):
    with pytest.raises(InvalidParameterError) as info:
        registry.register_baseline(model=trained.model)
    assert "model_type=" in info.value.fix and "model_name=" in info.value.fix


def test_unsupported_model_error_names_the_supported_kinds(registry):
    with pytest.raises(InvalidParameterError) as info:
        registry.register_baseline(model=[1, 2, 3], model_type="x")
    assert "scikit-learn" in info.value.fix and "PythonModel" in info.value.fix and "runs:/" in info.value.fix


def test_a_pending_mlflow_run_id_is_neither_resumed_nor_consumed(registry, trained, unique_name, monkeypatch):
    pending = uuid.uuid4().hex
    monkeypatch.setenv("MLFLOW_RUN_ID", pending)
    entry = registry.register_baseline(model=trained.model, model_type=unique_name("project"))
    assert entry.mlflow_run_id != pending
    assert os.environ["MLFLOW_RUN_ID"] == pending


def test_register_inside_a_developers_active_run_nests_the_registry_run(
    registry, trained, unique_name, client
):
    import mlflow

    with registry.session.scope(), mlflow.start_run() as outer:
        entry = registry.register_baseline(model=trained.model, model_type=unique_name("nested"))
        assert mlflow.active_run().info.run_id == outer.info.run_id
    assert client.get_run(entry.mlflow_run_id).data.tags["mlflow.parentRunId"] == outer.info.run_id


# -- tokenized models -----------------------------------------------------------------------------


def test_register_tokenized_model_stores_token_and_benchmark(registry, trained, unique_name, client):
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("base"))
    run_uri = f"runs:/{baseline.mlflow_run_id}/model"
    name = unique_name("LSCOR_Model")
    token = unique_name("lscor").lower()

    result = registry.register_tokenized_model(
        run_uri, name, token, "accuracy", 0.92, {"team": "growth", "n": 3},
        eval_spec={"dataset": "holdout", "k": 5}, scorer_ref="scorers/auc@1", primary_metric="auc",
        benchmark_spec_id="spec-1",
    )  # fmt: skip

    assert set(result) >= TOKEN_RESULT_KEYS
    assert result["model_name"] == name and result["version"] == "1"
    assert result["token_id"] == token.upper()
    assert (result["metric_name"], result["baseline_value"], result["status"]) == (
        "accuracy",
        0.92,
        "registered",
    )
    assert result["mlflow_run_id"] == baseline.mlflow_run_id
    tags = client.get_model_version(name, "1").tags
    assert tags["hokusai_token_id"] == token.upper()
    assert (tags["benchmark_metric"], float(tags["benchmark_value"])) == ("accuracy", 0.92)
    assert tags["eval_spec"] == '{"dataset": "holdout", "k": 5}'
    assert (tags["scorer_ref"], tags["primary_metric"], tags["benchmark_spec_id"]) == (
        "scorers/auc@1",
        "auc",
        "spec-1",
    )
    assert (tags["team"], tags["n"]) == ("growth", "3")
    # Every MLflow tag but the SDK's bookkeeping one (the registration id, for idempotent retries).
    assert len(tags.pop(TAG_REGISTRATION_ID)) == 32
    assert result["tags"] == tags

    # Reading back gives the registration result without its notification outcome.
    stored = {key: value for key, value in result.items() if key != "notification"}
    assert registry.get_tokenized_model(name) == stored
    assert registry.get_tokenized_model(name, 1) == stored
    assert result["notification"]["status"] == "skipped"  # no platform endpoint configured
    predictions = load_and_predict(registry, f"models:/{name}/1", trained.features)
    np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))


def test_register_tokenized_model_adds_versions_to_an_existing_model(registry, trained, unique_name, client):
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("base"))
    client.set_registered_model_alias(baseline.model_name, "champion", baseline.version)
    name, token = unique_name("tok"), unique_name("T")
    first = registry.register_tokenized_model(baseline.model_uri, name, token, "auc", 0.7)
    second = registry.register_tokenized_model(
        f"models:/{baseline.model_name}@champion", name, token, "auc", 0.8
    )
    assert (first["version"], second["version"]) == ("1", "2")
    # An alias is resolved when registering: moving it later must not change this version's model.
    assert second["source"] == baseline.model_uri
    assert second["mlflow_run_id"] == baseline.mlflow_run_id
    assert registry.get_tokenized_model(name)["baseline_value"] == 0.8
    assert registry.get_tokenized_model(name, "1")["baseline_value"] == 0.7


def test_register_tokenized_model_with_a_missing_uri_fails_clearly(registry, trained, unique_name, client):
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("base"))
    name = unique_name("never")
    missing = [
        f"runs:/{uuid.uuid4().hex}/model",
        "runs:/test123/model",
        f"runs:/{baseline.mlflow_run_id}/not-a-model",
        f"models:/{unique_name('absent')}/1",
        f"models:/{baseline.model_name}/99",
        f"models:/{baseline.model_name}@champion",
        "models:/m-0123456789abcdef0123456789abcdef",
        str(Path(os.sep) / "definitely" / "not" / "here"),
    ]
    for uri in missing:
        with pytest.raises(ModelNotFoundError) as info:
            registry.register_tokenized_model(uri, name, "LSCOR", "accuracy", 0.9)
        assert info.value.fix, uri
        assert uri in str(info.value) or info.value.model_name, uri
        shown_chain = info.value.__cause__ or (
            None if info.value.__suppress_context__ else info.value.__context__
        )
        assert shown_chain is None, f"{uri}: the MLflow traceback chain would be printed"
    assert client.search_registered_models(filter_string=f"name = '{name}'") == []


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"token_id": "-bad"}, "token_id"),
        ({"token_id": "x" * 65}, "token_id"),
        ({"baseline_value": float("nan")}, "baseline_value"),
        ({"baseline_value": "0.9"}, "baseline_value"),
        ({"metric_name": ""}, "metric_name"),
        ({"model_uri": object()}, "model_uri"),
        ({"additional_tags": {"hokusai_token_id": "OTHER"}}, "additional_tags"),
        ({"eval_spec": "not json"}, "eval_spec"),
    ],
)
def test_register_tokenized_model_validates_arguments(registry, kwargs, parameter):
    arguments = {"model_uri": "runs:/abc/model", "model_name": "m", "token_id": "LSCOR", "metric_name": "acc",
                 "baseline_value": 0.9, **kwargs}  # fmt: skip
    with pytest.raises(InvalidParameterError) as info:
        registry.register_tokenized_model(**arguments)
    assert info.value.parameter_name == parameter


def test_get_tokenized_model_raises_model_not_found(registry, trained, unique_name):
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("plain"))
    unknown = unique_name("unknown")
    with pytest.raises(ModelNotFoundError) as info:
        registry.get_tokenized_model(unknown)
    assert info.value.model_name == unknown
    with pytest.raises(ModelNotFoundError, match="no version registered with a Hokusai token"):
        registry.get_tokenized_model(baseline.model_name)
    with pytest.raises(ModelNotFoundError, match="is registered with a Hokusai token") as info:
        registry.get_tokenized_model(baseline.model_name, "1")
    with pytest.raises(ModelNotFoundError) as info:
        registry.get_tokenized_model(baseline.model_name, 7)
    assert (info.value.model_name, info.value.version) == (baseline.model_name, "7")


def test_list_models_by_token_pages_through_every_version(mlflow_server, trained, unique_name, client):
    registry = ModelRegistry(tracking_uri=mlflow_server.url, page_size=2, infer_pip_requirements=False)
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("untagged"))
    token, other = unique_name("TOK"), unique_name("OTHER")
    names = sorted(unique_name("tok") for _ in range(2))
    registry.register_tokenized_model(baseline.model_uri, names[0], token, "auc", 0.5)
    registry.register_tokenized_model(baseline.model_uri, names[1], token.lower(), "auc", 0.6)
    registry.register_tokenized_model(baseline.model_uri, names[1], token, "auc", 0.7)
    registry.register_tokenized_model(baseline.model_uri, unique_name("other"), other, "auc", 0.1)
    assert len(client.search_model_versions(max_results=1000)) > 2 * registry._store.page_size

    found = registry.list_models_by_token(token.lower())

    assert [(r["model_name"], r["version"], r["baseline_value"]) for r in found] == [
        (names[0], "1", 0.5), (names[1], "1", 0.6), (names[1], "2", 0.7),
    ]  # fmt: skip
    assert all(r["token_id"] == token.upper() for r in found)
    assert registry.list_models_by_token(unique_name("NONE")) == []


def test_update_model_tags(registry, trained, unique_name, client):
    entry = registry.register_baseline(model=trained.model, model_type=unique_name("tags"))
    tags = registry.update_model_tags(entry.model_name, entry.version, {"stage": "qa", "score": 0.5})
    assert tags["stage"] == "qa" and tags["score"] == "0.5" and tags["is_baseline"] == "true"
    stored = client.get_model_version(entry.model_name, "1").tags
    assert len(stored.pop(TAG_REGISTRATION_ID)) == 32, "the SDK's bookkeeping tag, not returned"
    assert stored == tags

    registry.update_model_tags(entry.model_name, 1, {"hokusai_token_id": "abc-1"})
    assert client.get_model_version(entry.model_name, "1").tags["hokusai_token_id"] == "ABC-1"
    with pytest.raises(InvalidParameterError):
        registry.update_model_tags(entry.model_name, 1, {"hokusai_token_id": "bad_token"})
    with pytest.raises(ModelNotFoundError):
        registry.update_model_tags(entry.model_name, 5, {"stage": "qa"})
    with pytest.raises(InvalidParameterError):
        registry.update_model_tags(entry.model_name, "latest", {"stage": "qa"})


# -- improvements and lineage ---------------------------------------------------------------------


def test_register_improved_model_records_lineage(registry, trained, unique_name, client):
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("lineage"))
    first = registry.register_improved_model(trained.model, baseline.model_id, {"accuracy": 0.02}, "alice")
    second = registry.register_improved_model(
        trained.model, first.model_id, {"accuracy": 0.01, "f1": 0.03}, "0xB0b"
    )

    assert (first.model_name, first.version, second.version) == (baseline.model_name, "2", "3")
    assert first.model_type == baseline.model_type and not first.is_baseline
    assert (second.baseline_id, second.contributor) == (first.model_id, "0xB0b")
    assert second.delta_metrics == {"accuracy": 0.01, "f1": 0.03}
    tags = client.get_model_version(baseline.model_name, "3").tags
    assert (tags["baseline_id"], tags["contributor"]) == (first.model_id, "0xB0b")
    assert client.get_run(second.mlflow_run_id).data.metrics == {"delta_accuracy": 0.01, "delta_f1": 0.03}
    predictions = load_and_predict(registry, second.model_uri, trained.features)
    np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))

    lineage = registry.get_model_lineage(second.model_id)
    assert isinstance(lineage, ModelLineage) and len(lineage) == 3
    assert [entry.model_id for entry in lineage] == [baseline.model_id, first.model_id, second.model_id]
    assert lineage.baseline.is_baseline and lineage.latest.contributor == "0xB0b"
    assert registry.get_model_lineage(first.model_id).model_ids == [baseline.model_id, first.model_id]
    assert registry.get_model_lineage(baseline.model_name).model_ids == lineage.model_ids


def test_register_improved_model_errors(registry, trained, unique_name):
    baseline = registry.register_baseline(model=trained.model, model_type=unique_name("improve"))
    with pytest.raises(ModelNotFoundError) as info:
        registry.register_improved_model(
            trained.model, f"{baseline.model_name}/9", {"accuracy": 0.1}, "alice"
        )
    assert info.value.version == "9"
    with pytest.raises(InvalidParameterError, match="must name a version"):
        registry.register_improved_model(trained.model, baseline.model_name, {"accuracy": 0.1}, "alice")
    with pytest.raises(InvalidParameterError):
        registry.register_improved_model(trained.model, baseline.model_id, {}, "alice")
    with pytest.raises(InvalidParameterError):
        registry.register_improved_model(trained.model, baseline.model_id, {"accuracy": 0.1}, "")
    with pytest.raises(ModelNotFoundError):
        registry.get_model_lineage(f"{unique_name('absent')}/1")
    with pytest.raises(ModelNotFoundError):
        registry.get_model_lineage(unique_name("absent"))


# -- lookup by type, rollback, deletion -----------------------------------------------------------


def test_list_models_by_type_and_get_latest_model(registry, trained, unique_name):
    model_type = unique_name("type")
    a = registry.register_baseline(model=trained.model, model_type=model_type, model_name=unique_name("a"))
    b = registry.register_baseline(model=trained.model, model_type=model_type, model_name=unique_name("b"))
    registry.register_baseline(model=trained.model, model_type=unique_name("other-type"))

    listed = registry.list_models_by_type(model_type)
    assert sorted(e.model_id for e in listed) == sorted([a.model_id, b.model_id])
    assert all(e.model_type == model_type for e in listed)
    assert registry.get_latest_model(model_type).model_id == b.model_id
    assert registry.list_models_by_type(unique_name("nothing")) == []
    with pytest.raises(ModelNotFoundError, match="No model of type"):
        registry.get_latest_model(unique_name("nothing"))


def test_rollback_model_moves_the_production_alias(registry, trained, unique_name, client):
    model_type = unique_name("rollback")
    for _ in range(3):
        registry.register_baseline(model=trained.model, model_type=model_type)
    assert registry.get_latest_model(model_type).version == "3"

    entry = registry.rollback_model(model_type, 1)

    assert entry.version == "1" and "production" in entry.aliases
    assert client.get_model_version_by_alias(model_type, "production").version == "1"
    assert client.get_model_version(model_type, "1").current_stage in ("None", None)
    assert registry.get_latest_model(model_type).version == "1"
    assert registry.rollback_model(model_type, "2").version == "2"
    assert client.get_model_version_by_alias(model_type, "production").version == "2"
    with pytest.raises(ModelNotFoundError):
        registry.rollback_model(model_type, 9)
    with pytest.raises(ModelNotFoundError):
        registry.rollback_model(unique_name("absent"), 1)


def test_rollback_by_type_needs_an_unambiguous_model(registry, trained, unique_name, client):
    model_type = unique_name("shared-type")
    single = registry.register_baseline(
        model=trained.model, model_type=model_type, model_name=unique_name("one")
    )
    registry.rollback_model(model_type, 1)
    assert client.get_model_version_by_alias(single.model_name, "production").version == "1"

    registry.register_baseline(model=trained.model, model_type=model_type, model_name=unique_name("two"))
    with pytest.raises(InvalidParameterError, match="several models"):
        registry.rollback_model(model_type, 1)


def test_delete_model_version(registry, trained, unique_name, client):
    entry = registry.register_baseline(model=trained.model, model_type=unique_name("delete"))
    registry.register_baseline(model=trained.model, model_type=entry.model_name)

    assert registry.delete_model_version(entry.model_name, entry.version) is None

    assert [v.version for v in client.search_model_versions(f"name = '{entry.model_name}'")] == ["2"]
    with pytest.raises(ModelNotFoundError) as info:
        registry.delete_model_version(entry.model_name, entry.version)
    assert (info.value.model_name, info.value.version) == (entry.model_name, "1")


# -- construction ---------------------------------------------------------------------------------


def test_construction_and_calls_leave_the_process_environment_alone(mlflow_server, trained, unique_name):
    import mlflow

    before_env = dict(os.environ)
    before_uri = mlflow.get_tracking_uri()
    registry = ModelRegistry(
        mlflow_server.url, api_key="hk_live_secretsecret123", infer_pip_requirements=False
    )
    registry.register_baseline(model=trained.model, model_type=unique_name("env"))
    assert dict(os.environ) == before_env
    assert mlflow.get_tracking_uri() == before_uri
    assert registry.tracking_uri == mlflow_server.url
    assert registry.session.target.credentials.token == "hk_live_secretsecret123"
    assert "secretsecret" not in repr(registry)


def test_auth_objects_are_duck_typed(monkeypatch):
    @dataclass
    class MLflowAuthConfigLike:
        tracking_uri: str
        token: str

        def to_credentials(self) -> Credentials:
            return Credentials(token=self.token)

    @dataclass
    class AuthConfigLike:
        api_key: str
        api_endpoint: str = "https://api.example.test"

    registry = ModelRegistry(auth=MLflowAuthConfigLike("https://mlflow.example.test/", "tok-123456789"))
    assert registry.tracking_uri == "https://mlflow.example.test"
    assert registry.session.target.credentials.token == "tok-123456789"

    registry = ModelRegistry("https://mlflow.example.test", auth=AuthConfigLike("hk_test_abcdefghijk"))
    assert registry.session.target.credentials.token == "hk_test_abcdefghijk"
    assert registry.api_endpoint == "https://api.example.test"

    monkeypatch.setenv("HOKUSAI_API_ENDPOINT", "https://env.example.test")
    assert ModelRegistry(api_endpoint="https://arg.example.test").api_endpoint == "https://arg.example.test"
    assert ModelRegistry().api_endpoint == "https://env.example.test"

    with pytest.raises(InvalidParameterError, match="Unsupported auth"):
        ModelRegistry(auth=object())
    with pytest.raises(InvalidParameterError, match="unexpected keyword"):
        ModelRegistry(colour="red")


def test_log_model_keyword_follows_the_mlflow_version():
    class MLflow2Flavor:
        @staticmethod
        def log_model(sk_model, artifact_path, pip_requirements=None): ...

        @staticmethod
        def get_default_pip_requirements():
            return ["scikit-learn==1.3.0"]

    class MLflow3Flavor:
        @staticmethod
        def log_model(sk_model, artifact_path=None, name=None): ...

    fast = LogOptions(infer_pip_requirements=False, extra_pip_requirements=["xgboost"])
    assert fast.log_model_kwargs(MLflow2Flavor) == {
        "artifact_path": "model", "pip_requirements": ["scikit-learn==1.3.0", "xgboost"],
    }  # fmt: skip
    assert LogOptions().log_model_kwargs(MLflow3Flavor) == {"name": "model"}


# -- embedded default -----------------------------------------------------------------------------


@pytest.mark.usefixtures("isolated_environment")
def test_embedded_default_store_registers_real_models(isolated_environment, trained, unique_name):
    home = isolated_environment / ".hokusai"
    registry = ModelRegistry(infer_pip_requirements=False)
    assert registry.tracking_uri == f"sqlite:///{home / 'mlflow.db'}"

    entry = registry.register_baseline(model=trained.model, model_type="lead_scoring")
    result = registry.register_tokenized_model(
        f"runs:/{entry.mlflow_run_id}/model", "LSCOR_Model", "lscor", "accuracy", 0.92
    )

    assert (home / "mlflow.db").is_file()
    assert (home / "artifacts").is_dir()
    assert result["token_id"] == "LSCOR" and result["mlflow_run_id"] == entry.mlflow_run_id
    assert registry.get_tokenized_model("LSCOR_Model") == {
        k: v for k, v in result.items() if k != "notification"
    }
    assert result["notification"]["status"] == "skipped"
    for uri in (entry.model_uri, "models:/LSCOR_Model/1"):
        predictions = load_and_predict(registry, uri, trained.features)
        np.testing.assert_array_equal(predictions, trained.model.predict(trained.features))
    assert "MLFLOW_TRACKING_URI" not in os.environ
