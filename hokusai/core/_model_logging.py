"""Turn what a developer hands the registry into a real MLflow model version source.

A model object is logged to MLflow in a run (so the version is loadable with ``models:/name/version``),
a local MLflow model folder is uploaded into a run (a server cannot read the developer's disk), and a
``runs:/`` or ``models:/`` URI is checked to exist and then registered as it is. A
:class:`~hokusai.core.models.HokusaiModel` is registered as what it stands for (its wrapped model, the
URI it was loaded from, or a pyfunc adapter), with its metadata as tags and its metrics on the run.
"""

from __future__ import annotations

import inspect
import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from hokusai._mlflow.errors import is_not_found
from hokusai._mlflow.fluent import active_run, create_run
from hokusai.core._flavors import is_python_model, is_sklearn_estimator
from hokusai.core._store import RegistryStore, aliases_by_version, quote
from hokusai.core.entries import TAG_METRICS, metadata_tags, numeric_mapping, tag_value
from hokusai.core.models import HokusaiModel
from hokusai.exceptions import InvalidParameterError, MLflowError, ModelNotFoundError

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

__all__ = [
    "MODEL_ARTIFACT",
    "SUPPORTED_MODELS",
    "LogOptions",
    "ModelSource",
    "Registration",
    "ResolvedUri",
    "check_model_uri",
    "classify_model",
    "register_source",
]

MODEL_ARTIFACT = "model"
SUPPORTED_MODELS = (
    "a fitted scikit-learn estimator, an mlflow.pyfunc.PythonModel instance, a HokusaiModel, or a model "
    "URI string ('runs:/<run_id>/model', 'models:/<name>/<version>' or the path of a saved MLflow model "
    "folder)"
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
_LOG_OPTIONS = ("pip_requirements", "extra_pip_requirements", "signature", "input_example")


@dataclass(frozen=True)
class ModelSource:
    """What to register: ``kind`` is 'sklearn', 'pyfunc' (objects), 'uri' or 'path'.

    ``tags`` and ``metrics`` come with the model (a HokusaiModel's metadata and metrics); the values
    the registry call sets itself win over them.
    """

    kind: str
    value: Any
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def is_object(self) -> bool:
        """True for a Python model object that has to be logged first."""
        return self.kind in ("sklearn", "pyfunc")


@dataclass(frozen=True)
class LogOptions:
    """Options passed on to ``mlflow.<flavor>.log_model``."""

    pip_requirements: Any = None
    extra_pip_requirements: Any = None
    signature: Any = None
    input_example: Any = None
    infer_pip_requirements: bool = True

    @classmethod
    def pop_from(cls, kwargs: dict[str, Any], *, infer_pip_requirements: bool = True) -> LogOptions:
        """Take the log_model options out of ``kwargs`` (a method's ``**kwargs``)."""
        options = cls(
            **{name: kwargs.pop(name) for name in _LOG_OPTIONS if name in kwargs},
            infer_pip_requirements=infer_pip_requirements,
        )
        if options.pip_requirements is not None and options.extra_pip_requirements is not None:
            raise InvalidParameterError(
                "pip_requirements",
                "pip_requirements and extra_pip_requirements cannot be combined",
                fix="pass the full list as pip_requirements, or only the additions as extra_pip_requirements",
            )
        return options

    def log_model_kwargs(self, flavor: Any) -> dict[str, Any]:
        """Keyword arguments for ``flavor.log_model`` (MLflow 3 ``name=``, MLflow 2 ``artifact_path=``)."""
        parameters = inspect.signature(flavor.log_model).parameters
        kwargs: dict[str, Any] = {"name" if "name" in parameters else "artifact_path": MODEL_ARTIFACT}
        pip, extra = self.pip_requirements, self.extra_pip_requirements
        if pip is None and not self.infer_pip_requirements:
            # MLflow infers requirements by loading the model in a subprocess (seconds per model);
            # the flavor's defaults skip that.
            pip = [*flavor.get_default_pip_requirements(), *(extra or [])]
            extra = None
        for name, value in (
            ("pip_requirements", pip),
            ("extra_pip_requirements", extra),
            ("signature", self.signature),
            ("input_example", self.input_example),
        ):
            if value is not None:
                kwargs[name] = value
        return kwargs


def classify_model(model: object, parameter: str = "model", *, allow_objects: bool = True) -> ModelSource:
    """Decide how ``model`` is registered; raise :class:`InvalidParameterError` for unsupported kinds."""
    if isinstance(model, os.PathLike):
        return ModelSource("path", Path(os.fspath(model)))
    if isinstance(model, str):
        text = model.strip()
        if not text:
            raise InvalidParameterError(
                parameter, f"{parameter} is an empty string", fix=f"pass {SUPPORTED_MODELS}"
            )
        scheme = _SCHEME.match(text)
        if scheme is None:
            return ModelSource("path", Path(text).expanduser())
        if scheme.group(1).lower() == "file":
            return ModelSource("path", Path(unquote(urlparse(text).path)))
        return ModelSource("uri", text)
    if allow_objects:
        if isinstance(model, HokusaiModel):
            return _hokusai_source(model, parameter)
        if is_sklearn_estimator(model):
            return ModelSource("sklearn", model)
        if is_python_model(model):
            return ModelSource("pyfunc", model)
        raise InvalidParameterError(
            parameter,
            f"Cannot register a {type(model).__module__}.{type(model).__qualname__} object",
            fix=f"pass {SUPPORTED_MODELS}; other frameworks can be wrapped in an mlflow.pyfunc.PythonModel",
        )
    raise InvalidParameterError(
        parameter,
        f"{parameter} must be a model URI string, got a {type(model).__qualname__} object",
        fix="pass 'runs:/<run_id>/model' or 'models:/<name>/<version>'; to register a model object use "
        "register_baseline(model=...)",
    )


def _hokusai_source(model: HokusaiModel, parameter: str) -> ModelSource:
    inner = model.as_mlflow_model()
    if isinstance(inner, HokusaiModel):
        raise InvalidParameterError(
            parameter,
            f"{type(model).__qualname__}.as_mlflow_model() returned a HokusaiModel",
            fix="return the estimator, PythonModel or model URI that MLflow should log",
        )
    metrics = numeric_mapping(model.get_metrics(), f"{parameter}.get_metrics()")
    tags = metadata_tags(model.metadata, f"{parameter}.metadata")
    if metrics:
        tags[TAG_METRICS] = tag_value(metrics)
    return replace(classify_model(inner, parameter), tags=tags, metrics=metrics)


def _missing(uri: str, why: str, fix: str) -> ModelNotFoundError:
    return ModelNotFoundError(model_id=uri, message=f"No model at {uri}: {why}", fix=fix)


@dataclass(frozen=True)
class ResolvedUri:
    """A model URI that was checked to exist: what to register and the run that produced it."""

    uri: str
    run_id: str | None = None


def check_model_uri(store: RegistryStore, uri: str) -> ResolvedUri:
    """Raise :class:`ModelNotFoundError` when a ``runs:/`` or ``models:/`` URI points at nothing.

    An alias URI (``models:/name@alias``) resolves to the version the alias names now, so the new
    version does not silently change when the alias moves later.
    """
    scheme = uri.split(":", 1)[0].lower()
    if scheme == "runs":
        return ResolvedUri(uri, _check_runs_uri(store, uri))
    if scheme == "models":
        return _check_models_uri(store, uri)
    # Other schemes (s3://, mlflow-artifacts:/, ...) are storage locations MLflow resolves itself.
    return ResolvedUri(uri)


def _check_runs_uri(store: RegistryStore, uri: str) -> str:
    run_id, _, path = uri[len("runs:") :].lstrip("/").partition("/")
    path = path.strip("/")
    if not run_id or not path:
        raise InvalidParameterError(
            "model_uri", f"{uri!r} is not a valid runs URI", fix="use 'runs:/<run_id>/<artifact path>'"
        )
    where = store.session.tracking_uri
    try:
        run = store.call(lambda client: client.get_run(run_id))
    except (MLflowError, InvalidParameterError) as exc:
        # A malformed run id is answered with 400, an unknown one with 404: both mean "no such run".
        if isinstance(exc, InvalidParameterError) or is_not_found(exc):
            raise _missing(
                uri, f"run {run_id} does not exist on {where}", "check the run id (mlflow.active_run())"
            ) from None
        raise

    def has_model(client: MlflowClient) -> bool:
        # Listed in the run's artifact location: a runs:/ path (or MLflow 3's client.list_artifacts)
        # would look for logged models too, through the global registry URI and an API a 2.x server
        # does not have.
        listed = store.session.artifact_repository(run.info.artifact_uri).list_artifacts(path)
        if any(a.path.rsplit("/", 1)[-1] == "MLmodel" for a in listed):
            return True
        if not hasattr(client, "search_logged_models") or where in _SERVERS_WITHOUT_LOGGED_MODELS:
            return False
        # MLflow 3 keeps models logged with name= outside the run's artifacts.
        try:
            found = client.search_logged_models(
                experiment_ids=[run.info.experiment_id],
                filter_string=f"source_run_id = '{run_id}' AND name = {quote(path)}",
                max_results=1,
            )
        except Exception as exc:
            if not _lacks_logged_models(exc):
                raise
            _SERVERS_WITHOUT_LOGGED_MODELS.add(where)
            return False
        return len(found) > 0

    if not store.call(has_model):
        raise _missing(
            uri,
            f"run {run_id} has no MLflow model named '{path}'",
            "use the artifact path / name the model was logged with (ModelInfo.model_uri gives the full URI)",
        )
    return run_id


def _check_models_uri(store: RegistryStore, uri: str) -> ResolvedUri:
    rest = uri[len("models:") :].lstrip("/")
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        aliases = aliases_by_version(store.find_model(name))
        version = next((v for v, names in aliases.items() if alias in names), None)
        if version is None:
            raise _missing(uri, f"model '{name}' has no alias '{alias}'", "check the model name and alias")
        return ResolvedUri(f"models:/{name}/{version}", store.get_version(name, version).run_id or None)
    if "/" in rest:
        name, _, version = rest.rpartition("/")
        if version.isdigit():
            return ResolvedUri(uri, store.get_version(name, version).run_id or None)
        if store.find_model(name) is None:
            raise _missing(uri, f"registered model '{name}' does not exist", "check the model name")
        return ResolvedUri(uri)
    if hasattr(_client_class(), "get_logged_model"):
        try:
            logged = store.call(lambda client: client.get_logged_model(rest))
        except (MLflowError, InvalidParameterError) as exc:
            if isinstance(exc, InvalidParameterError) or is_not_found(exc):
                raise _missing(
                    uri,
                    f"no logged model with id '{rest}'",
                    "check the model id, or add the version: models:/<name>/<version>",
                ) from None
            raise
        return ResolvedUri(uri, getattr(logged, "source_run_id", None) or None)
    return ResolvedUri(uri)


def _client_class() -> type:
    from mlflow import MlflowClient

    return MlflowClient


def _flavor(kind: str) -> Any:
    if kind == "sklearn":
        import mlflow.sklearn

        return mlflow.sklearn
    import mlflow.pyfunc

    return mlflow.pyfunc


@dataclass(frozen=True)
class Registration:
    """A newly created model version and the run that produced its model (when known)."""

    version: ModelVersion
    run_id: str | None


def _log_object(
    store: RegistryStore,
    source: ModelSource,
    experiment_id: str,
    run_name: str,
    tags: Mapping[str, str],
    metrics: Mapping[str, float],
    options: LogOptions,
) -> tuple[str, str]:
    import mlflow

    flavor = _flavor(source.kind)
    kwargs = options.log_model_kwargs(flavor)
    session = store.session
    tracking_uri = session.tracking_uri
    # A developer's own active run (on this thread) becomes the parent of the registry's run.
    parent = mlflow.active_run()
    run = store.call(
        lambda client: create_run(
            client,
            experiment_id,
            run_name=run_name,
            tags=tags,
            parent_run_id=parent.info.run_id if parent is not None else None,
        )
    )
    run_id = run.info.run_id
    if metrics:
        from mlflow.entities import Metric

        timestamp = int(time.time() * 1000)
        batch = [Metric(key, float(value), timestamp, 0) for key, value in metrics.items()]
        store.call(lambda client: client.log_batch(run_id, metrics=batch))

    def log(client: MlflowClient) -> str | None:
        # log_model is fluent-only (it logs into the active run through the global tracking URI):
        # the one step of a registration that holds the session's fluent lock.
        with active_run(client, run_id, nested=parent is not None):
            try:
                if source.kind == "sklearn":
                    return flavor.log_model(source.value, **kwargs).model_uri
                return flavor.log_model(python_model=source.value, **kwargs).model_uri
            except Exception as exc:
                if not _lacks_logged_models(exc):
                    raise
                _SERVERS_WITHOUT_LOGGED_MODELS.add(tracking_uri)
                return None

    if tracking_uri not in _SERVERS_WITHOUT_LOGGED_MODELS:
        model_uri = session.call_fluent(log)
        if model_uri is not None:
            return run_id, model_uri
    # A server without MLflow 3's LoggedModel API: the model goes into the run's artifacts.
    return run_id, store.call(lambda client: _upload_saved_model(client, run_id, flavor, source, kwargs))


# Tracking URIs whose server predates MLflow 3's LoggedModel API (answered 404 once): models logged
# there go into the run's artifacts, as MLflow 2 clients did.
_SERVERS_WITHOUT_LOGGED_MODELS: set[str] = set()


def _reset_state() -> None:
    # For hokusai.testing.reset(): every server is asked for the LoggedModel API again.
    _SERVERS_WITHOUT_LOGGED_MODELS.clear()


def _lacks_logged_models(exc: BaseException) -> bool:
    return is_not_found(exc) and "/logged-models" in str(exc)


def _upload_saved_model(
    client: MlflowClient, run_id: str, flavor: Any, source: ModelSource, log_kwargs: Mapping[str, Any]
) -> str:
    """Save the model object locally and upload it into the run: no LoggedModel needed on the server."""
    save_kwargs = {k: v for k, v in log_kwargs.items() if k not in ("name", "artifact_path")}
    with tempfile.TemporaryDirectory(prefix="hokusai-model-") as workdir:
        path = Path(workdir) / MODEL_ARTIFACT
        if source.kind == "sklearn":
            flavor.save_model(source.value, str(path), **save_kwargs)
        else:
            flavor.save_model(str(path), python_model=source.value, **save_kwargs)
        client.log_artifacts(run_id, str(path), MODEL_ARTIFACT)
    return f"runs:/{run_id}/{MODEL_ARTIFACT}"


def _check_folder(path: Path) -> None:
    if not path.exists():
        raise _missing(
            str(path), "the path does not exist", "pass an existing MLflow model folder or a model URI"
        )
    if not (path / "MLmodel").is_file():
        raise InvalidParameterError(
            "model",
            f"{path} is not an MLflow model folder (it has no MLmodel file)",
            fix="save the model with mlflow.<flavor>.save_model(model, path) or pass the model object",
        )


def _upload_folder(
    store: RegistryStore,
    path: Path,
    experiment_id: str,
    run_name: str,
    tags: Mapping[str, str],
    metrics: Mapping[str, float],
) -> tuple[str, str]:
    def upload(client: MlflowClient) -> tuple[str, str]:
        run_id = client.create_run(experiment_id, run_name=run_name, tags=dict(tags)).info.run_id
        try:
            for key, value in metrics.items():
                client.log_metric(run_id, key, value)
            client.log_artifacts(run_id, str(path), MODEL_ARTIFACT)
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id)
        return run_id, f"runs:/{run_id}/{MODEL_ARTIFACT}"

    return store.call(upload)


def register_source(
    store: RegistryStore,
    source: ModelSource,
    *,
    model_name: str,
    tags: Mapping[str, str],
    experiment_name: str,
    run_name: str,
    metrics: Mapping[str, float] | None = None,
    options: LogOptions | None = None,
) -> Registration:
    """Log (or check) ``source`` and register it as a new version of ``model_name`` with ``tags``."""
    metrics = {**source.metrics, **(metrics or {})}
    tags = {**source.tags, **tags}
    if source.kind == "uri":
        resolved = check_model_uri(store, source.value)
        model_uri, run_id = resolved.uri, resolved.run_id
    else:
        if source.kind == "path":
            _check_folder(source.value)
        experiment_id = store.session.ensure_experiment(experiment_name)
        if source.kind == "path":
            run_id, model_uri = _upload_folder(store, source.value, experiment_id, run_name, tags, metrics)
        else:
            options = options or LogOptions()
            run_id, model_uri = _log_object(store, source, experiment_id, run_name, tags, metrics, options)
    version = store.register(model_uri, model_name, tags, run_id=run_id if source.kind == "uri" else None)
    return Registration(version=version, run_id=version.run_id or run_id)
