"""Errors of server provisioning: all of them are infrastructure problems (exit code 2)."""

from __future__ import annotations

from hokusai_contracts.base.errors import InfrastructureError


class ServerStartError(InfrastructureError, RuntimeError):
    """The MLflow server did not become healthy; the message carries its log tail."""


class EnvironmentBuildError(ServerStartError):
    """The environment a server needs (a venv, a template DB, an image) could not be built."""
