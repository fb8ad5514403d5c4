"""pytest options choosing where the plugin's server fixtures get MLflow (``--mlflow``...)."""

from __future__ import annotations

import pytest

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers.providers import (
    DEFAULT_PROVIDER,
    Provisioner,
    ServerRequest,
    provisioner_for,
)

_KEY = pytest.StashKey[Provisioner]()


def add_server_options(parser: pytest.Parser) -> None:
    """``--mlflow``, ``--mlflow-version`` and the ini options ``hokusai_mlflow(_version)``."""
    group = parser.getgroup("hokusai-contracts")
    group.addoption(
        "--mlflow",
        dest="hokusai_mlflow",
        default=None,
        help=(
            "where server fixtures get MLflow: auto, docker, process, ha (PostgreSQL + 2 MLflow behind "
            f"HAProxy) or a URL ({DEFAULT_PROVIDER})"
        ),
    )
    group.addoption(
        "--mlflow-version",
        dest="hokusai_mlflow_version",
        default=None,
        help="MLflow version of the server fixtures (default: the installed one)",
    )
    parser.addini("hokusai_mlflow", "auto, docker, process, ha or a URL for the server fixtures", default="")
    parser.addini("hokusai_mlflow_version", "MLflow version of the server fixtures", default="")


def provisioner_of(config: pytest.Config) -> Provisioner:
    """The session's provisioner (chosen once; a bad option is a usage error)."""
    if _KEY not in config.stash:
        mlflow = config.getoption("hokusai_mlflow") or config.getini("hokusai_mlflow") or DEFAULT_PROVIDER
        version = (
            config.getoption("hokusai_mlflow_version") or config.getini("hokusai_mlflow_version") or None
        )
        try:
            config.stash[_KEY] = provisioner_for(ServerRequest(mlflow, version))
        except HarnessUsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[_KEY]
