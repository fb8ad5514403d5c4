"""How a local ``mlflow server`` process starts: from its interpreter's launcher when one is active.

``python -m mlflow server`` is two interpreters that each import MLflow: the CLI, then the web server it
spawns (uvicorn or gunicorn). About 2.5 s of CPU each on these machines, before the server answers: a
gate starting three servers on 2 cores spent most of its first 15 s there. Inside :func:`launching`
(``verify`` enters it for its run), a server starts as a fork of its interpreter's launcher, a fork
server that imported MLflow's CLI once (:mod:`~hokusai_contracts.base.forkserver`), running
:mod:`.mlflow_entry`: MLflow's own CLI code with the same arguments and environment, the web server in
that process. Measured: /health 0.6 s after the fork, 0.55 s of CPU, against 5.4 s and about 6 s.

Outside such a block, when the launcher cannot fork, or with ``HOKUSAI_CONTRACTS_NO_FORKSERVER=1``, the
command runs as a process of its own, as before.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from hokusai_contracts.base import processes
from hokusai_contracts.base.forkserver import (
    ForkedProcess,
    ForkServer,
    ForkServerUnavailable,
    forking_allowed,
)

ENTRY = Path(__file__).with_name("mlflow_entry.py")
# What the CLI process imports before it spawns the web server, and the web servers themselves (a
# version lacks one or the other: skipped). Not the app modules: they read the server's settings.
PRELOAD = ("mlflow.cli", "mlflow.server", "uvicorn.main", "gunicorn.app.wsgiapp")
# Set per server (basic auth): the launcher's imports must not have seen another server's values.
_PER_SERVER = ("MLFLOW_AUTH_CONFIG_PATH", "MLFLOW_FLASK_SERVER_SECRET_KEY")
START_TIMEOUT_S = 120.0


class Launchers:
    """The launchers of one run, one per server interpreter (and PYTHONPATH), started on first use."""

    def __init__(self) -> None:
        self._launchers: dict[tuple[str, str | None], ForkServer] = {}
        self._lock = threading.Lock()

    def launcher(self, python: str, env: Mapping[str, str]) -> ForkServer:
        """The launcher of ``python`` for servers whose environment is ``env``."""
        key = (os.path.abspath(python), env.get("PYTHONPATH"))
        with self._lock:
            launcher = self._launchers.get(key)
            if launcher is None or launcher.ended is not None:
                base = {name: value for name, value in env.items() if name not in _PER_SERVER}
                launcher = ForkServer(
                    python, what=f"the MLflow server launcher of {python}", preload=PRELOAD, env=base
                ).start()
                self._launchers[key] = launcher
            return launcher

    def close(self) -> None:
        """Stop every launcher (a server it started keeps running until its own stop)."""
        with self._lock:
            launchers, self._launchers = list(self._launchers.values()), {}
        for launcher in launchers:
            launcher.close()


_active: list[Launchers] = []


@contextlib.contextmanager
def launching() -> Iterator[Launchers]:
    """Start local MLflow servers from launchers while the block runs; stop the launchers at its end."""
    launchers = Launchers()
    _active.append(launchers)
    try:
        yield launchers
    finally:
        _active.remove(launchers)
        launchers.close()


def launch(
    command: list[str], workdir: Path, env: Mapping[str, str], log: IO[bytes]
) -> subprocess.Popen | ForkedProcess:
    """Start ``command`` (``PYTHON -m mlflow server ARGS``) in ``workdir``, its output appended to ``log``.

    A fork of the interpreter's launcher inside :func:`launching`, else a process of its own; either way
    the leader of a process group the harness stops whole.
    """
    if _active and forking_allowed() and command[1:4] == ["-m", "mlflow", "server"]:
        log.flush()
        try:
            return (
                _active[-1]
                .launcher(command[0], env)
                .spawn(
                    ENTRY,
                    {"argv": command[3:]},
                    what=f"the MLflow server in {workdir}",
                    directory=workdir,
                    log_path=Path(log.name),
                    cwd=workdir,
                    env=env,
                    timeout=START_TIMEOUT_S,
                )
            )
        except ForkServerUnavailable:
            pass  # as before: a process of its own
    return processes.spawn(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
