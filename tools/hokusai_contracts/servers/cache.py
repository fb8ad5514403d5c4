"""Where provisioning keeps what it builds once (venvs, template DBs, state), and how it locks it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

CACHE_ENV = "HOKUSAI_CONTRACTS_CACHE"


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """``$HOKUSAI_CONTRACTS_CACHE``, else ``~/.cache/hokusai-contracts``."""
    environ = os.environ if environ is None else environ
    value = environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "hokusai-contracts"


def version_dir(version: str, root: Path | None = None) -> Path:
    """The cache directory of one MLflow version: ``<cache>/mlflow-<version>``."""
    return (root or cache_root()) / f"mlflow-{version}"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing): one builder per cache entry, across
    processes (xdist workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
