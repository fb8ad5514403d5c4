"""One place through which every MLflow call of the SDK goes.

The MLflow client reads its tracking URI and credentials from process-global state (environment
variables and ``mlflow.set_tracking_uri``). A session applies its own target only for the duration
of a call, under a process-wide lock, and restores what was there before: two registries pointing
at different servers can coexist, and the user's environment is never left rewritten.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from hokusai._mlflow.errors import is_already_exists, translate
from hokusai._mlflow.target import CREDENTIAL_ENV_VARS, MLflowTarget
from hokusai.resilience import call_with_resilience, get_circuit_breaker, get_resilience_config

if TYPE_CHECKING:
    from mlflow import MlflowClient

T = TypeVar("T")
logger = logging.getLogger("hokusai")

_GLOBAL_STATE_LOCK = threading.RLock()
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _managed_environment(target: MLflowTarget) -> dict[str, str | None]:
    env: dict[str, str | None] = dict.fromkeys(CREDENTIAL_ENV_VARS)
    env.update(target.credentials.environment())
    env["MLFLOW_TRACKING_URI"] = target.tracking_uri
    env["MLFLOW_REGISTRY_URI"] = target.tracking_uri
    # A pending MLFLOW_RUN_ID would make the SDK's own runs resume (and end) the user's run.
    env["MLFLOW_RUN_ID"] = None
    # The SDK retries itself (resilience.py); MLflow's own retries would multiply the wait.
    env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    env["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(get_resilience_config().request_timeout))
    return env


@contextlib.contextmanager
def _applied_environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class MLflowSession:
    """MLflow access for one target: a client, scoped global state, resilience, error translation."""

    def __init__(self, target: MLflowTarget) -> None:
        self.target = target
        self._client: MlflowClient | None = None

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this session talks to."""
        return self.target.tracking_uri

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Apply this session's tracking URI and credentials to MLflow's global state, then restore it."""
        import mlflow
        from mlflow.tracking._tracking_service import utils as tracking_utils

        with _GLOBAL_STATE_LOCK, _applied_environment(_managed_environment(self.target)):
            previous_uri = tracking_utils._tracking_uri
            previous_registry = _registry_uri_global()
            mlflow.set_tracking_uri(self.target.tracking_uri)
            mlflow.set_registry_uri(self.target.tracking_uri)
            try:
                yield
            finally:
                tracking_utils._tracking_uri = previous_uri
                _restore_registry_uri(previous_registry)

    @property
    def client(self) -> MlflowClient:
        """The MLflow client bound to this session's URI (use it inside :meth:`call`)."""
        if self._client is None:
            from mlflow import MlflowClient

            with self.scope():
                self._client = MlflowClient(
                    tracking_uri=self.target.tracking_uri, registry_uri=self.target.tracking_uri
                )
        return self._client

    def call(self, fn: Callable[[MlflowClient], T], *, retry: bool = True) -> T:
        """Run ``fn(client)`` in scope, with retries and the URI's circuit breaker; translate errors."""

        def attempt() -> T:
            try:
                with self.scope():
                    return fn(self.client)
            except Exception as exc:
                translated = translate(exc, self.target)
                if translated is exc:
                    raise
                raise translated from exc

        if not retry:
            return attempt()
        return call_with_resilience(attempt, breaker=get_circuit_breaker(self.target.tracking_uri))

    def ping(self) -> None:
        """Make one cheap authenticated call; raise the translated error if it fails."""
        self.call(lambda client: client.search_experiments(max_results=1), retry=False)

    def ensure_experiment(self, name: str) -> str:
        """The id of experiment ``name``, created (with an artifact location on the embedded store)."""

        def get_or_create(client: MlflowClient) -> str:
            experiment = client.get_experiment_by_name(name)
            if experiment is not None:
                if experiment.lifecycle_stage == "deleted":
                    client.restore_experiment(experiment.experiment_id)
                return experiment.experiment_id
            location = None
            if self.target.artifact_root:
                location = f"{self.target.artifact_root}/{_UNSAFE_NAME_CHARS.sub('_', name)}"
            try:
                return client.create_experiment(name, artifact_location=location)
            except Exception as exc:
                # Another process created it between our lookup and our create: use theirs.
                created = client.get_experiment_by_name(name) if is_already_exists(exc) else None
                if created is None:
                    raise
                return created.experiment_id

        return self.call(get_or_create)

    def describe(self) -> str:
        """Printable description of the target (secrets masked)."""
        return self.target.describe()


def _registry_uri_global() -> Any:
    from mlflow.tracking import _model_registry

    utils = getattr(_model_registry, "utils", None)
    return getattr(utils, "_registry_uri", None)


def _restore_registry_uri(value: Any) -> None:
    from mlflow.tracking import _model_registry

    utils = getattr(_model_registry, "utils", None)
    if utils is not None and hasattr(utils, "_registry_uri"):
        utils._registry_uri = value
