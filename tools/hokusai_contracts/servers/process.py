"""Start a real ``mlflow server`` as a local process (plain or with ``--app-name basic-auth``)."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from hokusai_contracts.base import processes
from hokusai_contracts.servers.basic_auth import BasicAuthUsers, PermissionGrantError, write_auth_config
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.health import mlflow_problem
from hokusai_contracts.servers.launcher import launch
from hokusai_contracts.servers.server import MlflowServer, Server, UsersOfServer
from hokusai_contracts.servers.templates import TRACKING_DB, ensure_templates
from hokusai_contracts.servers.venvs import ensure_environment, mlflow_version_of

__all__ = ["RunningServer", "ServerStartError", "free_port", "start_mlflow_process", "wait_until_healthy"]


@dataclass
class RunningServer(UsersOfServer):
    """A live MLflow server: its URL, where it keeps its data, and how to stop it."""

    url: str
    workdir: Path
    log_path: Path
    process: subprocess.Popen  # or a Popen-like ForkedProcess when a launcher started it
    users: BasicAuthUsers | None = None
    startup_seconds: float = 0.0
    environment: dict[str, str] = field(default_factory=dict, repr=False)
    version: str | None = None
    template: Path | None = None  # the template DB the server's DB was copied from
    command: list[str] = field(default_factory=list, repr=False)
    provider: str = "process"

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, secrets masked."""
        tail = read_log_tail(self.log_path, lines)
        return self.users.mask(tail) if self.users else tail

    def restart(self, timeout: float = 90.0) -> None:
        """Start the same command again (same port, data and users) and wait until it is healthy."""
        self.stop()
        with open(self.log_path, "ab") as log:
            log.write(b"\n--- restarted by the harness ---\n")
            log.flush()
            self.process = launch(self.command, self.workdir, self.environment, log)
        wait_until_healthy(self, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and every process it started (its whole process group)."""
        processes.stop_group(self.process, timeout)


class ProcessServer(Server, Protocol):
    """A server run as a local process the harness started: its process and its log file."""

    process: subprocess.Popen
    log_path: Path


def spawn_logged(
    command: list[str], workdir: Path, env: Mapping[str, str], log: IO[bytes]
) -> subprocess.Popen:
    """Start ``command`` in a process group the harness owns (stopped whole), output into ``log``."""
    return processes.spawn(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)


def read_log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of the log file at ``path`` (empty when it cannot be read)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def poll_health(url: str, timeout: float, *, check_alive: Callable[[], None], interval: float) -> bool:
    """Poll ``url``/health until it answers 200 (True) or ``timeout`` passes (False).

    ``check_alive`` is called before every attempt and raises when the server has died.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_alive()
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            pass  # garbage instead of HTTP too: the port may be someone else's until ours answers
        time.sleep(interval)
    return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (a bind succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def await_health(
    started: ProcessServer, timeout: float, *, name: str, error: type[Exception], interval: float
) -> None:
    """Poll ``started``'s ``/health`` until 200; else stop it and raise ``error`` with its log tail.

    ``started`` is an MLflow server or the gateway; ``name`` says which in the messages. It is stopped
    whatever goes wrong (an interrupt included): a server nobody got hold of must not outlive the wait.
    """

    def check_alive() -> None:
        if not started.alive():
            raise error(
                f"{name} exited with code {started.process.returncode} before it was healthy.\n"
                f"Log tail ({started.log_path}):\n{started.log_tail()}"
            )

    try:
        healthy = poll_health(started.url, timeout, check_alive=check_alive, interval=interval)
    except BaseException:
        started.stop()
        raise
    if healthy:
        return
    started.stop()
    raise error(
        f"{name} at {started.url} was not healthy within {timeout:.0f}s.\n"
        f"Log tail ({started.log_path}):\n{started.log_tail()}"
    )


def wait_until_healthy(server: RunningServer, timeout: float) -> None:
    """Poll ``/health``, then ask the API; :class:`ServerStartError` with the log tail if either fails."""
    await_health(server, timeout, name="MLflow server", error=ServerStartError, interval=0.2)
    require_mlflow_api(server, server.log_path)


# The first API answer of a fresh MLflow 2.x server builds its stores lazily: 7 s measured for 2.9.0 on
# 2 busy cores, past health.TIMEOUT_S (5 s); later requests are fast.
FIRST_API_TIMEOUT_S = 60.0


def require_mlflow_api(server: MlflowServer, log_path: Path | None = None) -> None:
    """Raise :class:`ServerStartError` (server stopped, log tail) unless ``server`` answers as MLflow does.

    ``/health`` answering 200 proves only that something listens: the API call proves it is MLflow.
    """
    problem = mlflow_problem(
        server.url,
        server.users.admin if server.users else None,
        timeout=FIRST_API_TIMEOUT_S,
        secrets=server.secrets(),
    )
    if problem is None:
        return
    tail = server.log_tail()
    server.stop()
    where = f" ({log_path})" if log_path else ""
    raise ServerStartError(
        f"the MLflow server at {server.url} answers /health but not as MLflow: {problem}\n"
        f"Log tail{where}:\n{tail}"
    )


def start_mlflow_process(
    workdir: Path,
    *,
    basic_auth: bool = False,
    python: str | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout: float = 90.0,
    version: str | None = None,
    use_template: bool = True,
) -> RunningServer:
    """Start ``mlflow server`` with light flags and a SQLite backend in ``workdir``; wait for health.

    ``version``: the MLflow release to run (its venv is built once, see :mod:`.venvs`); None runs the
    harness's own MLflow, or that of ``python`` when given. ``use_template``: start from a copy of the
    version's pre-migrated DB (see :mod:`.templates`) unless ``workdir`` already has a DB.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if python is None:
        environment = ensure_environment(version)
        python, version = environment.python, environment.version
    else:
        version = version or mlflow_version_of(python)
    template = None
    if use_template and version and not (workdir / TRACKING_DB).exists():
        templates = ensure_templates(version, python)
        templates.copy_into(workdir, basic_auth)
        template = templates.tracking
    if port is not None and not port_is_free(host, port):
        raise ServerStartError(f"port {port} on {host} is already in use: stop what holds it or pick another")
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
    # MLflow 2.x serves with gunicorn, whose sync worker is killed when silent for 30 s: on 2 busy cores
    # a basic-auth worker's boot (imports, auth DB migration) took longer, was killed and rebooted in a
    # loop until the 90 s start timeout (measured: 2.9.0, load 15). 3.x (uvicorn) ignores the variable.
    env.setdefault("GUNICORN_CMD_ARGS", "--timeout 180")
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
        process = launch(command, workdir, env, log)
    server = RunningServer(
        url=f"http://{host}:{port}",
        workdir=workdir,
        log_path=log_path,
        process=process,
        users=users,
        environment=env,
        version=version,
        template=template,
        command=command,
    )
    wait_until_healthy(server, timeout)
    server.startup_seconds = time.monotonic() - started
    if users is not None:
        try:
            users.create_non_admin_users(server.url)
        except (OSError, http.client.HTTPException, PermissionGrantError) as exc:
            # It died or answered garbage right after its health check: a start failure, with its log.
            tail = server.log_tail()
            server.stop()
            raise ServerStartError(
                f"the basic-auth MLflow server at {server.url} failed while its users were created: "
                f"{type(exc).__name__}: {users.mask(str(exc))}\nLog tail ({log_path}):\n{tail}"
            ) from None
        except BaseException:
            server.stop()
            raise
    return server
