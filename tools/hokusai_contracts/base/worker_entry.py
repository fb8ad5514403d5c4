"""The worker side of the harness's worker protocol: ``python worker_entry.py SCRIPT REQUEST RESPONSE``.

Standard library only, and runnable by path in any interpreter (the target venv has no harness): it
loads the worker ``SCRIPT`` by path, calls its ``handle(request)`` with the JSON of the ``REQUEST`` file,
and writes the answer to the ``RESPONSE`` file as JSON lines: one line for a plain answer, one per item
when ``handle`` is a generator (each line flushed at once, so a worker that hangs later still reports
what it finished). Dataclasses are written as dicts. The worker's stdout and stderr stay its own output.

Exit status: 0 answered; 1 ``handle`` raised (the traceback is on stderr); 74 the answer could not be
written (``disk full`` on stderr when the disk is); 64 bad command line.

Session mode, ``python worker_entry.py --session``: one process answers several requests in order (the
harness's ``WorkerSession``). Each line on stdin is ``{"id": n, "script": path, "request": {...}}``; the
answer goes to the original stdout as JSON lines ``{"id": n, "item": answer}`` (one per item of a
generator), then ``{"id": n, "done": true, "status": 0 | 1}`` (1: ``handle`` raised, the traceback is on
stderr). Whatever the scripts or the code they load print to stdout goes to stderr instead. The session
ends when stdin closes (status 0), or with 74 when an answer cannot be written.

Fork-server mode, ``python worker_entry.py --forkserver '["mlflow", ...]'`` (the harness's ``ForkServer``):
the process imports the listed modules once (a missing one is skipped), says ``{"ready": true, ...}`` on
stdout, then forks one child per request line ``{"id": n, "script", "request", "response", "stdout",
"stderr", "cwd", "env", "sys_path"}``: the child is a one-shot worker (``serve``) whose stdout and
stderr go to the named files, in the given directory and environment (``sys_path``: entries put first
on its sys.path), so each request still gets a process of its own without paying for those imports
again (``"own_group": true``: in a process group of its own, for a
long-running child such as a server; ``"append": true``: output appended to the files). The server
answers ``{"id": n, "pid": p}`` when the child starts and ``{"id": n, "exit": status}`` when it ends
(negative: killed by that signal). When an import started a thread, forking would be unsafe: it says
``{"ready": false, "why": ...}`` and exits. The ready message also lists the top-level modules imported
(``modules``) and the environment variables the imports read (``environ_read``). A request with
``"forkserver": [modules]`` and ``"connect": socket_path`` (no ``script``) makes the child a fork server
in turn: it imports those modules too and takes its requests and writes its answers on that Unix socket.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import errno
import gc
import importlib.util
import inspect
import json
import os
import select
import socket
import sys
import threading
import traceback
from typing import NoReturn

EXIT_FAILED = 1
EXIT_USAGE = 64
EXIT_WRITE_FAILED = 74
MODULE_NAME = "hokusai_contracts_worker"
SESSION_MARK = "\x00hokusai-contracts-session-done "  # + the request's id: its stderr is complete


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_line(value) -> str:
    """``value`` (dataclasses as dicts) as one line of JSON."""
    return json.dumps(value, default=_plain) + "\n"


def write_failure(exc: OSError, path: str) -> str:
    """The one-line reason an answer could not be written to ``path``."""
    if exc.errno == errno.ENOSPC:
        return f"disk full: cannot write {path} ({exc.strerror})"
    return f"cannot write {path}: {exc}"


def drop_own_directory() -> None:
    """Remove this file's directory from ``sys.path``: nothing beside it may shadow the target's modules."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]


def load_script(path: str, name: str = MODULE_NAME):
    """The worker script at ``path`` as a module (registered first: dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the worker script {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class AnswerNotWritten(Exception):
    """The answer file could not be written (the message says why: disk full...)."""


def _write(output, path: str, item) -> None:
    try:
        data = memoryview(json_line(item).encode("utf-8"))
        while data:  # a raw write may take only part of a large answer
            data = data[output.write(data) :]
    except OSError as exc:
        raise AnswerNotWritten(write_failure(exc, path)) from None


def serve(script: str, request_path: str, response_path: str) -> int:
    """Run ``script``'s ``handle`` on the request; write its answer; the exit status."""
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    try:
        # Unbuffered: each line is on disk at once, and a failed write leaves nothing to flush on close.
        with open(response_path, "wb", buffering=0) as output:
            answer = load_script(script).handle(request)
            for item in answer if inspect.isgenerator(answer) else [answer]:
                _write(output, response_path, item)
    except AnswerNotWritten as exc:
        print(exc, file=sys.stderr)
        return EXIT_WRITE_FAILED
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if isinstance(exc, OSError) and exc.filename == response_path:
            print(write_failure(exc, response_path), file=sys.stderr)
            return EXIT_WRITE_FAILED
        traceback.print_exc()
        return EXIT_FAILED
    return 0


def serve_session(requests, output) -> int:
    """Answer each request line of ``requests`` in order on the binary ``output``; the exit status."""
    scripts: dict[str, object] = {}
    for line in requests:
        if not line.strip():
            continue
        message = json.loads(line)
        number = message.get("id")
        status = 0
        try:
            script = message["script"]
            if script not in scripts:
                # Each script its own module name: several live in one process.
                scripts[script] = load_script(script, f"{MODULE_NAME}_{len(scripts)}")
            answer = scripts[script].handle(message["request"])
            for item in answer if inspect.isgenerator(answer) else [answer]:
                _write(output, "the session's stdout", {"id": number, "item": item})
        except AnswerNotWritten as exc:
            print(exc, file=sys.stderr)
            return EXIT_WRITE_FAILED
        except KeyboardInterrupt:
            raise
        except BaseException:
            traceback.print_exc()
            status = EXIT_FAILED
        # The request's end on stderr too: the harness reads the two pipes apart, and takes the
        # request's stderr once this line arrived (the traceback above, say).
        print(f"{SESSION_MARK}{number}", file=sys.stderr, flush=True)
        try:
            _write(output, "the session's stdout", {"id": number, "done": True, "status": status})
        except AnswerNotWritten as exc:
            print(exc, file=sys.stderr)
            return EXIT_WRITE_FAILED
    return 0


def session() -> int:
    """``--session``: answers on the original stdout; anything else written to fd 1 goes to stderr."""
    output = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    with output:
        return serve_session(sys.stdin, output)


# Caches a preloaded module builds lazily from the interpreter's installed distributions alone, built once
# in the server rather than in every child: module -> (the function that builds them, the globals it
# sets). MLflow maps imported modules to distributions (0.26 s of CPU) in each child that logs a model.
# A child with extra path entries may see other distributions: its copy is reset and built on first use.
WARM_CACHES = {
    "mlflow.utils.requirements_utils": (
        "_init_packages_to_modules_map",
        ("_MODULES_TO_PACKAGES", "_PACKAGES_TO_MODULES"),
    ),
}


class _RecordingEnviron(type(os.environ)):  # type: ignore[misc]
    """``os.environ`` while a fork server imports: the names read (``get``, ``[]``, ``in``, copies)."""

    read: set = set()

    def __getitem__(self, key):
        _RecordingEnviron.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _RecordingEnviron.read.add(key)
        return super().__contains__(key)


def _preload(modules) -> tuple:
    """Import ``modules`` (the missing ones skipped) and build WARM_CACHES: the names imported, and the
    environment variables read meanwhile (a fork server derived from this one must have the same)."""
    loaded = []
    plain = os.environ.__class__
    os.environ.__class__ = _RecordingEnviron
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # a module this interpreter lacks: its users import it themselves, or fail
                continue
            loaded.append(name)
        for name, (build, _) in WARM_CACHES.items():
            module = sys.modules.get(name)
            with contextlib.suppress(Exception):  # another version without that function: built when used
                getattr(module, build)()
    finally:
        os.environ.__class__ = plain
    read, _RecordingEnviron.read = _RecordingEnviron.read, set()
    return loaded, sorted(name for name in read if isinstance(name, str))


def _unwarm_caches() -> None:
    for name, (_, variables) in WARM_CACHES.items():
        module = sys.modules.get(name)
        if module is not None:
            for variable in variables:
                if hasattr(module, variable):
                    setattr(module, variable, None)


def _leave(status: int) -> NoReturn:
    """End a forked child as ``multiprocessing`` ends its forked processes: threads joined as at
    interpreter exit, then (as a fresh process would) the atexit handlers, streams flushed, and
    ``os._exit``. The interpreter's own teardown would write to every object inherited from the server,
    copying its memory pages: measured 0.14 s of CPU per child, for nothing the child reports."""
    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)


def _child(message, output) -> NoReturn:
    """In a forked child: become a one-shot worker for ``message`` (output to its files), then exit."""
    output.close()  # the server's answer pipe: the harness must see it close when the server ends
    if message.get("own_group"):  # a long-running child (a server) the harness stops on its own
        os.setsid()
    if message.get("connect"):  # a derived fork server: requests in, answers out on the harness's socket
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(message["connect"])
        os.dup2(connection.fileno(), 0)
        os.dup2(connection.fileno(), 1)
        connection.close()
    else:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
    for fd, path in ((1, message["stdout"]), (2, message["stderr"])):
        if path is None:  # stdout: the socket above
            continue
        if fd == 2 and path == message["stdout"]:  # merged: one file, one offset
            os.dup2(1, 2)
            continue
        keep = os.O_APPEND if message.get("append") else os.O_TRUNC
        target = os.open(path, os.O_WRONLY | os.O_CREAT | keep, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - the process's stdin until it exits
    sys.stdout = sys.__stdout__
    os.chdir(message["cwd"] or os.getcwd())
    os.environ.clear()
    os.environ.update(message["env"])
    if message.get("sys_path"):  # PYTHONPATH entries before the server's, as a fresh interpreter has them
        sys.path[0:0] = message["sys_path"]
        importlib.invalidate_caches()
        _unwarm_caches()
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # a fresh process seeds numpy's global generator itself; so does random at fork
        numpy.random.seed()
    if message.get("forkserver") is not None:  # derived: import more, then fork requests of its own
        _leave(forkserver(message["forkserver"]))
    _leave(serve(message["script"], message["request"], message["response"]))


def _reap(pending: dict, output) -> None:
    while pending:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        number = pending.pop(pid, None)
        if number is not None:
            _write(
                output, "the fork server's stdout", {"id": number, "exit": os.waitstatus_to_exitcode(status)}
            )


def forkserver(modules) -> int:
    """``--forkserver``: import ``modules``, then fork a one-shot worker per request line on stdin."""
    output = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    loaded, environ_read = _preload(modules)
    threads = threading.active_count()
    if threads > 1:
        why = f"importing {', '.join(loaded)} started {threads - 1} thread(s): forking would be unsafe"
        _write(output, "the fork server's stdout", {"ready": False, "why": why})
        return 0
    # Python's advice for a process that forks without exec: the preloaded objects move to a permanent
    # generation the children's collections never traverse. Otherwise each child's collections and its
    # exit wrote to every inherited object, copying its pages: measured 1.1 s of CPU per child's exit
    # alone (MLflow, scikit-learn, pandas preloaded), 0.23 s with the freeze.
    gc.collect()
    gc.freeze()
    modules = sorted({name.partition(".")[0] for name in list(sys.modules)})
    ready = {"ready": True, "preloaded": loaded, "modules": modules, "environ_read": environ_read}
    _write(output, "the fork server's stdout", ready)
    pending: dict = {}
    buffered, reading = b"", True
    while reading or pending:
        readable, _, _ = select.select([0] if reading else [], [], [], 0.05)
        _reap(pending, output)
        if not readable:
            continue
        chunk = os.read(0, 1 << 16)
        if not chunk:
            reading = False
            continue
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            if not line.strip():
                continue
            message = json.loads(line)
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(message, output)
            pending[pid] = message["id"]
            _write(output, "the fork server's stdout", {"id": message["id"], "pid": pid})
    return 0


def main(argv: list[str]) -> int:
    """Entry point: ``SCRIPT REQUEST RESPONSE``, ``--session`` or ``--forkserver MODULES_JSON``."""
    if argv == ["--session"]:
        drop_own_directory()
        return session()
    if len(argv) == 2 and argv[0] == "--forkserver":
        drop_own_directory()
        return forkserver(json.loads(argv[1]))
    if len(argv) != 3:
        print("usage: python worker_entry.py SCRIPT REQUEST.json RESPONSE.jsonl | --session", file=sys.stderr)
        return EXIT_USAGE
    drop_own_directory()
    return serve(*argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
