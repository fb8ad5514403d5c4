"""Users and configuration of an MLflow ``basic-auth`` server."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ADMIN_USERNAME = "admin"
READER_USERNAME = "reader"


def _password() -> str:
    # MLflow's basic-auth requires passwords of at least 12 characters.
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class BasicAuthUsers:
    """The admin (created by the server from its config) and a READ-only user (created over HTTP)."""

    admin_password: str
    reader_password: str
    admin_username: str = ADMIN_USERNAME
    reader_username: str = READER_USERNAME

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

    def mask(self, text: str) -> str:
        """``text`` with every password replaced by ``***``."""
        for secret in (self.admin_password, self.reader_password):
            text = text.replace(secret, "***")
        return text

    def create_non_admin_users(self, url: str) -> None:
        """Create the READ-only user through the server's user API (as admin)."""
        token = base64.b64encode(f"{self.admin_username}:{self.admin_password}".encode()).decode()
        body = json.dumps({"username": self.reader_username, "password": self.reader_password}).encode()
        request = urllib.request.Request(
            f"{url}/api/2.0/mlflow/users/create",
            data=body,
            method="POST",
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def write_auth_config(workdir: Path, users: BasicAuthUsers, cache_ttl_seconds: int = 60) -> Path:
    """Write the server's ``basic_auth.ini`` (READ as default permission) and return its path."""
    path = workdir / "basic_auth.ini"
    path.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{workdir / 'basic_auth.db'}\n"
        f"admin_username = {users.admin_username}\n"
        f"admin_password = {users.admin_password}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        f"auth_cache_ttl_seconds = {cache_ttl_seconds}\n"
    )
    path.chmod(0o600)
    return path
