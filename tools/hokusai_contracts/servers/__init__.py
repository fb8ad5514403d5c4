"""Provision real MLflow servers for checks and tests."""

from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.errors import EnvironmentBuildError, ServerStartError
from hokusai_contracts.servers.process import RunningServer, free_port, start_mlflow_process

__all__ = [
    "BasicAuthUsers",
    "EnvironmentBuildError",
    "RunningServer",
    "ServerStartError",
    "free_port",
    "start_mlflow_process",
]
