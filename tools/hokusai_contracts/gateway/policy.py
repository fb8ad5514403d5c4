"""Which scope a request needs: MLflow reads need ``mlflow:read``, everything else ``mlflow:write``."""

from __future__ import annotations

from dataclasses import dataclass

from hokusai_contracts.gateway.keys import READ, WRITE
from hokusai_contracts.gateway.paths import AUTH_VALIDATE, PUBLIC_PATHS, REGISTRATION_EVENTS, upstream_path

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POST endpoints of MLflow that only read (searches and batch gets take their query in the body).
_READ_ONLY_POST_SEGMENTS = frozenset({"search", "get-by-name", "batch-get", "get-history-bulk-interval"})
_READ_ONLY_POST_PREFIXES = ("search-", "get-")
_READ_ONLY_POST_PATHS = frozenset({"/graphql", "/ajax-api/graphql"})


@dataclass(frozen=True)
class Requirement:
    """What a request needs: nothing (public), a usable key, or a usable key with ``scope``."""

    public: bool = False
    scope: str | None = None


PUBLIC = Requirement(public=True)
ANY_KEY = Requirement()
UNROUTED = None


def is_read_only(method: str, mlflow_path: str) -> bool:
    """True when the MLflow call ``method mlflow_path`` cannot change anything."""
    method = method.upper()
    if method in _READ_METHODS:
        return True
    if method != "POST":
        return False
    path = mlflow_path.rstrip("/")
    if path in _READ_ONLY_POST_PATHS:
        return True
    last = path.rsplit("/", 1)[-1]
    return last in _READ_ONLY_POST_SEGMENTS or last.startswith(_READ_ONLY_POST_PREFIXES)


def required_scope(method: str, mlflow_path: str) -> str:
    """The scope a key needs for the MLflow call ``method mlflow_path``."""
    return READ if is_read_only(method, mlflow_path) else WRITE


def requirement(method: str, path: str) -> Requirement | None:
    """What the gateway request ``method path`` needs; None for a path the gateway does not serve."""
    if path in PUBLIC_PATHS:
        return PUBLIC
    if path == AUTH_VALIDATE:
        return ANY_KEY
    if path == REGISTRATION_EVENTS:
        return Requirement(scope=READ if method.upper() in _READ_METHODS else WRITE)
    target = upstream_path(path)
    if target is not None:
        return Requirement(scope=required_scope(method, target))
    return UNROUTED


def scope_purpose(scope: str) -> str:
    """What a scope is for, in words for an error message."""
    return {READ: "registry and tracking reads", WRITE: "registry and tracking writes"}.get(
        scope, "this operation"
    )
