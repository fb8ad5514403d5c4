"""Run the introspection worker in a target interpreter and return its JSON payload."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError

WORKER = Path(__file__).with_name("worker.py")
PAYLOAD_FORMAT = 1
DEFAULT_TIMEOUT_S = 120.0


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


def run_worker(
    package: str = "hokusai",
    python: str | os.PathLike[str] | None = None,
    *,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> dict:
    """Run ``worker.py --package PACKAGE`` with the given interpreter and return the parsed payload."""
    interpreter = resolve_python(python)
    command = [interpreter, str(WORKER), "--package", package]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=worker_environment(extra_paths, env),
            check=False,
        )
    except FileNotFoundError as exc:
        raise HarnessUsageError(f"cannot run {interpreter}: {exc}") from None
    except PermissionError as exc:
        raise HarnessUsageError(f"cannot run {interpreter}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise InfrastructureError(
            f"reading the API of {package!r} with {interpreter} did not finish within {timeout:.0f} s "
            "(does importing it hang, e.g. waiting for a server?)"
        ) from None
    payload = _parse(completed, interpreter, package)
    if "fatal" in payload:
        raise InfrastructureError(
            f"cannot import {package!r} with {interpreter} (Python {payload.get('python', '?')}): "
            f"{payload['fatal']}\nInstall the SDK into that environment (e.g. `{interpreter} -m pip install "
            f"-e .`) or point --python at the environment that has it.\n{payload.get('traceback', '')}"
        )
    if completed.returncode != 0:
        raise InfrastructureError(
            f"the introspection worker exited with status {completed.returncode} under {interpreter}:\n"
            f"{_tail(completed.stderr)}"
        )
    return payload


def _parse(completed: subprocess.CompletedProcess, interpreter: str, package: str) -> dict:
    try:
        payload = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise InfrastructureError(
            f"the introspection worker for {package!r} under {interpreter} printed no JSON "
            f"(exit status {completed.returncode}); its stderr ends with:\n{_tail(completed.stderr)}"
        ) from None
    found = payload.get("format") if isinstance(payload, dict) else payload
    if found != PAYLOAD_FORMAT:
        raise InfrastructureError(
            f"the introspection worker under {interpreter} answered in an unknown format "
            f"(expected format {PAYLOAD_FORMAT}, got {found!r})"
        )
    return payload


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(nothing)"
