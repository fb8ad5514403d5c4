"""Topology ``ha``: PostgreSQL + two MLflow servers + HAProxy, started for real.

Needs Debian's ``postgresql`` and ``haproxy`` and psycopg2 in the MLflow interpreter; without them the
tests skip, unless ``HOKUSAI_REQUIRE_HA=1`` (CI), where a missing part fails them. The smoke test
(start, kill one instance, stop) takes 17 s on a quiet 2-core machine (two minutes at load 12); the
basic-auth one is ``slow``. ``scripts/ci-provisioning.sh`` runs both.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from hokusai_contracts.servers.ha import HaServer, start_ha
from hokusai_contracts.servers.haproxy import DETECTION_WINDOW_S
from hokusai_contracts.servers.postgres import BIN_DIRS
from hokusai_contracts.servers.server import BASIC_AUTH, MLFLOW, MlflowServer


def _missing() -> str | None:
    if shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin") is None:
        return "haproxy is not installed (apt-get install -y haproxy)"
    if not any((d / "initdb").exists() for d in BIN_DIRS):
        return "PostgreSQL 15 is not installed (apt-get install -y postgresql)"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 is not installed (pip install psycopg2-binary)"
    return None


MISSING = _missing()
if MISSING and os.environ.get("HOKUSAI_REQUIRE_HA") != "1":
    pytestmark = pytest.mark.skip(reason=MISSING)


def _get(url: str, path: str, credentials: tuple[str, str] | None = None) -> tuple[int, dict]:
    headers = {}
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(f"{url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return response.status, json.loads(body) if body.strip().startswith(b"{") else {}
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def _timed_get(url: str) -> tuple[float, int | str]:
    """How long one GET took, and its status (or the kind of connection failure)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            outcome: int | str = response.status
    except urllib.error.HTTPError as exc:
        outcome = exc.code
    except (urllib.error.URLError, ConnectionError) as exc:
        outcome = type(getattr(exc, "reason", exc)).__name__
    return time.monotonic() - started, outcome


def _wait_refused(url: str, timeout: float) -> None:
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=1).close()
        except ConnectionRefusedError:
            return
        assert time.monotonic() < deadline, f"{url} still accepts connections after its process group died"
        time.sleep(0.05)


def _wait_state(server: HaServer, name: str, prefix: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.balancer.server_states().get(name, "").startswith(prefix):
        assert time.monotonic() < deadline, f"HAProxy never marked {name} {prefix}"
        time.sleep(0.1)


def _processes_of(server: HaServer) -> list:
    return [server.postgres.process, server.balancer.process, *(i.process for i in server.instances)]


def test_ha_serves_through_the_balancer_survives_a_killed_instance_and_stops_whole(tmp_path: Path):
    server = start_ha(tmp_path)
    try:
        assert isinstance(server, MlflowServer)
        assert server.kind == MLFLOW and server.url == server.balancer.url
        assert len(server.instances) == 2
        assert _get(server.url, "/health")[0] == 200
        states = server.balancer.server_states()
        assert len(states) == 2 and all(state.startswith("UP") for state in states.values()), states
        # Both instances read the same PostgreSQL registry: an experiment made through one is seen by both.
        request = urllib.request.Request(
            f"{server.url}/api/2.0/mlflow/experiments/create",
            data=json.dumps({"name": "ha-shared"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            experiment_id = json.loads(response.read())["experiment_id"]
        for instance in server.instances:
            status, body = _get(
                instance.url, f"/api/2.0/mlflow/experiments/get?experiment_id={experiment_id}"
            )
            assert status == 200 and body["experiment"]["name"] == "ha-shared"

        # A hung instance (SIGSTOP: the kernel still accepts its connections) is found by the health
        # check and its stuck requests are cut then (on-marked-down shutdown-sessions), not after the
        # client's own timeout; the next requests all go to the instance that answers.
        hung = server.instances[1].process.pid
        os.killpg(hung, signal.SIGSTOP)
        try:
            search = f"{server.url}/api/2.0/mlflow/experiments/search?max_results=5"
            timed = [_timed_get(search) for _ in range(4)]
            slowest = max(seconds for seconds, _ in timed)
            assert slowest < DETECTION_WINDOW_S + 4.0, timed  # + a loaded machine's scheduling delays
            assert any(outcome != 200 for _, outcome in timed), timed  # one reached the hung instance
            _wait_state(server, "mlflow-1", "DOWN", 10)
            assert [_timed_get(search)[1] for _ in range(6)] == [200] * 6
        finally:
            os.killpg(hung, signal.SIGCONT)
        _wait_state(server, "mlflow-1", "UP", 20)

        os.killpg(server.instances[0].process.pid, signal.SIGKILL)
        server.instances[0].process.wait(10)
        # The CLI process is reaped, but its uvicorn child may still hold the listening socket for a few
        # milliseconds: a connection the kernel completes then is reset mid-request (a 502, the SDK's
        # retry case), not the dead-instance case this asserts. Wait until the port refuses.
        _wait_refused(server.instances[0].url, 10)
        answers = [_get(server.url, "/api/2.0/mlflow/experiments/search?max_results=5")[0] for _ in range(10)]
        assert answers == [200] * 10  # the dead one is skipped (retry-on conn-failure, then health checks)
        assert server.alive()
        deadline = time.monotonic() + 10
        while server.balancer.server_states().get("mlflow-0", "").startswith("UP"):
            assert time.monotonic() < deadline, "HAProxy never marked the killed instance down"
            time.sleep(0.2)
        assert "--- mlflow-0 (STOPPED" in server.log_tail(5)
        assert server.postgres.password not in server.log_tail(200)
    finally:
        server.stop()
    assert all(p.poll() is not None for p in _processes_of(server))
    assert not server.postgres.root.exists()


@pytest.mark.slow
def test_basic_auth_ha_shares_users_and_secret_key_across_instances(tmp_path: Path):
    server = start_ha(tmp_path, basic_auth=True)
    try:
        assert server.kind == BASIC_AUTH and server.users is not None
        # The users were created through the balancer; every instance knows them (one users' database).
        for instance in server.instances:
            assert (
                _get(instance.url, "/api/2.0/mlflow/experiments/search?max_results=1", server.users.reader)[0]
                == 200
            )
            assert _get(instance.url, "/api/2.0/mlflow/experiments/search?max_results=1")[0] == 401
        secrets_of_instances = {i.environment["MLFLOW_FLASK_SERVER_SECRET_KEY"] for i in server.instances}
        assert secrets_of_instances == {server.secret_key}
        assert server.secret_key in server.secrets()
        # An instance restarted alone comes back with the same users.
        server.instances[1].restart()
        assert (
            _get(server.instances[1].url, "/api/2.0/mlflow/users/get?username=editor", server.users.admin)[0]
            == 200
        )
        assert server.users.admin_password not in server.log_tail(200)
    finally:
        server.stop()
    assert all(p.poll() is not None for p in _processes_of(server))


def test_mlflow_up_ha_with_instances_is_listed_by_status_and_stopped_by_down(tmp_path: Path):
    cli = str(Path(sys.executable).with_name("hokusai-contracts"))
    env = {**os.environ, "HOKUSAI_CONTRACTS_CACHE": str(tmp_path / "cache")}
    up = subprocess.Popen(
        [cli, "mlflow", "up", "--topology", "ha", "--instances", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    said = []
    try:
        for line in up.stdout:
            said.append(line)
            if "running until" in line:
                break
        assert "1 MLflow" in said[0] and len([s for s in said if "  instance " in s]) == 1, said
        url = said[0].split()[0]
        status = subprocess.run(
            [cli, "mlflow", "status"], capture_output=True, text=True, env=env, timeout=60
        )
        assert f"{url}  ha (1 instance)" in status.stdout and "healthy" in status.stdout, status.stdout
        down = subprocess.run([cli, "mlflow", "down"], capture_output=True, text=True, env=env, timeout=120)
        assert "stopped by its `mlflow up` process" in down.stdout, down.stdout
        assert up.wait(30) is not None
        assert _timed_get(f"{url}/health")[1] != 200
        status = subprocess.run(
            [cli, "mlflow", "status"], capture_output=True, text=True, env=env, timeout=60
        )
        assert "no servers started" in status.stdout
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
            up.wait(60)
