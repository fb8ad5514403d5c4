"""Topology ``ha``: PostgreSQL, N MLflow servers on it with shared artifacts, HAProxy in front.

The known failure modes of this topology decide the order of things: the schema (tracking and, with
basic auth, the users' database) is migrated once before any MLflow server starts, so no two servers
run migrations on an empty database; every server gets ``--allowed-hosts`` naming the balancer's
address (MLflow 3.x rejects a Host it does not know); basic-auth servers share one users' database on
PostgreSQL and one Flask secret key. Their credential cache stays as on a single server (60 s, per
process): with it a Bearer token is MLflow's HTTP 500 (the documented behaviour; without it, a 401),
and a password changed through one instance is still accepted by another until its entry expires.
The whole is one :class:`~hokusai_contracts.servers.server.MlflowServer` whose URL is the balancer's;
its parts stay reachable for the fault run (kill, hang, restart one instance). Database passwords
never go on a command line (``PGPASSWORD`` in the environment instead).
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.basic_auth import BasicAuthUsers, write_auth_config
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.haproxy import Backend, Balancer, start_haproxy, wait_for_balancer
from hokusai_contracts.servers.postgres import PostgresServer, start_postgres
from hokusai_contracts.servers.process import (
    RunningServer,
    free_port,
    spawn_logged,
    wait_until_healthy,
)
from hokusai_contracts.servers.server import UsersOfServer
from hokusai_contracts.servers.venvs import ensure_environment

DEFAULT_INSTANCES = 2
MAX_INSTANCES = 8  # each is a full MLflow server process: more would not fit a CI machine
TRACKING_DATABASE = "mlflow"
AUTH_DATABASE = "mlflow_auth"
HOST = "127.0.0.1"

# Run by the servers' own interpreter: the users' schema of exactly that MLflow version, once.
MIGRATE_AUTH = """
import sys, warnings
warnings.simplefilter("ignore")
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
SqlAlchemyStore().init_db(sys.argv[1])
"""

_SCRUBBED = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_REGISTRY_URI",
)


@dataclass
class HaServer(UsersOfServer):
    """PostgreSQL + MLflow instances + HAProxy, seen as one MLflow server at the balancer's URL."""

    url: str
    workdir: Path
    postgres: PostgresServer
    instances: list[RunningServer]
    balancer: Balancer
    users: BasicAuthUsers | None = None
    version: str | None = None
    secret_key: str = field(default="", repr=False)
    startup_seconds: float = 0.0
    provider: str = "ha"

    def secrets(self) -> tuple[str, ...]:
        """Users' passwords, the database password and the Flask secret key."""
        own = (self.secret_key,) if self.secret_key else ()
        return (*super().secrets(), *self.postgres.secrets(), *own)

    def mask(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    def alive(self) -> bool:
        """True while the database, the balancer and at least one instance run."""
        return self.postgres.alive() and self.balancer.alive() and any(i.alive() for i in self.instances)

    def log_tail(self, lines: int = 40) -> str:
        """Each part's last lines, headed by its name and state."""
        parts = [("postgresql", self.postgres), ("haproxy", self.balancer)]
        parts += [(f"mlflow-{n}", instance) for n, instance in enumerate(self.instances)]
        chunks = []
        for name, part in parts:
            state = "running" if part.alive() else "STOPPED"
            chunks.append(f"--- {name} ({state}, {part.log_path}) ---\n{part.log_tail(lines)}")
        return self.mask("\n".join(chunks))

    def restart(self, timeout: float = 90.0) -> None:
        """Start again every part that died (database first), then wait for health through the balancer."""
        if not self.postgres.alive():
            self.postgres.restart(timeout)
        dead = [i for i in self.instances if not i.alive()]
        with ThreadPoolExecutor(max_workers=max(1, len(dead))) as pool:
            list(pool.map(lambda instance: instance.restart(timeout), dead))
        if not self.balancer.alive():
            self.balancer.restart(timeout)
        wait_for_balancer(self.balancer, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the balancer, every instance, then the database (its data is removed)."""
        try:
            self.balancer.stop(timeout)
        finally:
            try:
                for instance in self.instances:
                    instance.stop(timeout)
            finally:
                self.postgres.remove()


@dataclass(frozen=True)
class HaServerSecrets:
    """Masks the secrets of a topology still being built (nothing holds them yet)."""

    values: tuple[str, ...]

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self.values:
            if secret:  # an empty value (no basic auth, no secret key) would mask between every character
                text = text.replace(secret, "***")
        return text


def _run_checked(command: list[str], what: str, env: dict[str, str], mask: HaServerSecrets) -> None:
    done = processes.run(command, timeout=300, env=env)
    if done.timed_out or done.returncode != 0:
        raise ServerStartError(
            f"{what} failed (exit {done.returncode}):\n{mask((done.stderr or done.stdout)[-2000:])}"
        )


def check_driver(python: str) -> None:
    """ServerStartError naming the fix when ``python`` cannot import psycopg2 (MLflow's PostgreSQL driver)."""
    done = processes.run([python, "-c", "import psycopg2"], timeout=60)
    if done.returncode != 0:
        raise ServerStartError(
            f"the MLflow interpreter {python} has no PostgreSQL driver: "
            f"{python} -m pip install psycopg2-binary"
        )


def instance_command(
    python: str, port: int, backend_uri: str, artifacts: Path, allowed_hosts: str, basic_auth: bool
) -> list[str]:
    """The ``mlflow server`` command of one instance."""
    command = [
        python,
        "-m",
        "mlflow",
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        str(artifacts),
        "--serve-artifacts",
        "--allowed-hosts",
        allowed_hosts,
    ]
    return [*command, "--app-name", "basic-auth"] if basic_auth else command


def start_ha(
    workdir: Path,
    *,
    basic_auth: bool = False,
    version: str | None = None,
    instances: int = DEFAULT_INSTANCES,
    timeout: float = 120.0,
) -> HaServer:
    """Start the whole topology and wait until the balancer answers ``/health``; ServerStartError if not."""
    if not 1 <= instances <= MAX_INSTANCES:
        raise ServerStartError(
            f"the ha topology takes 1 to {MAX_INSTANCES} MLflow instances, not {instances}"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    environment = ensure_environment(version)
    python = environment.python
    check_driver(python)
    databases = (TRACKING_DATABASE, AUTH_DATABASE) if basic_auth else (TRACKING_DATABASE,)
    postgres = start_postgres(databases)
    started: list[RunningServer] = []
    try:
        return _start_on(
            postgres, started, workdir, python, environment.version, basic_auth, instances, timeout
        )
    except BaseException:
        for instance in started:
            instance.stop()
        postgres.remove()
        raise


def _start_on(
    postgres: PostgresServer,
    started: list[RunningServer],
    workdir: Path,
    python: str,
    version: str,
    basic_auth: bool,
    count: int,
    timeout: float,
) -> HaServer:
    tracking_uri = postgres.uri(TRACKING_DATABASE)
    secret_key = secrets.token_hex(16) if basic_auth else ""
    users = BasicAuthUsers.generate() if basic_auth else None
    mask = HaServerSecrets((*postgres.secrets(), *(users.secrets() if users else ()), secret_key))
    env = dict(os.environ)
    for name in _SCRUBBED:
        env.pop(name, None)
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    env.update(postgres.environment())  # the URIs on command lines carry no password
    # Once, before any server starts: several servers migrating an empty database at once collide.
    _run_checked([python, "-m", "mlflow", "db", "upgrade", tracking_uri], "mlflow db upgrade", env, mask)
    if users is not None:
        auth_uri = postgres.uri(AUTH_DATABASE)
        _run_checked([python, "-c", MIGRATE_AUTH, auth_uri], "migrating the users' database", env, mask)
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(write_auth_config(workdir, users, database_uri=auth_uri))
        env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = secret_key
    artifacts = workdir / "artifacts"
    artifacts.mkdir(exist_ok=True)
    balancer_port = free_port()
    ports = [free_port() for _ in range(count)]
    allowed = ",".join(
        [
            "localhost",
            "localhost:*",
            HOST,
            f"{HOST}:*",
            f"{HOST}:{balancer_port}",
            f"localhost:{balancer_port}",
        ]
    )
    for number, port in enumerate(ports):
        home = workdir / f"mlflow-{number}"
        home.mkdir(exist_ok=True)
        command = instance_command(python, port, tracking_uri, artifacts, allowed, basic_auth)
        log_path = home / "server.log"
        with open(log_path, "wb") as log:
            process = spawn_logged(command, home, env, log)
        started.append(
            RunningServer(
                url=f"http://{HOST}:{port}",
                workdir=home,
                log_path=log_path,
                process=process,
                users=users,
                environment=env,
                version=version,
                command=command,
                provider="ha-instance",
            )
        )
    with ThreadPoolExecutor(max_workers=len(started)) as pool:
        list(pool.map(lambda instance: wait_until_healthy(instance, timeout), started))
    backends = [Backend(f"mlflow-{n}", HOST, port) for n, port in enumerate(ports)]
    balancer = start_haproxy(workdir / "haproxy", backends, port=balancer_port, timeout=timeout)
    server = HaServer(
        url=balancer.url,
        workdir=workdir,
        postgres=postgres,
        instances=started,
        balancer=balancer,
        users=users,
        version=version,
        secret_key=secret_key,
    )
    if users is not None:
        try:
            users.create_non_admin_users(server.url)
        except BaseException:
            balancer.stop()
            raise
    return server
