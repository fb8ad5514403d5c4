"""Run the introspection worker in a target interpreter and return its JSON payload."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import resolve_python, worker_environment
from hokusai_contracts.base.workers import run_worker as run_worker_script

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "WORKER",
    "IntrospectionRequest",
    "resolve_python",
    "run_worker",
    "worker_environment",
]

WORKER = Path(__file__).with_name("worker.py")
PAYLOAD_FORMAT = 1
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class IntrospectionRequest:
    """What the worker describes: one importable package."""

    package: str


def run_worker(
    package: str = "hokusai",
    python: str | os.PathLike[str] | None = None,
    *,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> dict:
    """Run the worker on ``package`` with the given interpreter and return the parsed payload."""
    interpreter = resolve_python(python)
    run = run_worker_script(
        WORKER,
        IntrospectionRequest(package),
        what=f"the introspection worker for {package!r}",
        python=interpreter,
        timeout=timeout,
        env=env,
        extra_paths=extra_paths,
    )
    if run.timed_out:
        raise InfrastructureError(
            f"reading the API of {package!r} with {interpreter} did not finish within {timeout:.0f} s "
            "(does importing it hang, e.g. waiting for a server?)"
        )
    payload = run.answer()
    found = payload.get("format") if isinstance(payload, dict) else payload
    if found != PAYLOAD_FORMAT:
        raise InfrastructureError(
            f"the introspection worker under {interpreter} answered in an unknown format "
            f"(expected format {PAYLOAD_FORMAT}, got {found!r})"
        )
    if "fatal" in payload:
        raise InfrastructureError(
            f"cannot import {package!r} with {interpreter} (Python {payload.get('python', '?')}): "
            f"{payload['fatal']}\n{fatal_advice(package, interpreter, payload.get('missing'))}\n"
            f"{payload.get('traceback', '')}"
        )
    return payload


def fatal_advice(package: str, interpreter: str, missing: str | None) -> str:
    """What to do when ``package`` does not import: install it, or install the dependency it lacks."""
    top = (missing or "").split(".")[0]
    if missing and top != package.split(".")[0]:
        return (
            f"{package!r} was found, but a dependency of it is missing: {missing!r} (install "
            f"{top!r} into that environment, or point --python at an environment that has the SDK's "
            "dependencies)."
        )
    if missing and missing != package:
        return (
            f"{package!r} was found, but its own module {missing!r} is missing from that copy (a file not "
            "in this release, or an import of a module that was renamed)."
        )
    return (
        f"Install the SDK into that environment (e.g. `{interpreter} -m pip install -e .`) or point "
        "--python at the environment that has it."
    )
