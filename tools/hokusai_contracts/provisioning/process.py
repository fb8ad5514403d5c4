"""Start a real ``mlflow server`` as a local process (plain or with ``--app-name basic-auth``)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.provisioning.basic_auth import BasicAuthUsers, write_auth_config


class ServerStartError(RuntimeError):
    """The MLflow server did not become healthy; the message carries its log tail."""


@dataclass
class RunningServer:
    """A live MLflow server: its URL, where it keeps its data, and how to stop it."""

    url: str
    workdir: Path
    log_path: Path
    process: subprocess.Popen
    users: BasicAuthUsers | None = None
    startup_seconds: float = 0.0
    environment: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def basic_auth(self) -> bool:
        """True when the server requires basic-auth credentials."""
        return self.users is not None

    def is_alive(self) -> bool:
        """True while the server process runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, secrets masked."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        tail = "\n".join(text.splitlines()[-lines:])
        return self.users.mask(tail) if self.users else tail

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and every process it started (its whole process group)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until_healthy(server: RunningServer, timeout: float) -> None:
    """Poll ``/health`` until it answers 200; raise :class:`ServerStartError` with the log tail if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.is_alive():
            raise ServerStartError(
                f"MLflow server exited with code {server.process.returncode} before it was healthy.\n"
                f"Log tail ({server.log_path}):\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    raise ServerStartError(
        f"MLflow server at {server.url} was not healthy within {timeout:.0f}s.\n"
        f"Log tail ({server.log_path}):\n{server.log_tail()}"
    )


def start_mlflow_process(
    workdir: Path,
    *,
    basic_auth: bool = False,
    python: str = sys.executable,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout: float = 90.0,
) -> RunningServer:
    """Start ``mlflow server`` with light flags and a SQLite backend in ``workdir``; wait for health."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port(host)
    env = dict(os.environ)
    for name in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_REGISTRY_URI",
    ):
        env.pop(name, None)
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    command = [
        python,
        "-m",
        "mlflow",
        "server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination",
        str(workdir / "artifacts"),
    ]
    users = None
    if basic_auth:
        users = BasicAuthUsers.generate()
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(write_auth_config(workdir, users))
        env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = secrets.token_hex(16)
        command += ["--app-name", "basic-auth"]
    log_path = workdir / "server.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = RunningServer(
        url=f"http://{host}:{port}", workdir=workdir, log_path=log_path, process=process, users=users
    )
    wait_until_healthy(server, timeout)
    server.startup_seconds = time.monotonic() - started
    if users is not None:
        users.create_non_admin_users(server.url)
    return server
