"""The relay for MLflow's pip-requirement inference: pages ask it over a Unix socket, a fork runs it.

Every model logged with MLflow's default ``infer_pip_requirements=True`` starts a fresh interpreter on
``mlflow/utils/_capture_modules.py``: about 4 s of CPU, 1.5 s of it importing MLflow before the model is
even loaded. A page's worker (``execute.use_capture_relay``) sends that command here instead; the relay
runs it as a fork of the capture launcher, a fork server of the same interpreter that made the script's
own imports and nothing else (:mod:`.capture_entry`), so the modules the model's loading imports are
recorded as in a fresh process. Only a clean exit is taken; anything else makes the page run the script
as MLflow does.

The relay runs while :func:`relaying` does (``verify`` enters it with the SDK's fork server); a page run
outside it gets no address and MLflow runs its script itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import socketserver
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.forkserver import MLFLOW_CORE, ForkServer, ForkServerTable, shared_base

ENTRY = Path(__file__).with_name("capture_entry.py")
SCRIPT_MODULE = MLFLOW_CORE[0]  # imported by the launcher: the script's own imports
SCRIPT_NAME = "_capture_modules.py"


class CaptureRelay:
    """A Unix-socket server in this process; one capture launcher per interpreter, started on first use."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._launchers = ForkServerTable()
        self._directory = processes.socket_dir("capture-relay")
        self.address = str(self._directory / "relay.sock")
        relay = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                answer = relay.answer(self.rfile.readline())
                with contextlib.suppress(OSError):
                    self.wfile.write(json.dumps(answer).encode("utf-8") + b"\n")

        try:
            self._server = socketserver.ThreadingUnixStreamServer(self.address, Handler)
        except OSError:
            processes.remove_temp_dir(self._directory)
            raise
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="capture-relay")
        self._thread.start()

    def launcher(self, python: str) -> ForkServer:
        """The capture launcher of ``python``: the run's base of it (which imported just what the script
        does: MLFLOW_CORE) in a compatible environment (shared_base), else one of the relay's own."""

        def make() -> tuple[ForkServer, bool]:
            base = shared_base(python)
            if base is not None and base.derivable(self._env, python):
                return base, False
            what = f"the requirement-inference launcher of {python}"
            server = ForkServer(python, what=what, preload=(SCRIPT_MODULE,), scripts=(ENTRY,), env=self._env)
            return server.start(), True

        return self._launchers.get(os.path.abspath(python), make)

    def answer(self, line: bytes) -> dict[str, Any]:
        """Run one request line (``{"command", "env", "cwd", "timeout"}``): its exit status, or why not."""
        try:
            request = json.loads(line)
            command, env, cwd = list(request["command"]), dict(request["env"]), str(request["cwd"])
            timeout = float(request["timeout"])
        except (ValueError, KeyError, TypeError):
            return {"refused": "not a request"}
        if len(command) < 2 or os.path.basename(command[1]) != SCRIPT_NAME:
            return {"refused": "not MLflow's inference script"}
        try:
            done = self.launcher(command[0]).run(
                ENTRY,
                {"argv": command[2:]},
                what="MLflow's requirement inference",
                timeout=timeout,
                cwd=Path(cwd),
                env=env,
            )
        except (InfrastructureError, OSError) as exc:  # ForkServerUnavailable included: MLflow runs it
            return {"refused": str(exc)[:200]}
        return {"returncode": None if done.timed_out else done.returncode}

    def close(self) -> None:
        """Stop serving, stop the launchers, remove the socket's directory."""
        self._server.shutdown()
        self._server.server_close()
        self._launchers.close()
        processes.remove_temp_dir(self._directory)


_active: list[CaptureRelay] = []


def active_address() -> str | None:
    """The socket of the relay pages should use now (None: none runs)."""
    return _active[-1].address if _active else None


@contextlib.contextmanager
def relaying(env: Mapping[str, str] | None = None) -> Iterator[CaptureRelay | None]:
    """Serve MLflow's requirement inference to pages while the block runs (launchers get ``env``);
    None when no socket can be made here (the pages then run it themselves)."""
    try:
        relay = CaptureRelay(env)
    except OSError:  # no socket here: the pages run MLflow's inference themselves, as without a relay
        yield None
        return
    _active.append(relay)
    try:
        yield relay
    finally:
        _active.remove(relay)
        relay.close()
