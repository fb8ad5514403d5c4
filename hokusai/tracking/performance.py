"""PerformanceTracker: log inference measurements and improvements to MLflow, and read them back.

Each :meth:`PerformanceTracker.track_inference` call is one finished MLflow run (tagged with the
model id and version) in the tracker's experiment, so it can be queried with
:meth:`PerformanceTracker.get_inference_metrics` or in the MLflow UI.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from hokusai._mlflow.fallback import TrackingSession, display_uri
from hokusai._mlflow.session import MLflowSession
from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._compare import compare_metrics
from hokusai.tracking._contribution import summarize_contribution
from hokusai.tracking._inference import InferenceStats, validate_inference
from hokusai.tracking._runs import RUN_TYPE_TAG, ExperimentCache, run_to_dict, search_runs, write_run
from hokusai.tracking._session import _TrackingComponent, is_registry_like, session_for
from hokusai.tracking._values import prefixed_params

__all__ = ["DEFAULT_PERFORMANCE_EXPERIMENT", "PerformanceTracker"]

logger = logging.getLogger("hokusai")

DEFAULT_PERFORMANCE_EXPERIMENT = "hokusai_performance"
_MODEL_ID_TAG = "hokusai.model_id"
_MODEL_VERSION_TAG = "hokusai.model_version"
_USER_ID_TAG = "hokusai.user_id"


def _inference_dict(run: Any) -> dict[str, Any]:
    data = run_to_dict(run)
    tags = data["tags"]
    return {
        "run_id": data["run_id"],
        "model_id": tags.get(_MODEL_ID_TAG),
        "model_version": tags.get(_MODEL_VERSION_TAG),
        "user_id": tags.get(_USER_ID_TAG),
        "timestamp": data["start_time"],
        "latency_ms": data["metrics"].get("latency_ms"),
        "metrics": data["metrics"],
        "tags": {k: v for k, v in tags.items() if not k.startswith("hokusai.")},
    }


class PerformanceTracker(_TrackingComponent):
    """Track inference latency/confidence and model improvements in an MLflow experiment."""

    def __init__(
        self,
        tracking_uri: Any = None,
        experiment_name: str = DEFAULT_PERFORMANCE_EXPERIMENT,
        registry: Any = None,
    ) -> None:
        """Use ``PerformanceTracker()``, ``PerformanceTracker(uri)`` or ``PerformanceTracker(registry)``."""
        if is_registry_like(tracking_uri):
            if registry is not None and registry is not tracking_uri:
                raise TypeError("PerformanceTracker() got two registries; pass one as registry=")
            registry, tracking_uri = tracking_uri, None
        if tracking_uri is not None and not isinstance(tracking_uri, str):
            raise TypeError(
                "PerformanceTracker() takes a tracking URI (str) or a ModelRegistry as its first argument, "
                f"got {type(tracking_uri).__name__}; use PerformanceTracker(), "
                "PerformanceTracker('http://mlflow:5000') or PerformanceTracker(registry=registry)"
            )
        if not isinstance(experiment_name, str) or not experiment_name.strip():
            raise InvalidParameterError(
                "experiment_name", f"experiment_name must be a non-empty string, got {experiment_name!r}"
            )
        self.experiment_name = experiment_name.strip()
        self.registry = registry
        self._tracking = TrackingSession(session_for(registry, tracking_uri, owner="PerformanceTracker"))
        self._experiments = ExperimentCache()
        self._stats = InferenceStats()

    def __repr__(self) -> str:
        uri = display_uri(self.tracking_uri)
        return f"PerformanceTracker(tracking_uri={uri!r}, experiment_name={self.experiment_name!r})"

    def _experiment_id(self, session: MLflowSession) -> str:
        return self._experiments.get_or_create(session, self.experiment_name)

    def track_inference(self, metrics: Mapping[str, Any] | None = None, **fields: Any) -> str:
        """Log one inference (needs model_id, model_version, latency_ms) as an MLflow run; returns its id."""
        record = validate_inference({**(metrics or {}), **fields} if fields else metrics)
        tags = {
            **record.tags,
            RUN_TYPE_TAG: "inference",
            _MODEL_ID_TAG: record.model_id,
            _MODEL_VERSION_TAG: record.model_version,
            _USER_ID_TAG: record.user_id,
        }

        def log(session: MLflowSession) -> str:
            return write_run(
                session,
                self._experiment_id(session),
                run_name=f"inference-{record.model_id}-v{record.model_version}",
                metrics=record.metrics,
                tags=tags,
            )

        run_id = self._tracking.call(log)
        self._stats.add(record)
        return run_id

    def get_inference_metrics(
        self,
        model_id: str | None = None,
        model_version: str | int | None = None,
        max_results: int = 1000,
    ) -> list[dict[str, Any]]:
        """Tracked inferences (newest first), optionally for one model / version, read from MLflow."""
        if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
            raise InvalidParameterError(
                "max_results", f"max_results must be a positive int, got {max_results!r}"
            )
        tags = {RUN_TYPE_TAG: "inference"}
        if model_id is not None:
            tags[_MODEL_ID_TAG] = str(model_id)
        if model_version is not None:
            tags[_MODEL_VERSION_TAG] = str(model_version)

        def read(session: MLflowSession) -> list[dict[str, Any]]:
            experiment_id = self._experiments.find(session, self.experiment_name)
            if experiment_id is None:
                return []
            return [
                _inference_dict(run)
                for run in search_runs(session, experiment_id, tags=tags, max_results=max_results)
            ]

        return self._tracking.call(read)

    def track_improvement(
        self,
        baseline_metrics: Mapping[str, float],
        improved_metrics: Mapping[str, float],
        data_contribution: Any,
        *,
        lower_is_better: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Log the deltas between baseline and improved metrics with the data contribution; returns them."""
        if not isinstance(baseline_metrics, Mapping) or not baseline_metrics:
            raise InvalidParameterError(
                "baseline_metrics",
                f"baseline_metrics must be a non-empty dict of numbers, got {baseline_metrics!r:.40}",
                fix="pass e.g. baseline_metrics={'accuracy': 0.85}, improved_metrics={'accuracy': 0.88}",
            )
        comparison = compare_metrics(
            baseline_metrics,
            improved_metrics,
            list(baseline_metrics),
            lower_is_better=lower_is_better,
            baseline_label="baseline_metrics",
            candidate_label="improved_metrics",
        )
        contribution = summarize_contribution(data_contribution)
        metrics: dict[str, float] = {}
        for m in comparison.metrics:
            metrics.update({f"baseline.{m.name}": m.baseline, f"improved.{m.name}": m.candidate})
            metrics[f"delta.{m.name}"] = m.delta
        tags = {
            RUN_TYPE_TAG: "improvement",
            "hokusai.improvement": str(comparison.improvement).lower(),
            "hokusai.data_hash": contribution.data_hash,
            "hokusai.contributor_id": contribution.contributor_id,
        }
        params = prefixed_params(contribution.as_dict(), "contribution.")

        def log(session: MLflowSession) -> str:
            return write_run(
                session,
                self._experiment_id(session),
                run_name="improvement",
                params=params,
                metrics=metrics,
                tags=tags,
            )

        run_id = self._tracking.call(log)
        self._stats.add_improvement()
        per_metric = {
            m.name: {
                "baseline": m.baseline,
                "improved": m.candidate,
                "delta": m.delta,
                "relative_delta": m.relative_delta,
                "higher_is_better": m.higher_is_better,
                "is_better": m.improved,
            }
            for m in comparison.metrics
        }
        return {
            "run_id": run_id,
            "delta": comparison.deltas(),
            "metrics": per_metric,
            "improvement": comparison.improvement,
            "improved_metrics": comparison.improved_metrics,
            "regressed_metrics": comparison.regressed_metrics,
            "contribution": contribution.as_dict(),
        }

    def get_summary(self) -> dict[str, Any]:
        """In-memory counts and latency statistics of what this tracker logged in this process."""
        return {**self._stats.summary(), "local_fallbacks": self._tracking.fallback_count}
