"""Where provisioning keeps what it builds once (venvs, template DBs, state), and how it locks it."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError

CACHE_ENV = "HOKUSAI_CONTRACTS_CACHE"
XDG_ENV = "XDG_CACHE_HOME"
NAME = "hokusai-contracts"


def usable_dir(path: Path) -> bool:
    """True when ``path`` is (or can be made) a directory this process can write in."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-")  # noqa: SIM115
    except OSError:
        return False
    probe.close()
    return True


@functools.cache
def _fallback(preferred: str, why: str) -> Path:
    """The temporary cache used instead of ``preferred``; says so on standard error once per run."""
    fallback = Path(tempfile.gettempdir()) / f"{NAME}-cache-{os.getuid()}"
    if not usable_dir(fallback):
        raise InfrastructureError(
            f"no writable cache directory: {preferred} {why}, and neither is {fallback}.\n"
            f"fix: set {CACHE_ENV} (or {XDG_ENV}) to a writable directory"
        )
    sys.stderr.write(
        f"warning: the cache directory {preferred} {why}; using {fallback} for this run "
        f"(set {CACHE_ENV} or {XDG_ENV} to a writable directory to keep what is built)\n"
    )
    return fallback


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """``$HOKUSAI_CONTRACTS_CACHE``, else ``$XDG_CACHE_HOME/hokusai-contracts``, else
    ``~/.cache/hokusai-contracts``; a temporary directory (with a warning) when HOME is missing or
    read-only. An explicit ``$HOKUSAI_CONTRACTS_CACHE`` that cannot be written is an InfrastructureError.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(CACHE_ENV)
    if value:
        path = Path(value).expanduser()
        if not usable_dir(path):
            raise InfrastructureError(
                f"{CACHE_ENV}={value}: not a writable directory\nfix: set {CACHE_ENV} to a writable directory"
            )
        return path
    xdg = environ.get(XDG_ENV)
    try:
        preferred = Path(xdg) / NAME if xdg else Path.home() / ".cache" / NAME
    except RuntimeError:  # no HOME and no passwd entry
        return _fallback("~/.cache/hokusai-contracts", "cannot be found (HOME is not set)")
    if usable_dir(preferred):
        return preferred
    return _fallback(str(preferred), "is not writable (a read-only or missing HOME?)")


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
