"""A fork server: one process of the interpreter under test imports the heavy modules once, then forks
a fresh one-shot worker per request (``worker_entry.py --forkserver``).

Importing MLflow, scikit-learn, pandas and skops costs about 6 s of CPU per process on these machines,
more than most documentation pages take to run. A forked child starts with those modules imported and
nothing else done: it is still a process of its own per request (its own environment, directory,
output files, exit), so pages keep apart as they do when each starts from scratch. The SDK itself is
never preloaded (its import is part of what the pages check).

Requests reach it through :func:`run_worker <hokusai_contracts.base.workers.run_worker>` while it is
*routed* (:func:`routed_forkserver`), for the worker scripts it was made for, in its interpreter with its
extra paths and no environment of their own; everything else runs as before. A child that runs past its
timeout is killed (SIGKILL); the server's process group (children included) is stopped by :meth:`close`
or by the run's interrupt handling, like any worker's.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.worker_entry import json_line
from hokusai_contracts.base.worker_results import (
    ENTRY,
    Routes,
    WorkerRun,
    read_records,
    resolve_python,
    spawn_piped,
    start_readers,
    worker_environment,
    write_json,
)

# What the documentation pages, auth scenarios and recorded SDK calls import (skops: MLflow's sklearn
# flavor saves with it); modules the interpreter lacks are skipped.
SDK_DEPENDENCIES = (
    "mlflow",
    "mlflow.pyfunc",
    "mlflow.sklearn",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "sklearn",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "pandas",
    "skops.io",
)
FORKSERVER_OFF = "HOKUSAI_CONTRACTS_NO_FORKSERVER"  # set to 1: every worker and server starts fresh
READY_S = 120.0  # how long a server may take to import what it preloads (a loaded 2-core machine)
KILL_WAIT_S = 10.0  # after SIGKILL, how long the server may take to report the child's end
STDERR_KEPT = 200


# Variables Python reads while it starts (hash seed, warnings, encodings, bytecode, ...): a forked child
# keeps its server's. PYTHONPATH is compared entry by entry (ForkServer._prepended); these are read later.
READ_AFTER_START = frozenset(
    {"PYTHONPATH", "PYTHONBREAKPOINT", "PYTHONSTARTUP", "PYTHONASYNCIODEBUG", "PYTHONCASEOK"}
)
ANY_HASH_SEED = ("", "random")  # a fresh interpreter picks one at random: the server's is as good


def startup_differences(server: Mapping[str, str], child: Mapping[str, str]) -> list[str]:
    """The start-up variables whose value ``child`` asks for and a server started with ``server`` lacks."""
    names = {n for n in (*server, *child) if n.startswith("PYTHON") and n not in READ_AFTER_START}
    differing = []
    for name in sorted(names):
        wanted = child.get(name, "")
        if name == "PYTHONHASHSEED" and wanted in ANY_HASH_SEED:
            continue
        if wanted != server.get(name, ""):
            differing.append(f"{name}={wanted!r}" if wanted else f"no {name}")
    return differing


class ForkServerUnavailable(InfrastructureError):
    """The fork server cannot take requests (did not start, refused to fork, ended): run one-shot."""


class ForkServer:
    """A ``worker_entry.py --forkserver`` process of ``python`` that preloads ``preload``.

    ``scripts``: the worker scripts routed to it. :meth:`start` returns at once (the imports run in the
    background); a request sent meanwhile waits for them.
    """

    def __init__(
        self,
        python: str | os.PathLike[str] | None = None,
        *,
        what: str = "the fork server",
        extra_paths: Sequence[str | os.PathLike[str]] = (),
        preload: Sequence[str] = SDK_DEPENDENCIES,
        scripts: Sequence[Path | str] = (),
        env: Mapping[str, str] | None = None,
        parent: ForkServer | None = None,
    ) -> None:
        self.interpreter = resolve_python(python)
        # A server forked from ``parent`` (which imported part of ``preload`` already), when it can be:
        # see :meth:`derivable`. Otherwise, or when that fails, a process of its own.
        self.parent = parent
        self.what = what
        self.extra_paths = tuple(str(p) for p in extra_paths)
        self.preload = tuple(preload)
        self.scripts = frozenset(str(Path(s).resolve()) for s in scripts)
        # The server's own environment (the preloaded modules saw it); each child gets its caller's.
        self._env = worker_environment(self.extra_paths, env)
        self._process: subprocess.Popen | None = None
        self._inboxes: dict[int, queue.Queue[dict[str, Any] | None]] = {}
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._next_id = 0
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_KEPT)
        self._threads: list[threading.Thread] = []
        self.ended: str | None = None  # why it can no longer take requests
        self._modules: frozenset[str] = frozenset()  # top-level names the server had imported
        self._environ_read: frozenset[str] = frozenset()  # variables its imports read
        self._requests: Any = None  # where requests are written (a pipe, or a derived server's socket)
        self._answers: Any = None
        self._log: Path | None = None  # a derived server's stderr
        self._connection: socket.socket | None = None  # a derived server's socket, in ``_directory``
        self._directory: Path | None = None
        self._boot: threading.Thread | None = None  # forks a derived server
        self._started = False
        self._closing = threading.Event()
        self.forked = 0  # children started

    @property
    def pid(self) -> int | None:
        """The server's process id (its process group's too; None before it starts)."""
        return None if self._process is None else self._process.pid

    def start(self) -> ForkServer:
        """Start the server process (its own process group); the preloading runs in the background."""
        with self._lock:
            if self._started:
                return self
            self._started = True
        if self.parent is not None:
            (self._boot,) = start_readers(self._start_derived)
            return self
        self._start_process()
        return self

    def _start_process(self) -> None:
        command = [self.interpreter, str(ENTRY), "--forkserver", json.dumps(list(self.preload))]
        process = spawn_piped(command, interpreter=self.interpreter, env=self._env)
        self._process, self._requests, self._answers = process, process.stdin, process.stdout
        self._threads = start_readers(self._read_answers, self._read_stderr)

    def derivable(self, env: Mapping[str, str], interpreter: str) -> bool:
        """True when a fork server of ``interpreter`` with ``env`` may be a fork of this one: same
        interpreter and path, nothing Python reads at start-up differs, nor any variable this server's
        imports read (waits until this server is ready)."""
        if os.path.abspath(interpreter) != os.path.abspath(self.interpreter) or not self._ready.wait(READY_S):
            return False
        if self.ended is not None or env.get("PYTHONPATH") != self._env.get("PYTHONPATH"):
            return False
        if startup_differences(self._env, env):
            return False
        return all(env.get(name) == self._env.get(name) for name in self._environ_read)

    def _start_derived(self) -> None:
        """In a thread: fork this server from its parent (it connects back on a Unix socket and imports
        the rest of ``preload``), then read its answers; a process of its own when it cannot be forked."""
        assert self.parent is not None
        derivable = self.parent.derivable(self._env, self.interpreter)
        if self._closing.is_set():
            return
        if not derivable:
            self._start_process()
            return
        directory = processes.socket_dir("forkserver")
        address = str(directory / "server.sock")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(address)
                listener.listen(1)
                listener.settimeout(READY_S)
                self._log = directory / "server.log"
                self._process = self.parent.spawn_server(
                    self.preload,
                    address,
                    what=self.what,
                    log_path=self._log,
                    env=self._env,
                )
                connection, _ = listener.accept()
        except (OSError, InfrastructureError) as exc:  # ForkServerUnavailable included
            self._stderr.append(f"could not be forked from {self.parent.what}: {exc}")
            if self._process is not None:
                processes.stop_group(self._process, grace=1.0)
            processes.remove_temp_dir(directory)
            self._start_process()
            return
        self._requests, self._answers = connection.makefile("wb"), connection.makefile("rb")
        self._connection, self._directory = connection, directory
        self._threads = start_readers(self._read_answers)

    def _read_answers(self) -> None:
        assert self._process is not None and self._answers is not None
        for line in self._answers:
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if "ready" in message:
                    self._modules = frozenset(message.get("modules") or ())
                    self._environ_read = frozenset(message.get("environ_read") or ())
                    if not message["ready"]:
                        self.ended = f"refused to fork: {message.get('why')}"
                    self._ready.set()
                    continue
                inbox = self._inboxes.get(message.get("id"))
                if inbox is not None:
                    inbox.put(message)
        self.ended = self.ended or f"ended (exit status {self._process.wait()}): {self._stderr_tail()}"
        self._ready.set()
        for inbox in list(self._inboxes.values()):
            inbox.put(None)

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line.decode(errors="replace"))

    def _stderr_tail(self) -> str:
        lines = list(self._stderr)
        if self._log is not None:
            with contextlib.suppress(OSError):
                lines += self._log.read_text(errors="replace").splitlines(keepends=True)
        return "".join(lines[-20:]).strip() or "(nothing on stderr)"

    def run(
        self,
        script: Path | str,
        payload: Any,
        *,
        what: str,
        timeout: float,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        merge_output: bool = False,
        extra_paths: Sequence[str | os.PathLike[str]] | None = None,
    ) -> WorkerRun:
        """Run worker ``script`` on ``payload`` in a forked child: its :class:`WorkerRun`.

        ``env`` (default: ours) with ``extra_paths`` (default: the server's) first on PYTHONPATH is the
        child's environment, as a one-shot worker's. Entries the server lacks go first on the child's
        sys.path; a PYTHONPATH that would import other code than the server imported is not forked
        (ForkServerUnavailable). ``merge_output`` sends the child's stderr into its stdout.
        """
        paths = self.extra_paths if extra_paths is None else tuple(extra_paths)
        environment, prepended = self._child_setup(env, what, timeout, paths)
        with processes.temp_dir("worker") as scratch:
            request, response = scratch / "request.json", scratch / "response.jsonl"
            stdout, stderr = scratch / "stdout.txt", scratch / "stderr.txt"
            write_json(request, payload, what)
            number, inbox = self._submit(
                {
                    "script": str(Path(script).resolve()),
                    "request": str(request),
                    "response": str(response),
                    "stdout": str(stdout),
                    "stderr": str(stdout if merge_output else stderr),
                    "cwd": str(cwd) if cwd else None,
                    "env": environment,  # what a one-shot worker would get now
                    "sys_path": prepended,
                },
                what,
            )
            try:
                returncode, timed_out = self._await(number, inbox, timeout, what)
            finally:
                with self._lock:
                    self._inboxes.pop(number, None)
            if processes.stopping():
                raise processes.Interrupted(f"{what} was stopped: the run is being interrupted")
            complete = not timed_out and returncode == 0
            return WorkerRun(
                what=what,
                interpreter=self.interpreter,
                records=read_records(response, complete, what, self.interpreter),
                returncode=returncode,
                stdout=_read_text(stdout),
                stderr="" if merge_output else _read_text(stderr),
                timed_out=timed_out,
                timeout=timeout,
            )

    def spawn(
        self,
        script: Path | str,
        payload: Any,
        *,
        what: str,
        directory: Path,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120.0,
    ) -> ForkedProcess:
        """Start worker ``script`` on ``payload`` in a forked child that runs until stopped (a server).

        The child leads a process group of its own, its output is appended to ``log_path``, and its
        request and answer files are kept in ``directory``. Returns once it runs, as a Popen-like
        :class:`ForkedProcess` registered with :mod:`~hokusai_contracts.base.processes` (so an
        interrupt stops it too).
        """
        request = directory / "forked-request.json"
        write_json(request, payload, what)
        fields = {
            "script": str(Path(script).resolve()),
            "request": str(request),
            "response": str(directory / "forked-response.jsonl"),
            "stdout": str(log_path),
        }
        return self._spawn(fields, what=what, log_path=log_path, cwd=cwd, env=env, timeout=timeout)

    def spawn_server(
        self,
        preload: Sequence[str],
        address: str,
        *,
        what: str,
        log_path: Path,
        env: Mapping[str, str],
        timeout: float = READY_S,
    ) -> ForkedProcess:
        """Fork a fork server that imports ``preload`` too, takes requests and answers on the Unix socket
        at ``address`` and writes its stderr to ``log_path`` (see ``ForkServer(parent=...)``)."""
        fields = {"forkserver": list(preload), "connect": address, "stdout": None}
        # In the parent's directory, as a server of its own would be: not the socket's, removed at its close.
        return self._spawn(fields, what=what, log_path=log_path, cwd=None, env=env, timeout=timeout)

    def _spawn(
        self,
        fields: Mapping[str, Any],
        *,
        what: str,
        log_path: Path,
        cwd: Path | None,
        env: Mapping[str, str] | None,
        timeout: float,
    ) -> ForkedProcess:
        environment, prepended = self._child_setup(env, what, timeout, self.extra_paths)
        number, inbox = self._submit(
            {
                **fields,
                "stderr": str(log_path),
                "cwd": str(cwd) if cwd else None,
                "env": environment,
                "sys_path": prepended,
                "own_group": True,
                "append": True,
            },
            what,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = inbox.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                self.ended = f"did not start {what} within {timeout:.0f} s"
                raise InfrastructureError(f"{self.what} {self.ended}") from None
            if message is None:
                raise ForkServerUnavailable(f"{self.what} {self.ended}")
            if "pid" in message:
                self.forked += 1
                child = ForkedProcess(int(message["pid"]), inbox, lambda: self._forget(number), what)
                processes.register(child)
                return child

    def _forget(self, number: int) -> None:
        with self._lock:
            self._inboxes.pop(number, None)

    def _child_setup(
        self,
        env: Mapping[str, str] | None,
        what: str,
        timeout: float,
        extra_paths: Sequence[str | os.PathLike[str]],
    ) -> tuple[dict[str, str], list[str]]:
        """The child's environment and the entries to put first on its sys.path, once the server is
        ready; ForkServerUnavailable when it cannot fork."""
        environment = worker_environment(extra_paths, env)
        if not self._started:
            self.start()
        # Sent only once it forks: a request that waited longer falls back to a one-shot worker, and
        # must not run a second time when the server gets to it.
        if not self._ready.wait(timeout):
            raise ForkServerUnavailable(f"{self.what} was not ready within {timeout:.0f} s")
        if self.ended is not None:
            raise ForkServerUnavailable(f"{self.what} under {self.interpreter} {self.ended}")
        differing = startup_differences(self._env, environment)
        if differing:
            raise ForkServerUnavailable(
                f"{what} asks for {', '.join(differing)} other than {self.what} started with"
            )
        return environment, self._prepended(environment.get("PYTHONPATH"), what)

    def _prepended(self, pythonpath: str | None, what: str) -> list[str]:
        """The PYTHONPATH entries a child has before the server's (OLD's SDK, say): a fresh interpreter
        puts them first on sys.path, and so does the child. Not when the server's own differ, nor when
        an entry holds a module the server imported: the fresh interpreter would import that copy."""
        mine = [p for p in (self._env.get("PYTHONPATH") or "").split(os.pathsep) if p]
        theirs = [p for p in (pythonpath or "").split(os.pathsep) if p]
        extra = theirs[: len(theirs) - len(mine)]
        if len(theirs) < len(mine) or theirs[len(extra) :] != mine:
            raise ForkServerUnavailable(f"{what} asks for another PYTHONPATH than {self.what} imported with")
        for entry in extra:
            try:
                names = {name.partition(".")[0] for name in os.listdir(entry)}
            except OSError:
                continue  # a fresh interpreter skips it too
            shadowed = sorted(names & self._modules)
            if shadowed:
                raise ForkServerUnavailable(
                    f"{what}: {entry} has {', '.join(shadowed)}, which {self.what} imported from elsewhere"
                )
        return extra

    def _submit(self, message: dict[str, Any], what: str) -> tuple[int, queue.Queue[dict[str, Any] | None]]:
        """Send a fork request: its number and the inbox its pid and exit messages arrive in."""
        inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        with self._lock:
            self._next_id += 1
            number = self._next_id
            self._inboxes[number] = inbox
            self._send({"id": number, **message}, what)
        return number, inbox

    def _send(self, message: dict[str, Any], what: str) -> None:
        assert self._requests is not None
        try:
            self._requests.write(json_line(message).encode("utf-8"))
            self._requests.flush()
        except (OSError, ValueError):
            raise ForkServerUnavailable(f"{self.what} ended before {what} was sent to it") from None

    def _await(
        self, number: int, inbox: queue.Queue[dict[str, Any] | None], timeout: float, what: str
    ) -> tuple[int, bool]:
        """The child's exit status and whether it was killed for running past ``timeout``."""
        deadline = time.monotonic() + timeout
        pid: int | None = None
        timed_out = False
        while True:
            wait = max(deadline - time.monotonic(), 0.0) if not timed_out else KILL_WAIT_S
            try:
                message = inbox.get(timeout=wait)
            except queue.Empty:
                if timed_out:  # killed, but the server never said it ended
                    raise InfrastructureError(
                        f"{what}: its forked worker did not end after SIGKILL"
                    ) from None
                timed_out = True
                if pid is None:  # never forked: the server is stuck; nothing more goes to it
                    self.ended = f"did not start {what} within {timeout:.0f} s"
                    raise InfrastructureError(f"{self.what} {self.ended}") from None
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                continue
            if message is None:
                if pid is None:
                    raise ForkServerUnavailable(f"{self.what} {self.ended}")
                raise InfrastructureError(f"{what}: the fork server ended while it ran ({self.ended})")
            if "pid" in message:
                pid = int(message["pid"])
                self.forked += 1
            elif "exit" in message:
                return int(message["exit"]), timed_out

    def close(self) -> None:
        """Stop the server and any child still running (its whole process group)."""
        self._closing.set()
        if self._boot is not None:
            self._boot.join(READY_S)  # a derived server still being forked: once it is (or is not)
        process = self._process
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self._requests.close()
        processes.stop_group(process, grace=1.0)
        for thread in self._threads:
            thread.join(1.0)
        if self._connection is not None and self._directory is not None:
            self._connection.close()
            processes.remove_temp_dir(self._directory)
        self.ended = self.ended or "was closed"

    def __enter__(self) -> ForkServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ForkedProcess:
    """A long-running forked child, handled like a :class:`subprocess.Popen` (pid, poll, wait, signals).

    Its exit status comes from the fork server that reaps it. When that server has ended first, the
    child was handed to init: it is known to have ended once its pid is gone, with status unknown (1).
    """

    def __init__(
        self,
        pid: int,
        inbox: queue.Queue[dict[str, Any] | None],
        forget: Callable[[], None],
        what: str,
    ) -> None:
        self.pid = pid
        self.args = what
        self.returncode: int | None = None
        self._inbox = inbox
        self._forget = forget
        self._orphaned = False

    def poll(self) -> int | None:
        """The exit status once the child ended, else None."""
        if self.returncode is None:
            self._take(block=False)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child's end; its exit status (``subprocess.TimeoutExpired`` after ``timeout``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            self._take(block=True, wait=left)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the child (nothing when it is gone)."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM, as Popen.terminate."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as Popen.kill."""
        self.send_signal(signal.SIGKILL)

    def _take(self, *, block: bool, wait: float = 0.0) -> None:
        if self._orphaned:
            if not _running(self.pid):
                self._ended(1)
            elif block:
                time.sleep(wait)
            return
        try:
            message = self._inbox.get(block, wait if block else None)
        except queue.Empty:
            return
        if message is None:  # the fork server ended: nobody reports this child's end any more
            self._orphaned = True
        elif "exit" in message:
            self._ended(int(message["exit"]))

    def _ended(self, status: int) -> None:
        self.returncode = status
        self._forget()


def _running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent's reaping counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # reused by someone else's process: ours is gone
            return False
        return True


def forking_allowed() -> bool:
    """False when the environment turns fork servers off (``HOKUSAI_CONTRACTS_NO_FORKSERVER=1``)."""
    return os.environ.get(FORKSERVER_OFF) != "1"


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return ""


_forkservers: Routes[ForkServer] = Routes()

# What a run's first fork server of an interpreter imports: MLflow, as its requirement-inference script
# imports it (that script's launcher is this server itself: checks/snippets/capture_relay.py). The fork
# servers that import more (the SDK's dependencies, MLflow's server) are forks of it when they can be
# (ForkServer.derivable), instead of importing MLflow again: about 1.2 s of CPU each.
MLFLOW_CORE = ("mlflow.utils._capture_modules",)


class ForkServerTable:
    """A run's fork servers of one kind by key: each started on first use (and again once it ended),
    all stopped by :meth:`close` except those the table was handed but does not own."""

    def __init__(self) -> None:
        self._servers: dict[Any, tuple[ForkServer, bool]] = {}  # by key: the server, whether owned
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], tuple[ForkServer, bool]]) -> ForkServer:
        """The server for ``key``; ``make()`` gives a new one (started) and whether the table owns it."""
        with self._lock:
            known = self._servers.get(key)
            if known is None or known[0].ended is not None:
                known = self._servers[key] = make()
            return known[0]

    def close(self) -> None:
        """Stop every server the table owns (a server forked from one keeps running until its own stop)."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server, owned in servers:
            if owned:
                server.close()


class Bases(ForkServerTable):
    """The base fork servers of one run, one per interpreter, started on first use with ``env``."""

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__()
        self._env = dict(env)

    def base(self, python: str | os.PathLike[str] | None) -> ForkServer:
        """The base fork server of ``python`` (started now if it is not running)."""
        interpreter = resolve_python(python)
        what = f"the MLflow fork server of {interpreter}"
        return self.get(
            os.path.abspath(interpreter),
            lambda: (ForkServer(interpreter, what=what, preload=MLFLOW_CORE, env=self._env).start(), True),
        )


_sharing: list[Bases] = []


@contextlib.contextmanager
def sharing(env: Mapping[str, str]) -> Iterator[Bases]:
    """Let fork servers started in the block be forks of a base of their interpreter (:func:`shared_base`);
    the bases stop at its end, so enter it before whatever owns those servers."""
    bases = Bases(env)
    _sharing.append(bases)
    try:
        yield bases
    finally:
        _sharing.remove(bases)
        bases.close()


def shared_base(python: str | os.PathLike[str] | None) -> ForkServer | None:
    """The base fork server of ``python`` while :func:`sharing` runs, else None."""
    return _sharing[-1].base(python) if _sharing and forking_allowed() else None


def routed_forkserver(
    interpreter: str, extra_paths: Sequence[str | os.PathLike[str]], script: Path | str
) -> ForkServer | None:
    """The routed fork server for ``script`` in ``interpreter`` with ``extra_paths``; else the one without
    extra paths (the call's paths then go first on its children's sys.path, when they shadow nothing)."""
    return _forkservers.find(interpreter, extra_paths, script) or _forkservers.find(interpreter, (), script)


@contextlib.contextmanager
def routed(server: ForkServer) -> Iterator[ForkServer]:
    """Send matching :func:`run_worker` calls to ``server`` while the block runs; close it at the end."""
    with _forkservers.routed(server):
        yield server.start() if server.pid is None else server
