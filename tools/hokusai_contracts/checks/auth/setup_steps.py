"""Setup steps run before a scenario's call, as the server's admin, straight to the server (not recorded)."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.checks.auth.model import Step
from hokusai_contracts.checks.auth.servers import ServerHandle
from hokusai_contracts.checks.auth.variables import substitute
from hokusai_contracts.servers.basic_auth import PermissionGrantError
from hokusai_contracts.servers.basic_auth import grant as grant_permission

_MAX_DRAIN = 50


def _mlflow_post(handle: ServerHandle, path: str, payload: dict) -> dict:
    url, admin = handle.admin_endpoint()
    headers = {"Content-Type": "application/json"}
    if admin is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{admin[0]}:{admin[1]}".encode()).decode()
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(payload).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        detail = exc.read().decode(errors="replace")[:300] if isinstance(exc, urllib.error.HTTPError) else exc
        raise InfrastructureError(f"setup step POST {path} failed: {detail}") from None


def create_registered_model(handle: ServerHandle, name: str, values: Mapping[str, str]) -> None:
    """An admin-owned registered model ``name``."""
    _mlflow_post(handle, "/api/2.0/mlflow/registered-models/create", {"name": name})


def create_experiment(handle: ServerHandle, name: str, values: Mapping[str, str]) -> None:
    """An admin-owned experiment ``name``."""
    _mlflow_post(handle, "/api/2.0/mlflow/experiments/create", {"name": name})


def grant(handle: ServerHandle, argument: Mapping[str, str], values: Mapping[str, str]) -> None:
    """Give a basic-auth user a permission on one resource (DENY: the strongest "no access" MLflow has)."""
    users = handle.server.users
    username, _ = getattr(users, argument["user"])
    permission = argument["permission"]

    def give(permission: str) -> None:
        grant_permission(
            handle.url, users.admin, argument["resource"], argument["name"], username, permission
        )

    try:
        try:
            give(permission)
        except PermissionGrantError as exc:
            # Servers before MLflow 3.17 know no DENY; their "no access" is NO_PERMISSIONS. Asking the
            # server is cheaper than importing mlflow.server to read its permission list (seconds).
            if permission != "DENY" or exc.status != 400:
                raise
            give("NO_PERMISSIONS")
    except PermissionGrantError as exc:
        raise InfrastructureError(f"setup step grant failed: {users.mask(str(exc))}") from None
    except (OSError, http.client.HTTPException) as exc:  # the server went away mid-request, say
        detail = users.mask(f"{type(exc).__name__}: {exc}")
        raise InfrastructureError(f"setup step grant failed: {detail}") from None


def exhaust_rate_limit(handle: ServerHandle, variable: str, values: Mapping[str, str]) -> None:
    """Spend the key's whole burst so the scenario's first request is answered 429."""
    request = urllib.request.Request(
        f"{handle.url}/api/auth/validate",
        method="POST",
        headers={"Authorization": f"Bearer {values[variable]}"},
    )
    for _ in range(_MAX_DRAIN):
        try:
            with urllib.request.urlopen(request, timeout=10):
                continue
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                return
            raise InfrastructureError(f"exhaust_rate_limit: the gateway answered HTTP {exc.code}") from None
    raise InfrastructureError(f"exhaust_rate_limit: still no 429 after {_MAX_DRAIN} requests")


ACTIONS: dict[str, Callable[[ServerHandle, Any, Mapping[str, str]], None]] = {
    "create_registered_model": create_registered_model,
    "create_experiment": create_experiment,
    "grant": grant,
    "exhaust_rate_limit": exhaust_rate_limit,
}


def run_setup(handle: ServerHandle, steps: tuple[Step, ...], values: Mapping[str, str]) -> None:
    """Run ``steps`` in order, ``${...}`` in their arguments replaced from ``values``."""
    for step in steps:
        argument = step.argument if step.action == "exhaust_rate_limit" else substitute(step.argument, values)
        ACTIONS[step.action](handle, argument, values)
