"""Typed access to the MLflow model registry through a session: the I/O edge of hokusai.core."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from hokusai._mlflow.errors import http_status, is_already_exists, is_not_found, request_may_have_arrived
from hokusai.core.entries import TAG_REGISTRATION_ID
from hokusai.exceptions import (
    CircuitOpenError,
    HokusaiException,
    InvalidParameterError,
    MLflowConnectionError,
    MLflowError,
    ModelNotFoundError,
    RegistryException,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion, RegisteredModel

    from hokusai._mlflow.session import MLflowSession

T = TypeVar("T")
logger = logging.getLogger("hokusai")


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

        Idempotent across retries: the version is created with a new registration id in the tag
        ``hokusai.registration_id``, and once an attempt may have reached the server (its response
        was lost, a 5xx), every later attempt - and a last look after the retries - first searches
        for a version with that id and returns it instead of creating another.
        """
        if TAG_REGISTRATION_ID in tags:
            raise InvalidParameterError(
                "tags",
                f"the tag {TAG_REGISTRATION_ID!r} is written by the SDK itself",
                fix=f"remove {TAG_REGISTRATION_ID!r} from the tags",
            )
        pending = _PendingRegistration(name=name, registration_id=uuid.uuid4().hex)
        tags = {**tags, TAG_REGISTRATION_ID: pending.registration_id}

        def create(client: MlflowClient) -> ModelVersion:
            _ensure_registered_model(client, name)
            return client.create_model_version(name, model_uri, run_id=run_id, tags=dict(tags))

        def register_fluently(_client: MlflowClient) -> ModelVersion:
            import mlflow

            # mlflow.register_model resolves runs:/ and logged-model URIs (and links MLflow 3 logged
            # models to the version) through the global registry URI: it runs in the fluent scope.
            return mlflow.register_model(model_uri, name, tags=dict(tags))

        direct = bool(run_id and _is_registered_model_uri(model_uri))
        attempt = pending.guard(create if direct else register_fluently)
        self._sweep_late_creates()
        try:
            version = self.call(attempt) if direct else self.session.call_fluent(attempt)
        except MLflowConnectionError as exc:
            version = self._reconcile(pending, exc)
        if pending.maybe_created:
            _LATE_CREATES.watch(self.session.tracking_uri, pending)
        if str(getattr(version, "status", "")) == "FAILED_REGISTRATION":
            raise RegistryException(
                f"MLflow did not finish registering version {version.version} of '{name}' "
                f"(status {version.status}: {version.status_message or 'no message'})",
                fix="check the model artifacts and the MLflow server logs, then register again",
            )
        return version

    def _sweep_late_creates(self) -> None:
        # An attempt whose answer was lost may be applied after its call returned (a paused or starved
        # instance finishes the request later): a version newer than the one returned, with the same id.
        # Each registration first deletes such versions of this server's recent registrations.
        for pending in _LATE_CREATES.due(self.session.tracking_uri):
            try:
                self.session.call(pending.remove_duplicates, retry=False)
            except HokusaiException:
                continue  # checked again at a later registration, until the watch expires

    def _reconcile(self, pending: _PendingRegistration, error: MLflowConnectionError) -> ModelVersion:
        # The retries are spent (or the breaker opened meanwhile). If an attempt may have created the
        # version (its answer was lost), look once more: the version exists (return it, as a success
        # would have) or it does not (raise: nothing was registered).
        if not pending.maybe_created:
            raise error

        def lookup(client: MlflowClient) -> ModelVersion | None:
            return find_registration(client, pending.name, pending.registration_id)

        try:
            try:
                found = self.call(lookup)
            except CircuitOpenError:
                # Other calls opened the breaker: one direct look still settles what this call did.
                found = self.session.call(lookup, retry=False)
        except HokusaiException:
            raise error from None
        if found is None:
            raise error
        pending.found_existing(found)
        return found


@dataclass
class _PendingRegistration:
    """One logical registration: its id, and whether an attempt may already have created the version."""

    name: str
    registration_id: str
    maybe_created: bool = False

    def guard(self, create: Callable[[MlflowClient], ModelVersion]) -> Callable[[MlflowClient], ModelVersion]:
        """``create`` preceded, once an attempt may have reached the server, by a search for its version."""

        def attempt(client: MlflowClient) -> ModelVersion:
            if self.maybe_created:
                found = find_registration(client, self.name, self.registration_id)
                if found is not None:
                    self.found_existing(found)
                    return found
            try:
                created = create(client)
            except Exception as exc:
                if request_may_have_arrived(exc):
                    self.maybe_created = True
                raise
            return self.settle(client, created)

        return attempt

    def settle(self, client: MlflowClient, created: ModelVersion) -> ModelVersion:
        """The oldest version carrying this registration id; later ones (duplicates) are deleted.

        The look before a retry cannot see a create that was still being applied: an instance killed
        after sending its COMMIT (PostgreSQL finishes it), or one paused or starved with the request
        read. Such a create becomes visible after the look, so the retry creates a second version. If
        it landed first, the retry's insert of the next version number waited for it, so looking once
        more after the create sees both: the oldest is kept (returned), the others are deleted. One that
        lands later still is deleted by a later registration (:data:`_LATE_CREATES`). Best effort: when
        the look fails, the created version is returned (the create did succeed).
        """
        try:
            kept = self.remove_duplicates(client)
        except Exception as exc:
            logger.warning("registration of %r: duplicate check failed (%s)", self.name, type(exc).__name__)
            return created
        return kept or created

    def remove_duplicates(self, client: MlflowClient) -> ModelVersion | None:
        """Delete every version of this registration but the oldest; the oldest (None: there is none)."""
        matches = find_registrations(client, self.name, self.registration_id)
        if not matches:
            return None
        keep, extra = matches[0], matches[1:]
        for duplicate in extra:
            try:
                client.delete_model_version(self.name, str(duplicate.version))
            except Exception as exc:
                if is_not_found(exc):
                    continue  # another process deleted it already
                logger.warning(
                    "registration of %r: duplicate version %s not deleted (%s)",
                    self.name,
                    duplicate.version,
                    type(exc).__name__,
                )
                continue
            logger.warning(
                "registration of %r: version %s duplicated version %s (registration id %s); deleted",
                self.name,
                duplicate.version,
                keep.version,
                self.registration_id,
            )
        return keep

    def found_existing(self, version: ModelVersion) -> None:
        """Log that a lost answer's version was found (and is returned instead of a new one)."""
        logger.info(
            "registration of %r: the server's answer was lost; version %s exists (registration id %s)",
            self.name,
            version.version,
            self.registration_id,
        )


class _LateCreateWatch:
    """Registrations of this process whose lost answers may still be applied, per server, for a while.

    Each is looked at (at most every ``interval`` seconds, by the next registrations to the same server)
    until ``window`` seconds after its call returned; at most ``limit`` are kept (the newest).
    """

    def __init__(self, window: float = 300.0, interval: float = 1.0, limit: int = 20) -> None:
        self.window = window
        self.interval = interval
        self.limit = limit
        self._lock = threading.Lock()
        # tracking URI -> [pending, expires at, next look at] (monotonic seconds)
        self._entries: dict[str, list[list[Any]]] = {}

    def watch(self, tracking_uri: str, pending: _PendingRegistration) -> None:
        """Look for late versions of ``pending`` at later registrations to ``tracking_uri``."""
        now = time.monotonic()
        with self._lock:
            entries = self._entries.setdefault(tracking_uri, [])
            entries.append([pending, now + self.window, now])
            del entries[: -self.limit]

    def due(self, tracking_uri: str) -> list[_PendingRegistration]:
        """The watched registrations of ``tracking_uri`` to look at now (expired ones are dropped)."""
        now = time.monotonic()
        with self._lock:
            entries = [e for e in self._entries.get(tracking_uri, []) if e[1] > now]
            self._entries[tracking_uri] = entries
            due = [e for e in entries if e[2] <= now]
            for entry in due:
                entry[2] = now + self.interval
            return [entry[0] for entry in due]

    def clear(self) -> None:
        """Forget every watched registration."""
        with self._lock:
            self._entries.clear()


_LATE_CREATES = _LateCreateWatch()


def _reset_state() -> None:
    # For hokusai.testing.reset(): no registration is watched for late versions.
    _LATE_CREATES.clear()


def find_registration(client: MlflowClient, name: str, registration_id: str) -> ModelVersion | None:
    """The version of model ``name`` tagged with ``registration_id`` (the oldest if several), or None."""
    matches = find_registrations(client, name, registration_id)
    return matches[0] if matches else None


def find_registrations(client: MlflowClient, name: str, registration_id: str) -> list[ModelVersion]:
    """The versions of model ``name`` tagged with ``registration_id``, oldest first.

    Searches with a tag filter (MLflow 2.9 and 3.x servers accept it); a server that refuses the
    filter (HTTP 400) gets its versions listed and their tags read instead.
    """
    wanted = f"name = {quote(name)} AND tags.`{TAG_REGISTRATION_ID}` = '{registration_id}'"
    try:
        candidates = list(client.search_model_versions(filter_string=wanted, max_results=50))
    except Exception as exc:
        if http_status(exc) != 400:
            raise
        candidates = _all_versions(client, name)
    matches = [
        v for v in candidates if v.name == name and (v.tags or {}).get(TAG_REGISTRATION_ID) == registration_id
    ]
    return sorted(matches, key=lambda v: int(v.version))


def _all_versions(client: MlflowClient, name: str) -> list[ModelVersion]:
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = client.search_model_versions(filter_string=f"name = {quote(name)}", page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            return found


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
