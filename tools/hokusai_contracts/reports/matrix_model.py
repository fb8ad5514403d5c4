"""The compatibility matrix as data: SDK x MLflow client x MLflow server x Python x check family -> counts.

A row is one cell of the space (``verify --matrix 2.9.0,3.17.2`` rows vary the server only, their client
and Python stay empty: the harness's own).

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
    client_version: str = ""
    python_version: str = ""
    known: int = 0  # failures a known difference declares for this cell (not counted as failed)

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
    client_version: str = ""
    python_version: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """(client, server, Python): what identifies the row."""
        return (self.client_version, self.server_version, self.python_version)

    @property
    def known(self) -> int:
        """Known differences that occurred as declared, over every family."""
        return sum(c.known for c in self.cells)


def row_from_result(
    result: RunResult,
    server_version: str,
    families: list[str],
    *,
    client_version: str = "",
    python_version: str = "",
    known: dict[str, int] | None = None,
) -> MatrixRow:
    """The matrix row of one verify run against ``server_version`` (and ``client_version`` on
    ``python_version`` for a cell of the full space); ``known``: known differences per family."""
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
                client_version=client_version,
                python_version=python_version,
                known=(known or {}).get(family, 0),
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
        client_version=client_version,
        python_version=python_version,
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
