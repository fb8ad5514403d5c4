"""Every process the harness starts and every temporary directory it makes, owned until it is stopped.

A child starts in a process group of its own (a new session), so stopping it stops whatever it started
too (an MLflow server's uvicorn, a snippet's subprocesses), and a terminal's Ctrl-C reaches the harness
only: the harness decides how its children end. A registry keeps the live groups and temporary
directories; :func:`interrupt` (the CLI's SIGINT/SIGTERM handler) stops every group at once so that the
threads waiting on them return and the main thread unwinds, and an ``atexit`` fallback stops and removes
whatever an unusual exit left behind. Every child carries ``HOKUSAI_CONTRACTS_RUN_ID`` in its environment:
what a leak hunt looks for.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

RUN_ID_ENV = "HOKUSAI_CONTRACTS_RUN_ID"
TEMP_PREFIX = "hokusai-contracts-"
GRACE_S = 10.0
# How long an interrupt waits for the groups it terminated before it kills them: Ctrl-C must end a run
# within about two seconds, and an MLflow server normally exits on SIGTERM well within this.
INTERRUPT_GRACE_S = 1.0

_lock = threading.RLock()  # re-entrant: the signal handler runs on the main thread, maybe inside a hold
_groups: dict[int, subprocess.Popen] = {}
_temp_dirs: set[Path] = set()
_stopping = threading.Event()


class Interrupted(KeyboardInterrupt):
    """The run is being stopped (Ctrl-C or SIGTERM): nothing new may start, everything unwinds."""


def run_id() -> str:
    """This run's id: inherited from the environment (the harness runs inside another) or made now."""
    value = os.environ.get(RUN_ID_ENV)
    if not value:
        value = uuid.uuid4().hex
        os.environ[RUN_ID_ENV] = value
    return value


def child_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: ours) with the run id every child carries."""
    environment = dict(os.environ if env is None else env)
    environment[RUN_ID_ENV] = run_id()
    return environment


def stopping() -> bool:
    """True once the run is being interrupted."""
    return _stopping.is_set()


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
) -> subprocess.Popen:
    """Start ``command`` in a process group of its own, registered until :func:`stop_group` reaps it.

    OSError (no such interpreter...) propagates; :class:`Interrupted` once the run is stopping.
    """
    with _lock:
        if _stopping.is_set():
            raise Interrupted("the run is being stopped: no new process starts")
        process = subprocess.Popen(
            list(command),
            env=child_environment(env),
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        _groups[process.pid] = process
    return process


def register(process: subprocess.Popen) -> None:
    """Register a group leader the harness started another way (a forked server, Popen-like) like a spawned
    one: stopped whole by :func:`stop_group` and by an interrupt. Stopped at once when the run is stopping."""
    with _lock:
        if not _stopping.is_set():
            _groups[process.pid] = process
            return
    _signal_group(process.pid, signal.SIGKILL)
    raise Interrupted("the run is being stopped: no new process starts")


def release(process: subprocess.Popen) -> None:
    """Let ``process`` outlive the run (``mlflow up``): the registry forgets it."""
    with _lock:
        _groups.pop(process.pid, None)


def _signal_group(pid: int, signum: int) -> bool:
    """Send ``signum`` to the group ``pid``; False when no process of it is left."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a pid reused by someone else's process: not ours to signal
        return False
    return True


def _group_alive(pid: int) -> bool:
    return _signal_group(pid, 0)


def stop_group(process: subprocess.Popen, grace: float = GRACE_S) -> None:
    """Stop ``process`` and everything in its group: SIGTERM, SIGKILL after ``grace`` seconds."""
    pid = process.pid
    if process.poll() is None or _group_alive(pid):
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
        # The leader may be gone while members it started linger: wait for the group, then kill it.
        while _group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)
        process.wait()
    with _lock:
        _groups.pop(pid, None)


def finish(
    process: subprocess.Popen, timeout: float | None, input: bytes | None = None
) -> tuple[bytes, bytes, bool]:
    """Wait for ``process`` (its piped output read); stop its group after ``timeout`` seconds.

    Returns (stdout, stderr, timed_out); output not piped is empty.
    """
    try:
        out, err = process.communicate(input, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        stop_group(process, grace=1.0)
        out, err = process.communicate()
        timed_out = True
    # A child the process left in its group must not outlive it.
    stop_group(process, grace=1.0)
    return out or b"", err or b"", timed_out


@dataclass(frozen=True)
class Completed:
    """How a command run by :func:`run` ended (output decoded; empty when it went elsewhere)."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool


def run(
    command: Sequence[str],
    *,
    timeout: float | None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> Completed:
    """``subprocess.run`` in a process group the harness owns: stopped whole after ``timeout``."""
    process = spawn(command, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
    out, err, timed_out = finish(process, timeout)
    returncode = process.returncode if process.returncode is not None else -1
    return Completed(returncode, out.decode(errors="replace"), err.decode(errors="replace"), timed_out)


def make_temp_dir(what: str, parent: str | os.PathLike[str] | None = None) -> Path:
    """A new temporary directory named ``hokusai-contracts-<what>-...`` (in ``parent``, default: the
    system's temporary directory), registered until removed."""
    path = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{what}-", dir=parent))
    with _lock:
        _temp_dirs.add(path)
    return path


# A Unix socket's path has at most 107 bytes; a long TMPDIR (pytest's, say) leaves too few.
SOCKET_PATH_MAX = 100


def socket_dir(what: str) -> Path:
    """An owner-only temporary directory for a Unix socket (``<dir>/<name>.sock``, names up to 12
    characters): in the temporary directory or, when that path is too long for a socket, in /tmp."""
    directory = make_temp_dir(what)
    if len(str(directory)) + 18 <= SOCKET_PATH_MAX:
        return directory
    remove_temp_dir(directory)
    return make_temp_dir(what, "/tmp")


def remove_temp_dir(path: Path) -> None:
    """Remove a directory made by :func:`make_temp_dir` (and forget it)."""
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _temp_dirs.discard(path)


@contextlib.contextmanager
def temp_dir(what: str) -> Iterator[Path]:
    """:func:`make_temp_dir`, removed on exit."""
    path = make_temp_dir(what)
    try:
        yield path
    finally:
        remove_temp_dir(path)


def _live_groups() -> list[subprocess.Popen]:
    with _lock:
        return list(_groups.values())


def interrupt(grace: float = INTERRUPT_GRACE_S) -> None:
    """Stop the run: no new process starts, every live group gets SIGTERM, then SIGKILL after ``grace``."""
    _stopping.set()
    groups = _live_groups()
    for process in groups:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_group_alive(p.pid) for p in groups) and time.monotonic() < deadline:
        time.sleep(0.05)
    for process in groups:
        if _signal_group(process.pid, signal.SIGKILL):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(1.0)


def stop_everything(grace: float = INTERRUPT_GRACE_S) -> None:
    """Stop every live group and remove every registered temporary directory (the exit fallback)."""
    interrupt(grace)
    with _lock:
        _groups.clear()
        paths = list(_temp_dirs)
    for path in paths:
        remove_temp_dir(path)


def install_signal_handlers() -> None:
    """SIGINT and SIGTERM stop every child at once, then raise :class:`Interrupted` in the main thread.

    The exception unwinds the run like Ctrl-C does, so context managers stop servers and remove
    directories; a second signal while that happens only repeats the stop (the unwinding must finish).
    """

    def handle(signum: int, frame: object) -> None:
        repeated = _stopping.is_set()
        interrupt()
        if not repeated:
            raise Interrupted(f"interrupted by {signal.Signals(signum).name}")

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


atexit.register(stop_everything)
