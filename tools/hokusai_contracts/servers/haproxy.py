"""HAProxy (Debian's ``haproxy``) in front of MLflow instances, with active health checks on ``/health``.

The generated configuration: round robin over the instances; a request whose connection to an instance
fails is sent to another one (``retry-on conn-failure`` + ``option redispatch``: the request never reached
the first, so this is safe for a non-idempotent create); a request an instance dropped mid-way is NOT
retried by the balancer (it may have been applied): that is the SDK's call. The runtime API (an admin
socket) drops connections.

A hung instance (SIGSTOP, a stuck worker) still accepts connections (the kernel completes them), so
only the health check notices it: checked every 500 ms, 250 ms while changing state, each check given
1 s, it is marked down after 2 failures, at most :data:`DETECTION_WINDOW_S` after it stopped answering,
and ``on-marked-down shutdown-sessions`` then cuts the requests stuck on it: their clients see a dropped
connection at once (a transient failure the SDK retries, to an instance that answers) instead of waiting
for their own timeout (the SDK's default is 30 s). The check timeout is not shorter because a loaded
machine answers ``/health`` in hundreds of milliseconds; one slow answer does not mark an instance down.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.process import free_port, poll_health, read_log_tail

BACKEND = "mlflow"
CHECK_INTERVAL_MS = 500
CHECK_FAST_INTERVAL_MS = 250  # between checks while an instance changes state (a failed check seen)
CHECK_TIMEOUT_MS = 1000
CHECK_FALL = 2
CHECK_RISE = 2
# Worst case from an instance's last answer to HAProxy marking it down (and cutting its requests): a
# check just missed it, then FALL checks time out, spaced by the fast interval.
DETECTION_WINDOW_S = (
    CHECK_INTERVAL_MS + CHECK_FALL * CHECK_TIMEOUT_MS + (CHECK_FALL - 1) * CHECK_FAST_INTERVAL_MS
) / 1000
SERVER_TIMEOUT_S = 120  # an MLflow call may take long (a model upload): the SDK's own timeout decides


@dataclass(frozen=True)
class Backend:
    """One MLflow instance behind the balancer."""

    name: str
    host: str
    port: int


def render_config(port: int, backends: Sequence[Backend], socket_path: Path, host: str = "127.0.0.1") -> str:
    """The text of ``haproxy.cfg`` for ``backends`` behind ``host:port``."""
    servers = "\n".join(
        f"    server {b.name} {b.host}:{b.port} check inter {CHECK_INTERVAL_MS} "
        f"fastinter {CHECK_FAST_INTERVAL_MS} fall {CHECK_FALL} rise {CHECK_RISE} "
        "on-marked-down shutdown-sessions"
        for b in backends
    )
    return f"""global
    maxconn 1024
    stats socket {socket_path} mode 600 level admin

defaults
    mode http
    option httplog
    log stdout format raw local0
    timeout connect 2s
    timeout client {SERVER_TIMEOUT_S}s
    timeout server {SERVER_TIMEOUT_S}s
    timeout check {CHECK_TIMEOUT_MS}ms
    retries 3
    option redispatch
    retry-on conn-failure

frontend {BACKEND}_in
    bind {host}:{port}
    default_backend {BACKEND}

backend {BACKEND}
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host {host}
    http-check expect status 200
{servers}
"""


@dataclass
class Balancer:
    """A running HAProxy: its URL, configuration, log and process."""

    url: str
    config_path: Path
    socket_path: Path
    log_path: Path
    process: subprocess.Popen
    command: list[str] = field(default_factory=list, repr=False)

    def alive(self) -> bool:
        """True while HAProxy runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of its log (one line per request)."""
        return read_log_tail(self.log_path, lines)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop HAProxy (its whole process group)."""
        processes.stop_group(self.process, timeout)

    def restart(self, timeout: float = 30.0) -> None:
        """Stop it (every connection dropped) and start it again on the same port."""
        self.stop()
        with open(self.log_path, "ab") as log:
            self.process = processes.spawn(self.command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_balancer(self, timeout)

    def command_api(self, command: str, timeout: float = 5.0) -> str:
        """Send one command to the runtime API (admin socket); its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def drop_connections(self, backends: Sequence[str]) -> None:
        """Cut every open session to ``backends`` (their clients see the connection drop)."""
        for name in backends:
            self.command_api(f"shutdown sessions server {BACKEND}/{name}")

    def _stat_rows(self) -> list[list[str]]:
        rows = [line.split(",") for line in self.command_api("show stat").splitlines()]
        return [r for r in rows if len(r) > 17 and r[0] == BACKEND and r[1] not in ("BACKEND", "FRONTEND")]

    def server_states(self) -> dict[str, str]:
        """Each backend's operational state as HAProxy sees it (``UP``, ``DOWN``...)."""
        return {row[1]: row[17] for row in self._stat_rows()}

    def current_sessions(self) -> dict[str, int]:
        """Each backend's open sessions (requests in flight) right now."""
        return {row[1]: int(row[4] or 0) for row in self._stat_rows()}


def wait_for_balancer(balancer: Balancer, timeout: float) -> None:
    """Wait until ``/health`` answers 200 through the balancer; ServerStartError with its log tail."""

    def check_alive() -> None:
        if not balancer.alive():
            raise ServerStartError(
                f"HAProxy exited with code {balancer.process.returncode}.\n"
                f"Log tail ({balancer.log_path}):\n{balancer.log_tail()}"
            )

    try:
        healthy = poll_health(balancer.url, timeout, check_alive=check_alive, interval=0.2)
    except BaseException:
        balancer.stop()
        raise
    if not healthy:
        balancer.stop()
        raise ServerStartError(
            f"no healthy instance behind HAProxy at {balancer.url} within {timeout:.0f}s.\n"
            f"Log tail ({balancer.log_path}):\n{balancer.log_tail()}"
        )


def start_haproxy(
    workdir: Path, backends: Sequence[Backend], *, port: int | None = None, timeout: float = 30.0
) -> Balancer:
    """HAProxy on loopback ``port`` (default: a free one) in front of ``backends``, once one is healthy."""
    executable = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if executable is None:
        raise ServerStartError("HAProxy is not installed: apt-get install -y haproxy")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    socket_path = workdir / "haproxy.sock"
    config_path = workdir / "haproxy.cfg"
    config_path.write_text(render_config(port, backends, socket_path))
    check = processes.run([executable, "-c", "-f", str(config_path)], timeout=30)
    if check.returncode != 0:
        raise ServerStartError(f"HAProxy rejected {config_path}:\n{(check.stdout + check.stderr)[-2000:]}")
    command = [executable, "-f", str(config_path), "-db"]
    log_path = workdir / "haproxy.log"
    with open(log_path, "wb") as log:
        process = processes.spawn(command, stdout=log, stderr=subprocess.STDOUT)
    balancer = Balancer(
        url=f"http://127.0.0.1:{port}",
        config_path=config_path,
        socket_path=socket_path,
        log_path=log_path,
        process=process,
        command=command,
    )
    wait_for_balancer(balancer, timeout)
    return balancer
