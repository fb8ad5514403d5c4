"""pytest fixtures: live MLflow servers (plain and basic-auth) shared by a test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from hokusai_contracts.provisioning import RunningServer, ServerStartError, start_mlflow_process


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, basic_auth: bool) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp(f"{name}-{_worker_id()}")
    try:
        server = start_mlflow_process(workdir, basic_auth=basic_auth)
    except ServerStartError as exc:
        pytest.fail(f"infrastructure: could not start the {name} MLflow server:\n{exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real ``mlflow server`` (no auth) for this test session (one per xdist worker)."""
    yield from _start(tmp_path_factory, "mlflow", basic_auth=False)


@pytest.fixture(scope="session")
def basic_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real ``mlflow server --app-name basic-auth`` with an admin and a READ-only user."""
    yield from _start(tmp_path_factory, "basic-auth", basic_auth=True)


@pytest.fixture
def unique_name(request: pytest.FixtureRequest):
    """Factory of names unique across tests and xdist workers: ``unique_name("model")``."""

    def make(prefix: str = "hk") -> str:
        return f"{prefix}-{_worker_id()}-{uuid.uuid4().hex[:10]}"

    return make
