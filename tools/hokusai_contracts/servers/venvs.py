"""One virtual environment per MLflow version, created on demand and cached.

``<cache>/mlflow-<version>/venv`` (cache: ``$HOKUSAI_CONTRACTS_CACHE`` or ``~/.cache/hokusai-contracts``).
The harness's own interpreter is used when its MLflow already is the requested version. Creation holds
a file lock, so two xdist workers asking for the same version build it once.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers.cache import file_lock, version_dir
from hokusai_contracts.servers.errors import EnvironmentBuildError

_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?([a-z0-9.+-]*)$")
COMPLETE_MARKER = ".hokusai-complete"
INSTALL_TIMEOUT_S = 1200.0

# (installer of a venv directory with requirements) -> raises EnvironmentBuildError on failure
Installer = Callable[[Path, Sequence[str]], None]


@dataclass(frozen=True)
class MlflowEnvironment:
    """An interpreter whose ``mlflow`` is ``version``, and what it cost to get it."""

    version: str
    python: str
    created: bool = False
    seconds: float = 0.0

    @property
    def is_harness(self) -> bool:
        """True when this is the harness's own interpreter (no venv)."""
        return self.python == sys.executable


def check_version(version: str) -> str:
    """``version`` if it looks like a release number; HarnessUsageError otherwise."""
    if not _VERSION.match(version):
        raise HarnessUsageError(f"--mlflow-version {version!r}: expected a release number such as 3.17.2")
    return version


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def requirements_for(version: str) -> list[str]:
    """What pip installs for MLflow ``version``: MLflow itself plus the pins an old release needs."""
    if _major(version) < 3:
        # 2.x has no [auth] extra (basic-auth works without it) and breaks on SQLAlchemy 2.1's API.
        return [f"mlflow=={version}", "sqlalchemy<2.1"]
    return [f"mlflow[auth]=={version}"]


def own_mlflow_version() -> str | None:
    """The MLflow version installed with the harness, None when there is none."""
    try:
        return importlib.metadata.version("mlflow")
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=32)
def mlflow_version_of(python: str) -> str | None:
    """The MLflow version installed for the interpreter ``python`` (without importing MLflow)."""
    if python == sys.executable:
        return own_mlflow_version()
    code = "import importlib.metadata as m; print(m.version('mlflow'))"
    try:
        done = processes.run([python, "-c", code], timeout=60)
    except OSError:
        return None
    if done.timed_out or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtual environment ``venv``."""
    return venv / "bin" / "python"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def pip_installer(venv: Path, requirements: Sequence[str]) -> None:
    """Create ``venv`` with the harness's base Python and pip-install ``requirements`` into it."""
    log = venv.parent / "install.log"
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check", *requirements],
    ]
    with open(log, "w") as handle:
        for command in steps:
            handle.write(f"$ {' '.join(command)}\n")
            handle.flush()
            done = processes.run(command, timeout=INSTALL_TIMEOUT_S, stdout=handle, stderr=subprocess.STDOUT)
            if done.timed_out:
                raise EnvironmentBuildError(
                    f"installing {' '.join(requirements)} took more than {INSTALL_TIMEOUT_S:.0f} s; "
                    f"log tail ({log}):\n{_tail(log)}"
                )
            if done.returncode != 0:
                raise EnvironmentBuildError(
                    f"could not create the environment for {' '.join(requirements)} "
                    f"(`{command[2]}` exited with {done.returncode}); log tail ({log}):\n{_tail(log)}"
                )


def ensure_environment(
    version: str | None,
    *,
    root: Path | None = None,
    installer: Installer = pip_installer,
    own_version: Callable[[], str | None] = own_mlflow_version,
) -> MlflowEnvironment:
    """An interpreter with MLflow ``version`` (None: the harness's own), building its venv once."""
    own = own_version()
    if version is None or version == own:
        if own is None:
            raise EnvironmentBuildError("the harness's interpreter has no mlflow installed")
        return MlflowEnvironment(version=own, python=sys.executable)
    check_version(version)
    home = version_dir(version, root)
    venv = home / "venv"
    requirements = requirements_for(version)
    stamp = "\n".join(requirements)
    marker = venv / COMPLETE_MARKER
    with file_lock(home / ".lock"):
        if marker.exists() and marker.read_text() == stamp and venv_python(venv).exists():
            return MlflowEnvironment(version=version, python=str(venv_python(venv)))
        # A venv without its marker is a build that was interrupted: start over.
        shutil.rmtree(venv, ignore_errors=True)
        started = time.monotonic()
        installer(venv, requirements)
        marker.write_text(stamp)
        return MlflowEnvironment(
            version=version, python=str(venv_python(venv)), created=True, seconds=time.monotonic() - started
        )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hokusai_contracts.servers.venvs requirements|ensure VERSION``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("requirements", "ensure"):
        print(
            "usage: python -m hokusai_contracts.servers.venvs requirements|ensure VERSION",
            file=sys.stderr,
        )
        return 3
    if args[0] == "requirements":
        print("\n".join(requirements_for(check_version(args[1]))))
        return 0
    environment = ensure_environment(args[1])
    print(environment.python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
