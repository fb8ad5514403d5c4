"""What a worker run is and the pieces every way of running one shares: the interpreter, its
environment, the request file, the answer lines and :class:`WorkerRun` (how the run ended); for the
long-lived workers (a session, a fork server), their piped start and the table that routes
:func:`run_worker <hokusai_contracts.base.workers.run_worker>` calls to them."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.base.worker_entry import json_line

ENTRY = Path(__file__).with_name("worker_entry.py")
TAIL_LINES = 30


def resolve_python(python: str | os.PathLike[str] | None) -> str:
    """The interpreter to run: ``None`` is this one; a venv directory means its ``bin/python``."""
    if python is None:
        return sys.executable
    path = Path(python).expanduser()
    if path.is_dir():
        for candidate in (path / "bin" / "python", path / "bin" / "python3", path / "Scripts" / "python.exe"):
            if candidate.is_file():
                # Not resolved: following the venv's symlink would leave the venv.
                return str(candidate)
        raise HarnessUsageError(
            f"{path} is a directory without bin/python: pass a Python interpreter or a virtual "
            "environment directory (one created by `python -m venv`)"
        )
    if path.is_file():
        if not os.access(path, os.X_OK):
            raise HarnessUsageError(f"{path} is not executable: pass a Python interpreter")
        return str(path)
    found = shutil.which(str(python))
    if found:
        return found
    raise HarnessUsageError(
        f"Python interpreter {str(python)!r} not found: pass the path of a python executable, "
        "a virtual environment directory, or a command on PATH"
    )


def worker_environment(
    extra_paths: Sequence[str | os.PathLike[str]] = (), env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The worker's environment: ``env`` (default: ours) with ``extra_paths`` first on PYTHONPATH."""
    environment = dict(os.environ if env is None else env)
    if extra_paths:
        paths = [str(Path(p).resolve()) for p in extra_paths]
        if environment.get("PYTHONPATH"):
            paths.append(environment["PYTHONPATH"])
        environment["PYTHONPATH"] = os.pathsep.join(paths)
    # Reading an SDK must not litter its installation with bytecode.
    environment.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return environment


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text`` ("(nothing)" when it is empty)."""
    return "\n".join(text.strip().splitlines()[-lines:]) or "(nothing)"


def write_json(path: Path, data: Any, what: str) -> None:
    """Write ``data`` as JSON to ``path`` (owner-only: requests may hold passwords); disk full is said so."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            os.chmod(path, 0o600)
            handle.write(json_line(data))
    except OSError as exc:
        reason = "disk full" if exc.errno == errno.ENOSPC else str(exc)
        raise InfrastructureError(f"cannot write the request of {what} to {path}: {reason}") from None


EXTERNAL_KILLS = frozenset({signal.SIGKILL, signal.SIGTERM})


@dataclass(frozen=True)
class WorkerRun:
    """How one worker process ended: its answer lines, exit status, output, and whether it timed out."""

    what: str
    interpreter: str
    records: tuple[Any, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    timeout: float

    @property
    def answered(self) -> bool:
        """True when the worker finished and answered."""
        return not self.timed_out and self.returncode == 0 and bool(self.records)

    def answer(self) -> Any:
        """The worker's (last) answer; InfrastructureError when it timed out, crashed or said nothing."""
        if self.timed_out:
            raise InfrastructureError(
                f"{self.what} under {self.interpreter} did not finish within {self.timeout:.0f} s"
            )
        if not self.answered:
            raise InfrastructureError(
                f"{self.what} under {self.interpreter} crashed (exit status {self.returncode}) without an "
                f"answer; its stderr ends with:\n{tail(self.stderr)}"
            )
        return self.records[-1]

    def raise_if_killed(self) -> None:
        """InfrastructureError when the worker was killed from outside (SIGKILL / SIGTERM).

        Those signals come from the OOM killer, an operator or a dying runner, never from the code under
        test; a worker that crashes the interpreter itself (SIGSEGV, SIGABRT) is that code's failure.
        """
        if not self.timed_out and -self.returncode in EXTERNAL_KILLS:
            raise InfrastructureError(
                f"the worker running {self.what} was killed by {signal.Signals(-self.returncode).name} "
                f"(out of memory, or stopped from outside the run):\n{tail(self.stderr)}"
            )


def read_records(path: Path, complete: bool, what: str, interpreter: str) -> tuple[Any, ...]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise InfrastructureError(f"cannot read the answer of {what} ({path}): {exc}") from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            if not complete and number == len(lines):
                break  # cut short by the stop: the lines before it stand
            raise InfrastructureError(
                f"{what} under {interpreter} answered with something that is not JSON (line {number} of "
                f"its answer): {line[:200]!r}"
            ) from None
    return tuple(records)


# -- long-lived workers ---------------------------------------------------------------------------------


def spawn_piped(
    command: Sequence[str], *, interpreter: str, env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.Popen:
    """``command`` in its own process group with stdin, stdout and stderr piped."""
    try:
        return processes.spawn(
            command, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise HarnessUsageError(f"cannot run {interpreter}: {exc}") from None


def start_readers(*readers: Callable[[], None]) -> list[threading.Thread]:
    """Each of ``readers`` started in a daemon thread (they read a piped process's output)."""
    threads = [threading.Thread(target=reader, daemon=True) for reader in readers]
    for thread in threads:
        thread.start()
    return threads


class Routable(Protocol):
    """A long-lived worker :func:`run_worker` can hand its calls to."""

    interpreter: str
    extra_paths: tuple[str, ...]
    scripts: frozenset[str]
    ended: str | None

    def close(self) -> None: ...


R = TypeVar("R", bound=Routable)
RouteKey = tuple[str, tuple[str, ...]]


def route_key(interpreter: str, extra_paths: Sequence[str | os.PathLike[str]]) -> RouteKey:
    """The key a worker is routed by: its interpreter (not resolved) and its extra paths (resolved)."""
    return os.path.abspath(interpreter), tuple(str(Path(p).resolve()) for p in extra_paths)


class Routes(Generic[R]):
    """Routed workers by interpreter and extra paths: one per key, taking the calls for its scripts."""

    def __init__(self) -> None:
        self._workers: dict[RouteKey, R] = {}
        self._lock = threading.Lock()

    def find(
        self, interpreter: str, extra_paths: Sequence[str | os.PathLike[str]], script: Path | str
    ) -> R | None:
        """The routed worker that answers ``script`` in ``interpreter`` with ``extra_paths``, if any."""
        with self._lock:
            worker = self._workers.get(route_key(interpreter, extra_paths))
        if worker is None or worker.ended is not None or str(Path(script).resolve()) not in worker.scripts:
            return None  # an ended worker (timed out, closed early) leaves its calls to one-shot workers
        return worker

    @contextlib.contextmanager
    def routed(self, worker: R) -> Iterator[R]:
        """Route ``worker``'s calls to it while the block runs, then close it. A second worker for the
        same key is not routed (its calls run one-shot)."""
        key = route_key(worker.interpreter, worker.extra_paths)
        with self._lock:
            mine = key not in self._workers
            if mine:
                self._workers[key] = worker
        try:
            yield worker
        finally:
            if mine:
                with self._lock:
                    self._workers.pop(key, None)
            worker.close()
