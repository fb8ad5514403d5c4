"""The compatibility matrix: SDK version x MLflow server version x check family -> outcome counts.

Pure: cells are made from :class:`RunResult` objects and rendered as Markdown or JSON; running the
checks per server version is :func:`hokusai_contracts.verify.server_run.run_matrix`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Outcome, RunResult

MARKDOWN_NAME = "compatibility-matrix.md"
JSON_NAME = "compatibility-matrix.json"
_FAILURES_SHOWN = 20


def parse_versions(value: str) -> list[str]:
    """``"2.9.0, 3.17.2"`` -> ``["2.9.0", "3.17.2"]`` (order kept, duplicates dropped)."""
    from hokusai_contracts.servers.venvs import check_version

    versions = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not versions:
        raise HarnessUsageError("--matrix needs at least one MLflow version, e.g. --matrix 2.9.0,3.17.2")
    return [check_version(v) for v in versions]


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


def _cell_text(cell: MatrixCell | None) -> str:
    if cell is None:
        return "-"
    text = f"{cell.passed} passed"
    if cell.failed:
        text += f", **{cell.failed} failed**"
    if cell.errors:
        text += f", **{cell.errors} error**"
    if cell.skipped:
        text += f", {cell.skipped} skipped"
    return text


def render_markdown(matrix: Matrix, known_secrets: tuple[str, ...] = ()) -> str:
    """The matrix as a Markdown table (one row per SDK x server version), then each row's failures."""
    families = matrix.families
    lines = [
        "# Compatibility matrix",
        "",
        "| SDK | MLflow server | " + " | ".join(families) + " | exit |",
        "|---|---|" + "---|" * len(families) + "---|",
    ]
    for row in matrix.rows:
        by_family = {c.family: c for c in row.cells}
        sdk = row.cells[0].sdk_version if row.cells else "unknown"
        cells = " | ".join(_cell_text(by_family.get(f)) for f in families)
        lines.append(f"| {sdk} | {row.server_version} | {cells} | {row.exit_code} |")
    for row in matrix.rows:
        lines += ["", f"## MLflow {row.server_version}", "", f"- server: {row.provider}"]
        lines.append(f"- duration: {row.duration_s:.1f} s")
        if not row.failures:
            lines.append("- no failures")
            continue
        lines.append(f"- {len(row.failures)} failure(s):")
        lines += [f"  - {failure}" for failure in row.failures[:_FAILURES_SHOWN]]
        if len(row.failures) > _FAILURES_SHOWN:
            lines.append(f"  - ... and {len(row.failures) - _FAILURES_SHOWN} more (see the JSON)")
    return mask_secrets("\n".join(lines) + "\n", known_secrets)


def to_json(matrix: Matrix) -> dict:
    """The matrix as JSON-ready data: cells flat, rows with their failures."""
    return {
        "families": matrix.families,
        "exit_code": matrix.exit_code,
        "cells": [{**asdict(cell), "status": cell.status} for row in matrix.rows for cell in row.cells],
        "rows": [
            {
                "server_version": row.server_version,
                "provider": row.provider,
                "exit_code": row.exit_code,
                "duration_s": round(row.duration_s, 2),
                "failures": list(row.failures),
            }
            for row in matrix.rows
        ],
    }


def write_matrix(matrix: Matrix, out_dir: Path, known_secrets: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """Write the Markdown and JSON files into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown_path, json_path = out_dir / MARKDOWN_NAME, out_dir / JSON_NAME
    markdown_path.write_text(render_markdown(matrix, known_secrets), encoding="utf-8")
    text = mask_secrets(json.dumps(to_json(matrix), indent=2) + "\n", known_secrets)
    json_path.write_text(text, encoding="utf-8")
    return markdown_path, json_path
