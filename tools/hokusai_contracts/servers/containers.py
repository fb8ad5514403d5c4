"""Start a real ``mlflow server`` in a Docker container (testcontainers), plain or with basic-auth.

The image is ``ghcr.io/mlflow/mlflow:v<version>`` unless overridden; it is never pulled (build it with
``fixtures/docker/build-images.sh``). The backend is SQLite inside the container and artifacts are served
by the server (``--serve-artifacts``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.errors import EnvironmentBuildError, ServerStartError
from hokusai_contracts.servers.process import poll_health, require_mlflow_api
from hokusai_contracts.servers.server import UsersOfServer

CONTAINER_PORT = 5000
DATA_DIR = "/mlflow"
AUTH_CONFIG = "/mlflow-auth/basic_auth.ini"
IMAGE_TEMPLATE = "ghcr.io/mlflow/mlflow:v{version}"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def default_image(version: str) -> str:
    """The image the harness expects for MLflow ``version``."""
    return IMAGE_TEMPLATE.format(version=version)


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def needs_allowed_hosts(version: str | None, host: str | None) -> bool:
    """True when MLflow >= 3.5 would reject ``host`` (not localhost, not a private IP) as Host header."""
    if not version or _version_tuple(version) < (3, 5) or host is None or host in LOCAL_HOSTS:
        return False
    try:
        return not ipaddress.ip_address(host).is_private
    except ValueError:  # a name such as docker.example.com
        return True


def container_command(
    backend_uri: str, artifacts: str, basic_auth: bool, allowed_hosts: str | None = None
) -> list[str]:
    """The ``mlflow server`` command line of an MLflow container (one worker, artifacts served)."""
    command = [
        "mlflow",
        "server",
        "--host",
        "0.0.0.0",
        "--port",
        str(CONTAINER_PORT),
        "--workers",
        "1",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        artifacts,
        "--serve-artifacts",
    ]
    if allowed_hosts is not None:
        command += ["--allowed-hosts", allowed_hosts]
    if basic_auth:
        command += ["--app-name", "basic-auth"]
    return command


def server_command(version: str | None, host: str | None, basic_auth: bool) -> list[str]:
    """The ``mlflow server`` command line run in the container."""
    # MLflow >= 3.5 rejects Host headers other than localhost and private IPs (DNS-rebinding guard).
    allowed = f"{host},{host}:*,localhost:*,127.0.0.1:*" if needs_allowed_hosts(version, host) else None
    return container_command(f"sqlite:///{DATA_DIR}/mlflow.db", f"{DATA_DIR}/artifacts", basic_auth, allowed)


def auth_config_text(users: BasicAuthUsers, cache_ttl_seconds: int = 60) -> str:
    """The server's ``basic_auth.ini`` with paths inside the container (READ as default permission)."""
    return (
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{DATA_DIR}/basic_auth.db\n"
        f"admin_username = {users.admin_username}\n"
        f"admin_password = {users.admin_password}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        f"auth_cache_ttl_seconds = {cache_ttl_seconds}\n"
    )


@dataclass
class ContainerServer(UsersOfServer):
    """A live MLflow server in a container (a :class:`.server.MlflowServer`, as the process one)."""

    url: str
    container: Any  # testcontainers DockerContainer
    image: str
    workdir: Path
    users: BasicAuthUsers | None = None
    startup_seconds: float = 0.0
    version: str | None = None
    template: Path | None = None
    provider: str = "docker"
    _stopped: bool = field(default=False, repr=False)

    @property
    def log_path(self) -> Path:
        """The container's log, written out by :meth:`save_log` (on failure and on stop)."""
        return self.workdir / "server.log"

    def status(self) -> str:
        """Docker's status of the container (running, exited...), ``gone`` when removed."""
        try:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
            return wrapped.status
        except Exception:
            return "gone"

    def alive(self) -> bool:
        """True while the container runs."""
        return self.status() == "running"

    def logs(self) -> str:
        """The container's whole output."""
        try:
            out, err = self.container.get_logs()
        except Exception as exc:
            return f"(no container logs: {exc})"
        return (out + err).decode(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the container's log, secrets masked."""
        tail = "\n".join(self.logs().splitlines()[-lines:])
        return self.users.mask(tail) if self.users else tail

    def save_log(self) -> None:
        """Write the container's log (masked) to :attr:`log_path`."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        text = self.logs()
        self.log_path.write_text(self.users.mask(text) if self.users else text)

    def restart(self, timeout: float = 90.0) -> None:
        """Restart the container (same data, users and port mapping) and wait until it is healthy."""
        self.container.get_wrapped_container().restart(timeout=10)
        # Docker may map a new host port on restart: read it again.
        port = self.container.get_exposed_port(CONTAINER_PORT)
        self.url = f"http://{self.container.get_container_host_ip()}:{port}"
        wait_for_container(self, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Save the log, then remove the container."""
        if self._stopped:
            return
        self._stopped = True
        self.save_log()
        # Already gone: nothing to stop.
        with contextlib.suppress(Exception):
            self.container.stop()


def wait_for_container(server: ContainerServer, timeout: float) -> None:
    """Poll ``/health`` until 200; ServerStartError with the container's log tail if it dies or times out."""

    def check_alive() -> None:
        status = server.status()
        if status not in ("running", "created", "restarting"):
            raise ServerStartError(
                f"the MLflow container ({server.image}) is {status} before it was healthy.\n"
                f"Container log tail:\n{server.log_tail()}"
            )

    if poll_health(server.url, timeout, check_alive=check_alive, interval=0.25):
        require_mlflow_api(server, server.log_path)
        return
    raise ServerStartError(
        f"the MLflow container ({server.image}) at {server.url} was not healthy within {timeout:.0f}s.\n"
        f"Container log tail:\n{server.log_tail()}"
    )


def _docker_environment() -> None:
    # Ryuk (the reaper container) would need an image pull; the harness removes its containers itself.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


def reachable_host(host: str, port: int) -> str:
    """``127.0.0.1`` when the published port answers there, else ``host``.

    Inside a container testcontainers reaches ports through the gateway IP; when the daemon publishes on
    this machine's loopback too, 127.0.0.1 gives the same URLs as the process provider (docs pin them).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            return host
    return "127.0.0.1"


def _host_before_start(container: Any) -> str | None:
    """The host the server will be reached at, when known before the container runs.

    Only a remote daemon (DOCKER_HOST) is known beforehand; gateway and bridge addresses are private
    IPs, which MLflow's Host-header guard allows anyway.
    """
    from testcontainers.core.config import ConnectionMode

    client = container.get_docker_client()
    return client.host() if client.get_connection_mode() == ConnectionMode.docker_host else None


def image_present(image: str, client: Any = None) -> bool:
    """True when ``image`` is in the local Docker daemon (nothing is ever pulled)."""
    import docker
    import docker.errors

    client = client or docker.from_env(timeout=10)
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


BUILD_HINT = "build it with `bash fixtures/docker/build-images.sh {version}`"


def require_images(*images: tuple[str, str], hint: str = BUILD_HINT) -> None:
    """EnvironmentBuildError naming the build command (``hint``) for the first (image, version) not
    present; ServerStartError when the daemon does not answer."""
    for image, version in images:
        try:
            present = image_present(image)
        except Exception as exc:
            raise ServerStartError(f"the Docker daemon does not answer: {exc}") from None
        if not present:
            raise EnvironmentBuildError(
                f"image {image} is not in the local Docker daemon (images are never pulled); "
                + hint.format(version=version)
            )


def start_mlflow_container(
    workdir: Path,
    *,
    version: str,
    image: str | None = None,
    basic_auth: bool = False,
    timeout: float = 120.0,
) -> ContainerServer:
    """Start MLflow ``version`` in a container from ``image`` and wait until ``/health`` answers."""
    _docker_environment()
    try:
        from testcontainers.core.container import DockerContainer
    except ImportError as exc:
        raise EnvironmentBuildError(f"the docker provider needs testcontainers: {exc}") from None
    image = image or default_image(version)
    require_images((image, version))
    workdir.mkdir(parents=True, exist_ok=True)
    users = BasicAuthUsers.generate() if basic_auth else None
    container = DockerContainer(image).with_exposed_ports(CONTAINER_PORT)
    container = container.with_env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    container = container.with_command(server_command(version, _host_before_start(container), basic_auth))
    if users is not None:
        container = (
            container.with_env("MLFLOW_AUTH_CONFIG_PATH", AUTH_CONFIG)
            .with_env("MLFLOW_FLASK_SERVER_SECRET_KEY", secrets.token_hex(16))
            .with_copy_into_container(auth_config_text(users).encode(), AUTH_CONFIG, 0o600)
        )
    started = time.monotonic()
    try:
        container.start()
    except Exception as exc:
        container.stop()
        raise ServerStartError(f"could not start a container from {image}: {exc}") from None
    port = int(container.get_exposed_port(CONTAINER_PORT))
    server = ContainerServer(
        url=f"http://{reachable_host(container.get_container_host_ip(), port)}:{port}",
        container=container,
        image=image,
        workdir=workdir,
        users=users,
        version=version,
    )
    try:
        wait_for_container(server, timeout)
        server.startup_seconds = time.monotonic() - started
        if users is not None:
            users.create_non_admin_users(server.url)
    except BaseException:
        server.stop()
        raise
    return server
