"""Provisioning against real servers: template DBs, the URL provider, restarts and infrastructure errors."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.cli.app import build_app
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.servers import ServerStartError, start_mlflow_process
from hokusai_contracts.servers.providers import ServerRequest, docker_probe, provisioner_for
from hokusai_contracts.servers.venvs import own_mlflow_version
from hokusai_contracts.verify.server_run import run_with_provisioner

pytestmark = pytest.mark.server


def _default_experiment_created(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT creation_time FROM experiments WHERE experiment_id = 0").fetchone()[
            0
        ]


def test_a_server_starts_from_a_copy_of_the_template_db(tmp_path):
    server = start_mlflow_process(tmp_path / "mlflow", basic_auth=True)
    try:
        assert server.template is not None and server.version == own_mlflow_version()
        # The Default experiment was created once, in the template: the server did not make its own DB.
        created = _default_experiment_created(server.template)
        assert _default_experiment_created(server.workdir / "mlflow.db") == created
        assert (server.workdir / "basic_auth.db").exists()
    finally:
        server.stop()


def test_the_url_provider_uses_a_running_server(mlflow_server, tmp_path):
    server = provisioner_for(ServerRequest(mlflow_server.url)).start(tmp_path)
    assert server.url == mlflow_server.url and server.alive()
    assert server.version == own_mlflow_version()
    with pytest.raises(ServerStartError, match="runs"):
        provisioner_for(ServerRequest(mlflow_server.url, "2.9.0")).start(tmp_path)


def test_a_busy_port_is_an_infrastructure_error(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        with pytest.raises(ServerStartError, match="already in use"):
            start_mlflow_process(tmp_path, port=holder.getsockname()[1])


def _contracts(tmp_path: Path) -> Path:
    (tmp_path / "contracts" / "api").mkdir(parents=True)
    return tmp_path / "contracts"


def _live_family(calls: list[str], kill_on: set[int]) -> CheckFamily:
    def live(context: VerifyContext):
        calls.append(context.server.url)
        if len(calls) in kill_on:
            os.killpg(context.server.process.pid, signal.SIGKILL)
            context.server.process.wait()
        return [Finding("live", "LIVE", "server", "answered", outcome=Outcome.PASSED)]

    return CheckFamily("live", "needs a server", live, needs_server=True)


def test_a_server_that_dies_is_restarted_once_then_reported(tmp_path):
    calls: list[str] = []
    families = [_live_family(calls, kill_on={1, 3})]
    provisioner = provisioner_for(ServerRequest("process"))
    context = VerifyContext(contracts_dir=_contracts(tmp_path))
    result = run_with_provisioner(families * 2, context, provisioner, workdir=tmp_path / "run")
    # Run 1 killed it: restarted (same URL), family rerun (call 2) and passed; run 3 killed it again.
    assert len(calls) == 3 and len(set(calls)) == 1
    assert [f.outcome for f in result.findings] == [Outcome.PASSED, Outcome.ERROR]
    assert "again after a restart" in result.findings[1].message and result.exit_code == 2


def test_cli_exits_2_with_the_log_tail_when_the_version_cannot_be_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("HOKUSAI_CONTRACTS_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        build_app(),
        [
            "verify",
            "--contracts",
            str(_contracts(tmp_path)),
            "--only",
            "snippets",
            "--mlflow-version",
            "99.0.0",
        ],
    )
    assert result.exit_code == 2, result.output
    # Environments are resolved as of the release's date: an unknown release stops before any install.
    assert "MLflow 99.0.0 is not on the package index" in " ".join(result.output.split())


def test_cli_exits_2_when_the_url_does_not_answer(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        build_app(),
        [
            "verify",
            "--contracts",
            str(_contracts(tmp_path)),
            "--only",
            "snippets",
            "--mlflow",
            f"http://127.0.0.1:{port}",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "does not answer /health" in result.output


@pytest.mark.skipif(
    docker_probe(f"ghcr.io/mlflow/mlflow:v{own_mlflow_version()}") is not None,
    reason="no Docker daemon with the MLflow image (fixtures/docker/build-images.sh); CI runs it",
)
def test_the_docker_provider_serves_basic_auth(tmp_path):
    server = provisioner_for(ServerRequest("docker")).start(tmp_path, basic_auth=True)
    try:
        assert server.provider == "docker" and server.alive() and server.users is not None
    finally:
        server.stop()
    assert not server.alive() and server.log_path.exists()


@pytest.mark.slow
def test_mlflow_2_9_runs_from_its_own_venv(tmp_path):
    server = start_mlflow_process(tmp_path, version="2.9.0", basic_auth=True)
    try:
        assert server.version == "2.9.0" and server.alive()
        assert "mlflow-2.9.0" in server.command[0]
    finally:
        server.stop()
