"""Which MLflow session a tracking object uses: a registry's, or one built from a tracking URI."""

from __future__ import annotations

from typing import Any

from hokusai._mlflow.fallback import TrackingSession, display_uri
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import resolve_target
from hokusai.exceptions import InvalidParameterError


def is_registry_like(obj: Any) -> bool:
    """True for a ModelRegistry (or anything with an MLflow ``session`` or a ``tracking_uri``)."""
    if obj is None or isinstance(obj, str | bytes | int | float | bool | dict | list | tuple):
        return False
    if isinstance(obj, MLflowSession):
        return True
    return isinstance(getattr(obj, "session", None), MLflowSession) or isinstance(
        getattr(obj, "tracking_uri", None), str
    )


def _normalized(uri: str) -> str:
    return uri.rstrip("/") if uri.startswith(("http://", "https://")) else uri


def session_for(registry: Any = None, tracking_uri: str | None = None, *, owner: str) -> MLflowSession:
    """The registry's own session (same URI and credentials), else one for ``tracking_uri``."""
    if tracking_uri is not None and not isinstance(tracking_uri, str):
        raise TypeError(f"{owner}: tracking URI must be a string, got {type(tracking_uri).__name__}")
    if registry is None:
        return MLflowSession(resolve_target(tracking_uri))
    if not is_registry_like(registry):
        raise TypeError(
            f"{owner}: registry= must be a hokusai ModelRegistry (an object with a `session` or "
            f"`tracking_uri`), got {type(registry).__name__}"
        )
    if isinstance(registry, MLflowSession):
        session = registry
    elif isinstance(getattr(registry, "session", None), MLflowSession):
        session = registry.session
    else:
        session = MLflowSession(resolve_target(registry.tracking_uri))
    if tracking_uri and _normalized(tracking_uri) != session.tracking_uri:
        raise InvalidParameterError(
            "tracking_uri",
            f"{owner}: the registry talks to {display_uri(session.tracking_uri)} but a tracking URI "
            f"{display_uri(tracking_uri)} was also given",
            fix="pass either the registry (its server and credentials are reused) or a tracking URI",
        )
    return session


class _TrackingComponent:
    """What the tracking classes share: their primary session and how often they fell back."""

    _tracking: TrackingSession

    @property
    def session(self) -> MLflowSession:
        """The MLflow session of the primary tracking server (the registry's when one was given)."""
        return self._tracking.primary

    @property
    def tracking_uri(self) -> str:
        """The primary tracking URI."""
        return self._tracking.tracking_uri

    @property
    def fallback_count(self) -> int:
        """How many operations went to the local store because the server was unreachable."""
        return self._tracking.fallback_count
