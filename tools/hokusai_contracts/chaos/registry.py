"""Reading the registry directly from its database (not through MLflow): the versions of the run's models.

``ha``: PostgreSQL with ``psql``; ``plain``: the server's SQLite file. Every version of the models whose
name starts with the run's prefix, with its ``chaos_call`` tag and whether it was deleted.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.chaos.reconcile import Registration
from hokusai_contracts.servers.postgres import SUPERUSER, PostgresServer, postgres_bin_dir

TAG = "chaos_call"
DELETED_STAGE = "Deleted_Internal"  # MLflow's stage of a deleted version (the row stays)
_QUERY = (
    "SELECT v.name, v.version, t.value, v.current_stage FROM model_versions v LEFT JOIN model_version_tags t "
    "ON t.name = v.name AND t.version = v.version AND t.key = '{tag}' WHERE v.name LIKE '{prefix}%' "
    "ORDER BY v.name, v.version"
)


def _query(prefix: str) -> str:
    if not prefix.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"model name prefix {prefix!r}: letters, digits, - and _ only")
    return _QUERY.format(tag=TAG, prefix=prefix)


def from_postgres(postgres: PostgresServer, database: str, prefix: str) -> list[Registration]:
    """The run's versions in the PostgreSQL ``database``."""
    psql = str(postgres_bin_dir() / "psql")
    command = [psql, "-h", postgres.host, "-p", str(postgres.port), "-U", SUPERUSER, "-d", database]
    done = processes.run(
        [*command, "-At", "-F", "\t", "-c", _query(prefix)],
        timeout=60,
        env={**os.environ, **postgres.environment()},
    )
    if done.returncode != 0:
        raise InfrastructureError(f"reading the registry from PostgreSQL failed: {done.stderr[-500:]}")
    rows = [line.split("\t") for line in done.stdout.splitlines() if line.strip()]
    return [
        Registration(name, str(version), key or None, stage == DELETED_STAGE)
        for name, version, key, stage in rows
    ]


def from_sqlite(path: Path, prefix: str) -> list[Registration]:
    """The run's versions in the SQLite file at ``path`` (opened read-only)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        rows = connection.execute(_query(prefix)).fetchall()
    return [
        Registration(name, str(version), key, stage == DELETED_STAGE) for name, version, key, stage in rows
    ]
