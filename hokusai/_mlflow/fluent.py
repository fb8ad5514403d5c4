"""Runs for MLflow's fluent API, created and ended through a session's own client.

MLflow's fluent run functions touch ``os.environ``: ``mlflow.start_run()`` without a run id resumes
the run ``MLFLOW_RUN_ID`` names (and deletes the variable), and ``mlflow.end_run()`` always deletes
it. A developer's pending ``MLFLOW_RUN_ID`` must survive the SDK's runs, and the SDK writes no
environment variable, so: the SDK creates its runs with the session's client (tagged as
``start_run`` would tag them), makes one MLflow's active run only for the fluent calls that need it
(:func:`resume_run`, inside ``MLflowSession.scope()``), and ends it with :func:`end_run`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient

PARENT_RUN_TAG = "mlflow.parentRunId"


def create_run(
    client: MlflowClient,
    experiment_id: str,
    *,
    run_name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    parent_run_id: str | None = None,
) -> Any:
    """A new RUNNING run with the tags ``mlflow.start_run`` would add (source, user, parent)."""
    from mlflow.tracking.context.registry import resolve_tags

    run_tags = {key: str(value) for key, value in (tags or {}).items()}
    if parent_run_id:
        run_tags[PARENT_RUN_TAG] = parent_run_id
    return client.create_run(experiment_id, tags=resolve_tags(run_tags), run_name=run_name)


def resume_run(run_id: str, *, nested: bool) -> Any:
    """Make run ``run_id`` MLflow's active run on this thread (an ``ActiveRun``); inside ``scope()``.

    ``nested``: a developer's run is active on this thread (it is active again after :func:`end_run`).
    End it with :func:`end_run`, not ``with`` (which calls ``mlflow.end_run``).
    """
    import mlflow
    from mlflow.tracking import fluent

    # start_run refuses to resume a run outside the experiment last passed to mlflow.set_experiment();
    # the SDK's runs live in its own experiments. Safe to clear: the caller holds the fluent lock.
    saved = fluent._active_experiment_id
    fluent._active_experiment_id = None
    try:
        return mlflow.start_run(run_id=run_id, nested=nested)
    finally:
        fluent._active_experiment_id = saved


def end_run(client: MlflowClient, run_id: str, status: str = "FINISHED") -> None:
    """What ``mlflow.end_run(status)`` does for the SDK's active run, minus deleting ``MLFLOW_RUN_ID``."""
    from mlflow.tracking import fluent

    stack = fluent._active_run_stack
    stack = stack.get() if hasattr(stack, "get") else stack  # thread-local in newer MLflow versions
    if stack and stack[-1].info.run_id == run_id:
        stack.pop()
    monitors = getattr(fluent, "run_id_to_system_metrics_monitor", None)
    monitor = monitors.pop(run_id, None) if isinstance(monitors, dict) else None
    if monitor is not None:
        monitor.finish()
    # The session's client: prints MLflow's "View run at" lines as mlflow.end_run() does.
    client.set_terminated(run_id, status)


@contextlib.contextmanager
def active_run(client: MlflowClient, run_id: str, *, nested: bool) -> Iterator[Any]:
    """Run ``run_id`` active for the block, then ended FINISHED (FAILED on an exception)."""
    run = resume_run(run_id, nested=nested)
    try:
        yield run
    except BaseException:
        with contextlib.suppress(Exception):  # the block's own failure is the one worth raising
            end_run(client, run_id, "FAILED")
        raise
    end_run(client, run_id, "FINISHED")
