"""Read the public API of an installed SDK through import and introspection, in its own interpreter.

The worker (``worker.py``, standard library only) runs in a subprocess of the target interpreter, so
any installed ``hokusai`` can be read: an older release, a fork, another virtual environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from hokusai_contracts.contract.model import Api
from hokusai_contracts.introspection.build import build_api
from hokusai_contracts.introspection.runner import DEFAULT_TIMEOUT_S, WORKER, resolve_python, run_worker

__all__ = ["WORKER", "build_api", "introspect", "resolve_python", "run_worker"]


def introspect(
    package: str = "hokusai",
    python: str | os.PathLike[str] | None = None,
    *,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Api:
    """The public API of ``package`` as installed for ``python`` (None: this interpreter)."""
    payload = run_worker(package, python, extra_paths=extra_paths, env=env, timeout=timeout)
    return build_api(payload)
