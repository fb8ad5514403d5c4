"""The harness side of the worker protocol: run a worker script in a given interpreter, get its answer.

A worker is a standard-library-only script with a ``handle(request)`` function; it runs in the
interpreter under test (which may lack the harness) through :mod:`worker_entry`, which loads it by
path. The request (a dataclass or plain JSON data) goes in a file, the answer comes back as JSON lines
in another; the process runs in its own process group (see :mod:`processes`), is stopped whole after its
timeout, and a crash or an answer that is not JSON is an :class:`InfrastructureError` with the tail of
the worker's stderr.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.base.worker_entry import EXIT_WRITE_FAILED, json_line

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


def _read_records(path: Path, complete: bool, what: str, interpreter: str) -> tuple[Any, ...]:
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


def run_worker(
    script: Path | str,
    request: Any,
    *,
    what: str,
    python: str | os.PathLike[str] | None = None,
    timeout: float,
    env: Mapping[str, str] | None = None,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    cwd: Path | None = None,
    flags: Sequence[str] = (),
    merge_output: bool = False,
) -> WorkerRun:
    """Run worker ``script`` on ``request`` in ``python`` (a venv or interpreter; default: this one).

    ``what`` names the worker in messages ("the diff probe"); ``env`` replaces our environment, with
    ``extra_paths`` first on PYTHONPATH; ``flags`` go to the interpreter (``-s``); ``merge_output``
    interleaves stderr into stdout. A timeout stops the worker's whole group and is reported in the
    result (``timed_out``), as is a crash: :meth:`WorkerRun.answer` turns both into errors.
    """
    interpreter = resolve_python(python)
    payload = dataclasses.asdict(request) if dataclasses.is_dataclass(request) else request
    with processes.temp_dir("worker") as scratch:
        request_path, response_path = scratch / "request.json", scratch / "response.jsonl"
        write_json(request_path, payload, what)
        command = [interpreter, *flags, str(ENTRY), str(script), str(request_path), str(response_path)]
        try:
            process = processes.spawn(
                command,
                env=worker_environment(extra_paths, env),
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
            )
        except OSError as exc:
            raise HarnessUsageError(f"cannot run {interpreter}: {exc}") from None
        out, err, timed_out = processes.finish(process, timeout)
        if processes.stopping():
            raise processes.Interrupted(f"{what} was stopped: the run is being interrupted")
        if process.returncode == EXIT_WRITE_FAILED:
            said = (out + err).decode(errors="replace")
            raise InfrastructureError(f"{what} under {interpreter} could not write its answer: {tail(said)}")
        complete = not timed_out and process.returncode == 0
        records = _read_records(response_path, complete, what, interpreter)
    return WorkerRun(
        what=what,
        interpreter=interpreter,
        records=records,
        returncode=process.returncode if process.returncode is not None else -1,
        stdout=out.decode(errors="replace"),
        stderr=err.decode(errors="replace"),
        timed_out=timed_out,
        timeout=timeout,
    )
