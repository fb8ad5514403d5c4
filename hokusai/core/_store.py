"""Typed access to the MLflow model registry through a session: the I/O edge of hokusai.core."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from hokusai._mlflow.errors import is_already_exists, is_not_found
from hokusai.exceptions import InvalidParameterError, MLflowError, ModelNotFoundError, RegistryException

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion, RegisteredModel

    from hokusai._mlflow.session import MLflowSession

T = TypeVar("T")


def quote(value: str) -> str:
    """``value`` quoted for an MLflow search filter."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise InvalidParameterError(
        message=f"{value!r} contains both kinds of quotes and cannot be searched for",
        fix="use names without quote characters",
    )


def version_number(version: object, parameter: str = "version") -> str:
    """An MLflow model version number as a string (accepts ``3`` and ``'3'``)."""
    text = str(version).strip() if isinstance(version, int | str) and not isinstance(version, bool) else ""
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be an MLflow version number like 3 or '3', got {version!r}",
            fix="pass the version number shown by list_versions() / the MLflow UI",
        )
    return str(int(text))


def require_name(value: object, parameter: str) -> str:
    """A non-empty string parameter, stripped; raise :class:`InvalidParameterError` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be a non-empty string, got {value!r}",
            fix=f"pass {parameter}='...'",
        )
    return value.strip()


@contextlib.contextmanager
def not_found_as(model_name: str | None = None, version: str | None = None, **kwargs: Any) -> Iterator[None]:
    """Turn MLflow's "does not exist" answer into :class:`ModelNotFoundError`."""
    try:
        yield
    except MLflowError as exc:
        if is_not_found(exc):
            # MLflow's own error adds nothing to "model X version Y not found" but traceback depth.
            raise ModelNotFoundError(model_name=model_name, version=version, **kwargs) from None
        raise


class RegistryStore:
    """MLflow registry calls through one :class:`MLflowSession` (scope, retries, error translation)."""

    def __init__(self, session: MLflowSession, page_size: int = 500) -> None:
        self.session = session
        self.page_size = page_size

    def call(self, fn: Callable[[MlflowClient], T]) -> T:
        """Run ``fn(client)`` through the session."""
        return self.session.call(fn)

    def get_version(self, name: str, version: str) -> ModelVersion:
        """The model version; :class:`ModelNotFoundError` when the model or version does not exist."""
        with not_found_as(name, version):
            return self.call(lambda client: client.get_model_version(name, version))

    def get_model(self, name: str) -> RegisteredModel:
        """The registered model; :class:`ModelNotFoundError` when it does not exist."""
        with not_found_as(name):
            return self.call(lambda client: client.get_registered_model(name))

    def find_model(self, name: str) -> RegisteredModel | None:
        """The registered model, or None when it does not exist."""
        try:
            return self.get_model(name)
        except ModelNotFoundError:
            return None

    def iter_versions(self, filter_string: str | None = None) -> Iterator[ModelVersion]:
        """Every model version matching ``filter_string``, fetched page by page."""
        seen: set[tuple[str, str]] = set()
        token: str | None = None
        while True:
            page = self.call(
                lambda client, token=token: client.search_model_versions(
                    filter_string=filter_string, max_results=self.page_size, page_token=token
                )
            )
            for version in page:
                key = (version.name, str(version.version))
                # Offset-based page tokens can repeat a row when versions are created meanwhile.
                if key not in seen:
                    seen.add(key)
                    yield version
            token = page.token
            if not token:
                return

    def versions_of(self, name: str) -> list[ModelVersion]:
        """All versions of model ``name``, oldest first (empty when the model does not exist)."""
        versions = [v for v in self.iter_versions(f"name = {quote(name)}") if v.name == name]
        return sorted(versions, key=lambda v: int(v.version))

    def aliases_by_version(self, name: str) -> dict[str, tuple[str, ...]]:
        """``{version: aliases}`` of model ``name`` (search results do not carry aliases)."""
        return aliases_by_version(self.find_model(name))

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` of model ``name`` at ``version``."""
        with not_found_as(name, version):
            self.call(lambda client: client.set_registered_model_alias(name, alias, version))

    def set_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        """Set tags on a model version."""

        def apply(client: MlflowClient) -> None:
            for key, value in tags.items():
                client.set_model_version_tag(name, version, key, value)

        with not_found_as(name, version):
            self.call(apply)

    def delete_version(self, name: str, version: str) -> None:
        """Delete a model version."""
        with not_found_as(name, version):
            self.call(lambda client: client.delete_model_version(name, version))

    def run_metrics(self, run_id: str | None) -> dict[str, float]:
        """The latest metrics of run ``run_id`` (empty when there is no such run)."""
        if not run_id:
            return {}
        try:
            run = self.call(lambda client: client.get_run(run_id))
        except MLflowError as exc:
            if is_not_found(exc):
                return {}
            raise
        return dict(run.data.metrics)

    def register(
        self, model_uri: str, name: str, tags: Mapping[str, str], *, run_id: str | None = None
    ) -> ModelVersion:
        """Create a version of model ``name`` (and the model if missing) whose source is ``model_uri``.

        ``run_id`` links a ``models:/<name>/<version>`` source to the run that produced it, which
        ``mlflow.register_model`` leaves empty on a local store.
        """

        def create(client: MlflowClient) -> ModelVersion:
            _ensure_registered_model(client, name)
            return client.create_model_version(name, model_uri, run_id=run_id, tags=dict(tags))

        def register_fluently(_client: MlflowClient) -> ModelVersion:
            import mlflow

            # mlflow.register_model resolves runs:/ and logged-model URIs (and links MLflow 3 logged
            # models to the version) through the global registry URI: it runs in the fluent scope.
            return mlflow.register_model(model_uri, name, tags=dict(tags))

        if run_id and _is_registered_model_uri(model_uri):
            version = self.call(create)
        else:
            version = self.session.call_fluent(register_fluently)
        if str(getattr(version, "status", "")) == "FAILED_REGISTRATION":
            raise RegistryException(
                f"MLflow did not finish registering version {version.version} of '{name}' "
                f"(status {version.status}: {version.status_message or 'no message'})",
                fix="check the model artifacts and the MLflow server logs, then register again",
            )
        return version


def _is_registered_model_uri(uri: str) -> bool:
    rest = uri[len("models:/") :] if uri.startswith("models:/") else ""
    return "/" in rest or "@" in rest


def _ensure_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.create_registered_model(name)
    except Exception as exc:
        # Raised inside session.call, so this is still MLflow's own exception.
        if not is_already_exists(exc):
            raise


def aliases_by_version(model: RegisteredModel | None) -> dict[str, tuple[str, ...]]:
    """``{version: aliases}`` of a registered model (empty for None)."""
    result: dict[str, list[str]] = {}
    for alias, version in _alias_items(model):
        result.setdefault(version, []).append(alias)
    return {version: tuple(sorted(aliases)) for version, aliases in result.items()}


def _alias_items(model: RegisteredModel | None) -> list[tuple[str, str]]:
    if model is None:
        return []
    aliases = getattr(model, "aliases", None) or {}
    if isinstance(aliases, Mapping):
        return [(str(alias), str(version)) for alias, version in aliases.items()]
    # Older clients return a list of RegisteredModelAlias objects.
    return [(str(a.alias), str(a.version)) for a in aliases]
