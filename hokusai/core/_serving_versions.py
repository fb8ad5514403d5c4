"""Which registered versions serve a request: a pinned one, or the current one with a fallback.

The current version is the one the ``production`` alias names (set by a rollback), otherwise the latest;
the fallback is the READY version just below it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hokusai.core.entries import PRODUCTION_ALIAS
from hokusai.core.semver import Version, version_sort_key
from hokusai.exceptions import InvalidParameterError, ModelNotFoundError

READY = "READY"


@dataclass(frozen=True)
class ServingPlan:
    """The MLflow versions of ``model_name`` to try, in order; ``pinned`` means no fallback."""

    model_name: str
    versions: tuple[str, ...]
    pinned: bool

    @property
    def primary(self) -> str:
        """The version that should serve."""
        return self.versions[0]


@dataclass(frozen=True)
class _Ready:
    versions: tuple[str, ...]  # MLflow version numbers, lowest first
    by_semver: dict[str, str]  # semver tag -> MLflow version number
    production: str | None = None  # the MLflow version the production alias names, when READY

    def current(self) -> tuple[str, ...]:
        """The version that serves unpinned requests, then its fallback (the READY version below it)."""
        top = self.versions.index(self.production) + 1 if self.production else len(self.versions)
        return tuple(reversed(self.versions[max(0, top - 2) : top]))


def order_versions(history: list[dict[str, Any]]) -> _Ready:
    """The READY versions of a version history in the order the version manager lists them."""
    ready = [h for h in history if str(h.get("status") or READY).upper().endswith(READY)]

    def label(entry: dict[str, Any]) -> str:
        semver = entry.get("semver")
        return semver if Version.is_valid(semver) else str(entry["mlflow_version"])

    ordered = sorted(ready, key=lambda h: (version_sort_key(label(h)), int(h["mlflow_version"])))
    return _Ready(
        versions=tuple(str(h["mlflow_version"]) for h in ordered),
        by_semver={h["semver"]: str(h["mlflow_version"]) for h in ready if Version.is_valid(h.get("semver"))},
        production=next(
            (str(h["mlflow_version"]) for h in ordered if PRODUCTION_ALIAS in (h.get("aliases") or ())), None
        ),
    )


def pinned_number(version: object) -> str | None:
    """An MLflow version number given as ``3`` or ``'3'``; None for anything else."""
    if isinstance(version, bool) or not isinstance(version, int | str):
        return None
    text = str(version).strip()
    return str(int(text)) if text.isascii() and text.isdigit() and int(text) > 0 else None


class VersionResolver:
    """Resolve versions through a ModelVersionManager, reusing a model's version list for ``ttl_seconds``."""

    def __init__(
        self, version_manager: Any, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.version_manager = version_manager
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._known: dict[str, tuple[float, _Ready]] = {}
        self._lock = threading.Lock()

    def plan(self, model_name: str, version: object = None) -> ServingPlan:
        """The versions to try for ``model_name``: ``version`` alone, or the current one then its fallback."""
        if version is not None:
            return ServingPlan(model_name, (self._pinned(model_name, version),), pinned=True)
        ready = self._ready(model_name)
        if not ready.versions:
            raise ModelNotFoundError(
                model_name=model_name,
                message=f"Model '{model_name}' has no version ready to serve",
                fix="register a version (register_baseline) or wait for its registration to finish",
            )
        return ServingPlan(model_name, ready.current(), pinned=False)

    def forget(self, model_name: str) -> None:
        """Drop the remembered version list of ``model_name`` (the next plan asks the registry)."""
        with self._lock:
            self._known.pop(model_name, None)

    def _pinned(self, model_name: str, version: object) -> str:
        number = pinned_number(version)
        if number is not None:
            # Existence is checked by loading: no registry call for a model already in memory.
            return number
        if isinstance(version, str | Version) and Version.is_valid(str(version).strip()):
            label = str(Version.parse(str(version).strip()))
            found = self._ready(model_name).by_semver.get(label)
            if found is None:
                raise ModelNotFoundError(model_name=model_name, version=label)
            return found
        raise InvalidParameterError(
            "model_version",
            f"model_version must be an MLflow version number or a semantic version, got {version!r}",
            fix="pass e.g. model_version=3 or '1.2.0', or None for the latest version",
        )

    def _ready(self, model_name: str) -> _Ready:
        now = self._clock()
        with self._lock:
            known = self._known.get(model_name)
        if known is not None and known[0] > now:
            return known[1]
        ready = order_versions(self.version_manager.get_version_history(model_name))
        with self._lock:
            self._known[model_name] = (now + self.ttl_seconds, ready)
        return ready
