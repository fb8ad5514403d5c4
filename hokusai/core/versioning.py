"""ModelVersionManager: semantic versions, history, comparison and rollback of registered models.

A version is reported by its ``semver`` tag (set by :meth:`ModelVersionManager.register_version`)
when it has one, else by its MLflow version number; methods taking a version accept either.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hokusai.core._model_logging import LogOptions, classify_model, register_source
from hokusai.core._store import RegistryStore, aliases_by_version, require_name
from hokusai.core.entries import (
    PRODUCTION_ALIAS,
    TAG_MODEL_TYPE,
    TAG_SEMVER,
    ModelRegistryEntry,
    entry_from_version,
    metadata_tags,
    version_tags,
)
from hokusai.core.semver import BUMP_PARTS, Version, version_sort_key
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError, VersioningException

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from hokusai.core.registry import ModelRegistry

__all__ = ["ModelVersionManager", "Version"]

FIRST_VERSION = Version(1, 0, 0)


def _label(version: ModelVersion) -> str:
    semver = (version.tags or {}).get(TAG_SEMVER)
    return semver if Version.is_valid(semver) else str(version.version)


def _ordered(versions: list[ModelVersion]) -> list[ModelVersion]:
    return sorted(versions, key=lambda v: (version_sort_key(_label(v)), int(v.version)))


class ModelVersionManager:
    """Semantic versioning on top of a :class:`~hokusai.core.ModelRegistry`'s MLflow registry."""

    def __init__(self, registry: ModelRegistry) -> None:
        store = getattr(registry, "_store", None)
        if not isinstance(store, RegistryStore):
            raise InvalidParameterError(
                "registry",
                f"ModelVersionManager needs a ModelRegistry, got {type(registry).__name__}",
                fix="pass hokusai.core.ModelRegistry(...): ModelVersionManager(registry)",
            )
        self.registry = registry
        self._store = store

    def list_versions(self, model_name: str) -> list[str]:
        """The versions of ``model_name``, ascending ("2" < "10", "1.2.3" < "1.10.0"); [] if unknown."""
        name = require_name(model_name, "model_name")
        return [_label(v) for v in _ordered(self._store.versions_of(name))]

    def get_latest_version(self, model_name: str) -> str | None:
        """The highest version of ``model_name``; None when it has no versions or does not exist."""
        versions = self.list_versions(model_name)
        return versions[-1] if versions else None

    def register_version(
        self,
        model: Any,
        model_type: str,
        version: str | Version | None = None,
        auto_increment: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ModelRegistryEntry:
        """Register ``model`` as a new semantic version of the model named ``model_type``.

        ``version`` sets the version explicitly (must be new); ``auto_increment`` ('major', 'minor' or
        'patch', default 'patch') bumps the highest existing one. A model's first version is 1.0.0
        unless ``version`` says otherwise. Returns the :class:`ModelRegistryEntry` of the new MLflow
        version; its ``semver`` field holds the semantic version. Concurrent writers are not detected.
        """
        name = require_name(model_type, "model_type")
        if version is not None and auto_increment is not None:
            raise InvalidParameterError(
                "auto_increment",
                "register_version() takes either version= or auto_increment=, not both",
                fix="drop one of them",
            )
        if auto_increment is not None and auto_increment not in BUMP_PARTS:
            raise InvalidParameterError(
                "auto_increment",
                f"auto_increment must be 'major', 'minor' or 'patch', got {auto_increment!r}",
                fix="pass auto_increment='patch' (or 'minor' / 'major')",
            )
        requested = Version.parse(version) if version is not None else None
        source = classify_model(model)
        tags = metadata_tags(metadata)
        existing = [
            Version.parse(t)
            for v in self._store.versions_of(name)
            if Version.is_valid(t := (v.tags or {}).get(TAG_SEMVER))
        ]
        if requested is not None:
            if requested in existing:
                raise VersioningException(
                    f"Model '{name}' already has version {requested}",
                    fix=f"choose a version not taken yet (latest: {max(existing)}) or use auto_increment=",
                )
            new = requested
        elif existing:
            new = max(existing).bump(auto_increment or "patch")
        else:
            new = FIRST_VERSION
        registered = register_source(
            self._store,
            source,
            model_name=name,
            tags={TAG_MODEL_TYPE: name, TAG_SEMVER: str(new), **tags},
            experiment_name=self.registry.experiment_name,
            run_name=f"{name}-{new}",
            options=LogOptions(infer_pip_requirements=self.registry.infer_pip_requirements),
        )
        return entry_from_version(registered.version, run_id=registered.run_id)

    def compare_versions(self, model_name: str, version_a: str, version_b: str) -> dict[str, Any]:
        """Metric and tag differences between two versions of ``model_name``.

        Returns ``{"model_name", "version_a", "version_b", "mlflow_version_a", "mlflow_version_b",
        "metrics": {name: {"a", "b", "difference"}}, "tags": {key: {"a", "b"}}}``; metrics are those
        logged to each version's run, ``difference`` is b - a (None when one side lacks it), and only
        tags that differ are listed.
        """
        name = require_name(model_name, "model_name")
        a = self._resolve(name, version_a, "version_a")
        b = self._resolve(name, version_b, "version_b")
        metrics_a, metrics_b = self._store.run_metrics(a.run_id), self._store.run_metrics(b.run_id)
        metrics = {
            key: {
                "a": metrics_a.get(key),
                "b": metrics_b.get(key),
                "difference": metrics_b[key] - metrics_a[key]
                if key in metrics_a and key in metrics_b
                else None,
            }
            for key in sorted(metrics_a.keys() | metrics_b.keys())
        }
        tags_a, tags_b = _user_tags(a), _user_tags(b)
        tags = {
            key: {"a": tags_a.get(key), "b": tags_b.get(key)}
            for key in sorted(tags_a.keys() | tags_b.keys())
            if tags_a.get(key) != tags_b.get(key)
        }
        return {
            "model_name": name,
            "version_a": _label(a),
            "version_b": _label(b),
            "mlflow_version_a": str(a.version),
            "mlflow_version_b": str(b.version),
            "metrics": metrics,
            "tags": tags,
        }

    def rollback_to_version(self, model_name: str, version: str) -> ModelRegistryEntry:
        """Point the model's 'production' alias at ``version``; return that version's entry."""
        name = require_name(model_name, "model_name")
        target = self._resolve(name, version, "version")
        self._store.set_alias(name, PRODUCTION_ALIAS, str(target.version))
        return entry_from_version(self._store.get_version(name, str(target.version)))

    def get_version_history(self, model_name: str) -> list[dict[str, Any]]:
        """Every version of ``model_name``, oldest first, as dicts.

        Keys: ``version`` (label), ``mlflow_version``, ``semver``, ``created`` (UTC datetime),
        ``tags``, ``aliases``, ``run_id``, ``status``, ``source``, ``description``. Raises
        :class:`ModelNotFoundError` when the model does not exist.
        """
        name = require_name(model_name, "model_name")
        aliases = aliases_by_version(self._store.get_model(name))
        return [
            {
                "version": _label(v),
                "mlflow_version": str(v.version),
                "semver": (v.tags or {}).get(TAG_SEMVER),
                "created": datetime.fromtimestamp(v.creation_timestamp / 1000, tz=timezone.utc)
                if v.creation_timestamp
                else None,
                "tags": version_tags(v),
                "aliases": list(aliases.get(str(v.version), ())),
                "run_id": v.run_id or None,
                "status": v.status,
                "source": v.source,
                "description": v.description or None,
            }
            for v in self._store.versions_of(name)
        ]

    def _resolve(self, name: str, version: object, parameter: str) -> ModelVersion:
        """The MLflow version a label (MLflow number or semantic version) stands for."""
        text = (
            str(version).strip()
            if isinstance(version, int | str | Version) and not isinstance(version, bool)
            else ""
        )
        if text.isascii() and text.isdigit() and int(text) > 0:
            return self._store.get_version(name, str(int(text)))
        if not Version.is_valid(text):
            raise InvalidParameterError(
                parameter,
                f"{parameter} must be an MLflow version number or a semantic version, got {version!r}",
                fix="pass a value from list_versions(model_name), e.g. '3' or '1.2.0'",
            )
        matches = [v for v in self._store.versions_of(name) if (v.tags or {}).get(TAG_SEMVER) == text]
        if not matches:
            raise ModelNotFoundError(model_name=name, version=text)
        return matches[-1]


def _user_tags(version: ModelVersion) -> dict[str, str]:
    return {k: v for k, v in version_tags(version).items() if not k.startswith("mlflow.")}
