"""ModelRegistry: register Hokusai models (baselines, tokenized models, improvements) in MLflow."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hokusai._credentials import Credentials
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import resolve_target
from hokusai.core._model_logging import SUPPORTED_MODELS, LogOptions, classify_model, register_source
from hokusai.core._notification import NotificationRequest, notify_registration
from hokusai.core._store import RegistryStore, require_name, version_number
from hokusai.core.entries import (
    PRODUCTION_ALIAS,
    TAG_BASELINE_ID,
    TAG_BENCHMARK_METRIC,
    TAG_BENCHMARK_SPEC_ID,
    TAG_BENCHMARK_VALUE,
    TAG_CONTRIBUTOR,
    TAG_DELTA_METRICS,
    TAG_EVAL_SPEC,
    TAG_IS_BASELINE,
    TAG_METRICS,
    TAG_MODEL_TYPE,
    TAG_PRIMARY_METRIC,
    TAG_SCORER_REF,
    TAG_SEMVER,
    TAG_TOKEN_ID,
    ModelLineage,
    ModelRegistryEntry,
    entry_from_version,
    format_model_id,
    metadata_tags,
    numeric_mapping,
    parse_model_id,
    tag_value,
    validate_tag_keys,
    version_tags,
)
from hokusai.core.semver import Version
from hokusai.core.tokens import normalize_token_id
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

__all__ = ["DEFAULT_EXPERIMENT", "ModelRegistry"]

DEFAULT_EXPERIMENT = "hokusai-registry"
_MAX_LINEAGE_DEPTH = 1000
_EPOCH = datetime.fromtimestamp(0, tz=timezone.utc)


@dataclass(frozen=True)
class _Options:
    experiment_name: str = DEFAULT_EXPERIMENT
    page_size: int = 500
    infer_pip_requirements: bool = True

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> _Options:
        unknown = sorted(set(kwargs) - set(cls.__dataclass_fields__))
        if unknown:
            raise InvalidParameterError(
                unknown[0],
                f"ModelRegistry() got unexpected keyword argument(s): {', '.join(unknown)}",
                fix="accepted: tracking_uri, api_key, api_endpoint, auth, experiment_name, page_size, "
                "infer_pip_requirements",
            )
        options = cls(**kwargs)
        require_name(options.experiment_name, "experiment_name")
        if (
            isinstance(options.page_size, bool)
            or not isinstance(options.page_size, int)
            or options.page_size < 1
        ):
            raise InvalidParameterError(
                "page_size", f"page_size must be a positive integer, got {options.page_size!r}"
            )
        return options


def _optional_str(value: object, parameter: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be a string, got {type(value).__name__}",
            fix=f"pass {parameter}='...'",
        )
    return value


def _from_auth(
    auth: object, tracking_uri: str | None, api_key: str | None
) -> tuple[str | None, str | None, Credentials | None, str | None]:
    """Tracking URI, API key, credentials and platform endpoint, with ``auth`` filling the gaps."""
    if auth is None:
        return tracking_uri, api_key, None, None
    endpoint = _optional_str(getattr(auth, "api_endpoint", None), "auth.api_endpoint")
    to_credentials = getattr(auth, "to_credentials", None)
    if callable(to_credentials):
        if tracking_uri is None:
            tracking_uri = _optional_str(getattr(auth, "tracking_uri", None), "auth.tracking_uri")
        if api_key:
            return tracking_uri, api_key, None, endpoint
        credentials = to_credentials()
        if not isinstance(credentials, Credentials):
            raise InvalidParameterError(
                "auth",
                f"auth.to_credentials() returned a {type(credentials).__name__}, not Credentials",
                fix="return hokusai._mlflow.target.Credentials from to_credentials()",
            )
        # An auth config that carries nothing must not hide MLFLOW_TRACKING_* / HOKUSAI_API_KEY.
        return tracking_uri, None, (None if credentials == Credentials() else credentials), endpoint
    if hasattr(auth, "api_key"):
        return tracking_uri, api_key or _optional_str(auth.api_key, "auth.api_key"), None, endpoint
    raise InvalidParameterError(
        "auth",
        f"Unsupported auth object of type {type(auth).__name__}",
        fix="pass hokusai.config.MLflowAuthConfig (has to_credentials()), hokusai.auth.AuthConfig "
        "(has api_key), or use api_key= directly",
    )


def _finite_number(value: object, parameter: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameterError(
            parameter, f"{parameter} must be a finite number, got {value!r}", fix=f"pass {parameter}=0.92"
        )
    return float(value)


def _float_or_none(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _not_tokenized(name: str, version: str | None) -> ModelNotFoundError:
    where = f"version {version} of model '{name}' is" if version else f"model '{name}' has no version"
    return ModelNotFoundError(
        model_name=name,
        version=version,
        message=f"No tokenized model: {where} registered with a Hokusai token (tag '{TAG_TOKEN_ID}')",
        fix="register one with register_tokenized_model(model_uri, model_name, token_id, ...)",
    )


class ModelRegistry:
    """Register and look up Hokusai models in an MLflow model registry (embedded SQLite or a server).

    Extra keyword arguments: ``experiment_name`` (where models are logged, default
    ``"hokusai-registry"``), ``page_size`` (MLflow search page size, default 500) and
    ``infer_pip_requirements`` (default True; False records the flavor's default requirements instead
    of letting MLflow load each model in a subprocess to infer them).
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        api_key: str | None = None,
        api_endpoint: str | None = None,
        auth: Any = None,
        **kwargs: Any,
    ) -> None:
        options = _Options.from_kwargs(kwargs)
        tracking_uri = _optional_str(tracking_uri, "tracking_uri")
        api_key = _optional_str(api_key, "api_key")
        tracking_uri, api_key, credentials, auth_endpoint = _from_auth(auth, tracking_uri, api_key)
        target = resolve_target(tracking_uri, api_key=api_key, credentials=credentials)
        self.session = MLflowSession(target)
        self._api_key = api_key  # the platform's key for registration events (None: resolved then)
        self.api_endpoint = (
            _optional_str(api_endpoint, "api_endpoint")
            or auth_endpoint
            or os.environ.get("HOKUSAI_API_ENDPOINT")
            or None
        )
        self.experiment_name = options.experiment_name
        self.infer_pip_requirements = options.infer_pip_requirements
        self._store = RegistryStore(self.session, page_size=options.page_size)

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI this registry talks to."""
        return self.session.tracking_uri

    def __repr__(self) -> str:
        return f"ModelRegistry({self.session.describe()})"

    # -- registration -------------------------------------------------------------------------

    def register_baseline(
        self,
        model: Any = None,
        model_type: str | None = None,
        model_name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> ModelRegistryEntry:
        """Log ``model`` and register it as a baseline version of ``model_name`` (default: ``model_type``).

        ``model`` is a fitted scikit-learn estimator, an ``mlflow.pyfunc.PythonModel`` or a model URI.
        Either ``model_type`` or ``model_name`` is required; the other defaults to it. ``metadata``
        becomes version tags (non-strings as JSON). Extra keyword arguments: ``metrics`` (logged to
        the run and kept in the ``metrics`` tag) and the ``log_model`` options ``pip_requirements``,
        ``extra_pip_requirements``, ``signature`` and ``input_example``.
        """
        if model is None:
            raise InvalidParameterError(
                "model",
                "register_baseline() needs the model to register",
                fix=f"pass model=<{SUPPORTED_MODELS}>",
            )
        if model_type is None and model_name is None:
            raise InvalidParameterError(
                "model_type",
                "register_baseline() needs model_type or model_name",
                fix="pass model_type='lead_scoring' (the kind of model) or model_name='lead_scoring' (the "
                "registered model name); either one is enough and the other defaults to it",
            )
        if model_name is not None:
            name = require_name(model_name, "model_name")
            kind = require_name(model_type, "model_type") if model_type is not None else name
        else:
            kind = name = require_name(model_type, "model_type")
        metrics = numeric_mapping(kwargs.pop("metrics", None), "metrics")
        options = LogOptions.pop_from(kwargs, infer_pip_requirements=self.infer_pip_requirements)
        _reject_unknown(
            kwargs,
            "register_baseline",
            "metrics, pip_requirements, extra_pip_requirements, signature, input_example",
        )
        source = classify_model(model)
        tags = {TAG_MODEL_TYPE: kind, TAG_IS_BASELINE: "true", **metadata_tags(metadata)}
        if metrics:
            tags[TAG_METRICS] = tag_value(metrics)
        registration = register_source(
            self._store,
            source,
            model_name=name,
            tags=tags,
            experiment_name=self.experiment_name,
            run_name=f"baseline-{name}",
            metrics=metrics,
            options=options,
        )
        return entry_from_version(registration.version, run_id=registration.run_id)

    def register_tokenized_model(
        self,
        model_uri: str,
        model_name: str,
        token_id: str,
        metric_name: str,
        baseline_value: float,
        additional_tags: Mapping[str, Any] | None = None,
        *,
        eval_spec: Mapping[str, Any] | str | None = None,
        scorer_ref: str | None = None,
        primary_metric: str | None = None,
        benchmark_spec_id: str | None = None,
        notify_site: bool = True,
        best_effort_notification: bool = False,
        notification_timeout: float = 10.0,
        notification_api_endpoint: str | None = None,
    ) -> dict[str, Any]:
        """Register the model at ``model_uri`` as a new version of ``model_name`` linked to a Hokusai token.

        Returns a dict with ``model_name``, ``version``, ``token_id`` (upper-case), ``metric_name``,
        ``baseline_value``, ``mlflow_run_id``, ``status`` ("registered"), ``tags``, ``model_uri``,
        ``source`` and ``notification``. A URI that points at nothing raises :class:`ModelNotFoundError`.

        Once MLflow has registered the version, the registration event is posted to
        ``<endpoint>/api/models/tokenized-registration-events`` (endpoint: ``notification_api_endpoint``,
        else the registry's ``api_endpoint``) with the Hokusai API key. ``notification`` is
        ``{"status": "sent" | "skipped" | "failed", "endpoint", "status_code", "reason"}``: skipped with
        ``notify_site=False`` or without an endpoint. A failed post raises :class:`NotificationError`
        (``mlflow_registered=True``; its ``result`` holds this dict), unless
        ``best_effort_notification=True``, which returns it with status "failed".
        """
        notification = NotificationRequest.from_arguments(
            notify_site, best_effort_notification, notification_timeout, notification_api_endpoint
        )
        token = normalize_token_id(token_id)
        name = require_name(model_name, "model_name")
        metric = require_name(metric_name, "metric_name")
        value = _finite_number(baseline_value, "baseline_value")
        source = classify_model(model_uri, "model_uri", allow_objects=False)
        tags = {TAG_TOKEN_ID: token, TAG_BENCHMARK_METRIC: metric, TAG_BENCHMARK_VALUE: tag_value(value)}
        if eval_spec is not None:
            tags[TAG_EVAL_SPEC] = _eval_spec_tag(eval_spec)
        for key, extra, parameter in (
            (TAG_SCORER_REF, scorer_ref, "scorer_ref"),
            (TAG_PRIMARY_METRIC, primary_metric, "primary_metric"),
            (TAG_BENCHMARK_SPEC_ID, benchmark_spec_id, "benchmark_spec_id"),
        ):
            if extra is not None:
                tags[key] = require_name(extra, parameter)
        if additional_tags is not None:
            if not isinstance(additional_tags, Mapping):
                raise InvalidParameterError(
                    "additional_tags",
                    f"additional_tags must be a dict, got {type(additional_tags).__name__}",
                    fix="pass additional_tags={'key': 'value'}",
                )
            validate_tag_keys(additional_tags, "additional_tags", allow_reserved=True)
            clashes = sorted(set(additional_tags) & set(tags))
            if clashes:
                raise InvalidParameterError(
                    "additional_tags",
                    f"additional_tags would overwrite {', '.join(clashes)}, which this method sets",
                    fix="pass those values through the method's own parameters",
                )
            tags.update({key: tag_value(v) for key, v in additional_tags.items()})
        registration = register_source(
            self._store,
            source,
            model_name=name,
            tags=tags,
            experiment_name=self.experiment_name,
            run_name=f"tokenized-{token}",
        )
        record = _token_record(registration.version, registration.run_id)
        record["notification"] = notify_registration(
            record,
            replace(
                notification,
                endpoint=notification.endpoint or self.api_endpoint,
                api_key=self._api_key,
                embedded=self.session.target.is_embedded,
            ),
            self.session.target.credentials.token,
        )
        return record

    def register_improved_model(
        self, model: Any, baseline_id: str, delta_metrics: Mapping[str, float], contributor: str
    ) -> ModelRegistryEntry:
        """Register ``model`` as an improvement of ``baseline_id`` ("name/version") by ``contributor``.

        The new version joins the baseline's registered model and records the lineage in tags
        ``baseline_id``, ``contributor`` and ``delta_metrics`` (JSON); the deltas are also logged to the
        run as ``delta_<metric>``.
        """
        base_name, base_version = parse_model_id(baseline_id, "baseline_id")
        if base_version is None:
            raise InvalidParameterError(
                "baseline_id",
                f"baseline_id must name a version, like '{base_name}/1', got {baseline_id!r}",
                fix="pass the model_id of the baseline's ModelRegistryEntry (register_baseline returns it)",
            )
        deltas = numeric_mapping(delta_metrics, "delta_metrics", allow_empty=False)
        who = require_name(contributor, "contributor")
        source = classify_model(model)
        baseline = self._store.get_version(base_name, base_version)
        tags = {
            TAG_MODEL_TYPE: (baseline.tags or {}).get(TAG_MODEL_TYPE) or base_name,
            TAG_IS_BASELINE: "false",
            TAG_BASELINE_ID: format_model_id(base_name, base_version),
            TAG_CONTRIBUTOR: who,
            TAG_DELTA_METRICS: tag_value(deltas),
        }
        registration = register_source(
            self._store,
            source,
            model_name=base_name,
            tags=tags,
            experiment_name=self.experiment_name,
            run_name=f"improvement-{base_name}",
            metrics={f"delta_{key}": value for key, value in deltas.items()},
            options=LogOptions(infer_pip_requirements=self.infer_pip_requirements),
        )
        return entry_from_version(registration.version, run_id=registration.run_id)

    # -- tokens ---------------------------------------------------------------------------------

    def validate_token_id(self, token_id: str) -> None:
        """Raise :class:`InvalidParameterError` unless ``token_id`` is 1-64 letters, digits, inner hyphens."""
        normalize_token_id(token_id)

    def get_tokenized_model(self, model_name: str, version: str | int | None = None) -> dict[str, Any]:
        """The tokenized version of ``model_name`` (the highest tokenized version when omitted).

        Raises :class:`ModelNotFoundError` when the model or version does not exist or carries no token.
        """
        name = require_name(model_name, "model_name")
        if version is None:
            tokenized = [v for v in self._store.versions_of(name) if (v.tags or {}).get(TAG_TOKEN_ID)]
            if tokenized:
                return _token_record(tokenized[-1])
            if self._store.find_model(name) is None:
                raise ModelNotFoundError(model_name=name)
            raise _not_tokenized(name, None)
        number = version_number(version)
        found = self._store.get_version(name, number)
        if not (found.tags or {}).get(TAG_TOKEN_ID):
            raise _not_tokenized(name, number)
        return _token_record(found)

    def list_models_by_token(self, token_id: str) -> list[dict[str, Any]]:
        """Every model version registered with ``token_id`` (any letter case), by name and version."""
        token = normalize_token_id(token_id)
        matches = [
            v
            for v in self._store.iter_versions()
            if str((v.tags or {}).get(TAG_TOKEN_ID, "")).upper() == token
        ]
        return [_token_record(v) for v in sorted(matches, key=lambda v: (v.name, int(v.version)))]

    def update_model_tags(
        self, model_name: str, version: str | int, tags: Mapping[str, Any]
    ) -> dict[str, str]:
        """Set ``tags`` on a model version (non-strings as JSON); return all of its tags afterwards."""
        name = require_name(model_name, "model_name")
        number = version_number(version)
        if not isinstance(tags, Mapping):
            raise InvalidParameterError(
                "tags", f"tags must be a dict, got {type(tags).__name__}", fix="pass tags={'key': 'value'}"
            )
        validate_tag_keys(tags, "tags", allow_reserved=True)
        values = {key: tag_value(value) for key, value in tags.items()}
        if TAG_TOKEN_ID in values:
            values[TAG_TOKEN_ID] = normalize_token_id(values[TAG_TOKEN_ID])
        if TAG_SEMVER in values:
            values[TAG_SEMVER] = str(Version.parse(values[TAG_SEMVER]))
        current = self._store.get_version(name, number)
        if values:
            self._store.set_tags(name, number, values)
        return {**version_tags(current), **values}

    # -- lookup ---------------------------------------------------------------------------------

    def get_model_lineage(self, model_id: str) -> ModelLineage:
        """The lineage of ``model_id``, oldest first.

        For ``"name/version"``: the chain of baselines that version improves on (following the
        ``baseline_id`` tags), ending with the version itself. For a bare ``"name"``: every version of
        that registered model. A deleted ancestor ends the chain.
        """
        name, version = parse_model_id(model_id)
        if version is None:
            versions = self._store.versions_of(name)
            if not versions and self._store.find_model(name) is None:
                raise ModelNotFoundError(model_name=name)
            return ModelLineage(model_id=name, entries=tuple(self._entries(versions)))
        chain: list[ModelVersion] = [self._store.get_version(name, version)]
        seen = {(name, version)}
        while len(chain) < _MAX_LINEAGE_DEPTH:
            parent = (chain[-1].tags or {}).get(TAG_BASELINE_ID)
            if not parent:
                break
            parent_name, parent_version = parse_model_id(parent, TAG_BASELINE_ID)
            # A hand-edited tag may point nowhere or form a cycle: the chain ends there.
            if parent_version is None or (parent_name, parent_version) in seen:
                break
            seen.add((parent_name, parent_version))
            try:
                chain.append(self._store.get_version(parent_name, parent_version))
            except ModelNotFoundError:
                break
        chain.reverse()
        return ModelLineage(
            model_id=format_model_id(name, version), entries=tuple(self._entries(chain, keep_order=True))
        )

    def list_models_by_type(self, model_type: str) -> list[ModelRegistryEntry]:
        """Every model version tagged ``model_type``, by model name and version."""
        kind = require_name(model_type, "model_type")
        return self._entries(
            v for v in self._store.iter_versions() if (v.tags or {}).get(TAG_MODEL_TYPE) == kind
        )

    def get_latest_model(self, model_type: str) -> ModelRegistryEntry:
        """The current model of ``model_type``: the version aliased 'production' if any, else the newest.

        Raises :class:`ModelNotFoundError` when no version of that type is registered.
        """
        entries = self.list_models_by_type(model_type)
        if not entries:
            raise ModelNotFoundError(
                model_id=model_type,
                message=f"No model of type '{model_type}' is registered",
                fix="register one with register_baseline(model=..., model_type=...)",
            )
        pinned = [entry for entry in entries if PRODUCTION_ALIAS in entry.aliases]
        return max(pinned or entries, key=lambda e: (e.created_at or _EPOCH, int(e.version)))

    # -- lifecycle ------------------------------------------------------------------------------

    def rollback_model(self, model_type_or_name: str, to_version: str | int) -> ModelRegistryEntry:
        """Point the 'production' alias of a model (by name, or by unambiguous type) at ``to_version``."""
        key = require_name(model_type_or_name, "model_type_or_name")
        number = version_number(to_version, "to_version")
        name = self._resolve_model_name(key)
        self._store.get_version(name, number)
        self._store.set_alias(name, PRODUCTION_ALIAS, number)
        return entry_from_version(self._store.get_version(name, number))

    def delete_model_version(self, model_name: str, version: str | int) -> None:
        """Delete a model version; :class:`ModelNotFoundError` when it does not exist."""
        self._store.delete_version(require_name(model_name, "model_name"), version_number(version))

    # -- helpers --------------------------------------------------------------------------------

    def _entries(
        self, versions: Iterable[ModelVersion], *, keep_order: bool = False
    ) -> list[ModelRegistryEntry]:
        versions = list(versions)
        if not keep_order:
            versions.sort(key=lambda v: (v.name, int(v.version)))
        aliases = {name: self._store.aliases_by_version(name) for name in {v.name for v in versions}}
        return [entry_from_version(v, aliases[v.name].get(str(v.version), ())) for v in versions]

    def _resolve_model_name(self, key: str) -> str:
        if self._store.find_model(key) is not None:
            return key
        names = sorted(
            {v.name for v in self._store.iter_versions() if (v.tags or {}).get(TAG_MODEL_TYPE) == key}
        )
        if len(names) == 1:
            return names[0]
        if names:
            raise InvalidParameterError(
                "model_type_or_name",
                f"Model type '{key}' is registered under several models: {', '.join(names)}",
                fix="pass one of those model names instead",
            )
        raise ModelNotFoundError(
            model_id=key,
            message=f"No registered model is named or typed '{key}'",
            fix="check the spelling; list_models_by_type(model_type) lists the models of a type",
        )


def _token_record(version: ModelVersion, run_id: str | None = None) -> dict[str, Any]:
    tags = version_tags(version)
    return {
        "model_name": version.name,
        "version": str(version.version),
        "token_id": tags.get(TAG_TOKEN_ID),
        "metric_name": tags.get(TAG_BENCHMARK_METRIC),
        "baseline_value": _float_or_none(tags.get(TAG_BENCHMARK_VALUE)),
        "mlflow_run_id": version.run_id or run_id or None,
        "status": "registered",
        "tags": tags,
        "model_uri": f"models:/{version.name}/{version.version}",
        "source": version.source,
    }


def _eval_spec_tag(eval_spec: object) -> str:
    if isinstance(eval_spec, Mapping):
        return json.dumps(eval_spec, sort_keys=True, default=str)
    if isinstance(eval_spec, str):
        try:
            json.loads(eval_spec)
        except ValueError:
            pass
        else:
            return eval_spec
    raise InvalidParameterError(
        "eval_spec",
        f"eval_spec must be a dict (or a JSON string), got {eval_spec!r}",
        fix="pass eval_spec={'dataset': '...', 'metric': 'accuracy'}",
    )


def _reject_unknown(kwargs: Mapping[str, Any], method: str, accepted: str) -> None:
    if kwargs:
        unknown = sorted(kwargs)
        raise InvalidParameterError(
            unknown[0],
            f"{method}() got unexpected keyword argument(s): {', '.join(unknown)}",
            fix=f"extra keyword arguments accepted: {accepted}",
        )
