"""Topology ``ha`` in Docker: a PostgreSQL container, N MLflow containers, the host's HAProxy in front.

Same order and sharing as the process topology (servers/ha.py): the schema (and, with basic auth, the
users' database) is migrated once, by a one-off MLflow container, before any server starts; every
instance gets ``--allowed-hosts`` naming the balancer, the same backend store, one artifact volume and,
with basic auth, one users' database and Flask secret key. The containers share a user-defined network
(PostgreSQL is ``postgres`` on it); each instance publishes its port on a fixed host port, so a
restarted container keeps the balancer's backend address. The images are never pulled: build them with
``fixtures/docker/build-images.sh --postgres``. The result is the process topology's
:class:`~hokusai_contracts.servers.ha.HaServer` (provider ``docker-ha``): its PostgreSQL part is removed
last and takes the network and the artifact volume with it. Ctrl-C and SIGTERM kill only processes
(base/processes.py), so the starter checks :func:`~hokusai_contracts.base.processes.stopping` at every
step and a watcher thread removes a running topology then: its clients fail at once, the run unwinds.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.base import processes
from hokusai_contracts.servers.basic_auth import BasicAuthUsers, write_auth_config
from hokusai_contracts.servers.containers import (
    CONTAINER_PORT,
    ContainerServer,
    container_command,
    default_image,
    require_images,
)
from hokusai_contracts.servers.errors import EnvironmentBuildError, ServerStartError
from hokusai_contracts.servers.ha import (
    AUTH_DATABASE,
    DEFAULT_INSTANCES,
    MAX_INSTANCES,
    MIGRATE_AUTH,
    TRACKING_DATABASE,
    HaServer,
    HaServerSecrets,
)
from hokusai_contracts.servers.haproxy import Backend, start_haproxy
from hokusai_contracts.servers.process import free_port, poll_health, require_mlflow_api

POSTGRES_IMAGE = "hokusai/postgres:15"
POSTGRES_ALIAS = "postgres"  # its name on the topology's network
POSTGRES_PORT = 5432
SUPERUSER = "hokusai"
ARTIFACTS = "/mlflow/artifacts"
AUTH_CONFIG = "/mlflow-auth/basic_auth.ini"
HOST = "127.0.0.1"
POSTGRES_BUILD_HINT = "build it with `bash fixtures/docker/build-images.sh --postgres {version}`"


@dataclass
class PostgresContainer:
    """The PostgreSQL container (a :class:`.postgres.PostgresServer` for HaServer), owner of the network."""

    container: Any  # testcontainers DockerContainer
    network: Any  # testcontainers Network
    volume: Any  # docker Volume: the instances' shared artifacts
    workdir: Path
    password: str = field(repr=False)
    removed: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        """Where the instances reach it (``postgresql://postgres:5432``, no credentials)."""
        return f"postgresql://{POSTGRES_ALIAS}:{POSTGRES_PORT}"

    @property
    def log_path(self) -> Path:
        """The container's log, written out when it is removed."""
        return self.workdir / "postgres.log"

    def uri(self, database: str) -> str:
        """The SQLAlchemy URI of ``database`` on the network, without the password (``PGPASSWORD``)."""
        return f"postgresql+psycopg2://{SUPERUSER}@{POSTGRES_ALIAS}:{POSTGRES_PORT}/{database}"

    def environment(self) -> dict[str, str]:
        """What a client container needs to log in (libpq reads ``PGPASSWORD``)."""
        return {"PGPASSWORD": self.password}

    def secrets(self) -> tuple[str, ...]:
        """The superuser's password."""
        return (self.password,)

    def alive(self) -> bool:
        """True while the container runs."""
        return container_status(self.container) == "running"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the container's log (the password never reaches it)."""
        return "\n".join(container_logs(self.container).splitlines()[-lines:])

    def restart(self, timeout: float = 30.0) -> None:
        """Restart the container (same cluster) and wait until it accepts connections."""
        self.container.get_wrapped_container().restart(timeout=10)
        wait_for_postgres(self, timeout)

    def remove(self) -> None:
        """Remove the container, then the artifact volume and the network (the last part to go)."""
        if self.removed:
            return
        self.removed = True
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text(container_logs(self.container))
        with contextlib.suppress(Exception):
            self.container.stop()
        with contextlib.suppress(Exception):
            self.volume.remove(force=True)
        with contextlib.suppress(Exception):
            self.network.remove()


def container_status(container: Any) -> str:
    """Docker's status of ``container`` (running, exited...), ``gone`` when removed."""
    try:
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        return wrapped.status
    except Exception:
        return "gone"


def container_logs(container: Any) -> str:
    """The whole output of ``container``."""
    try:
        out, err = container.get_logs()
    except Exception as exc:
        return f"(no container logs: {exc})"
    return (out + err).decode(errors="replace")


def check_not_interrupted() -> None:
    """Raise :class:`~hokusai_contracts.base.processes.Interrupted` once the run is being stopped."""
    if processes.stopping():
        raise processes.Interrupted("interrupted while the Docker ha topology was starting")


def wait_for_postgres(server: PostgresContainer, timeout: float) -> None:
    """Poll ``pg_isready`` inside the container; ServerStartError with its log tail if not ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_not_interrupted()
        status = container_status(server.container)
        if status not in ("running", "created", "restarting"):
            raise ServerStartError(
                f"the PostgreSQL container is {status} before it was ready.\n"
                f"Container log tail:\n{server.log_tail()}"
            )
        if status == "running":
            done = server.container.exec(["pg_isready", "-q", "-h", "127.0.0.1", "-U", SUPERUSER])
            if done.exit_code == 0:
                return
        time.sleep(0.3)
    raise ServerStartError(
        f"the PostgreSQL container was not ready within {timeout:.0f}s.\n"
        f"Container log tail:\n{server.log_tail()}"
    )


def _container(image: str, network: Any) -> Any:
    from testcontainers.core.container import DockerContainer

    return DockerContainer(image).with_network(network)


def start_postgres_container(
    network: Any, volume: Any, workdir: Path, databases: tuple[str, ...]
) -> PostgresContainer:
    """The PostgreSQL container on ``network`` with ``databases`` created, once it accepts connections."""
    password = secrets.token_urlsafe(18)
    container = (
        _container(POSTGRES_IMAGE, network)
        .with_network_aliases(POSTGRES_ALIAS)
        .with_env("POSTGRES_USER", SUPERUSER)
        .with_env("POSTGRES_PASSWORD", password)
        .with_env("POSTGRES_DATABASES", " ".join(databases))
    )
    server = PostgresContainer(container, network, volume, workdir / "postgres", password)
    try:
        container.start()
        wait_for_postgres(server, 60.0)
    except BaseException:
        server.remove()
        raise
    return server


def run_once(image: str, network: Any, env: dict[str, str], command: list[str], what: str, mask: Any) -> None:
    """Run ``command`` in a one-off container on ``network``; ServerStartError with its log if it fails."""
    container = _container(image, network).with_command(command)
    for name, value in env.items():
        container = container.with_env(name, value)
    try:
        container.start()
        wrapped = container.get_wrapped_container()
        deadline = time.monotonic() + 300
        while container_status(container) in ("created", "running"):
            check_not_interrupted()
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"{what} did not finish within 300 s:\n{mask(container_logs(container)[-2000:])}"
                )
            time.sleep(0.3)
        code = wrapped.attrs.get("State", {}).get("ExitCode")
        if code != 0:
            raise ServerStartError(f"{what} failed (exit {code}):\n{mask(container_logs(container)[-2000:])}")
    finally:
        with contextlib.suppress(Exception):
            container.stop()


def wait_for_instance(server: ContainerServer, timeout: float) -> None:
    """Poll ``/health`` of one instance; ServerStartError with its log tail if it dies or times out."""

    def check_alive() -> None:
        check_not_interrupted()
        status = server.status()
        if status not in ("running", "created", "restarting"):
            raise ServerStartError(
                f"the MLflow container {server.workdir.name} is {status} before it was healthy.\n"
                f"Container log tail:\n{server.log_tail()}"
            )

    if not poll_health(server.url, timeout, check_alive=check_alive, interval=0.25):
        raise ServerStartError(
            f"the MLflow container {server.workdir.name} at {server.url} was not healthy within "
            f"{timeout:.0f}s.\nContainer log tail:\n{server.log_tail()}"
        )
    require_mlflow_api(server, server.log_path)


def remove_when_interrupted(server: HaServer, postgres: PostgresContainer) -> threading.Thread:
    """A daemon thread that removes ``server`` once the run is being stopped (Ctrl-C, SIGTERM)."""

    def watch() -> None:
        while not postgres.removed:
            if processes.stopping():
                with contextlib.suppress(Exception):
                    server.stop()
                return
            time.sleep(0.2)

    thread = threading.Thread(target=watch, name="docker-ha-interrupt", daemon=True)
    thread.start()
    return thread


def instance_command(backend_uri: str, allowed_hosts: str, basic_auth: bool) -> list[str]:
    """The ``mlflow server`` command of one instance container (the shared artifact volume)."""
    return container_command(backend_uri, ARTIFACTS, basic_auth, allowed_hosts)


def start_ha_containers(
    workdir: Path,
    *,
    version: str,
    image: str | None = None,
    basic_auth: bool = False,
    instances: int = DEFAULT_INSTANCES,
    timeout: float = 120.0,
) -> HaServer:
    """Start the Docker topology and wait until the balancer answers ``/health``; ServerStartError if not."""
    if not 1 <= instances <= MAX_INSTANCES:
        raise ServerStartError(
            f"the ha topology takes 1 to {MAX_INSTANCES} MLflow instances, not {instances}"
        )
    check_not_interrupted()
    # Ryuk (the reaper container) would need an image pull; every part is removed by HaServer.stop.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    try:
        import docker
        from testcontainers.core.network import Network
    except ImportError as exc:
        raise EnvironmentBuildError(f"the docker provider needs testcontainers: {exc}") from None
    image = image or default_image(version)
    require_images((image, version), (POSTGRES_IMAGE, version), hint=POSTGRES_BUILD_HINT)
    workdir.mkdir(parents=True, exist_ok=True)
    network = Network().create()
    try:
        volume = docker.from_env(timeout=30).volumes.create(f"hokusai-artifacts-{network.name}")
    except BaseException:
        network.remove()
        raise
    databases = (TRACKING_DATABASE, AUTH_DATABASE) if basic_auth else (TRACKING_DATABASE,)
    postgres = start_postgres_container(network, volume, workdir, databases)
    started: list[ContainerServer] = []
    try:
        return _start_on(postgres, started, workdir, image, version, basic_auth, instances, timeout)
    except BaseException:
        for instance in started:
            instance.stop()
        postgres.remove()
        raise


def _start_on(
    postgres: PostgresContainer,
    started: list[ContainerServer],
    workdir: Path,
    image: str,
    version: str,
    basic_auth: bool,
    count: int,
    timeout: float,
) -> HaServer:
    network = postgres.network
    tracking_uri = postgres.uri(TRACKING_DATABASE)
    secret_key = secrets.token_hex(16) if basic_auth else ""
    users = BasicAuthUsers.generate() if basic_auth else None
    # Only non-empty values: replacing "" would star every character (no secret key without basic auth).
    values = (*postgres.secrets(), *(users.secrets() if users else ()), secret_key)
    mask = HaServerSecrets(tuple(value for value in values if value))
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", **postgres.environment()}
    # Once, before any server starts: several servers migrating an empty database at once collide.
    run_once(image, network, env, ["mlflow", "db", "upgrade", tracking_uri], "mlflow db upgrade", mask)
    auth_config = b""
    if users is not None:
        auth_uri = postgres.uri(AUTH_DATABASE)
        run_once(
            image,
            network,
            env,
            ["python", "-c", MIGRATE_AUTH, auth_uri],
            "migrating the users' database",
            mask,
        )
        auth_config = write_auth_config(workdir, users, database_uri=auth_uri).read_bytes()
        env.update({"MLFLOW_AUTH_CONFIG_PATH": AUTH_CONFIG, "MLFLOW_FLASK_SERVER_SECRET_KEY": secret_key})
    balancer_port = free_port()
    ports = [free_port() for _ in range(count)]
    allowed = ",".join(["localhost", "localhost:*", HOST, f"{HOST}:*", f"{HOST}:{balancer_port}"])
    command = instance_command(tracking_uri, allowed, basic_auth)
    for number, port in enumerate(ports):
        # A fixed host port: a restarted container must stay at the balancer's backend address.
        container = (
            _container(image, network)
            .with_bind_ports(CONTAINER_PORT, port)
            .with_volume_mapping(postgres.volume.name, ARTIFACTS, "rw")
            .with_command(command)
        )
        for name, value in env.items():
            container = container.with_env(name, value)
        if auth_config:
            container = container.with_copy_into_container(auth_config, AUTH_CONFIG, 0o600)
        server = ContainerServer(
            url=f"http://{HOST}:{port}",
            container=container,
            image=image,
            workdir=workdir / f"mlflow-{number}",
            users=users,
            version=version,
            provider="docker-ha-instance",
        )
        started.append(server)
        check_not_interrupted()
        try:
            container.start()
        except Exception as exc:
            raise ServerStartError(f"could not start a container from {image}: {exc}") from None
    with ThreadPoolExecutor(max_workers=len(started)) as pool:
        list(pool.map(lambda instance: wait_for_instance(instance, timeout), started))
    backends = [Backend(f"mlflow-{n}", HOST, port) for n, port in enumerate(ports)]
    balancer = start_haproxy(workdir / "haproxy", backends, port=balancer_port, timeout=timeout)
    server = HaServer(
        url=balancer.url,
        workdir=workdir,
        postgres=postgres,  # type: ignore[arg-type]  # same surface as PostgresServer
        instances=started,  # type: ignore[arg-type]  # same surface as RunningServer
        balancer=balancer,
        users=users,
        version=version,
        secret_key=secret_key,
        provider="docker-ha",
    )
    try:
        if users is not None:
            users.create_non_admin_users(server.url)
        check_not_interrupted()  # started in a worker thread while the run unwinds: nobody would stop it
    except BaseException:
        balancer.stop()
        raise
    remove_when_interrupted(server, postgres)
    return server
