"""How a local server process (``mlflow server``, the gateway) starts: from a launcher when one is active.

``python -m mlflow server`` is two interpreters that each import MLflow: the CLI, then the web server it
spawns (uvicorn or gunicorn). About 2.5 s of CPU each on these machines, before the server answers: a
gate starting three servers on 2 cores spent most of its first 15 s there. Inside :func:`launching`
(``verify`` enters it for its run), a server starts as a fork of a launcher, a fork server of its
interpreter that imported the module's dependencies once (:mod:`~hokusai_contracts.base.forkserver`),
running :mod:`.launch_entry`. For MLflow that is MLflow's own CLI code with the same arguments and
environment, the web server in that process. Measured: /health 0.6 s after the fork, 0.55 s of CPU,
against 5.4 s and about 6 s. The gateway (``python -m hokusai_contracts.gateway.serve``, about 1 s of CPU
to import) starts the same way.

Outside such a block, when the launcher cannot fork, or with ``HOKUSAI_CONTRACTS_NO_FORKSERVER=1``, the
command runs as a process of its own, as before.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from hokusai_contracts.base import processes
from hokusai_contracts.base.forkserver import (
    ForkedProcess,
    ForkServer,
    ForkServerTable,
    ForkServerUnavailable,
    forking_allowed,
    shared_base,
)
from hokusai_contracts.gateway.config import ENV_UPSTREAM_PASSWORD, ENV_UPSTREAM_TOKEN, ENV_UPSTREAM_USERNAME

ENTRY = Path(__file__).with_name("launch_entry.py")
# What each launchable module imports before it serves (a version lacking one skips it). For ``mlflow
# server``: what the CLI imports before it spawns the web server, and the web servers themselves; not the
# app modules, which read the server's settings at import.
PRELOADS = {
    # Not gunicorn (MLflow 2.x): its config takes the importing process's working directory as the
    # default --chdir, so every server would have run in the launcher's directory instead of its own.
    "mlflow": ("mlflow.cli", "mlflow.server", "uvicorn.main"),
    "hokusai_contracts.gateway.serve": ("hokusai_contracts.gateway.app", "uvicorn.main", "h11"),
}
# Set per server (basic auth, a gateway's upstream credentials): the launcher's imports must not have
# seen another server's values, and its environment keeps no server's secret.
_PER_SERVER = (
    "MLFLOW_AUTH_CONFIG_PATH",
    "MLFLOW_FLASK_SERVER_SECRET_KEY",
    ENV_UPSTREAM_USERNAME,
    ENV_UPSTREAM_PASSWORD,
    ENV_UPSTREAM_TOKEN,
)
START_TIMEOUT_S = 120.0


def launchable(command: list[str]) -> str | None:
    """The module ``command`` runs (``PYTHON -m MODULE ...``) when a launcher can start it, else None."""
    if len(command) < 3 or command[1] != "-m" or command[2] not in PRELOADS:
        return None
    if command[2] == "mlflow" and command[3:4] != ["server"]:
        return None
    return command[2]


class Launchers(ForkServerTable):
    """The launchers of one run, one per module, interpreter (and PYTHONPATH), started on first use."""

    def launcher(self, module: str, python: str, env: Mapping[str, str]) -> ForkServer:
        """The launcher of ``module`` in ``python`` for servers whose environment is ``env``."""

        def make() -> tuple[ForkServer, bool]:
            base = {name: value for name, value in env.items() if name not in _PER_SERVER}
            what = f"the {module} launcher of {python}"
            parent = shared_base(python) if module == "mlflow" else None
            return ForkServer(
                python, what=what, preload=PRELOADS[module], env=base, parent=parent
            ).start(), True

        return self.get((module, os.path.abspath(python), env.get("PYTHONPATH")), make)


_active: list[Launchers] = []


@contextlib.contextmanager
def launching() -> Iterator[Launchers]:
    """Start local servers from launchers while the block runs; stop the launchers at its end."""
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
    """Start ``command`` (``PYTHON -m mlflow server ARGS``, the gateway) in ``workdir``, output in ``log``.

    A fork of the module's launcher in that interpreter inside :func:`launching`, else a process of its
    own; either way the leader of a process group the harness stops whole.
    """
    module = launchable(command)
    if _active and forking_allowed() and module is not None:
        log.flush()
        launcher = _active[-1].launcher(module, command[0], env)
        try:
            return launcher.spawn(
                ENTRY,
                {"module": module, "argv": command[3:]},
                what=f"{module} in {workdir}",
                directory=workdir,
                log_path=Path(log.name),
                cwd=workdir,
                env=env,
                timeout=START_TIMEOUT_S,
            )
        except ForkServerUnavailable:
            pass  # as before: a process of its own
    return processes.spawn(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
