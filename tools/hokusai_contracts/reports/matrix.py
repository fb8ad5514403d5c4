"""The compatibility matrix as Markdown (a table, then each row's failures) and as JSON (read back by the
API reference's compatibility page)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.reports.matrix_model import Matrix, MatrixCell, MatrixRow

MARKDOWN_NAME = "compatibility-matrix.md"
JSON_NAME = "compatibility-matrix.json"
CELL_FIELDS = (
    "sdk_version",
    "server_version",
    "family",
    "passed",
    "failed",
    "errors",
    "skipped",
    "client_version",
    "python_version",
    "known",
)
_FAILURES_SHOWN = 20


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
    if cell.known:
        text += f", {cell.known} known"
    return text


def _title(row: MatrixRow) -> str:
    if not row.client_version and not row.python_version:
        return f"MLflow {row.server_version}"
    return f"client {row.client_version} x server {row.server_version} x Python {row.python_version}"


def render_markdown(matrix: Matrix, known_secrets: Iterable[str] = ()) -> str:
    """The matrix as a Markdown table (one row per SDK x server version), then each row's failures."""
    families = matrix.families
    full = any(row.client_version or row.python_version for row in matrix.rows)
    axes = ["SDK", "MLflow client", "MLflow server", "Python"] if full else ["SDK", "MLflow server"]
    lines = [
        "# Compatibility matrix",
        "",
        "| " + " | ".join(axes) + " | " + " | ".join(families) + " | exit |",
        "|" + "---|" * len(axes) + "---|" * len(families) + "---|",
    ]
    for row in matrix.rows:
        by_family = {c.family: c for c in row.cells}
        sdk = row.cells[0].sdk_version if row.cells else "unknown"
        cells = " | ".join(_cell_text(by_family.get(f)) for f in families)
        versions = (
            [row.client_version, row.server_version, row.python_version] if full else [row.server_version]
        )
        lines.append(f"| {sdk} | {' | '.join(versions)} | {cells} | {row.exit_code} |")
    for row in matrix.rows:
        lines += ["", f"## {_title(row)}", "", f"- server: {row.provider}"]
        lines.append(f"- duration: {row.duration_s:.1f} s")
        if not row.failures:
            lines.append("- no failures")
            continue
        lines.append(f"- {len(row.failures)} failure(s):")
        lines += [f"  - {failure}" for failure in row.failures[:_FAILURES_SHOWN]]
        if len(row.failures) > _FAILURES_SHOWN:
            lines.append(f"  - ... and {len(row.failures) - _FAILURES_SHOWN} more (see the JSON)")
    return mask_secrets("\n".join(lines) + "\n", tuple(known_secrets))


def to_json(matrix: Matrix) -> dict[str, Any]:
    """The matrix as JSON-ready data: cells flat, rows with their failures."""
    return {
        "families": matrix.families,
        "exit_code": matrix.exit_code,
        "cells": [{**asdict(cell), "status": cell.status} for row in matrix.rows for cell in row.cells],
        "rows": [
            {
                "server_version": row.server_version,
                "client_version": row.client_version,
                "python_version": row.python_version,
                "provider": row.provider,
                "exit_code": row.exit_code,
                "duration_s": round(row.duration_s, 2),
                "failures": list(row.failures),
            }
            for row in matrix.rows
        ],
    }


def from_json(data: dict[str, Any]) -> Matrix:
    """The matrix :func:`to_json` describes, without durations; KeyError or TypeError when malformed."""
    cells: dict[tuple[str, str, str], list[MatrixCell]] = {}
    for cell in data.get("cells") or []:
        key = (cell.get("client_version", ""), cell["server_version"], cell.get("python_version", ""))
        cells.setdefault(key, []).append(MatrixCell(**{k: cell[k] for k in CELL_FIELDS if k in cell}))
    rows = [
        MatrixRow(
            server_version=row["server_version"],
            cells=tuple(
                cells.get(
                    (row.get("client_version", ""), row["server_version"], row.get("python_version", "")), ()
                )
            ),
            failures=tuple(row.get("failures") or ()),
            provider=row.get("provider", ""),
            exit_code=row.get("exit_code", 0),
            client_version=row.get("client_version", ""),
            python_version=row.get("python_version", ""),
        )
        for row in data["rows"]
    ]
    return Matrix(rows=rows)


def render_json(matrix: Matrix, known_secrets: Iterable[str] = ()) -> str:
    """The matrix as indented JSON text, secrets masked."""
    return mask_secrets(json.dumps(to_json(matrix), indent=2) + "\n", tuple(known_secrets))
