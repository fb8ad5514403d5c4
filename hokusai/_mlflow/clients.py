"""MLflow clients that carry their target explicitly: no global tracking URI, no credentials from env.

``MlflowClient(tracking_uri=...)`` already talks to the right server, but its REST stores read the
credentials from ``MLFLOW_TRACKING_*`` on every request, and on MLflow 2.x an ``mlflow-artifacts:``
location is resolved against the *global* tracking URI. :func:`build_client` returns an
``MlflowClient`` whose tracking and registry stores are ``RestStore(get_host_creds)`` objects
holding the target's ``MlflowHostCreds``, and whose artifact repositories are resolved against the
target and send its credentials (also from MLflow's download worker threads). Any number of threads
can use one such client, and clients of different targets coexist in a process.

Works with the MLflow 2.9 to 3.x clients: the hooks used (``TrackingServiceClient.store`` /
``_get_artifact_repo``, ``ModelRegistryClient.store``, ``MlflowClient._tracking_client`` /
``_registry_client_lazy``, the REST stores' ``get_host_creds``) exist with the same meaning in all.
"""

from __future__ import annotations

import functools
import posixpath
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hokusai._mlflow.target import MLflowTarget
from hokusai._mlflow.transport import Route, host_creds_for

if TYPE_CHECKING:
    from mlflow import MlflowClient

# As MLflow's own cache of artifact repositories: enough for any working set, bounded for servers.
_MAX_CACHED_REPOSITORIES = 1024


def build_client(target: MLflowTarget) -> MlflowClient:
    """An ``MlflowClient`` bound to ``target``: its URI, its credentials, its artifact locations."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=target.tracking_uri, registry_uri=target.tracking_uri)
    tracking_store = registry_store = None
    if target.is_remote:
        from mlflow.store.model_registry.rest_store import RestStore as RegistryRestStore
        from mlflow.store.tracking.rest_store import RestStore as TrackingRestStore

        get_host_creds = functools.partial(host_creds_for, target)
        tracking_store = TrackingRestStore(get_host_creds)
        registry_store = RegistryRestStore(get_host_creds)
    client._tracking_client = _tracking_client_class()(target, tracking_store)
    if registry_store is not None:
        client._registry_client_lazy = _registry_client_class()(target, registry_store)
    return client


def artifact_repository(artifact_uri: str, target: MLflowTarget) -> Any:
    """The artifact repository of ``artifact_uri``, resolved against ``target`` with its credentials."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    scheme = urlsplit(artifact_uri).scheme.lower()
    if scheme == "mlflow-artifacts" and target.is_remote:
        from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

        # The 2.x repository resolves this against the *global* tracking URI; ours is explicit.
        resolved = MlflowArtifactsRepository.resolve_uri(artifact_uri, target.tracking_uri)
        return _http_repository_class()(resolved, target)
    if scheme in ("http", "https") and Route(target, 0).serves(artifact_uri):
        return _http_repository_class()(artifact_uri, target)
    # Local files and cloud stores: nothing of the SDK's target is involved.
    return get_artifact_repository(artifact_uri)


def model_location(client: MlflowClient, target: MLflowTarget, uri: str) -> str | None:
    """Where the model at ``uri`` is stored (an artifact URI or a local path).

    None when only MLflow's fluent API can resolve it (a stage or ``latest`` in a ``models:/`` URI,
    a ``runs:/`` path naming an MLflow 3 logged model rather than run artifacts).
    """
    for _ in range(3):  # a version's download URI may itself be a models:/ or runs:/ URI
        scheme = urlsplit(uri).scheme.lower()
        if scheme == "models":
            resolved = _registered_model_location(client, uri[len("models:") :].lstrip("/"))
        elif scheme == "runs":
            resolved = _run_model_location(client, target, uri)
        else:
            return uri
        if resolved is None:
            return None
        uri = resolved
    return None


def _registered_model_location(client: MlflowClient, rest: str) -> str | None:
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        version = client.get_model_version_by_alias(name, alias).version
        return client.get_model_version_download_uri(name, str(version))
    if "/" in rest:
        name, _, version = rest.rpartition("/")
        return client.get_model_version_download_uri(name, version) if version.isdigit() else None
    if rest and hasattr(client, "get_logged_model"):
        return client.get_logged_model(rest).artifact_location
    return None


def _run_model_location(client: MlflowClient, target: MLflowTarget, uri: str) -> str | None:
    run_id, _, path = uri[len("runs:") :].lstrip("/").partition("/")
    path = path.strip("/")
    if not run_id or not path:
        return None
    artifact_uri = client.get_run(run_id).info.artifact_uri.rstrip("/")
    # The run's own artifacts (MLflow 3's client.list_artifacts also searches logged models, through
    # the global registry URI).
    listed = artifact_repository(artifact_uri, target).list_artifacts(path)
    if any(posixpath.basename(item.path) == "MLmodel" for item in listed):
        return f"{artifact_uri}/{path}"
    return None  # an MLflow 3 model logged with name=, outside the run's artifacts


def download_model(location: str, target: MLflowTarget) -> str:
    """Download the model folder at ``location`` (see :func:`model_location`); its local path."""
    if len(urlsplit(location).scheme) <= 1:
        return location  # already a local path (a Windows drive letter is not a scheme)
    root, _, name = location.rstrip("/").rpartition("/")
    if not name or root.endswith(":"):
        root, name = location.rstrip("/"), ""
    # dst_path=None: MLflow downloads into a fresh temporary folder, or returns a local one in place,
    # exactly as mlflow.pyfunc.load_model does (the loaded model may keep reading files from it).
    return artifact_repository(root, target).download_artifacts(name, dst_path=None)


def terminate_run(client: MlflowClient, run_id: str, status: str, end_time: int) -> None:
    """``set_terminated`` without the "View run at" console lines (and the request that builds them)."""
    from mlflow.entities import RunStatus

    client._tracking_client.store.update_run_info(
        run_id, run_status=RunStatus.from_string(status), end_time=end_time, run_name=None
    )


@functools.cache
def _tracking_client_class() -> type:
    from mlflow.tracking._tracking_service.client import TrackingServiceClient

    class TargetTrackingClient(TrackingServiceClient):
        """MLflow's tracking client with an explicit store and target-resolved artifact repositories."""

        def __init__(self, target: MLflowTarget, store: Any = None) -> None:
            self._hokusai_target = target
            self._hokusai_store = store
            # MLflow's cache is process-wide and keyed by run id alone; a per-client one cannot hand
            # this target's runs a repository resolved for another server.
            self._hokusai_repositories: OrderedDict[tuple[str, str], Any] = OrderedDict()
            self._hokusai_lock = threading.Lock()
            super().__init__(target.tracking_uri)

        @property
        def store(self) -> Any:
            if self._hokusai_store is None:
                return super().store
            return self._hokusai_store

        def _get_artifact_repo(self, resource_id: str, *, resource: str = "run") -> Any:
            key = (resource, resource_id)
            with self._hokusai_lock:
                cached = self._hokusai_repositories.get(key)
            if cached is not None:
                return cached
            if resource == "logged_model":
                location = self.get_logged_model(resource_id).artifact_location
            else:
                location = self.get_run(resource_id).info.artifact_uri
            repository = artifact_repository(location, self._hokusai_target)
            with self._hokusai_lock:
                self._hokusai_repositories[key] = repository
                if len(self._hokusai_repositories) > _MAX_CACHED_REPOSITORIES:
                    self._hokusai_repositories.popitem(last=False)
            return repository

    return TargetTrackingClient


@functools.cache
def _registry_client_class() -> type:
    from mlflow.tracking._model_registry.client import ModelRegistryClient

    class TargetRegistryClient(ModelRegistryClient):
        """MLflow's registry client with an explicit store."""

        def __init__(self, target: MLflowTarget, store: Any) -> None:
            self._hokusai_store = store
            super().__init__(target.tracking_uri, target.tracking_uri)

        @property
        def store(self) -> Any:
            return self._hokusai_store

    return TargetRegistryClient


@functools.cache
def _http_repository_class() -> type:
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    class TargetHttpArtifactRepository(HttpArtifactRepository):
        """An HTTP artifact repository that sends its target's credentials, from any thread."""

        def __init__(self, artifact_uri: str, target: MLflowTarget) -> None:
            self._hokusai_target = target
            super().__init__(artifact_uri)

        @property
        def _host_creds(self) -> Any:
            # MLflow reads MLFLOW_TRACKING_* here, also on its download worker threads.
            return host_creds_for(self._hokusai_target, self.artifact_uri)

    return TargetHttpArtifactRepository
