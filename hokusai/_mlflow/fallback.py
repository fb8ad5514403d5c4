"""Optional-MLflow mode: keep tracking on the embedded local store while the server is unreachable.

With ``HOKUSAI_OPTIONAL_MLFLOW=true``, a tracking operation whose MLflow server cannot be reached
(:class:`~hokusai.exceptions.MLflowConnectionError`, including an open circuit breaker) is run
again, whole, on the embedded SQLite store under ``$HOKUSAI_HOME``. Every such fallback emits a
:class:`LocalFallbackWarning` and a logging warning naming the file the data went to: nothing is
silently dropped. Authentication and authorization errors never fall back; without the flag the
connection error propagates.

Only tracking (experiments, performance) uses this; model registration never falls back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from hokusai._credentials import env_flag
from hokusai._mlflow.errors import scrub
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import MLflowTarget, embedded_target
from hokusai.exceptions import LocalFallbackWarning, MLflowConnectionError

__all__ = [
    "OPTIONAL_MLFLOW_ENV",
    "FallbackEvent",
    "LocalFallbackWarning",
    "TrackingSession",
    "call_with_fallback",
    "display_uri",
    "local_store_path",
    "optional_mlflow_enabled",
]

T = TypeVar("T")
logger = logging.getLogger("hokusai")

OPTIONAL_MLFLOW_ENV = "HOKUSAI_OPTIONAL_MLFLOW"

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SKIPPED_FILES = (_PACKAGE_DIR, contextlib.__file__)


def optional_mlflow_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``HOKUSAI_OPTIONAL_MLFLOW`` allows falling back to the local store."""
    return env_flag(OPTIONAL_MLFLOW_ENV, environ)


def local_store_path(target: MLflowTarget) -> str:
    """The file behind a ``sqlite:///`` tracking URI (the URI itself for any other store)."""
    prefix = "sqlite:///"
    uri = target.tracking_uri
    return uri[len(prefix) :] if uri.startswith(prefix) else uri


def display_uri(uri: str) -> str:
    """``uri`` with any password in it masked (``https://user:***@host``)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}{port}"))


@dataclass(frozen=True)
class FallbackEvent:
    """One operation that ran on the local store instead of the unreachable server."""

    primary_uri: str
    local_uri: str
    local_path: str
    reason: str

    def message(self) -> str:
        """The user-facing warning text: what failed, where the data went, how to recover."""
        return (
            f"MLflow at {self.primary_uri} is unreachable ({self.reason}); "
            f"{OPTIONAL_MLFLOW_ENV}=true, so this tracking data goes to the local store "
            f"{self.local_path} (tracking URI {self.local_uri}). "
            f"Inspect it with `mlflow ui --backend-store-uri {self.local_uri}`; "
            "unset the flag to make connection errors raise instead."
        )


def _reason(exc: MLflowConnectionError, limit: int = 160) -> str:
    lines = str(exc.message).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


class TrackingSession:
    """A primary :class:`MLflowSession` that, in optional-MLflow mode, falls back to the local store.

    The primary server is tried on every operation, so tracking returns to it once it recovers;
    its circuit breaker keeps the attempts cheap while it is down.
    """

    def __init__(
        self,
        primary: MLflowSession,
        *,
        environ: Mapping[str, str] | None = None,
        local_target: Callable[[], MLflowTarget] | None = None,
    ) -> None:
        self.primary = primary
        self._environ = environ
        self._local_target = local_target or (lambda: embedded_target(self._environ))
        self._local: MLflowSession | None = None
        self._lock = threading.Lock()
        self._falling_back = False
        self.fallback_count = 0
        self.last_event: FallbackEvent | None = None

    @property
    def tracking_uri(self) -> str:
        """The primary tracking URI."""
        return self.primary.tracking_uri

    def local_session(self) -> MLflowSession:
        """The session on the embedded local store (created on first use)."""
        with self._lock:
            if self._local is None:
                self._local = MLflowSession(self._local_target())
            return self._local

    def call(self, operation: Callable[[MLflowSession], T]) -> T:
        """Run ``operation(session)`` on the primary, or on the local store when allowed and needed."""
        return self.call_with_session(operation)[0]

    def call_with_session(self, operation: Callable[[MLflowSession], T]) -> tuple[T, MLflowSession]:
        """Like :meth:`call`, also returning the session the operation ran on."""
        try:
            result = operation(self.primary)
        except MLflowConnectionError as exc:
            if self.primary.target.is_embedded or not optional_mlflow_enabled(self._environ):
                raise
            local = self.local_session()
            if local.tracking_uri == self.primary.tracking_uri:
                raise
            result = operation(local)
            self._announce(exc, local)
            return result, local
        if self._falling_back:
            self._falling_back = False
            logger.warning(
                "MLflow at %s is reachable again; tracking data written while it was down stays in %s",
                display_uri(self.primary.tracking_uri),
                local_store_path(self.local_session().target),
            )
        return result, self.primary

    def _announce(self, exc: MLflowConnectionError, local: MLflowSession) -> None:
        primary = self.primary.tracking_uri
        reason = scrub(_reason(exc), self.primary.target.credentials.secrets())
        event = FallbackEvent(
            primary_uri=display_uri(primary),
            local_uri=local.tracking_uri,
            local_path=local_store_path(local.target),
            reason=reason.replace(primary, display_uri(primary)),
        )
        self.fallback_count += 1
        self.last_event = event
        text = event.message()
        # One logging warning per outage keeps loops quiet; the Python warning fires every time
        # (its filters decide what is shown) so callers can always catch it.
        if self._falling_back:
            logger.info(text)
        else:
            logger.warning(text)
        self._falling_back = True
        warnings.warn(text, LocalFallbackWarning, stacklevel=_caller_stacklevel())


def _caller_stacklevel() -> int:
    # Attribute the warning to the first frame outside the SDK, i.e. the user's call.
    frame = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_SKIPPED_FILES):
        frame = frame.f_back
        level += 1
    return level


def call_with_fallback(
    session: MLflowSession,
    operation: Callable[[MLflowSession], T],
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[T, MLflowSession]:
    """Run ``operation(session)``; in optional-MLflow mode retry it on the local store if unreachable."""
    return TrackingSession(session, environ=environ).call_with_session(operation)
