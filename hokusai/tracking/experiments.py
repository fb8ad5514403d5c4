"""ExperimentManager: MLflow experiments for testing model improvements.

Model references accepted by :meth:`ExperimentManager.compare_models`: ``"name/version"`` or
``"models:/name/version"`` (registered model version), ``"name@alias"`` / ``"models:/name@alias"``,
``"models:/m-<id>"`` (MLflow 3 logged model), ``"runs:/<run_id>/<path>"``, or a bare run id.
Without ``test_data`` the metrics logged on each model's run are compared; with ``test_data``
both models are loaded and scored (bare run ids need the ``runs:/<run_id>/<path>`` form then).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from hokusai._mlflow.errors import is_not_found
from hokusai._mlflow.fallback import TrackingSession, display_uri
from hokusai._mlflow.fluent import create_run, end_run, resume_run
from hokusai._mlflow.session import MLflowSession
from hokusai.exceptions import InvalidParameterError, MLflowError, ModelNotFoundError
from hokusai.tracking._compare import compare_metrics
from hokusai.tracking._contribution import summarize_contribution
from hokusai.tracking._evaluation import score_predictions
from hokusai.tracking._references import SUPPORTED_FORMS, ModelReference, parse_model_reference
from hokusai.tracking._runs import (
    RUN_TYPE_TAG,
    ExperimentCache,
    finish_run,
    run_to_dict,
    search_runs,
    write_run,
)
from hokusai.tracking._session import _TrackingComponent, is_registry_like, session_for
from hokusai.tracking._values import is_number, prefixed_params

__all__ = ["DEFAULT_EXPERIMENT_NAME", "ExperimentManager"]

logger = logging.getLogger("hokusai")

DEFAULT_EXPERIMENT_NAME = "hokusai_model_improvements"
_METRICS_TAG = "metrics"
_ACCEPTED_FORMS = "ExperimentManager(registry) or ExperimentManager(experiment_name='my_experiment')"


def _resolve_arguments(experiment_name: Any, registry: Any, tracking_uri: Any) -> tuple[str, Any]:
    """(experiment name, registry) from the documented and the registry-first call forms."""
    if is_registry_like(experiment_name):
        if isinstance(registry, str):
            # ExperimentManager(registry, "my_experiment")
            return _experiment_name(registry), experiment_name
        if registry is not None and registry is not experiment_name:
            raise TypeError(f"ExperimentManager() got two registries; use {_ACCEPTED_FORMS}")
        return DEFAULT_EXPERIMENT_NAME, experiment_name
    if experiment_name is not None and not isinstance(experiment_name, str):
        raise TypeError(
            "ExperimentManager() takes a ModelRegistry or an experiment name as its first argument, "
            f"got {type(experiment_name).__name__} ({experiment_name!r:.60}); use {_ACCEPTED_FORMS}"
        )
    if registry is not None and not is_registry_like(registry):
        hint = " (a tracking URI goes in mlflow_tracking_uri=)" if isinstance(registry, str) else ""
        raise TypeError(
            f"ExperimentManager(registry=...) must be a ModelRegistry, got {type(registry).__name__}{hint}; "
            f"use {_ACCEPTED_FORMS}"
        )
    if tracking_uri is not None and not isinstance(tracking_uri, str):
        raise TypeError(
            "ExperimentManager(mlflow_tracking_uri=...) must be a string, "
            f"got {type(tracking_uri).__name__}; pass a ModelRegistry as the first argument or as registry="
        )
    return _experiment_name(experiment_name or DEFAULT_EXPERIMENT_NAME), registry


def _experiment_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(
            "experiment_name",
            f"experiment name must be a non-empty string, got {name!r}",
            fix="pass e.g. experiment_name='hokusai_model_improvements'",
        )
    return name.strip()


def _required_text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(name, f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _split_test_data(test_data: Any) -> tuple[Any, Any, str | None]:
    if isinstance(test_data, Mapping):
        features = test_data.get("features", test_data.get("X"))
        labels = test_data.get("labels", test_data.get("y"))
        if features is not None and labels is not None:
            return features, labels, test_data.get("dataset_name")
    elif isinstance(test_data, Sequence) and not isinstance(test_data, str) and len(test_data) == 2:
        return test_data[0], test_data[1], None
    raise InvalidParameterError(
        "test_data",
        f"test_data must be {{'features': X, 'labels': y}} or a tuple (X, y), got {type(test_data).__name__}",
        fix="pass test_data={'features': X_test, 'labels': y_test}",
    )


class ExperimentManager(_TrackingComponent):
    """Create, run, compare and list model-improvement experiments on MLflow."""

    def __init__(
        self,
        experiment_name: Any = DEFAULT_EXPERIMENT_NAME,
        registry: Any = None,
        mlflow_tracking_uri: str | None = None,
    ) -> None:
        """Use ``ExperimentManager(registry)`` or ``ExperimentManager(experiment_name=..., ...)``."""
        name, registry = _resolve_arguments(experiment_name, registry, mlflow_tracking_uri)
        self.experiment_name = name
        self.registry = registry
        self._tracking = TrackingSession(
            session_for(registry, mlflow_tracking_uri, owner="ExperimentManager")
        )
        self._experiments = ExperimentCache()

    def __repr__(self) -> str:
        uri = display_uri(self.tracking_uri)
        return f"ExperimentManager(experiment_name={self.experiment_name!r}, tracking_uri={uri!r})"

    def _name(self, experiment_name: str | None) -> str:
        return self.experiment_name if experiment_name is None else _experiment_name(experiment_name)

    @contextlib.contextmanager
    def start_experiment(
        self,
        experiment_name: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        """Context manager: a run in the experiment, active for ``mlflow.log_*`` calls in the block."""
        import mlflow

        name = self._name(experiment_name)
        run_tags = {RUN_TYPE_TAG: "experiment", **(tags or {})}
        # A developer's own active run (on this thread) becomes the parent of this one.
        parent = mlflow.active_run()

        def open_run(session: MLflowSession) -> Any:
            experiment_id = self._experiments.get_or_create(session, name)
            # Created with the session's client in the experiment, whatever experiment the caller
            # last passed to mlflow.set_experiment(), and never resuming a pending MLFLOW_RUN_ID.
            return session.call(
                lambda client: create_run(
                    client,
                    experiment_id,
                    run_name=run_name,
                    tags=run_tags,
                    parent_run_id=parent.info.run_id if parent is not None else None,
                )
            )

        run, session = self._tracking.call_with_session(open_run)
        run_id = run.info.run_id
        # The block's mlflow.log_* calls are fluent: the scope (and its lock) lasts for the whole block.
        with session.scope():
            try:
                active = session.call(lambda _client: resume_run(run_id, nested=parent is not None))
            except BaseException:
                with contextlib.suppress(Exception):
                    finish_run(session, run_id, "FAILED")
                raise
            try:
                yield active
            except BaseException:
                with contextlib.suppress(Exception):
                    _end_fluent_run(session, run_id, "FAILED")
                raise
            _end_fluent_run(session, run_id, "FINISHED")

    def create_improvement_experiment(
        self,
        baseline_model_id: str,
        contributed_data: Any,
        experiment_name: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Record an improvement experiment for a baseline model and contributed data; returns its run id."""
        baseline = _required_text(baseline_model_id, "baseline_model_id")
        summary = summarize_contribution(contributed_data)
        name = self._name(experiment_name)
        params = {
            "baseline_model_id": baseline,
            "experiment_type": "model_improvement",
            **prefixed_params(summary.as_dict(), "contributed_data."),
        }
        metrics = {"contributed_data.rows": float(summary.rows)} if summary.rows is not None else {}
        run_tags = {
            RUN_TYPE_TAG: "improvement_experiment",
            "hokusai.baseline_model_id": baseline,
            "hokusai.data_hash": summary.data_hash,
            "hokusai.contributor_id": summary.contributor_id,
            **(tags or {}),
        }

        def record(session: MLflowSession) -> str:
            return write_run(
                session,
                self._experiments.get_or_create(session, name),
                run_name=run_name or f"improve-{baseline}",
                params=params,
                metrics=metrics,
                tags=run_tags,
            )

        run_id = self._tracking.call(record)
        logger.info("Created improvement experiment run %s for baseline %s", run_id, baseline)
        return run_id

    def compare_models(
        self,
        baseline_model_id: str,
        candidate_model_id: str,
        test_data: Any = None,
        metric_names: Iterable[str] | None = None,
        *,
        lower_is_better: Iterable[str] = (),
        log_results: bool = True,
        experiment_name: str | None = None,
    ) -> dict[str, Any]:
        """Per-metric baseline/candidate/delta and an overall ``improvement`` flag for two models."""
        baseline = parse_model_reference(baseline_model_id)
        candidate = parse_model_reference(candidate_model_id)
        names = None if metric_names is None else list(metric_names)
        # Models live on the primary server: reading them never falls back to the local store.
        session = self.session
        if test_data is None:
            source, dataset = "logged_metrics", None
            base_metrics = _logged_metrics(session, baseline)
            cand_metrics = _logged_metrics(session, candidate)
        else:
            source = "test_data"
            features, labels, dataset = _split_test_data(test_data)
            base_metrics = _evaluate(session, baseline, features, labels, names)
            cand_metrics = _evaluate(session, candidate, features, labels, names)
        comparison = compare_metrics(
            base_metrics,
            cand_metrics,
            names,
            lower_is_better=lower_is_better,
            baseline_label=f"baseline {baseline.text!r}",
            candidate_label=f"candidate {candidate.text!r}",
        )
        result: dict[str, Any] = {
            "baseline_model_id": baseline.text,
            "candidate_model_id": candidate.text,
            "source": source,
            **comparison.as_dict(),
        }
        if dataset is not None:
            result["dataset_name"] = dataset
        if log_results:
            result["run_id"] = self._log_comparison(result, comparison.metrics, self._name(experiment_name))
        return result

    def _log_comparison(self, result: dict[str, Any], deltas: Iterable[Any], name: str) -> str:
        metrics: dict[str, float] = {}
        for m in deltas:
            metrics.update({f"baseline.{m.name}": m.baseline, f"candidate.{m.name}": m.candidate})
            metrics[f"delta.{m.name}"] = m.delta
        params = {
            "baseline_model_id": result["baseline_model_id"],
            "candidate_model_id": result["candidate_model_id"],
            "source": result["source"],
            "dataset_name": result.get("dataset_name"),
        }
        tags = {
            RUN_TYPE_TAG: "comparison",
            "hokusai.baseline_model_id": result["baseline_model_id"],
            "hokusai.candidate_model_id": result["candidate_model_id"],
            "hokusai.improvement": str(result["improvement"]).lower(),
        }
        return self._tracking.call(
            lambda session: write_run(
                session,
                self._experiments.get_or_create(session, name),
                run_name=f"compare-{result['baseline_model_id']}-vs-{result['candidate_model_id']}",
                params=params,
                metrics=metrics,
                tags=tags,
            )
        )

    def get_experiment_history(
        self,
        experiment_name: str | None = None,
        max_results: int = 100,
        baseline_model_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Runs of the experiment, newest first, as dicts (run_id, status, params, metrics, tags, times)."""
        name = self._name(experiment_name)
        if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
            raise InvalidParameterError(
                "max_results", f"max_results must be a positive int, got {max_results!r}"
            )
        tags = {} if baseline_model_id is None else {"hokusai.baseline_model_id": str(baseline_model_id)}

        def read(session: MLflowSession) -> list[dict[str, Any]]:
            experiment_id = self._experiments.find(session, name)
            if experiment_id is None:
                return []
            runs = search_runs(session, experiment_id, tags=tags, max_results=max_results)
            return [run_to_dict(run) for run in runs]

        return self._tracking.call(read)


def _end_fluent_run(session: MLflowSession, run_id: str, status: str) -> None:
    import mlflow

    active = mlflow.active_run()
    if active is None or active.info.run_id != run_id:
        # The block ended or replaced the run itself; just make sure ours is terminated.
        finish_run(session, run_id, status)
        return
    try:
        session.call(lambda client: end_run(client, run_id, status), retry=False)
    except MLflowError:
        # end_run pops the run before terminating it; retry only the termination.
        finish_run(session, run_id, status)


def _not_found(ref: ModelReference, session: MLflowSession) -> ModelNotFoundError:
    where = f" on {display_uri(session.tracking_uri)}"
    if ref.kind == "version":
        return ModelNotFoundError(
            model_name=ref.name,
            version=ref.version,
            message=f"Model '{ref.name}' version {ref.version} not found{where}",
        )
    what = {
        "alias": f"alias '{ref.alias}' of model '{ref.name}'",
        "logged_model": f"logged model '{ref.model_id}'",
    }
    return ModelNotFoundError(
        model_id=ref.text,
        message=f"No {what.get(ref.kind, f'run {ref.run_id!r}')} found{where} "
        f"(accepted forms: {SUPPORTED_FORMS})",
    )


def _metrics_tag(tags: Mapping[str, str]) -> dict[str, float]:
    # ModelRegistry keeps a JSON copy of the registration metrics in the version's "metrics" tag.
    try:
        value = json.loads(tags.get(_METRICS_TAG) or "{}")
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): float(v) for k, v in value.items() if is_number(v)}


def _metrics_of_logged_model(client: Any, model_id: str) -> tuple[dict[str, float], str | None]:
    model = client.get_logged_model(model_id)
    metrics = {m.key: m.value for m in (model.metrics or [])}
    return metrics, model.source_run_id


def _logged_metrics(session: MLflowSession, ref: ModelReference) -> dict[str, float]:
    """The metrics logged for the model ``ref`` names (its run's, else its logged model's)."""

    def read(client: Any) -> dict[str, float]:
        run_id, model_id, tagged = ref.run_id, ref.model_id, {}
        if ref.kind in ("version", "alias"):
            version = (
                client.get_model_version(ref.name, ref.version)
                if ref.kind == "version"
                else client.get_model_version_by_alias(ref.name, ref.alias)
            )
            run_id, model_id = version.run_id, getattr(version, "model_id", None)
            tagged = _metrics_tag(version.tags or {})
        metrics: dict[str, float] = {}
        if run_id:
            metrics = dict(client.get_run(run_id).data.metrics)
        if not metrics and tagged:
            metrics = tagged
        if not metrics and model_id and hasattr(client, "get_logged_model"):
            metrics, source_run = _metrics_of_logged_model(client, model_id)
            if not metrics and source_run and not run_id:
                metrics = dict(client.get_run(source_run).data.metrics)
        return metrics

    try:
        metrics = session.call(read)
    except MLflowError as exc:
        if is_not_found(exc):
            raise _not_found(ref, session) from exc
        raise
    if not metrics:
        raise InvalidParameterError(
            "model_id",
            f"no metrics are logged for {ref.text!r} on {display_uri(session.tracking_uri)}",
            fix="log metrics on the model's run (mlflow.log_metric) or pass test_data= to evaluate it",
        )
    return metrics


def _evaluate(
    session: MLflowSession, ref: ModelReference, features: Any, labels: Any, names: list[str] | None
) -> dict[str, float]:
    """Load the model ``ref`` names and score it on (features, labels)."""
    uri = ref.model_uri
    if uri is None:
        raise InvalidParameterError(
            "model_id",
            f"cannot load a model from the bare run id {ref.text!r}",
            fix="pass 'name/version' of the registered model or 'runs:/<run_id>/<artifact_path>'",
        )
    try:
        model = session.load_model(uri)
    except MLflowError as exc:
        if is_not_found(exc):
            raise _not_found(ref, session) from exc
        raise
    return score_predictions(labels, model.predict(features), names)
