"""Users, permissions and configuration of an MLflow ``basic-auth`` server.

The server's default permission is READ, so the editor's EDIT and the denied user's "no access" are
per-resource grants made with :func:`grant` once the resource exists.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ADMIN_USERNAME = "admin"
READER_USERNAME = "reader"
EDITOR_USERNAME = "editor"
DENIED_USERNAME = "denied"
AUTH_DB_NAME = "basic_auth.db"

RESOURCE_KINDS = ("experiment", "registered_model")
# MLflow >= 3.17 grants per resource through one endpoint; older servers have one per resource kind.
_GRANT_PATH = "/api/3.0/mlflow/users/permissions/grant"
_LEGACY_GRANT_PATHS = {
    "experiment": ("/api/2.0/mlflow/experiments/permissions/create", "experiment_id"),
    "registered_model": ("/api/2.0/mlflow/registered-models/permissions/create", "name"),
}


def _password() -> str:
    # MLflow's basic-auth requires passwords of at least 12 characters.
    return secrets.token_urlsafe(18)


class PermissionGrantError(RuntimeError):
    """MLflow refused a user, permission or lookup request; the message carries MLflow's answer."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


def no_access_permission() -> str:
    """The strongest "no access" permission a resource grant may carry with the installed MLflow.

    MLflow 3.17 has an explicit ``DENY`` veto (and rejects ``NO_PERMISSIONS`` as a grant); older 2.x/3.x
    servers only know ``NO_PERMISSIONS``.
    """
    # Importing mlflow.server warns about its own starlette use; that is no news to the caller.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from mlflow.server.auth import permissions
        except ImportError:
            return "NO_PERMISSIONS"
    grantable = getattr(permissions, "RESOURCE_GRANTABLE_PERMISSIONS", None)
    if grantable is None:
        grantable = getattr(permissions, "ALL_PERMISSIONS", {})
    return "DENY" if "DENY" in grantable else "NO_PERMISSIONS"


@dataclass(frozen=True)
class BasicAuthUsers:
    """The admin (created by the server from its config) and three users created over HTTP.

    ``reader`` has the server's default READ everywhere; ``editor`` and ``denied`` start with READ
    too and get EDIT or "no access" on a resource through :func:`grant`.
    """

    admin_password: str = field(repr=False)
    reader_password: str = field(repr=False)
    editor_password: str = field(default_factory=_password, repr=False)
    denied_password: str = field(default_factory=_password, repr=False)
    admin_username: str = ADMIN_USERNAME
    reader_username: str = READER_USERNAME
    editor_username: str = EDITOR_USERNAME
    denied_username: str = DENIED_USERNAME

    @classmethod
    def generate(cls) -> BasicAuthUsers:
        """Fresh random passwords for one server."""
        return cls(admin_password=_password(), reader_password=_password())

    @property
    def admin(self) -> tuple[str, str]:
        """(username, password) of the admin."""
        return self.admin_username, self.admin_password

    @property
    def reader(self) -> tuple[str, str]:
        """(username, password) of the READ-only user."""
        return self.reader_username, self.reader_password

    @property
    def editor(self) -> tuple[str, str]:
        """(username, password) of the user meant to get EDIT on resources."""
        return self.editor_username, self.editor_password

    @property
    def denied(self) -> tuple[str, str]:
        """(username, password) of the user meant to get no access on resources."""
        return self.denied_username, self.denied_password

    def secrets(self) -> tuple[str, ...]:
        """Every password."""
        return (self.admin_password, self.reader_password, self.editor_password, self.denied_password)

    def mask(self, text: str) -> str:
        """``text`` with every password replaced by ``***``."""
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    def create_non_admin_users(self, url: str) -> None:
        """Create the reader, editor and denied users through the server's user API (as admin)."""
        for username, password in (self.reader, self.editor, self.denied):
            _call(
                url,
                self.admin,
                "POST",
                "/api/2.0/mlflow/users/create",
                {"username": username, "password": password},
            )


def _authorization(credentials: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


def _call(url: str, credentials: tuple[str, str], method: str, path: str, payload: dict) -> dict:
    """One JSON call to the server as ``credentials``; PermissionGrantError with MLflow's answer."""
    if method == "GET":
        request = urllib.request.Request(
            f"{url}{path}?{urllib.parse.urlencode(payload)}",
            headers={"Authorization": _authorization(credentials)},
        )
    else:
        request = urllib.request.Request(
            f"{url}{path}",
            data=json.dumps(payload).encode(),
            method=method,
            headers={"Authorization": _authorization(credentials), "Content-Type": "application/json"},
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise PermissionGrantError(
            f"{method} {path} answered HTTP {exc.code}: {detail}", status=exc.code, body=detail
        ) from None
    return json.loads(body) if body.strip() else {}


def _experiment_id(server_url: str, admin: tuple[str, str], name_or_id: str) -> str:
    if name_or_id.isdigit():
        return name_or_id
    answer = _call(
        server_url, admin, "GET", "/api/2.0/mlflow/experiments/get-by-name", {"experiment_name": name_or_id}
    )
    return answer["experiment"]["experiment_id"]


def grant(
    server_url: str,
    admin: tuple[str, str],
    resource_kind: str,
    resource_name_or_id: str,
    username: str,
    permission: str,
) -> None:
    """Give ``username`` ``permission`` (READ, USE, EDIT, MANAGE, DENY...) on one resource, as ``admin``.

    ``resource_kind`` is ``"experiment"`` (an id or a name) or ``"registered_model"`` (a name).
    """
    if resource_kind not in RESOURCE_KINDS:
        raise ValueError(f"resource_kind must be one of {RESOURCE_KINDS}, not {resource_kind!r}")
    url = server_url.rstrip("/")
    resource = str(resource_name_or_id)
    if resource_kind == "experiment":
        resource = _experiment_id(url, admin, resource)
    payload = {"username": username, "resource_type": resource_kind, "resource_id": resource}
    try:
        _call(url, admin, "POST", _GRANT_PATH, {**payload, "permission": permission})
        return
    except PermissionGrantError as exc:
        # Only a missing endpoint means an older server; a missing user or resource is a real error.
        if exc.status != 404 or "RESOURCE_DOES_NOT_EXIST" in exc.body:
            raise
    legacy_path, field_name = _LEGACY_GRANT_PATHS[resource_kind]
    _call(
        url,
        admin,
        "POST",
        legacy_path,
        {field_name: resource, "username": username, "permission": permission},
    )


def write_auth_config(
    workdir: Path, users: BasicAuthUsers, cache_ttl_seconds: int = 60, database_uri: str | None = None
) -> Path:
    """Write the server's ``basic_auth.ini`` (READ as default permission) and return its path.

    ``database_uri``: the users' database (default: ``basic_auth.db`` in ``workdir``).
    """
    path = workdir / "basic_auth.ini"
    path.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = {database_uri or f'sqlite:///{workdir / AUTH_DB_NAME}'}\n"
        f"admin_username = {users.admin_username}\n"
        f"admin_password = {users.admin_password}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        f"auth_cache_ttl_seconds = {cache_ttl_seconds}\n"
    )
    path.chmod(0o600)
    return path
