"""The harness side of the worker protocol: run a worker script in a given interpreter, get its answer.

A worker is a standard-library-only script with a ``handle(request)`` function; it runs in the
interpreter under test (which may lack the harness) through :mod:`worker_entry`, which loads it by
path. The request (a dataclass or plain JSON data) goes in a file, the answer comes back as JSON lines
in another; the process runs in its own process group (see :mod:`processes`), is stopped whole after its
timeout, and a crash or an answer that is not JSON is an :class:`InfrastructureError` with the tail of
the worker's stderr.

Session mode (:class:`WorkerSession`): one process of the interpreter answers several requests in order,
over the same entry (``worker_entry.py --session``: requests as JSON lines on stdin, answers as JSON
lines on stdout), with the same process group, timeouts and cleanup; each :meth:`WorkerSession.ask`
returns a :class:`WorkerRun` like :func:`run_worker`. While a session is *routed* (:func:`routed`),
:func:`run_worker` calls for one of its scripts in its interpreter with its extra paths go to it, so
callers keep calling :func:`run_worker`; everything else still runs one-shot.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.base.forkserver import ForkServerUnavailable, routed_forkserver
from hokusai_contracts.base.worker_entry import EXIT_WRITE_FAILED, SESSION_MARK, json_line
from hokusai_contracts.base.worker_results import (
    ENTRY,
    EXTERNAL_KILLS,
    TAIL_LINES,
    Routes,
    WorkerRun,
    read_records,
    resolve_python,
    spawn_piped,
    start_readers,
    tail,
    worker_environment,
    write_json,
)

__all__ = [
    "ENTRY",
    "EXTERNAL_KILLS",
    "TAIL_LINES",
    "SessionEnded",
    "WorkerRun",
    "WorkerSession",
    "resolve_python",
    "routed",
    "run_worker",
    "tail",
    "worker_environment",
    "write_json",
]


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
    fresh: bool = False,
) -> WorkerRun:
    """Run worker ``script`` on ``request`` in ``python`` (a venv or interpreter; default: this one).

    ``what`` names the worker in messages ("the diff probe"); ``env`` replaces our environment, with
    ``extra_paths`` first on PYTHONPATH; ``flags`` go to the interpreter (``-s``); ``merge_output``
    interleaves stderr into stdout; ``fresh`` starts an interpreter for this call only (never a routed
    session or fork server: the call looks at what the interpreter has imported). A timeout stops the
    worker's whole group and is reported in the result (``timed_out``), as is a crash:
    :meth:`WorkerRun.answer` turns both into errors.
    """
    interpreter = resolve_python(python)
    payload = dataclasses.asdict(request) if dataclasses.is_dataclass(request) else request
    if not flags and not merge_output and not fresh:
        session = routed_session(interpreter, extra_paths, script)
        if session is not None:
            with contextlib.suppress(SessionEnded):  # ended meanwhile: one-shot below
                return session.ask(script, payload, what=what, timeout=timeout)
    forks = routed_forkserver(interpreter, extra_paths, script) if not (flags or fresh) else None
    if forks is not None:
        with contextlib.suppress(ForkServerUnavailable):  # not (or no longer) forking: one-shot below
            return forks.run(
                script,
                payload,
                what=what,
                timeout=timeout,
                cwd=cwd,
                env=env,
                merge_output=merge_output,
                extra_paths=extra_paths,
            )
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
        records = read_records(response_path, complete, what, interpreter)
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


# -- session mode ---------------------------------------------------------------------------------------

STDERR_KEPT = 2000  # lines of a session's stderr kept for error messages
STDERR_WAIT_S = 5.0  # how long a finished request's stderr may lag behind its answer
CLOSE_GRACE_S = 5.0


class SessionEnded(InfrastructureError):
    """The session can no longer answer (timed out, crashed or closed): a routed call runs one-shot."""


class WorkerSession:
    """One worker process in ``python`` that answers requests in order (``worker_entry.py --session``).

    ``env``, ``extra_paths`` and ``cwd`` are fixed for the session; ``scripts`` are the worker scripts
    :func:`routed` sends to it. A request that times out stops the process group; so does :meth:`close`.
    After a timeout or crash the session is over: later requests raise :class:`InfrastructureError`.
    """

    def __init__(
        self,
        python: str | os.PathLike[str] | None = None,
        *,
        what: str,
        env: Mapping[str, str] | None = None,
        extra_paths: Sequence[str | os.PathLike[str]] = (),
        cwd: Path | None = None,
        scripts: Sequence[Path | str] = (),
    ) -> None:
        self.interpreter = resolve_python(python)
        self.what = what
        self.extra_paths = tuple(str(p) for p in extra_paths)
        self.scripts = frozenset(str(Path(s).resolve()) for s in scripts)
        self._env = worker_environment(extra_paths, env)
        self._cwd = cwd
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_KEPT)
        self._stderr_count = 0
        self._stderr_done = threading.Condition()
        self._stderr_through = 0  # the last request whose stderr was read to its end
        self._stderr_closed = False
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self.ended: str | None = None  # why the session can no longer answer

    @property
    def asked(self) -> int:
        """How many requests the session has been sent."""
        return self._next_id

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before it starts)."""
        return None if self._process is None else self._process.pid

    def start(self) -> WorkerSession:
        """Start the worker process (in its own process group)."""
        command = [self.interpreter, str(ENTRY), "--session"]
        self._process = spawn_piped(command, interpreter=self.interpreter, env=self._env, cwd=self._cwd)
        self._threads = start_readers(self._read_answers, self._read_stderr)
        return self

    def _read_answers(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            text = line.decode(errors="replace")
            if text.startswith(SESSION_MARK):
                with self._stderr_done:
                    self._stderr_through = max(self._stderr_through, int(text[len(SESSION_MARK) :]))
                    self._stderr_done.notify_all()
                continue
            self._stderr.append(text)
            self._stderr_count += 1
        with self._stderr_done:
            self._stderr_closed = True
            self._stderr_done.notify_all()

    def _await_stderr(self, number: int) -> None:
        """Wait (briefly) until the worker's stderr is read through the end of request ``number``."""
        with self._stderr_done:
            self._stderr_done.wait_for(
                lambda: self._stderr_through >= number or self._stderr_closed, timeout=STDERR_WAIT_S
            )

    def _stderr_since(self, count: int) -> str:
        fresh = min(self._stderr_count - count, len(self._stderr))
        return "".join(list(self._stderr)[len(self._stderr) - fresh :]) if fresh > 0 else ""

    def ask(self, script: Path | str, request: Any, *, what: str, timeout: float) -> WorkerRun:
        """Run ``script``'s ``handle`` on ``request`` in the session: its :class:`WorkerRun`."""
        payload = dataclasses.asdict(request) if dataclasses.is_dataclass(request) else request
        with self._lock:
            if self._process is None:
                self.start()
            if self.ended is not None:
                raise SessionEnded(f"{what} under {self.interpreter}: {self.what} {self.ended}")
            self._next_id += 1
            number, stderr_mark = self._next_id, self._stderr_count
            message = json_line({"id": number, "script": str(Path(script).resolve()), "request": payload})
            process = self._process
            assert process is not None and process.stdin is not None
            try:
                process.stdin.write(message.encode("utf-8"))
                process.stdin.flush()
            except (OSError, ValueError):
                pass  # the process is gone: its end is read below
            records: list[Any] = []
            deadline = time.monotonic() + timeout
            while True:
                try:
                    line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    self.ended = f"was stopped after {what} did not finish within {timeout:.0f} s"
                    processes.stop_group(process, grace=1.0)
                    return self._run(what, records, -1, stderr_mark, timeout, timed_out=True)
                if processes.stopping():
                    raise processes.Interrupted(f"{what} was stopped: the run is being interrupted")
                if line is None:
                    returncode = process.wait()
                    self.ended = f"ended (exit status {returncode})"
                    if returncode == EXIT_WRITE_FAILED:
                        said = self._stderr_since(stderr_mark)
                        raise InfrastructureError(
                            f"{what} under {self.interpreter} could not write its answer: {tail(said)}"
                        )
                    return self._run(what, records, returncode, stderr_mark, timeout)
                try:
                    answer = json.loads(line)
                except ValueError:
                    raise InfrastructureError(
                        f"{what} under {self.interpreter} answered with something that is not JSON: "
                        f"{line[:200]!r}"
                    ) from None
                if answer.get("id") != number:
                    continue  # a late line of a request that timed out: that session is over anyway
                if answer.get("done"):
                    self._await_stderr(number)
                    return self._run(what, records, int(answer.get("status", 1)), stderr_mark, timeout)
                records.append(answer.get("item"))

    def _run(
        self, what: str, records: list, returncode: int, mark: int, timeout: float, *, timed_out: bool = False
    ) -> WorkerRun:
        return WorkerRun(
            what=what,
            interpreter=self.interpreter,
            records=tuple(records),
            returncode=returncode,
            stdout="",  # a session's stray stdout goes to its stderr
            stderr=self._stderr_since(mark),
            timed_out=timed_out,
            timeout=timeout,
        )

    def close(self) -> None:
        """End the session: stdin closed (the worker exits), then its process group stopped."""
        with self._lock:  # a request in flight finishes first
            process = self._process
            if process is None:
                self.ended = self.ended or "was closed"
                return
            with contextlib.suppress(OSError, ValueError):
                assert process.stdin is not None
                process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(CLOSE_GRACE_S if self.ended is None else 0.1)
            processes.stop_group(process, grace=1.0)
            for thread in self._threads:
                thread.join(1.0)
            self.ended = self.ended or "was closed"

    def __enter__(self) -> WorkerSession:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_sessions: Routes[WorkerSession] = Routes()
routed_session = _sessions.find


def routed(session: WorkerSession) -> contextlib.AbstractContextManager[WorkerSession]:
    """Send :func:`run_worker` calls for the session's scripts (same interpreter and extra paths) to it
    while the block runs; the session is closed at the end. A second session for the same key is not
    routed (its calls run one-shot)."""
    return _sessions.routed(session)
