"""Servers forked from a launcher: a long-running forked child handled like a process, and a real MLflow
server started from its interpreter's launcher (no mocks: the servers answer over HTTP)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hokusai_contracts.base import processes
from hokusai_contracts.base.forkserver import FORKSERVER_OFF, ForkedProcess, ForkServer
from hokusai_contracts.servers import launcher
from hokusai_contracts.servers.process import start_mlflow_process

LONG_RUNNING = """\
import os, sys, time

def handle(request):
    print("started", os.getpid(), os.getpgid(0) == os.getpid(), flush=True)
    while True:
        time.sleep(0.05)
"""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def _spawn(server: ForkServer, tmp_path: Path) -> tuple[ForkedProcess, Path]:
    script = tmp_path / "long_running.py"
    script.write_text(LONG_RUNNING)
    log = tmp_path / "child.log"
    log.write_text("kept\n")
    child = server.spawn(script, {}, what="a long-running child", directory=tmp_path, log_path=log)
    deadline = time.monotonic() + 30
    while "started" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return child, log


def test_a_spawned_child_runs_in_its_own_group_until_stopped_and_reports_its_status(tmp_path: Path):
    with ForkServer(sys.executable, preload=["json"]) as server:
        child, log = _spawn(server, tmp_path)
        assert child.poll() is None and child.returncode is None
        assert log.read_text().startswith("kept\nstarted")  # appended, not truncated
        assert "True" in log.read_text()  # the leader of a process group of its own
        with pytest.raises(Exception) as timed_out:
            child.wait(0.2)
        assert type(timed_out.value).__name__ == "TimeoutExpired"
        processes.stop_group(child, grace=5.0)  # as the server layer stops a server
        assert child.returncode == -signal.SIGTERM
        assert _gone(child.pid)


def test_a_child_that_outlives_its_fork_server_is_still_seen_to_end(tmp_path: Path):
    server = ForkServer(sys.executable, preload=["json"]).start()
    child, _ = _spawn(server, tmp_path)
    server.close()  # the child has its own group: closing the server leaves it running
    assert child.poll() is None
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(10) == 1  # its status went with its parent: unknown, reported as 1


def _status(url: str, path: str, auth: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url + path)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


SEARCH = "/api/2.0/mlflow/experiments/search?max_results=5"


def test_mlflow_servers_fork_from_their_launcher_and_serve_as_mlflow_server_does(tmp_path: Path):
    with launcher.launching():
        plain = start_mlflow_process(tmp_path / "plain")
        secured = start_mlflow_process(tmp_path / "secured", basic_auth=True)
        try:
            assert isinstance(plain.process, ForkedProcess) and isinstance(secured.process, ForkedProcess)
            assert _status(plain.url, SEARCH) == 200
            # MLflow's CLI set the basic-auth app up from this server's own configuration.
            assert secured.users is not None
            assert _status(secured.url, SEARCH) == 401
            assert _status(secured.url, SEARCH, secured.users.admin) == 200
            first = plain.process.pid
            plain.restart()
            assert plain.process.pid != first and _gone(first)
            assert _status(plain.url, SEARCH) == 200
        finally:
            plain.stop()
            secured.stop()
        assert _gone(plain.process.pid) and _gone(secured.process.pid)
        assert "--- restarted by the harness ---" in plain.log_path.read_text()


def test_outside_a_launching_block_or_when_turned_off_a_server_is_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    outside = start_mlflow_process(tmp_path / "outside")
    try:
        assert not isinstance(outside.process, ForkedProcess)
    finally:
        outside.stop()
    monkeypatch.setenv(FORKSERVER_OFF, "1")
    with launcher.launching():
        off = start_mlflow_process(tmp_path / "off")
        try:
            assert not isinstance(off.process, ForkedProcess)
            assert _status(off.url, SEARCH) == 200
        finally:
            off.stop()


@pytest.mark.slow
def test_a_forked_gunicorn_server_runs_in_its_own_directory_as_a_process_of_its_own(tmp_path: Path):
    # MLflow 2.x serves with gunicorn, which changes to its configured directory before serving; its
    # default is the directory of the process that imported it. A relative artifact location resolves
    # there (a removed one made experiments/create answer 500).
    with launcher.launching():
        server = start_mlflow_process(tmp_path / "server", version="2.9.0")
        try:
            assert isinstance(server.process, ForkedProcess)
            workers = [server.process.pid, *_children(server.process.pid)]
            assert {os.readlink(f"/proc/{pid}/cwd") for pid in workers} == {str(tmp_path / "server")}
            created = _post(server.url, {"name": "relative", "artifact_location": "L"})
            assert created == 200
        finally:
            server.stop()


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        f"{url}/api/2.0/mlflow/experiments/create",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
