"""A throwaway PostgreSQL 15 (Debian's ``postgresql``) as a local process on a loopback port.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` system user (run
through ``setpriv``); as anyone else it runs as that user. Password authentication (scram) over TCP only:
no Unix socket, nothing listening beyond 127.0.0.1. The postmaster is stopped with SIGINT (PostgreSQL's
"fast" shutdown: SIGTERM would wait for every client to disconnect first).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.process import free_port, read_log_tail

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"))
SUPERUSER = "hokusai"
SYSTEM_USER = "postgres"
FAST_SHUTDOWN_S = 10.0


def postgres_bin_dir() -> Path:
    """The directory of ``initdb``/``postgres``; ServerStartError naming the package when missing."""
    for candidate in BIN_DIRS:
        if (candidate / "initdb").exists():
            return candidate
    raise ServerStartError(
        "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/15/bin): "
        "apt-get install -y postgresql"
    )


def _as_user(user: str | None) -> list[str]:
    """The prefix that runs a command as ``user`` (nothing when None)."""
    if user is None:
        return []
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]


@dataclass
class PostgresServer:
    """A running PostgreSQL cluster: its port, superuser password, log and postmaster process."""

    root: Path
    port: int
    password: str = field(repr=False)
    log_path: Path
    process: subprocess.Popen
    command: list[str] = field(default_factory=list, repr=False)
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        """Where it listens (``postgresql://host:port``, no credentials)."""
        return f"postgresql://{self.host}:{self.port}"

    def uri(self, database: str, *, with_password: bool = False) -> str:
        """The SQLAlchemy URI of ``database`` (psycopg2 driver).

        Without the password by default: a command line is visible to every local user, so processes
        get it from :meth:`environment` (libpq reads ``PGPASSWORD``) instead.
        """
        secret = f":{self.password}" if with_password else ""
        return f"postgresql+psycopg2://{SUPERUSER}{secret}@{self.host}:{self.port}/{database}"

    def environment(self) -> dict[str, str]:
        """What a client process needs in its environment to log in (the password, for libpq)."""
        return {"PGPASSWORD": self.password}

    def secrets(self) -> tuple[str, ...]:
        """The superuser's password."""
        return (self.password,)

    def alive(self) -> bool:
        """True while the postmaster runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of its log (the password never reaches it)."""
        return read_log_tail(self.log_path, lines)

    def stop(self, timeout: float = FAST_SHUTDOWN_S) -> None:
        """Fast shutdown (SIGINT: clients disconnected, no waiting), then its whole group."""
        if self.process.poll() is None:
            try:
                os.kill(self.process.pid, signal.SIGINT)
                self.process.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        processes.stop_group(self.process, grace=2.0)

    def restart(self, timeout: float = 30.0) -> None:
        """Stop it and start the same cluster again on the same port; wait until it accepts logins."""
        self.stop()
        with open(self.log_path, "ab") as log:
            log.write(b"\n--- restarted by the harness ---\n")
            log.flush()
            self.process = processes.spawn(self.command, stdout=log, stderr=subprocess.STDOUT)
        wait_until_ready(self, timeout)

    def remove(self) -> None:
        """Stop it and delete its data directory."""
        self.stop()
        processes.remove_temp_dir(self.root)


def wait_until_ready(server: PostgresServer, timeout: float) -> None:
    """Poll ``pg_isready`` until the server accepts connections; ServerStartError with the log tail."""
    isready = str(postgres_bin_dir() / "pg_isready")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise ServerStartError(
                f"PostgreSQL exited with code {server.process.returncode} before it was ready.\n"
                f"Log tail ({server.log_path}):\n{server.log_tail()}"
            )
        done = processes.run(
            [isready, "-q", "-h", server.host, "-p", str(server.port), "-U", SUPERUSER], timeout=5
        )
        if done.returncode == 0:
            return
        time.sleep(0.2)
    server.stop()
    raise ServerStartError(
        f"PostgreSQL on port {server.port} was not ready within {timeout:.0f}s.\n"
        f"Log tail ({server.log_path}):\n{server.log_tail()}"
    )


def _checked(done: processes.Completed, what: str) -> None:
    if done.timed_out or done.returncode != 0:
        raise ServerStartError(
            f"{what} failed (exit {done.returncode}):\n{(done.stderr or done.stdout)[-2000:]}"
        )


def start_postgres(databases: tuple[str, ...] = ("mlflow",), timeout: float = 30.0) -> PostgresServer:
    """A new cluster in a temporary directory, with ``databases`` created; ServerStartError if not."""
    bin_dir = postgres_bin_dir()
    user = SYSTEM_USER if os.geteuid() == 0 else None
    if user is not None:
        try:
            account = pwd.getpwnam(user)
        except KeyError:
            raise ServerStartError(
                f"running as root, PostgreSQL needs the {user!r} system user (apt-get install -y postgresql)"
            ) from None
        if shutil.which("setpriv") is None:
            raise ServerStartError("running as root, PostgreSQL needs setpriv (util-linux) to drop root")
    root = processes.make_temp_dir("postgres")
    password = secrets.token_urlsafe(18)
    try:
        if user is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        password_file = root / "pwfile"
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        if user is not None:
            os.chown(password_file, account.pw_uid, account.pw_gid)
        data = root / "data"
        _checked(
            processes.run(
                [
                    *_as_user(user),
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={password_file}",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                timeout=120,
            ),
            "initdb",
        )
        password_file.unlink()
    except BaseException:
        processes.remove_temp_dir(root)
        raise
    port = free_port()
    command = [
        *_as_user(user),
        str(bin_dir / "postgres"),
        "-D",
        str(data),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "fsync=off",  # throwaway data: durability across a machine crash is not under test
        "-c",
        "max_connections=200",
    ]
    log_path = root / "postgres.log"
    with open(log_path, "wb") as log:
        process = processes.spawn(command, stdout=log, stderr=subprocess.STDOUT)
    server = PostgresServer(
        root=root, port=port, password=password, log_path=log_path, process=process, command=command
    )
    try:
        wait_until_ready(server, timeout)
        env = {**os.environ, **server.environment()}
        for database in databases:
            _checked(
                processes.run(
                    [
                        str(bin_dir / "createdb"),
                        "-h",
                        server.host,
                        "-p",
                        str(port),
                        "-U",
                        SUPERUSER,
                        database,
                    ],
                    timeout=30,
                    env=env,
                ),
                f"createdb {database}",
            )
    except BaseException:
        server.remove()
        raise
    return server
