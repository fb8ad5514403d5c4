"""The run results a reference build may show: a ``verify --json`` report and a version-matrix JSON.

Both are explicit inputs (``docs --results FILE``, ``docs --matrix FILE``), read down to the facts that do
not vary between runs of the same code: versions and outcomes. Durations, server URLs and ports are
dropped, so a reference built twice from the same files is byte-identical.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.reports.json_report import SCHEMA_VERSION
from hokusai_contracts.reports.matrix import from_json
from hokusai_contracts.reports.matrix_model import Matrix

SNIPPETS_CHECK = "snippets"
_MLFLOW_VERSION = re.compile(r"\bMLflow (\d+(?:\.\d+)+\S*?)(?=[\s:,)]|$)")


@dataclass(frozen=True)
class BlockResult:
    """What the run said about one documentation block: ``passed``, ``failed``, ``error`` or ``skipped``."""

    outcome: str
    rule: str


@dataclass(frozen=True)
class Verification:
    """The facts of one verify run the reference shows next to each example."""

    mlflow_version: str | None
    sdk_version: str | None
    blocks: dict[str, BlockResult] = field(default_factory=dict)

    @property
    def ran_snippets(self) -> bool:
        """True when the run included the ``snippets`` family (otherwise no example was run)."""
        return bool(self.blocks)


def mlflow_version_of(server: str | None) -> str | None:
    """``"http://... (process provider, MLflow 3.17.2: why)"`` -> ``"3.17.2"`` (None when not named)."""
    match = _MLFLOW_VERSION.search(server or "")
    return match.group(1) if match else None


def _read_json(path: Path, option: str, produced_by: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessUsageError(f"{option} {path}: no such file; produce it with `{produced_by}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessUsageError(f"{option} {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise HarnessUsageError(
            f"{option} {path}:{exc.lineno}: not JSON ({exc.msg}); expected the file `{produced_by}` writes"
        ) from None


def read_verification(path: Path) -> Verification:
    """The example outcomes and MLflow version of a ``hokusai-contracts verify --json`` report."""
    produced_by = "hokusai-contracts verify --json FILE"
    data = _read_json(path, "--results", produced_by)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise HarnessUsageError(
            f"--results {path}: not a verify report of schema_version {SCHEMA_VERSION}; "
            f"expected the file `{produced_by}` writes"
        )
    run = data.get("run") or {}
    blocks = {
        finding["subject"]: BlockResult(finding.get("outcome", "failed"), finding.get("rule", ""))
        for finding in data.get("findings") or []
        if finding.get("check") == SNIPPETS_CHECK and "::L" in str(finding.get("subject", ""))
    }
    # A block with several findings (lint and a failure) keeps the worst, whatever their order.
    for finding in data.get("findings") or []:
        subject = finding.get("subject")
        if subject in blocks and finding.get("outcome") in ("failed", "error"):
            blocks[subject] = BlockResult(finding["outcome"], finding.get("rule", ""))
    return Verification(mlflow_version_of(run.get("server")), run.get("sdk_version"), blocks)


def read_matrix(path: Path) -> Matrix:
    """The rows of a ``compatibility-matrix.json`` (``verify --matrix``), without their durations."""
    produced_by = "hokusai-contracts verify --matrix 2.9.0,3.17.2"
    data = _read_json(path, "--matrix", produced_by)
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise HarnessUsageError(
            f"--matrix {path}: expected the compatibility-matrix.json that `{produced_by}` writes"
        )
    try:
        return from_json(data)
    except (KeyError, TypeError) as exc:
        raise HarnessUsageError(
            f"--matrix {path}: a row or cell lacks {exc}; expected `{produced_by}` output"
        ) from None
