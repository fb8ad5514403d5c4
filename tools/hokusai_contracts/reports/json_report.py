"""JSON report: a stable, versioned document of a run that other tools can read back.

Stable means: fixed keys, enums as their values, findings sorted by check, subject and rule, and no
timestamps, so two runs over the same code differ in ``duration_s`` only.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from hokusai_contracts import __version__
from hokusai_contracts.findings import Finding, Location, Outcome, RunResult, ServerEvent, Severity
from hokusai_contracts.reports.common import masked, overall, status, tallies

SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding as plain JSON values."""
    location = finding.location
    return {
        "check": finding.check,
        "rule": finding.rule,
        "subject": finding.subject,
        "outcome": finding.outcome.value,
        "severity": finding.severity.value,
        "message": finding.message,
        "location": None if location is None else _location(location),
        "fix": finding.fix,
        "details": finding.details,
    }


def _location(location: Location) -> dict[str, Any]:
    # "column" only where a finding has one (docs-check), so other documents stay as they were.
    data: dict[str, Any] = {"file": location.file, "line": location.line}
    if location.column:
        data["column"] = location.column
    return data


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """The finding :func:`finding_to_dict` describes."""
    location = data.get("location")
    return Finding(
        check=data["check"],
        rule=data["rule"],
        subject=data["subject"],
        message=data["message"],
        outcome=Outcome(data.get("outcome", Outcome.FAILED.value)),
        severity=Severity(data.get("severity", Severity.ERROR.value)),
        location=None
        if not location
        else Location(location["file"], location.get("line"), location.get("column")),
        fix=data.get("fix"),
        details=data.get("details"),
    )


def _order(finding: Finding) -> tuple:
    location = finding.location
    return (
        finding.check,
        finding.subject,
        finding.rule,
        location.file if location else "",
        (location.line or 0) if location else 0,
        finding.message,
    )


def to_dict(result: RunResult, known_secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The report document of ``result`` (masked)."""
    result = masked(result, known_secrets)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "hokusai-contracts", "version": __version__},
        "run": {
            "status": status(result),
            "exit_code": result.exit_code,
            "sdk_version": result.sdk_version,
            "server": result.server,
            "infrastructure_error": result.infrastructure_error,
            "duration_s": round(result.duration_s, 3),
        },
        "counts": {
            "total": overall(result).as_dict(),
            "by_check": {check: tally.as_dict() for check, tally in tallies(result).items()},
        },
        "findings": [finding_to_dict(f) for f in sorted(result.findings, key=_order)],
        "server_events": [dataclasses.asdict(event) for event in result.server_events],
    }


def from_dict(data: dict[str, Any]) -> RunResult:
    """The run a report document describes (counts are derived, so they are not read)."""
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported report schema_version {data.get('schema_version')!r}")
    run = data.get("run", {})
    return RunResult(
        findings=[finding_from_dict(f) for f in data.get("findings", [])],
        sdk_version=run.get("sdk_version"),
        server=run.get("server"),
        infrastructure_error=run.get("infrastructure_error"),
        duration_s=run.get("duration_s", 0.0),
        server_events=[ServerEvent(**event) for event in data.get("server_events", [])],
    )


def render(result: RunResult, known_secrets: Iterable[str] = ()) -> str:
    """The JSON report of ``result`` as text."""
    return json.dumps(to_dict(result, known_secrets), indent=2, ensure_ascii=False) + "\n"
