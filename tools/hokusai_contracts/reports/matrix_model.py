"""The compatibility matrix as data: SDK version x MLflow server version x check family -> outcome counts.

Pure: rows are made from :class:`RunResult` objects; :mod:`hokusai_contracts.reports.matrix` renders
them and :func:`hokusai_contracts.verify.server_run.run_matrix` runs the checks per server version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hokusai_contracts.findings import Outcome, RunResult


@dataclass(frozen=True)
class MatrixCell:
    """Outcome counts of one check family, for one SDK version against one server version."""

    sdk_version: str
    server_version: str
    family: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def status(self) -> str:
        """``error`` (infrastructure), ``failed``, ``passed`` or ``skipped``."""
        if self.errors:
            return "error"
        if self.failed:
            return "failed"
        return "passed" if self.passed else "skipped"


@dataclass(frozen=True)
class MatrixRow:
    """One server version's run: its cells, failures (one line each), provider and exit code."""

    server_version: str
    cells: tuple[MatrixCell, ...]
    failures: tuple[str, ...] = ()
    provider: str = ""
    exit_code: int = 0
    duration_s: float = 0.0


def row_from_result(result: RunResult, server_version: str, families: list[str]) -> MatrixRow:
    """The matrix row of one verify run against ``server_version``."""
    sdk = result.sdk_version or "unknown"
    counts = result.counts()
    cells = []
    for family in families:
        counter = counts.get(family, {})
        cells.append(
            MatrixCell(
                sdk_version=sdk,
                server_version=server_version,
                family=family,
                passed=counter.get(Outcome.PASSED.value, 0),
                failed=counter.get(Outcome.FAILED.value, 0),
                errors=counter.get(Outcome.ERROR.value, 0),
                skipped=counter.get(Outcome.SKIPPED.value, 0),
            )
        )
    failures = tuple(
        f"[{f.check}] {f.rule} {f.subject}: {f.message.splitlines()[0] if f.message else ''}"
        for f in result.failures
    )
    return MatrixRow(
        server_version=server_version,
        cells=tuple(cells),
        failures=failures,
        provider=result.server or "",
        exit_code=result.exit_code,
        duration_s=result.duration_s,
    )


@dataclass
class Matrix:
    """Every row of a matrix run, in the order the versions were given."""

    rows: list[MatrixRow] = field(default_factory=list)

    @property
    def families(self) -> list[str]:
        """Family names, in first-seen order."""
        return list(dict.fromkeys(c.family for row in self.rows for c in row.cells))

    @property
    def exit_code(self) -> int:
        """The worst exit code of the rows (2 infrastructure > 1 failure > 0)."""
        return max((row.exit_code for row in self.rows), default=0)
