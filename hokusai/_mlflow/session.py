"""One place through which every MLflow call of the SDK goes.

A session owns an ``MlflowClient`` bound to its target (see :mod:`hokusai._mlflow.clients`): the
tracking URI, the credentials and the artifact locations travel with the client, so calls from any
number of threads, to any number of servers, run in parallel. Nothing of MLflow's process-global
state and nothing in ``os.environ`` is touched by :meth:`MLflowSession.call`.

Only MLflow's *fluent* API (``mlflow.start_run``, ``mlflow.<flavor>.log_model``,
``mlflow.register_model``, ...) has no per-client form: it reads the global tracking and registry
URIs. :meth:`MLflowSession.scope` points those at the session's target under a process-wide lock,
for the duration of such an operation only (logging a model object, registering one, a block of
``ExperimentManager.start_experiment``); reads, searches, model downloads and predictions never take
it. Even then no environment variable is written: credentials, retries and the timeout reach
MLflow's requests through :mod:`hokusai._mlflow.transport`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from hokusai._mlflow import transport
from hokusai._mlflow.errors import is_already_exists, translate
from hokusai._mlflow.health import health_probe
from hokusai._mlflow.target import MLflowTarget
from hokusai.resilience import (
    CircuitBreaker,
    call_with_resilience,
    get_circuit_breaker,
    get_resilience_config,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

T = TypeVar("T")
logger = logging.getLogger("hokusai")

# Serialises MLflow's fluent API only (see the module docstring). Re-entrant: a registration inside
# a developer's `with session.scope(): mlflow.start_run()` block takes it again on the same thread.
_FLUENT_LOCK = threading.RLock()
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class MLflowSession:
    """MLflow access for one target: a bound client, resilience, error translation."""

    def __init__(self, target: MLflowTarget) -> None:
        self.target = target
        self._client: MlflowClient | None = None
        self._client_lock = threading.Lock()

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this session talks to."""
        return self.target.tracking_uri

    @property
    def client(self) -> MlflowClient:
        """The MLflow client bound to this session's target (URI, credentials, artifact locations)."""
        if self._client is None:
            from hokusai._mlflow.clients import build_client

            with self._client_lock:
                if self._client is None:
                    self._client = build_client(self.target)
        return self._client

    def _route(self, notes: transport.WireNotes | None = None) -> contextlib.AbstractContextManager[Any]:
        return transport.routed_to(self.target, get_resilience_config().request_timeout, notes)

    def scope(self) -> contextlib.AbstractContextManager[None]:
        """Point MLflow's fluent API (``mlflow.start_run``, ``log_model``...) at this target, then restore.

        Holds a process-wide lock for the block: use it only around fluent MLflow calls.
        """
        return self._scope()

    @contextlib.contextmanager
    def _scope(self, notes: transport.WireNotes | None = None) -> Iterator[None]:
        from mlflow.tracking._model_registry import utils as registry_utils
        from mlflow.tracking._tracking_service import utils as tracking_utils

        timeout = get_resilience_config().request_timeout
        notes = notes if notes is not None else transport.WireNotes()
        with _FLUENT_LOCK, self._route(notes), transport.fluent_route(self.target, timeout, notes):
            previous_uri = tracking_utils._tracking_uri
            previous_registry = registry_utils._registry_uri
            # The module globals, not mlflow.set_tracking_uri(): MLflow 3's setter also writes
            # MLFLOW_TRACKING_URI into os.environ.
            tracking_utils._tracking_uri = self.target.tracking_uri
            registry_utils._registry_uri = self.target.tracking_uri
            try:
                yield
            finally:
                tracking_utils._tracking_uri = previous_uri
                registry_utils._registry_uri = previous_registry

    def call(self, fn: Callable[[MlflowClient], T], *, retry: bool = True) -> T:
        """Run ``fn(client)`` with retries and the URI's circuit breaker; translate errors."""
        return self._call(fn, retry=retry, fluent=False)

    def call_fluent(self, fn: Callable[[MlflowClient], T], *, retry: bool = True) -> T:
        """As :meth:`call`, inside :meth:`scope`: for MLflow's fluent API only (it takes the lock)."""
        return self._call(fn, retry=retry, fluent=True)

    def _call(self, fn: Callable[[MlflowClient], T], *, retry: bool, fluent: bool) -> T:
        def attempt() -> T:
            notes = transport.WireNotes()  # what this attempt's responses show (a 429's Retry-After)
            try:
                client = self.client
                with self._scope(notes) if fluent else self._route(notes):
                    return fn(client)
            except Exception as exc:
                translated = translate(exc, self.target, notes)
                if translated is exc:
                    raise
                raise translated from exc

        if not retry:
            return attempt()
        return call_with_resilience(attempt, breaker=self.breaker())

    def breaker(self) -> CircuitBreaker:
        """The circuit breaker of this session's tracking URI (probing ``/health`` for an HTTP server)."""
        probe = health_probe(self.target) if self.target.is_remote else None
        return get_circuit_breaker(self.target.tracking_uri, probe)

    def ping(self) -> None:
        """Make one cheap authenticated call; raise the translated error if it fails."""
        self.call(lambda client: client.search_experiments(max_results=1), retry=False)

    def artifact_repository(self, artifact_uri: str) -> Any:
        """The artifact repository of ``artifact_uri``, resolved against this target (its credentials)."""
        from hokusai._mlflow.clients import artifact_repository

        return artifact_repository(artifact_uri, self.target)

    def load_model(self, uri: str) -> Any:
        """``mlflow.pyfunc.load_model(uri)`` through this session's client (no global state, no lock).

        The model's location is resolved and downloaded with the session's client; only URIs that
        MLflow's fluent API alone can resolve (stages, MLflow 3 logged models named in a ``runs:/``
        URI) are loaded inside :meth:`scope`.
        """
        import mlflow.pyfunc

        from hokusai._mlflow.clients import download_model, model_location

        def load(client: MlflowClient) -> Any:
            location = model_location(client, self.target, uri)
            if location is None:
                return None
            return mlflow.pyfunc.load_model(download_model(location, self.target))

        model = self.call(load)
        if model is None:
            model = self.call_fluent(lambda _client: mlflow.pyfunc.load_model(uri))
        return model

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
