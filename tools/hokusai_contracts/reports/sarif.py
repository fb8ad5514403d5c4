"""SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, IDE SARIF viewers): one result per failing or
warning finding, each rule described from the catalogue, locations as repository-relative URIs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hokusai_contracts.findings import Finding, Outcome, RunResult, Severity
from hokusai_contracts.findings.catalogue import RULES
from hokusai_contracts.reports.common import masked

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(file: str, root: Path) -> str:
    path = Path(file)
    if path.is_absolute():
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_uri()
    return path.as_posix()


def _reported(finding: Finding) -> bool:
    return finding.outcome in (Outcome.FAILED, Outcome.ERROR) and finding.severity is not Severity.INFO


def _rule(rule_id: str) -> dict[str, Any]:
    entry = RULES.get(rule_id)
    if entry is None:
        return {"id": rule_id}
    data: dict[str, Any] = {
        "id": entry.id,
        "name": entry.name or entry.title,
        "shortDescription": {"text": entry.title},
        "fullDescription": {"text": entry.explanation},
    }
    if entry.fix:
        data["help"] = {"text": entry.fix}
    if isinstance(entry.severity, Severity):
        data["defaultConfiguration"] = {"level": _LEVEL[entry.severity]}
    return data


def result_of(finding: Finding, rule_index: int, root: Path) -> dict[str, Any]:
    """The SARIF result of one finding."""
    level = "error" if finding.outcome is Outcome.ERROR else _LEVEL[finding.severity]
    text = (
        f"{finding.subject}: {finding.message}" if finding.subject not in finding.message else finding.message
    )
    if finding.fix:
        text += f" (fix: {finding.fix})"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
    }
    location = finding.location
    if location is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(location.file, root)}}
        if location.line:
            region: dict[str, Any] = {"startLine": location.line}
            if location.column:
                region["startColumn"] = location.column
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    return result


def render(result: RunResult, known_secrets: Iterable[str] = (), root: Path | None = None) -> str:
    """The run as a SARIF log (failing and warning findings; passes are left out, as SARIF expects)."""
    result = masked(result, known_secrets)
    root = Path(os.getcwd()) if root is None else root
    reported = [f for f in result.findings if _reported(f)]
    rule_ids = list(dict.fromkeys(f.rule for f in reported))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "hokusai-contracts",
                "informationUri": "https://github.com/hokusai/hokusai-contracts",
                "rules": [_rule(rule_id) for rule_id in rule_ids],
            }
        },
        "results": [result_of(f, rule_ids.index(f.rule), root) for f in reported],
    }
    if result.infrastructure_error:
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": result.infrastructure_error}}
                ],
            }
        ]
    return json.dumps({"$schema": SCHEMA, "version": VERSION, "runs": [run]}, indent=2) + "\n"
