"""Interpreters with a given SDK source and MLflow client version, built once and cached.

An SDK source is installed (``pip install --no-deps --target``) into its own directory, keyed by what
it is: a released version, a git commit, the content of a project directory or of a wheel. A replay
environment is a bare venv whose ``.pth`` file puts that directory first and the site-packages of the
cached per-MLflow-version venv (:mod:`hokusai_contracts.servers.venvs`) after it, so MLflow is never
downloaded again and a warm environment costs nothing. The ``.pth`` lists plain directories: the
harness's own editable installs (its ``.pth`` hooks) stay out of the replay.

Layout under ``<cache>/repro``: ``sdk/<key>/site`` and ``venvs/<key>-mlflow-<version>/venv``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.git_refs import commit_of
from hokusai_contracts.diff.records import RELEASES_DIR, ReleaseRecord, list_records
from hokusai_contracts.repro.report import SdkSource
from hokusai_contracts.servers.cache import cache_root, file_lock
from hokusai_contracts.servers.errors import EnvironmentBuildError
from hokusai_contracts.servers.venvs import ensure_environment, venv_python

SDK_DISTRIBUTION = "hokusai-ml-platform"
COMPLETE_MARKER = ".hokusai-complete"
PTH_NAME = "hokusai-repro.pth"
REPO_ROOT = Path(__file__).resolve().parents[3]
INSTALL_TIMEOUT_S = 600.0
# What a project directory contributes to an install: its build files and its top-level packages.
_BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in")
_SKIPPED_TOP_LEVEL = frozenset({".git", ".venv", "venv", "build", "dist", "tests", "node_modules"})
_SKIPPED_ANYWHERE = frozenset({"__pycache__", ".git"})


@dataclass(frozen=True)
class SdkEnvironment:
    """An interpreter whose ``hokusai`` comes from ``sdk`` and whose ``mlflow`` is ``mlflow_client``."""

    python: str
    sdk: SdkSource
    sdk_key: str
    mlflow_client: str
    python_version: str = ""
    sdk_version: str | None = None
    created: bool = False
    seconds: float = 0.0

    def label(self) -> str:
        """E.g. ``SDK 1.1.0 (path ., 3f2a...), MLflow client 2.9.0, Python 3.11.7``."""
        version = self.sdk_version or "unknown version"
        return (
            f"SDK {version} ({self.sdk.label()}), MLflow client {self.mlflow_client}, "
            f"Python {self.python_version}"
        )


def repro_cache(root: Path | None = None) -> Path:
    """``<cache>/repro``."""
    return (root or cache_root()) / "repro"


def _run(command: list[str], log: Path, what: str, cwd: Path | None = None) -> None:
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        try:
            done = subprocess.run(
                command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            raise EnvironmentBuildError(
                f"{what} took more than {INSTALL_TIMEOUT_S:.0f} s (log: {log})"
            ) from None
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise EnvironmentBuildError(f"{what} failed (exit {done.returncode}); log tail ({log}):\n{tail}")


# -- keys: what identifies an installed SDK source ----------------------------------------------


def _project_files(directory: Path) -> list[Path]:
    """The files of ``directory`` an install reads: build files, README/LICENSE and package trees."""
    files = [directory / name for name in _BUILD_FILES if (directory / name).is_file()]
    files += sorted(
        p for p in directory.iterdir() if p.is_file() and p.name.upper().startswith(("README", "LICENSE"))
    )
    for child in sorted(directory.iterdir()):
        is_package = (child / "__init__.py").is_file() or child.name == "src"
        if child.is_dir() and is_package and child.name not in _SKIPPED_TOP_LEVEL:
            files += sorted(
                p
                for p in child.rglob("*")
                if p.is_file()
                and not _SKIPPED_ANYWHERE.intersection(p.relative_to(directory).parts)
                and p.suffix != ".pyc"
            )
    return files


def _content_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in _project_files(directory):
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit(ref: str, repository: Path = REPO_ROOT) -> str:
    """The commit ``ref`` names in ``repository``; HarnessUsageError when there is none."""
    commit = commit_of(ref, repository)
    if commit is None:
        raise HarnessUsageError(
            f"sdk git ref {ref!r} is not a commit of {repository}; fetch it (git fetch origin {ref}) or "
            "give the SDK as path: or wheel:"
        )
    return commit


def release_tag(version: str, repository: Path = REPO_ROOT) -> str | None:
    """This repository's tag of release ``version`` (``v1.2.0`` or ``1.2.0``), None when it has none."""
    return next((tag for tag in (f"v{version}", version) if commit_of(f"refs/tags/{tag}", repository)), None)


def release_record(version: str, repository: Path = REPO_ROOT) -> ReleaseRecord | None:
    """The record of release ``version`` under ``contracts/releases/`` (tracked, so every clone has it)."""
    wanted = version.removeprefix("v")
    return next((r for r in list_records(repository / RELEASES_DIR) if r.version == wanted), None)


def release_commit(version: str, repository: Path = REPO_ROOT) -> str | None:
    """The commit release ``version`` is built from: its record's commit, else its tag; None if neither.

    A record whose commit this clone lacks is a usage error naming the fetch that fixes it: installing
    the same version number from the package index could install something else.
    """
    record = release_record(version, repository)
    if record is not None and record.commit:
        commit = commit_of(record.commit, repository)
        if commit is None:
            raise HarnessUsageError(
                f"sdk version:{version} is recorded at commit {record.commit} ({record.directory}), which "
                f"is not in this clone: fetch it (git fetch origin {record.commit}) or give the SDK as wheel:"
            )
        return commit
    tag = release_tag(version, repository)
    return git_commit(tag, repository) if tag else None


def source_key(source: SdkSource) -> str:
    """The cache key of ``source``: it changes exactly when what gets installed changes."""
    if source.kind == "version":
        return f"release-{source.value}"
    if source.kind == "git":
        return f"git-{git_commit(source.value)[:12]}"
    if source.kind == "path":
        if (
            not (Path(source.value) / "pyproject.toml").is_file()
            and not (Path(source.value) / "setup.py").is_file()
        ):
            raise HarnessUsageError(
                f"sdk path {source.value}: no pyproject.toml or setup.py, so nothing to install"
            )
        return f"path-{_content_hash(Path(source.value))[:12]}"
    if source.kind == "wheel":
        return f"wheel-{_file_hash(Path(source.value))[:12]}"
    raise HarnessUsageError(f"unknown SDK source kind {source.kind!r}")


# -- installing a source ------------------------------------------------------------------------


def _stage_project(directory: Path, into: Path) -> Path:
    # A build writes build/ and *.egg-info into its source tree: build from a copy, never in place.
    for path in _project_files(directory):
        target = into / path.relative_to(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return into


def _stage_git(commit: str, into: Path, log: Path) -> Path:
    archive = into.parent / "source.tar"
    _run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", "-o", str(archive), commit],
        log,
        "git archive",
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


def install_source(source: SdkSource, site: Path, log: Path, pip_cache: Path) -> None:
    """pip-install ``source`` (without dependencies) into the directory ``site``.

    pip keeps its downloads (the build backend) in ``pip_cache``, beside the environments, whatever
    ``HOME`` the replay runs with.
    """
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "--no-compile"]
    pip += ["--cache-dir", str(pip_cache), "--target", str(site)]
    with tempfile.TemporaryDirectory(prefix="hokusai-repro-sdk-") as scratch:
        staged = Path(scratch) / "source"
        if source.kind == "version":
            # A release recorded (or tagged) in this repository is built from its commit; others come
            # from the index.
            commit = release_commit(source.value)
            index = f"{SDK_DISTRIBUTION}=={source.value}"
            target = str(_stage_git(commit, staged, log)) if commit else index
        elif source.kind == "git":
            target = str(_stage_git(git_commit(source.value), staged, log))
        elif source.kind == "path":
            target = str(_stage_project(Path(source.value), staged))
        else:
            target = source.value
        _run([*pip, target], log, f"installing the SDK from {source.label()}")


def ensure_sdk_layer(source: SdkSource, root: Path | None = None) -> tuple[str, Path, bool]:
    """(key, directory holding the installed SDK, whether it was built now) for ``source``."""
    key = source_key(source)
    home = repro_cache(root) / "sdk" / key
    site = home / "site"
    marker = home / COMPLETE_MARKER
    with file_lock(home / ".lock"):
        if marker.exists() and site.is_dir():
            return key, site, False
        shutil.rmtree(site, ignore_errors=True)
        log = home / "install.log"
        log.write_text("")
        install_source(source, site, log, repro_cache(root) / "pip")
        marker.write_text(source.label())
        return key, site, True


# -- the replay venv ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def site_directories(python: str) -> tuple[str, ...]:
    """The site-packages directories of the interpreter ``python``."""
    code = (
        "import sysconfig, json; p = sysconfig.get_paths(); print(json.dumps([p['purelib'], p['platlib']]))"
    )
    done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise EnvironmentBuildError(
            f"cannot read the site-packages of {python}: {done.stderr.strip()[-300:]}"
        )
    return tuple(dict.fromkeys(json.loads(done.stdout)))


def _probe(python: str) -> tuple[str, str | None]:
    code = (
        "import sys, importlib.metadata as m\n"
        "print('.'.join(map(str, sys.version_info[:3])))\n"
        "try:\n    print(m.version('hokusai-ml-platform'))\nexcept m.PackageNotFoundError:\n    print('')\n"
    )
    done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise EnvironmentBuildError(
            f"the replay interpreter {python} does not start: {done.stderr.strip()[-300:]}"
        )
    lines = [*done.stdout.splitlines(), "", ""]
    return lines[0], lines[1] or None


def ensure_sdk_environment(source: SdkSource, mlflow_client: str, root: Path | None = None) -> SdkEnvironment:
    """An interpreter with ``source`` installed and MLflow ``mlflow_client``, built once per pair."""
    started = time.monotonic()
    base = ensure_environment(mlflow_client, root=root)
    key, site, built = ensure_sdk_layer(source, root)
    home = repro_cache(root) / "venvs" / f"{key}-mlflow-{mlflow_client}"
    venv = home / "venv"
    paths = [str(site), *site_directories(base.python)]
    stamp = "\n".join(paths) + "\n"
    with file_lock(home / ".lock"):
        pth = _pth_file(venv)
        if not (pth and pth.exists() and pth.read_text() == stamp and venv_python(venv).exists()):
            shutil.rmtree(venv, ignore_errors=True)
            _run(
                [base.python, "-m", "venv", "--without-pip", str(venv)],
                home / "venv.log",
                "creating the replay venv",
            )
            pth = _pth_file(venv)
            if pth is None:
                raise EnvironmentBuildError(f"the replay venv {venv} has no site-packages directory")
            pth.write_text(stamp)
            built = True
    python = str(venv_python(venv))
    python_version, sdk_version = _probe(python)
    return SdkEnvironment(
        python=python,
        sdk=source,
        sdk_key=key,
        mlflow_client=mlflow_client,
        python_version=python_version,
        sdk_version=sdk_version,
        created=built or base.created,
        seconds=time.monotonic() - started,
    )


def _pth_file(venv: Path) -> Path | None:
    found = sorted(venv.glob("lib/python*/site-packages"))
    return found[0] / PTH_NAME if found else None


def current_sdk() -> SdkSource:
    """This repository's SDK, as it is on disk: the "current SDK" claims are re-run against."""
    return SdkSource(kind="path", value=str(REPO_ROOT), described_as="this repository's working tree")
