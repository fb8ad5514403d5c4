"""Pre-migrated SQLite databases per MLflow version, copied into each server's workdir.

A fresh server spends seconds creating and migrating its tracking DB (about 6 of 15 s for MLflow 3.17);
copying a DB migrated once per version skips that. The basic-auth template holds the schema only: the
server creates its admin (random password per server) at start-up.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.servers.cache import file_lock, version_dir
from hokusai_contracts.servers.errors import EnvironmentBuildError

TRACKING_DB = "mlflow.db"
AUTH_DB = "basic_auth.db"
# The artifact root a server with --artifacts-destination uses: the Default experiment keeps it.
DEFAULT_ARTIFACT_ROOT = "mlflow-artifacts:/"

# Run by the server's own interpreter, so the schema is exactly that MLflow version's.
_MIGRATE = """
import sys, warnings
warnings.simplefilter("ignore")
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as AuthStore
tracking_uri, auth_uri, root = sys.argv[1:4]
TrackingStore(tracking_uri, root)
RegistryStore(tracking_uri)
AuthStore().init_db(auth_uri)
"""


@dataclass(frozen=True)
class TemplateDatabases:
    """The template tracking DB and basic-auth DB of one MLflow version."""

    tracking: Path
    auth: Path

    def copy_into(self, workdir: Path, basic_auth: bool) -> list[Path]:
        """Copy the templates into ``workdir`` under the names the server expects; the copies."""
        copies = [Path(shutil.copyfile(self.tracking, workdir / TRACKING_DB))]
        if basic_auth:
            copies.append(Path(shutil.copyfile(self.auth, workdir / AUTH_DB)))
        return copies


def _build(python: str, directory: Path, timeout: float) -> None:
    # Built in a scratch directory and moved in whole, so a half-written template is never seen.
    scratch = Path(tempfile.mkdtemp(prefix="build-", dir=directory.parent))
    try:
        command = [
            python,
            "-c",
            _MIGRATE,
            f"sqlite:///{scratch / TRACKING_DB}",
            f"sqlite:///{scratch / AUTH_DB}",
            DEFAULT_ARTIFACT_ROOT,
        ]
        done = processes.run(command, timeout=timeout)
        if done.timed_out:
            raise EnvironmentBuildError(f"migrating the template DB took more than {timeout:.0f} s")
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise EnvironmentBuildError(
                f"could not create the template DB with {python} (exit {done.returncode}):\n{tail}"
            )
        shutil.rmtree(directory, ignore_errors=True)
        scratch.rename(directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def ensure_templates(
    version: str, python: str, *, root: Path | None = None, timeout: float = 300.0
) -> TemplateDatabases:
    """The template DBs of MLflow ``version`` (run by ``python``), created once under the cache lock."""
    home = version_dir(version, root)
    directory = home / "templates"
    templates = TemplateDatabases(directory / TRACKING_DB, directory / AUTH_DB)
    if templates.tracking.exists() and templates.auth.exists():
        return templates
    with file_lock(home / ".templates.lock"):
        if not (templates.tracking.exists() and templates.auth.exists()):
            _build(python, directory, timeout)
    return templates
