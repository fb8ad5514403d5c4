"""The SDK's real MLflow calls, run in the checked interpreter as a worker (``base/worker_entry.py``).

Self-contained on purpose (only ``hokusai`` and ``mlflow`` are imported): the interpreter under test
need not have the harness installed. The request is a ``recorded.FlowRequest``. Each step is a public
SDK call a user makes; together they touch the MLflow endpoints the SDK relies on, so the recorded
traffic can be checked against the contract.
"""

from __future__ import annotations

from pathlib import Path


def _echo_model():
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: list[str], params=None) -> list[str]:
            return model_input

    return Echo()


def _saved_model(directory: Path) -> Path:
    # Saved locally (no HTTP): registering a folder makes the SDK upload it to a run itself.
    import mlflow.pyfunc

    path = directory / "saved-model"
    mlflow.pyfunc.save_model(path, python_model=_echo_model(), pip_requirements=["mlflow"])
    return path


def run(tracking_uri: str, name: str, workdir: Path) -> dict:
    """Register, tokenize, tag, alias, compare, track and delete; return what was read back."""
    # Each name from the module the API contract gives as its home: re-exports (hokusai.ModelRegistry,
    # hokusai.tracking.ExperimentManager) are conveniences another release or a fork may not have.
    from hokusai.config.mlflow_auth import MLflowAuthConfig, check_mlflow_auth
    from hokusai.core.models import ModelFactory
    from hokusai.core.registry import ModelRegistry
    from hokusai.core.versioning import ModelVersionManager
    from hokusai.tracking.experiments import ExperimentManager
    from hokusai.tracking.performance import PerformanceTracker

    check_mlflow_auth(MLflowAuthConfig(tracking_uri=tracking_uri))
    registry = ModelRegistry(tracking_uri=tracking_uri, infer_pip_requirements=False)
    baseline = registry.register_baseline(
        model=_echo_model(), model_name=name, metadata={"purpose": "http-contract"}, metrics={"accuracy": 0.9}
    )
    token = registry.register_tokenized_model(
        model_uri=baseline.model_uri,
        model_name=name,
        token_id="HTTPC",
        metric_name="accuracy",
        baseline_value=0.9,
    )
    # A runs:/ URI is checked first: the run, its artifacts, then MLflow 3's logged models.
    from_run = registry.register_tokenized_model(
        model_uri=f"runs:/{baseline.mlflow_run_id}/model",
        model_name=name,
        token_id="HTTPC",
        metric_name="accuracy",
        baseline_value=0.9,
    )
    versions = ModelVersionManager(registry)
    folder = versions.register_version(_saved_model(workdir), model_type=f"{name}-folder")
    read = {
        "from_run": from_run["version"],
        "folder": folder.semver,
        "tokenized": registry.get_tokenized_model(name)["version"],
        "by_token": len(registry.list_models_by_token("HTTPC")),
        "tags": sorted(registry.update_model_tags(name, token["version"], {"stage": "checked"})),
        "rollback": registry.rollback_model(name, baseline.version).version,
        "versions": versions.list_versions(name),
        "history": len(versions.get_version_history(name)),
        "compared": sorted(versions.compare_versions(name, baseline.version, token["version"])["metrics"]),
    }
    # Loading downloads the model's artifacts through the registry's server.
    read["loaded"] = type(ModelFactory.from_mlflow(baseline.model_uri, registry=registry)).__name__
    experiments = ExperimentManager(registry)
    comparison = experiments.compare_models(f"{name}@production", f"{name}/{token['version']}")
    read["comparison_run"] = bool(comparison.get("run_id"))
    read["experiment_history"] = len(experiments.get_experiment_history())
    tracker = PerformanceTracker(registry=registry, experiment_name=f"{name}-inference")
    tracker.track_inference(model_id=name, model_version=token["version"], latency_ms=3.0)
    read["inferences"] = len(tracker.get_inference_metrics(model_id=name))
    registry.delete_model_version(name, token["version"])
    read["after_delete"] = versions.list_versions(name)
    return read


def handle(request: dict) -> dict:
    """The worker protocol's entry: run the flow against ``tracking_uri``; what was read back."""
    return run(request["tracking_uri"], request["name"], Path(request["workdir"]))
