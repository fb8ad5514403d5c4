"""Run ``probe_worker.py`` in one side's interpreter: attribute values, import checks, call bindings."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.introspection.runner import resolve_python, worker_environment

WORKER = Path(__file__).with_name("probe_worker.py")
TIMEOUT_S = 60.0


def run_probe(
    request: dict, python: str | None = None, extra_paths: Sequence[str] = (), timeout: float = TIMEOUT_S
) -> dict:
    """The worker's answer to ``request`` (see the worker's docstring for both formats)."""
    interpreter = resolve_python(python)
    try:
        completed = subprocess.run(
            [interpreter, str(WORKER)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=worker_environment(extra_paths),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InfrastructureError(
            f"the diff probe under {interpreter} did not finish within {timeout:.0f} s "
            "(does importing the SDK wait for a server?)"
        ) from None
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError:
        tail = "\n".join(completed.stderr.strip().splitlines()[-20:]) or "(nothing)"
        raise InfrastructureError(
            f"the diff probe under {interpreter} printed no JSON (exit status {completed.returncode}); "
            f"its stderr ends with:\n{tail}"
        ) from None
