"""``verify --matrix``'s version list; the matrix itself is :mod:`hokusai_contracts.reports.matrix_model`,
run by :func:`hokusai_contracts.verify.server_run.run_matrix` and rendered by
:mod:`hokusai_contracts.reports.matrix`."""

from __future__ import annotations

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers.venvs import check_version


def parse_versions(value: str) -> list[str]:
    """``"2.9.0, 3.17.2"`` -> ``["2.9.0", "3.17.2"]`` (order kept, duplicates dropped)."""
    versions = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not versions:
        raise HarnessUsageError("--matrix needs at least one MLflow version, e.g. --matrix 2.9.0,3.17.2")
    return [check_version(v) for v in versions]
