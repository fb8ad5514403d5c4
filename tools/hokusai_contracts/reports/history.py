"""``diff --history``: one row per consecutive pair of commits, as a Markdown table or JSON document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Outcome, Severity
from hokusai_contracts.reports.common import mask_finding
from hokusai_contracts.reports.json_report import finding_to_dict

FORMAT_VERSION = 1


@dataclass(frozen=True)
class HistoryPair:
    """The diff of one commit against the one before it."""

    old: str
    new: str
    title: str
    findings: tuple[Finding, ...]
    verdict: str
    seconds: float
    passed: bool
    # Why the pair could not be compared (a side without the package, a package that does not import).
    error: str | None = None

    @property
    def breaking(self) -> list[Finding]:
        """The findings that fail the gate."""
        return [f for f in self.findings if f.failed]

    @property
    def warnings(self) -> list[Finding]:
        """Failed findings that do not fail the gate."""
        return [
            f
            for f in self.findings
            if f.outcome in (Outcome.FAILED, Outcome.ERROR) and f.severity is Severity.WARNING
        ]


@dataclass(frozen=True)
class History:
    """Every consecutive pair of commits that touched a package, diffed in order."""

    source: str
    package: str
    pairs: tuple[HistoryPair, ...]


def _status(pair: HistoryPair) -> str:
    if pair.error:
        return "not compared"
    return "pass" if pair.passed else "FAIL"


def render_markdown(history: History, known_secrets: Iterable[str] = ()) -> str:
    """A table (pair, findings, verdict, seconds) and the failing findings of each pair."""
    lines = [
        f"## Release diff history of `{history.package}` in {history.source}",
        "",
        "| pair | commit | breaking | warnings | gate | version | seconds |",
        "|---|---|---:|---:|---|---|---:|",
    ]
    for pair in history.pairs:
        verdict = pair.error or pair.verdict
        lines.append(
            f"| {pair.old}..{pair.new} | {pair.title.replace('|', '/')} | {len(pair.breaking)} | "
            f"{len(pair.warnings)} | {_status(pair)} | {verdict.replace('|', '/')} | {pair.seconds:.1f} |"
        )
    for pair in history.pairs:
        if not pair.breaking:
            continue
        lines += ["", f"### {pair.old}..{pair.new}: {pair.title}", ""]
        for finding in pair.breaking:
            lines.append(f"- **{finding.rule}** `{finding.subject}`: {' '.join(finding.message.split())}")
    return mask_secrets("\n".join(lines) + "\n", tuple(known_secrets))


def to_dict(history: History, known_secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The history as JSON data (findings as in the run report)."""
    known = tuple(known_secrets)
    return {
        "format_version": FORMAT_VERSION,
        "source": history.source,
        "package": history.package,
        "pairs": [
            {
                "old": pair.old,
                "new": pair.new,
                "title": pair.title,
                "status": _status(pair),
                "verdict": pair.verdict,
                "error": pair.error,
                "seconds": round(pair.seconds, 3),
                "breaking": len(pair.breaking),
                "warnings": len(pair.warnings),
                "findings": [finding_to_dict(mask_finding(f, known)) for f in pair.findings if f.failed],
            }
            for pair in history.pairs
        ],
    }


def render_json(history: History, known_secrets: Iterable[str] = ()) -> str:
    """The history as a JSON document."""
    return mask_secrets(json.dumps(to_dict(history, known_secrets), indent=2) + "\n", tuple(known_secrets))
