"""A matrix cell's interpreter: this tree's SDK over a cached MLflow client venv of one Python.

The client venv (``mlflow-<client>/py<X.Y>/venv``, resolved as of the release by uv, see
:mod:`hokusai_contracts.servers.venvs`) is shared by every SDK; the SDK is installed without
dependencies into ``<cache>/sdk/<content hash>/site``; the cell's interpreter is a bare venv whose
``.pth`` file lists the SDK directory first and the client venv's site-packages after it. Built once per
(SDK content, client, Python); a warm cell costs a few process starts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.cache import cache_root, file_lock
from hokusai_contracts.servers.errors import EnvironmentBuildError
from hokusai_contracts.servers.venvs import ensure_environment, find_python, uv_command, venv_python

REPO_ROOT = Path(__file__).resolve().parents[3]
SDK_PACKAGE = "hokusai"
PTH_NAME = "hokusai-matrix.pth"
COMPLETE_MARKER = ".hokusai-complete"
_BUILD_FILES = ("pyproject.toml", "README.md", "LICENSE")
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class CellEnvironment:
    """The interpreter of one cell, and whether (and how long) building it took."""

    python: str
    client: str
    python_version: str
    created: bool = False
    seconds: float = 0.0


def sdk_files(project: Path = REPO_ROOT) -> list[Path]:
    """What an install of the SDK at ``project`` reads: its build files and the package's sources."""
    files = [project / name for name in _BUILD_FILES if (project / name).is_file()]
    package = project / SDK_PACKAGE
    files += sorted(
        p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    return files


def sdk_key(project: Path = REPO_ROOT) -> str:
    """A hash of the SDK's files: it changes exactly when what gets installed changes."""
    digest = hashlib.sha256()
    for path in sdk_files(project):
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _run(command: list[str], log: Path, what: str) -> None:
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        done = processes.run(command, timeout=TIMEOUT_S, stdout=handle, stderr=subprocess.STDOUT)
    if done.timed_out or done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise EnvironmentBuildError(f"{what} failed (exit {done.returncode}); log tail ({log}):\n{tail}")


def ensure_sdk_site(project: Path = REPO_ROOT, root: Path | None = None) -> tuple[str, Path, bool]:
    """(key, directory with the SDK installed, built now) for the SDK at ``project``."""
    key = sdk_key(project)
    home = (root or cache_root()) / "sdk" / key
    site, marker = home / "site", home / COMPLETE_MARKER
    with file_lock(home / ".lock"):
        if marker.exists() and site.is_dir():
            return key, site, False
        shutil.rmtree(site, ignore_errors=True)
        log = home / "install.log"
        log.write_text("")
        with tempfile.TemporaryDirectory(prefix="hokusai-matrix-sdk-") as scratch:
            # A build writes build/ and *.egg-info into its source: build from a copy, never in place.
            for path in sdk_files(project):
                target = Path(scratch) / path.relative_to(project)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            command = [*uv_command(), "pip", "install", "--no-deps", "--target", str(site), scratch]
            _run(command, log, f"installing the SDK from {project}")
        marker.write_text(key)
        return key, site, True


def _site_packages(python: str) -> list[str]:
    code = (
        "import sysconfig, json; p = sysconfig.get_paths(); print(json.dumps([p['purelib'], p['platlib']]))"
    )
    done = processes.run([python, "-I", "-c", code], timeout=60)
    if done.returncode != 0:
        raise EnvironmentBuildError(
            f"cannot read the site-packages of {python}: {done.stderr.strip()[-300:]}"
        )
    return list(dict.fromkeys(json.loads(done.stdout)))


def ensure_cell_environment(
    client: str,
    python_minor: str,
    *,
    project: Path = REPO_ROOT,
    root: Path | None = None,
    on_step: Callable[[str], None] | None = None,
) -> CellEnvironment:
    """The interpreter with the SDK at ``project`` and MLflow client ``client`` on Python ``python_minor``."""
    started = time.monotonic()
    interpreter = find_python(python_minor)
    base = ensure_environment(client, python=interpreter, root=root, on_step=on_step)
    if on_step is not None:
        on_step("installing the SDK")
    key, site, built = ensure_sdk_site(project, root)
    home = (root or cache_root()) / "cells" / f"sdk-{key}_client-{client}_py{python_minor}"
    venv = home / "venv"
    stamp = "\n".join([str(site), *_site_packages(base.python)]) + "\n"
    with file_lock(home / ".lock"):
        pth = next(iter(sorted(venv.glob("lib/python*/site-packages"))), None)
        if not (pth and (pth / PTH_NAME).exists() and (pth / PTH_NAME).read_text() == stamp):
            shutil.rmtree(venv, ignore_errors=True)
            home.mkdir(parents=True, exist_ok=True)
            _run(
                [interpreter, "-m", "venv", "--without-pip", str(venv)],
                home / "venv.log",
                "creating the cell venv",
            )
            pth = next(iter(sorted(venv.glob("lib/python*/site-packages"))), None)
            if pth is None:
                raise EnvironmentBuildError(f"the cell venv {venv} has no site-packages directory")
            (pth / PTH_NAME).write_text(stamp)
            built = True
    return CellEnvironment(
        python=str(venv_python(venv)),
        client=client,
        python_version=python_minor,
        created=built or base.created,
        seconds=time.monotonic() - started,
    )
