"""One virtual environment per MLflow version (and Python), resolved as of the release, cached.

``<cache>/mlflow-<version>/venv`` for the harness's Python, ``<cache>/mlflow-<version>/py3.10/venv``
for another one (cache: ``$HOKUSAI_CONTRACTS_CACHE`` or ``~/.cache/hokusai-contracts``). uv builds them
with ``--exclude-newer`` set to the day after the MLflow release (or after the Python's release, when
that is later): ``mlflow==2.9.0`` installed today resolves SQLAlchemy 2.1 and its server crashes at
start, as of its release it resolves what its users had. uv keeps its downloads in ``<cache>/uv``.
The harness's own interpreter is used when its MLflow already is the requested version. Creation holds
a file lock, so two xdist workers asking for the same version build it once.
"""

from __future__ import annotations

import datetime
import functools
import importlib.metadata
import json
import os
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
from hokusai_contracts.servers.cache import cache_root, file_lock, version_dir
from hokusai_contracts.servers.errors import EnvironmentBuildError

_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?([a-z0-9.+-]*)$")
COMPLETE_MARKER = ".hokusai-complete"
INSTALL_TIMEOUT_S = 1200.0

PYPI_RELEASE_URL = "https://pypi.org/pypi/mlflow/{version}/json"

# (installer of a venv directory with requirements) -> raises EnvironmentBuildError on failure
Installer = Callable[[Path, Sequence[str]], None]
# Told what a build is doing ("resolving mlflow==2.9.0 as of 2023-12-07 on Python 3.10"), for progress.
StepListener = Callable[[str], None]

# Upload dates (UTC) of the MLflow releases the default matrix uses, from PyPI's JSON API, so that a
# cached machine resolves environments without asking PyPI; other versions are looked up there.
RELEASE_DATES = {
    "2.9.0": "2023-12-06",
    "2.9.2": "2023-12-14",
    "2.22.0": "2025-04-24",
    "2.22.1": "2025-06-06",
    "2.22.2": "2025-08-28",
    "3.0.0": "2025-06-10",
    "3.17.2": "2026-10-21",
}
# First releases of the CPython minors the matrix runs: packages older than these have no wheels for
# them, so an environment on Python 3.13 is resolved no earlier than 3.13's release.
PYTHON_RELEASE_DATES = {
    "3.10": "2021-10-04",
    "3.11": "2022-10-24",
    "3.12": "2023-10-02",
    "3.13": "2024-10-07",
    "3.14": "2025-10-07",
}


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


def release_date(version: str, fetch: Callable[[str], str] | None = None) -> datetime.date:
    """The day MLflow ``version`` was uploaded to PyPI (known table first, then PyPI's JSON API)."""
    known = RELEASE_DATES.get(version)
    if known is not None:
        return datetime.date.fromisoformat(known)
    try:
        text = (fetch or _fetch_text)(PYPI_RELEASE_URL.format(version=version))
        files = json.loads(text).get("urls") or []
        uploaded = min(f["upload_time_iso_8601"] for f in files)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if getattr(exc, "code", None) == 404:
            # The index knows no such release: nothing can be installed, whatever the date.
            raise EnvironmentBuildError(
                f"MLflow {version} is not on the package index (PyPI answered 404 for it); "
                "pass a released version, e.g. --mlflow-version 3.17.2"
            ) from exc
        raise EnvironmentBuildError(
            f"cannot find the release date of MLflow {version} on PyPI ({exc}); add it to "
            "RELEASE_DATES in hokusai_contracts/servers/venvs.py"
        ) from exc
    return datetime.date.fromisoformat(uploaded[:10])


def _fetch_text(url: str) -> str:
    import urllib.request  # only when a date is not in the table: no network otherwise

    with urllib.request.urlopen(url, timeout=20) as response:
        return response.read().decode()


def resolution_date(version: str, python_minor: str | None = None) -> datetime.date:
    """The day an environment of MLflow ``version`` on Python ``python_minor`` is resolved as of: the
    day after the release, or after the Python's first release when that came later."""
    day = release_date(version) + datetime.timedelta(days=1)
    python_day = PYTHON_RELEASE_DATES.get(python_minor or "")
    if python_day is not None:
        day = max(day, datetime.date.fromisoformat(python_day) + datetime.timedelta(days=1))
    return day


# The first release with the [auth] extra: its basic-auth app imports Flask-WTF (CSRF) and refuses to
# start without it (mlflow/mlflow#14022, released in 2.20.0).
AUTH_EXTRA_SINCE = (2, 20)


def requirements_for(version: str) -> list[str]:
    """What pip installs for MLflow ``version``: MLflow itself plus the pins an old release needs."""
    major, minor = (int(part) for part in version.split(".")[:2])
    name = "mlflow[auth]" if (major, minor) >= AUTH_EXTRA_SINCE else "mlflow"
    if major < 3:
        # 2.x breaks on SQLAlchemy 2.1's API; before 2.20 there is no [auth] extra (basic auth needs none).
        return [f"{name}=={version}", "sqlalchemy<2.1"]
    return [f"{name}=={version}"]


def environment_requirements(version: str) -> list[str]:
    """:func:`requirements_for` plus what the venv itself lacks: MLflow 2 imports ``pkg_resources``,
    which a uv venv does not seed."""
    extra = ["setuptools"] if _major(version) < 3 else []
    return [*requirements_for(version), *extra]


def python_minor(python: str) -> str:
    """``"3.10"`` for the interpreter ``python``."""
    if python == sys.executable:
        return f"{sys.version_info[0]}.{sys.version_info[1]}"
    done = processes.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=60)
    if done.timed_out or done.returncode != 0:
        raise EnvironmentBuildError(f"the interpreter {python} does not start: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def find_python(minor: str, pyenv_root: Path | None = None) -> str:
    """An interpreter of Python ``minor`` (``"3.10"``): the harness's own, pyenv's, or ``pythonX.Y``."""
    if not re.fullmatch(r"3\.\d+", minor):
        raise HarnessUsageError(f"Python version {minor!r}: expected a minor version such as 3.10")
    if python_minor(sys.executable) == minor:
        return sys.executable
    root = pyenv_root or Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(
        root.glob(f"versions/{minor}.*/bin/python{minor}"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)],
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(f"python{minor}")
    if found:
        return found
    raise HarnessUsageError(f"no Python {minor} interpreter found (looked in {root}/versions and PATH)")


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
    """Create ``venv`` with the harness's base Python and pip-install ``requirements`` into it (today's
    releases: no date cut-off; :func:`uv_installer` is the default)."""
    steps = [
        ("creating the venv", [sys.executable, "-m", "venv", str(venv)]),
        (
            f"installing {' '.join(requirements)}",
            [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check", *requirements],
        ),
    ]
    _run_steps(venv, requirements, steps, None, None)


def uv_command() -> list[str]:
    """How to call uv: the one installed beside the harness's interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("uv")
    if found:
        return [found]
    raise EnvironmentBuildError("uv is not installed: pip install uv (a harness dependency)")


def uv_installer(
    interpreter: str,
    exclude_newer: datetime.date,
    root: Path | None = None,
    on_step: StepListener | None = None,
) -> Installer:
    """An installer that creates the venv on ``interpreter`` and installs with uv as of ``exclude_newer``."""

    def install(venv: Path, requirements: Sequence[str]) -> None:
        uv = uv_command()
        cutoff = f"{exclude_newer.isoformat()}T00:00:00Z"
        environ = {**os.environ, "UV_CACHE_DIR": str((root or cache_root()) / "uv")}
        environ.pop("VIRTUAL_ENV", None)
        steps = [
            ("creating the venv", [*uv, "venv", "--quiet", "--python", interpreter, str(venv)]),
            (
                f"resolving {' '.join(requirements)} as of {exclude_newer}",
                [
                    *uv,
                    "pip",
                    "install",
                    "--python",
                    str(venv_python(venv)),
                    "--exclude-newer",
                    cutoff,
                    *requirements,
                ],
            ),
        ]
        _run_steps(venv, requirements, steps, environ, on_step)

    return install


def _run_steps(
    venv: Path,
    requirements: Sequence[str],
    steps: Sequence[tuple[str, list[str]]],
    environ: dict[str, str] | None,
    on_step: StepListener | None,
) -> None:
    log = venv.parent / "install.log"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        for what, command in steps:
            if on_step is not None:
                on_step(what)
            handle.write(f"$ {' '.join(command)}\n")
            handle.flush()
            done = processes.run(
                command, timeout=INSTALL_TIMEOUT_S, stdout=handle, stderr=subprocess.STDOUT, env=environ
            )
            if done.timed_out:
                raise EnvironmentBuildError(
                    f"installing {' '.join(requirements)} took more than {INSTALL_TIMEOUT_S:.0f} s; "
                    f"log tail ({log}):\n{_tail(log)}"
                )
            if done.returncode != 0:
                raise EnvironmentBuildError(
                    f"could not create the environment for {' '.join(requirements)} ({what}: "
                    f"`{Path(command[0]).name} {command[1]}` exited with {done.returncode}); "
                    f"log tail ({log}):\n{_tail(log)}"
                )


def environment_dir(version: str, minor: str | None, root: Path | None = None) -> Path:
    """Where the venv of MLflow ``version`` on Python ``minor`` lives (None: the harness's Python)."""
    home = version_dir(version, root)
    return home if minor is None else home / f"py{minor}"


def ensure_environment(
    version: str | None,
    *,
    root: Path | None = None,
    installer: Installer | None = None,
    own_version: Callable[[], str | None] = own_mlflow_version,
    python: str | None = None,
    on_step: StepListener | None = None,
) -> MlflowEnvironment:
    """An interpreter with MLflow ``version`` (None: the harness's own) on the Python ``python`` (an
    interpreter path; None: the harness's), building its venv once, resolved as of the release."""
    own = own_version()
    minor = None if python is None or python == sys.executable else python_minor(python)
    if minor == python_minor(sys.executable):
        minor = None
    if minor is None and (version is None or version == own):
        if own is None:
            raise EnvironmentBuildError("the harness's interpreter has no mlflow installed")
        return MlflowEnvironment(version=own, python=sys.executable)
    version = version or own
    if version is None:
        raise EnvironmentBuildError("the harness's interpreter has no mlflow installed")
    check_version(version)
    home = environment_dir(version, minor, root)
    venv = home / "venv"
    requirements = environment_requirements(version)
    marker = venv / COMPLETE_MARKER
    with file_lock(home / ".lock"):
        if installer is None:
            cutoff = resolution_date(version, minor or python_minor(sys.executable))
            installer = uv_installer(python or _base_interpreter(), cutoff, root, on_step)
            stamp = "\n".join([*requirements, f"uv --exclude-newer {cutoff}"])
        else:
            stamp = "\n".join(requirements)
        if marker.exists() and marker.read_text() == stamp and venv_python(venv).exists():
            return MlflowEnvironment(version=version, python=str(venv_python(venv)))
        # A venv without its marker is a build that was interrupted (or one resolved differently): start over.
        shutil.rmtree(venv, ignore_errors=True)
        started = time.monotonic()
        installer(venv, requirements)
        marker.write_text(stamp)
        return MlflowEnvironment(
            version=version, python=str(venv_python(venv)), created=True, seconds=time.monotonic() - started
        )


def _base_interpreter() -> str:
    # The interpreter a venv of the harness's Python is made from: not the harness venv's own python,
    # whose site-packages would leak in through its pyvenv.cfg home.
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(base) if base.exists() else sys.executable


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hokusai_contracts.servers.venvs requirements|ensure VERSION [PYTHON_MINOR]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3) or args[0] not in ("requirements", "ensure"):
        print(
            "usage: python -m hokusai_contracts.servers.venvs requirements|ensure VERSION [3.10]",
            file=sys.stderr,
        )
        return 3
    if args[0] == "requirements":
        print("\n".join(environment_requirements(check_version(args[1]))))
        return 0
    python = find_python(args[2]) if len(args) == 3 else None
    environment = ensure_environment(
        args[1], python=python, on_step=lambda step: print(f"... {step}", file=sys.stderr, flush=True)
    )
    print(environment.python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
