"""Write and read MLflow runs through an :class:`MLflowSession` (the I/O edge of tracking)."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Mapping
from typing import Any

from hokusai._mlflow.clients import terminate_run
from hokusai._mlflow.session import MLflowSession
from hokusai.tracking._values import MAX_PARAM_VALUE, MAX_TAG_VALUE, mlflow_key, truncate

# Limits of one MLflow log_batch request.
_BATCH_LIMITS = {"metrics": 1000, "params": 100, "tags": 100}

RUN_TYPE_TAG = "hokusai.run_type"


def _now_ms() -> int:
    return int(time.time() * 1000)


class ExperimentCache:
    """Experiment ids by (tracking URI, name), so each experiment is looked up once per session."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_or_create(self, session: MLflowSession, name: str) -> str:
        """The id of experiment ``name`` on ``session`` (created if missing)."""
        key = (session.tracking_uri, name)
        with self._lock:
            cached = self._ids.get(key)
        if cached is not None:
            return cached
        experiment_id = session.ensure_experiment(name)
        with self._lock:
            self._ids[key] = experiment_id
        return experiment_id

    def find(self, session: MLflowSession, name: str) -> str | None:
        """The id of experiment ``name`` if it exists (never creates it)."""
        key = (session.tracking_uri, name)
        with self._lock:
            cached = self._ids.get(key)
        if cached is not None:
            return cached
        experiment = session.call(lambda client: client.get_experiment_by_name(name))
        if experiment is None or experiment.lifecycle_stage == "deleted":
            return None
        with self._lock:
            self._ids[key] = experiment.experiment_id
        return experiment.experiment_id


def create_run(
    session: MLflowSession,
    experiment_id: str,
    *,
    run_name: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> Any:
    """Create a RUNNING run; returns the MLflow ``Run``."""
    clean = {mlflow_key(k): truncate(v, MAX_TAG_VALUE) for k, v in (tags or {}).items() if v is not None}
    return session.call(
        lambda client: client.create_run(experiment_id, start_time=_now_ms(), tags=clean, run_name=run_name)
    )


def log_values(
    session: MLflowSession,
    run_id: str,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> None:
    """Log params, metrics and tags on ``run_id`` in as few requests as MLflow allows."""
    from mlflow.entities import Metric, Param, RunTag

    timestamp = _now_ms()
    metric_list = [Metric(mlflow_key(k), float(v), timestamp, 0) for k, v in (metrics or {}).items()]
    param_list = [
        Param(mlflow_key(k), truncate(v, MAX_PARAM_VALUE)) for k, v in (params or {}).items() if v is not None
    ]
    tag_list = [
        RunTag(mlflow_key(k), truncate(v, MAX_TAG_VALUE)) for k, v in (tags or {}).items() if v is not None
    ]
    m_size, p_size, t_size = _BATCH_LIMITS["metrics"], _BATCH_LIMITS["params"], _BATCH_LIMITS["tags"]
    batches = max(
        math.ceil(len(metric_list) / m_size),
        math.ceil(len(param_list) / p_size),
        math.ceil(len(tag_list) / t_size),
    )
    for i in range(batches):
        m = metric_list[i * m_size : (i + 1) * m_size]
        p = param_list[i * p_size : (i + 1) * p_size]
        t = tag_list[i * t_size : (i + 1) * t_size]
        session.call(lambda client, m=m, p=p, t=t: client.log_batch(run_id, metrics=m, params=p, tags=t))


def finish_run(session: MLflowSession, run_id: str, status: str = "FINISHED") -> None:
    """Mark ``run_id`` terminated with ``status`` (without MLflow's "View run at" console lines)."""
    # SDK-written runs are many and small: MLflow's per-run console links (and the extra request
    # that builds them) would flood stdout.
    session.call(lambda client: terminate_run(client, run_id, status, _now_ms()))


def write_run(
    session: MLflowSession,
    experiment_id: str,
    *,
    run_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> str:
    """Create a run, log everything on it and finish it; returns the run id."""
    run = create_run(session, experiment_id, run_name=run_name, tags=tags)
    run_id = run.info.run_id
    try:
        log_values(session, run_id, params=params, metrics=metrics)
    except Exception:
        _try_finish(session, run_id, "FAILED")
        raise
    finish_run(session, run_id)
    return run_id


def _try_finish(session: MLflowSession, run_id: str, status: str) -> None:
    # The original failure is the one worth reporting.
    with contextlib.suppress(Exception):
        finish_run(session, run_id, status)


def run_to_dict(run: Any, *, include_system_tags: bool = False) -> dict[str, Any]:
    """A plain dict of an MLflow run: run_id, run_name, status, times (epoch ms), params, metrics, tags."""
    info, data = run.info, run.data
    tags = dict(data.tags)
    if not include_system_tags:
        tags = {k: v for k, v in tags.items() if not k.startswith("mlflow.")}
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "params": dict(data.params),
        "metrics": dict(data.metrics),
        "tags": tags,
    }


def tag_equals(tag: str, value: str) -> str | None:
    """A search-filter clause ``tags.`tag` = 'value'``, or None when ``value`` cannot be quoted safely."""
    if "'" in value or "\\" in value or "`" in tag:
        return None
    return f"tags.`{tag}` = '{value}'"


def search_runs(
    session: MLflowSession,
    experiment_id: str,
    *,
    tags: Mapping[str, str] | None = None,
    max_results: int = 100,
) -> list[Any]:
    """Runs of ``experiment_id`` whose tags equal ``tags``, newest first."""
    clauses, leftover = [], {}
    for tag, value in (tags or {}).items():
        clause = tag_equals(tag, value)
        if clause is None:
            leftover[tag] = value
        else:
            clauses.append(clause)
    runs = session.call(
        lambda client: client.search_runs(
            [experiment_id],
            filter_string=" and ".join(clauses),
            max_results=max_results,
            order_by=["attributes.start_time DESC"],
        )
    )
    # Values the filter language cannot quote are matched here instead.
    return [run for run in runs if all(run.data.tags.get(k) == v for k, v in leftover.items())]
