"""Hokusai models: a type, an identity and ``predict(data)``, logged to MLflow as real, loadable models.

Two ways to get a :class:`HokusaiModel` that ``ModelRegistry.register_baseline(model=...)`` and
``ModelVersionManager.register_version(model=...)`` register as a loadable MLflow model version::

    # Wrap a fitted model. A scikit-learn estimator is logged with mlflow.sklearn (flavor kept), an
    # mlflow.pyfunc.PythonModel as it is, any other object with predict() through mlflow.pyfunc.
    model = HokusaiModel.wrap(estimator, model_type=ModelType.LEAD_SCORING, metadata={"dataset": "v3"})

    # Or subclass and implement predict(data): logged as an mlflow.pyfunc model that calls it.
    class Doubler(HokusaiModel):
        def predict(self, data):
            return data * 2

    registry.register_baseline(model=model, model_type="lead_scoring")

A model's ``metadata`` becomes tags of the registered version and ``get_metrics()`` is logged to its
run (values passed to the registry call win). A subclass is pickled with cloudpickle: loading it
needs its class importable (and ``hokusai`` installed), as for any ``mlflow.pyfunc.PythonModel``.

Importing this module does not import MLflow, scikit-learn or pandas.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import Enum
from types import MappingProxyType
from typing import Any

from hokusai.core._flavors import native_kind
from hokusai.core.entries import metadata_tags, numeric_mapping
from hokusai.exceptions import InvalidParameterError, MethodNotImplementedError, ModelNotFoundError

__all__ = ["HokusaiModel", "ModelFactory", "ModelType", "WrappedModel"]


class ModelType(str, Enum):
    """The kinds of model the Hokusai platform knows; other kinds are plain strings."""

    LEAD_SCORING = "lead_scoring"
    CLASSIFICATION = "classification"
    REGRESSION = "regression"
    RANKING = "ranking"
    RECOMMENDATION = "recommendation"
    FORECASTING = "forecasting"
    CUSTOM = "custom"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: object) -> ModelType:
        """The member named by ``value`` (its value or name, any letter case); raise otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            for member in cls:
                if text in (member.value, member.name.lower()):
                    return member
        raise InvalidParameterError(
            "model_type",
            f"Unknown model type {value!r}",
            fix=f"use one of: {', '.join(member.value for member in cls)}",
        )


def _model_type(value: object) -> ModelType | str:
    """A known :class:`ModelType`, or another non-empty string kept as the custom kind it names."""
    if isinstance(value, ModelType):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(
            "model_type",
            f"model_type must be a ModelType or a non-empty string, got {value!r}",
            fix="pass model_type=ModelType.CLASSIFICATION (or a string such as 'lead_scoring')",
        )
    try:
        return ModelType.parse(value)
    except InvalidParameterError:
        return value.strip()


def _optional_text(value: object, parameter: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be a non-empty string, got {value!r}",
            fix=f"pass {parameter}='...' or leave it out",
        )
    return str(value).strip()


def _implements_predict(cls: type) -> bool:
    return getattr(cls, "predict", None) is not HokusaiModel.predict


class HokusaiModel:
    """A Hokusai model: ``model_id``, ``model_type``, ``version``, ``metadata`` and ``predict(data)``.

    Subclass it and override :meth:`predict`, or wrap a fitted model with :meth:`wrap`. ``version``
    is the model's own label; the registry numbers registered versions independently.
    """

    # Class-level defaults keep a subclass usable when its __init__ skips super().__init__().
    model_id: str | None = None
    model_type: ModelType | str = ModelType.CUSTOM
    version: str | None = None
    metadata: Mapping[str, Any] = MappingProxyType({})
    metrics: Mapping[str, float] = MappingProxyType({})
    created_at: datetime | None = None

    def __init__(
        self,
        model_id: str | None = None,
        model_type: ModelType | str = ModelType.CUSTOM,
        version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> None:
        metadata_tags(metadata)  # reject what the registry could not store, now rather than at registration
        self.model_id = _optional_text(model_id, "model_id")
        self.model_type = _model_type(model_type)
        self.version = _optional_text(version, "version")
        self.metadata = dict(metadata or {})
        self.metrics = numeric_mapping(metrics, "metrics")
        self.created_at = datetime.now(timezone.utc)

    def predict(self, data: Any) -> Any:
        """Predict on ``data``; subclasses implement it."""
        raise MethodNotImplementedError(
            f"{type(self).__qualname__} does not implement predict(data)",
            fix="override predict(self, data) in the subclass, or wrap a fitted model: "
            "HokusaiModel.wrap(estimator, model_type=...)",
        )

    def get_metrics(self) -> dict[str, float]:
        """The model's performance metrics (a copy)."""
        return dict(self.metrics)

    def to_dict(self) -> dict[str, Any]:
        """The model's description as a plain dict (``model_type`` as its string value)."""
        return {
            "model_id": self.model_id,
            "model_type": str(self.model_type),
            "version": self.version,
            "metadata": dict(self.metadata),
            "metrics": self.get_metrics(),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
        }

    def as_mlflow_model(self) -> Any:
        """What the registry logs for this model: an ``mlflow.pyfunc.PythonModel`` calling ``predict``."""
        if not _implements_predict(type(self)):
            raise InvalidParameterError(
                "model",
                f"{type(self).__qualname__} cannot be registered: it does not implement predict(data)",
                fix="override predict(self, data), or wrap a fitted model with HokusaiModel.wrap(estimator)",
            )
        from hokusai.core._pyfunc_adapter import pyfunc_adapter

        return pyfunc_adapter(self)

    @classmethod
    def wrap(
        cls,
        model: Any,
        *,
        model_type: ModelType | str = ModelType.CUSTOM,
        model_id: str | None = None,
        version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> WrappedModel:
        """A HokusaiModel around a fitted model: estimator, ``PythonModel`` or any object with ``predict``."""
        return WrappedModel(
            model,
            model_type=model_type,
            model_id=model_id,
            version=version,
            metadata=metadata,
            metrics=metrics,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__qualname__}(model_id={self.model_id!r}, model_type={str(self.model_type)!r}, "
            f"version={self.version!r})"
        )


def _call_predict(model: Any, data: Any) -> Any:
    # A PythonModel's predict takes (context, model_input) or, since MLflow 2.20, (model_input).
    if native_kind(model) == "pyfunc" and "context" in inspect.signature(model.predict).parameters:
        return model.predict(None, data)
    return model.predict(data)


class WrappedModel(HokusaiModel):
    """A fitted model (``.model``) with a Hokusai identity; built by :meth:`HokusaiModel.wrap`."""

    def __init__(
        self,
        model: Any,
        *,
        model_type: ModelType | str = ModelType.CUSTOM,
        model_id: str | None = None,
        version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        source: str | None = None,
    ) -> None:
        if isinstance(model, HokusaiModel):
            raise InvalidParameterError(
                "model",
                f"{type(model).__qualname__} is a HokusaiModel already",
                fix="register it as it is, or set its model_type / metadata attributes",
            )
        if isinstance(model, str | os.PathLike):
            raise InvalidParameterError(
                "model",
                f"HokusaiModel.wrap() takes a model object, got the location {os.fspath(model)!r}",
                fix="load a stored model with ModelFactory.from_mlflow(model_uri)",
            )
        if native_kind(model) is None and not callable(getattr(model, "predict", None)):
            raise InvalidParameterError(
                "model",
                f"Cannot wrap a {type(model).__module__}.{type(model).__qualname__}: it has no predict()",
                fix="wrap a fitted scikit-learn estimator, an mlflow.pyfunc.PythonModel or an object with "
                "predict(data); or subclass HokusaiModel and implement predict(data)",
            )
        super().__init__(
            model_id=model_id, model_type=model_type, version=version, metadata=metadata, metrics=metrics
        )
        self.model = model
        self.source = source

    def predict(self, data: Any) -> Any:
        """The wrapped model's prediction on ``data``."""
        return _call_predict(self.model, data)

    def as_mlflow_model(self) -> Any:
        """The wrapped estimator or ``PythonModel`` itself (flavor kept), or the model URI it came from."""
        if self.source is not None:
            return self.source
        if native_kind(self.model) is not None:
            return self.model
        return super().as_mlflow_model()

    def __repr__(self) -> str:
        inner = type(self.model).__qualname__
        return f"{super().__repr__()[:-1]}, model={inner})"


class ModelFactory:
    """Build :class:`HokusaiModel` objects around fitted models or from models stored in MLflow."""

    @staticmethod
    def create(
        model_type: ModelType | str,
        model: Any,
        *,
        model_id: str | None = None,
        version: str | None = None,
        metrics: Mapping[str, float] | None = None,
        **metadata: Any,
    ) -> WrappedModel:
        """Wrap ``model`` as a HokusaiModel of ``model_type``; extra keyword arguments become its metadata."""
        return HokusaiModel.wrap(
            model,
            model_type=model_type,
            model_id=model_id,
            version=version,
            metadata=metadata or None,
            metrics=metrics,
        )

    @staticmethod
    def from_mlflow(
        model_uri: str | os.PathLike[str],
        *,
        model_type: ModelType | str = ModelType.CUSTOM,
        registry: Any = None,
        tracking_uri: str | None = None,
        model_id: str | None = None,
        version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> WrappedModel:
        """Load the MLflow model at ``model_uri`` (``runs:/``, ``models:/``, a folder) as a HokusaiModel.

        The model is loaded now, through ``registry``'s server (or ``tracking_uri``, else the default
        target); registering the result registers ``model_uri`` itself, without copying the model.
        """
        from hokusai._mlflow.errors import is_not_found
        from hokusai._mlflow.session import MLflowSession
        from hokusai._mlflow.target import resolve_target
        from hokusai.exceptions import MLflowError

        uri = os.fspath(model_uri) if isinstance(model_uri, os.PathLike) else model_uri
        if not isinstance(uri, str) or not uri.strip():
            raise InvalidParameterError(
                "model_uri",
                f"model_uri must be a model URI or folder, got {model_uri!r}",
                fix="pass 'models:/<name>/<version>', 'runs:/<run_id>/model' or a saved MLflow model folder",
            )
        uri = uri.strip()
        session = getattr(registry, "session", None)
        if not isinstance(session, MLflowSession):
            session = MLflowSession(resolve_target(tracking_uri))

        try:
            loaded = session.load_model(uri)
        except (MLflowError, OSError) as exc:
            if isinstance(exc, OSError) or is_not_found(exc):
                raise ModelNotFoundError(
                    model_id=uri,
                    message=f"No MLflow model at {uri} (looked on {session.tracking_uri})",
                    fix="check the URI: 'models:/<name>/<version>' of a registered version, "
                    "'runs:/<run_id>/<artifact path>', or a folder holding an MLmodel file",
                ) from None
            raise
        return WrappedModel(
            loaded,
            model_type=model_type,
            model_id=model_id or uri,
            version=version,
            metadata=metadata,
            source=uri,
        )
