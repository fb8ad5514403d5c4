"""Worker script: ``python -m MODULE ARGS`` run in this process, a child of a server launcher.

Loaded by ``worker_entry.py`` in the launcher's interpreter (standard library only here; what the module
imports is the launcher's preloading). The request names the module and its arguments; the process
ends with the module's exit status, as ``python -m MODULE ARGS`` would.

``mlflow`` (``mlflow server``): MLflow's own CLI parses the arguments and prepares the server (its
environment map, the basic-auth admin), exactly as ``python -m mlflow server`` does. The one change is its
last step: the command MLflow would spawn (``python -m uvicorn ...`` for 3.x, ``python -m gunicorn ...``
for 2.x) runs in this process, with the same arguments and environment, instead of in a new interpreter
that imports MLflow a second time. Anything else MLflow spawns is run as MLflow would run it.
"""

from __future__ import annotations

import os
import runpy
import sys

# Read at import from the server's configuration: when the launcher's preloading imported it, it read
# the launcher's environment, not this server's. Such a server starts in a fresh interpreter instead.
_READS_CONFIG_AT_IMPORT = ("mlflow.server.auth",)


def _exit(status: object) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status if isinstance(status, int) else (0 if status is None else 1))


def _run_module(argv: list[str]) -> None:
    """``python -m argv[0] argv[1:]`` in this process; exits with its status."""
    sys.argv = list(argv)
    try:
        runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        _exit(exc.code)
    _exit(0)


def serve_in_process(command, extra_env=None, **_options):
    """Stands in for ``mlflow.utils.process._exec_cmd`` at MLflow's spawn of its web server."""
    os.environ.update(extra_env or {})
    same_interpreter = len(command) > 2 and os.path.realpath(command[0]) == os.path.realpath(sys.executable)
    if same_interpreter and command[1] == "-m":
        _run_module(list(command[2:]))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(command[0], list(command), os.environ)


def _mlflow(argv: list[str]) -> None:
    if any(name in sys.modules for name in _READS_CONFIG_AT_IMPORT):
        os.execv(sys.executable, [sys.executable, "-m", "mlflow", *argv])
    import mlflow.server

    if hasattr(mlflow.server, "_exec_cmd"):
        mlflow.server._exec_cmd = serve_in_process
    _run_module(["mlflow", *argv])


def handle(request: dict) -> None:
    """Run ``python -m request["module"] *request["argv"]``; never returns (the process ends with it)."""
    module, argv = request["module"], list(request["argv"])
    if module == "mlflow":
        _mlflow(argv)
    _run_module([module, *argv])
