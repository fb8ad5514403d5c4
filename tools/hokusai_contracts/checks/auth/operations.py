"""The named SDK calls a scenario can make: each one small, real, and built from the user's arguments.

``args`` are the constructor arguments the scenario's ``credentials.args`` give (``api_key``,
``tracking_uri``...); ``call_args`` override the call's own defaults (model name ``${UNIQUE}``,
token ``AUTH``, metric ``accuracy`` at 0.9).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = "AUTH"


@dataclass(frozen=True)
class CallInputs:
    """What an operation gets: constructor and call arguments, a unique name, a model folder."""

    args: Mapping[str, Any] = field(default_factory=dict)
    call_args: Mapping[str, Any] = field(default_factory=dict)
    unique: str = "auth-scenario"
    model_dir: Path = Path(".")


def _registry(inputs: CallInputs) -> Any:
    from hokusai import ModelRegistry

    return ModelRegistry(**inputs.args)


def construct(inputs: CallInputs) -> Any:
    """``ModelRegistry(**args)`` and nothing else (it must not need the network)."""
    return repr(_registry(inputs))


def register_tokenized_model(inputs: CallInputs) -> Any:
    """Upload a tiny MLflow model folder and register it as a tokenized version of ``${UNIQUE}``."""
    call = {"model_name": inputs.unique, "token_id": TOKEN, "metric_name": "accuracy", "baseline_value": 0.9}
    call.update(inputs.call_args)
    return _registry(inputs).register_tokenized_model(str(inputs.model_dir), **call)


def list_models_by_token(inputs: CallInputs) -> Any:
    """A registry read: the versions linked to token ``AUTH``."""
    return _registry(inputs).list_models_by_token(inputs.call_args.get("token_id", TOKEN))


def get_tokenized_model(inputs: CallInputs) -> Any:
    """A registry read of one model (``${UNIQUE}`` unless ``model_name`` is given)."""
    return _registry(inputs).get_tokenized_model(inputs.call_args.get("model_name", inputs.unique))


def setup_mlflow_auth(inputs: CallInputs) -> Any:
    """``setup_mlflow_auth(validate=True, **args)``: check the credentials with one server call."""
    from hokusai.config import setup_mlflow_auth as setup

    return repr(setup(**{"validate": True, **inputs.args}))


def start_experiment(inputs: CallInputs) -> Any:
    """Open a run in experiment ``${UNIQUE}`` (through a registry built from ``args``) and log a metric."""
    import mlflow

    from hokusai.tracking import ExperimentManager

    name = inputs.call_args.get("experiment_name", inputs.unique)
    manager = ExperimentManager(experiment_name=name, registry=_registry(inputs))
    with manager.start_experiment() as run:
        mlflow.log_metric("auth_check", 1.0)
        return run.info.run_id


OPERATIONS: dict[str, Callable[[CallInputs], Any]] = {
    "registry.construct": construct,
    "registry.register_tokenized_model": register_tokenized_model,
    "registry.list_models_by_token": list_models_by_token,
    "registry.get_tokenized_model": get_tokenized_model,
    "setup_mlflow_auth": setup_mlflow_auth,
    "experiment.start": start_experiment,
}


def write_model_folder(folder: Path) -> Path:
    """The smallest MLflow model folder the registry accepts (an ``MLmodel`` file)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLmodel").write_text("flavors: {}\n", encoding="utf-8")
    return folder
