"""A finding as plain text: the one layout the terminal report, JUnit and every pytest item use.

The terminal styles the same lines (:func:`finding_lines`); :func:`finding_text` joins them plainly, with
paths relative to a root (as pytest prints its own) and secrets masked.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.findings import Finding
from hokusai_contracts.reports.common import mask_finding

LOCATION, MESSAGE, FIX, DETAILS = "location", "message", "fix", "details"


@dataclass(frozen=True)
class FindingLine:
    """One part of a finding below its title: what it is, its label, its text and its indentation."""

    kind: str
    label: str
    text: str
    indent: int


def finding_lines(finding: Finding) -> list[FindingLine]:
    """Location, message, fix and details of ``finding``, in the order every report shows them."""
    lines = []
    if finding.location:
        lines.append(FindingLine(LOCATION, "at ", str(finding.location), 2))
    lines.append(FindingLine(MESSAGE, "", finding.message, 2))
    if finding.fix:
        lines.append(FindingLine(FIX, "fix: ", finding.fix, 2))
    if finding.details:
        lines.append(FindingLine(DETAILS, "", finding.details, 4))
    return lines


def relative_to(finding: Finding, root: Path) -> Finding:
    """``finding`` with its location, and paths in its details, relative to ``root`` when inside it."""
    location = finding.location
    if location and Path(location.file).is_absolute() and Path(location.file).is_relative_to(root):
        relative = dataclasses.replace(location, file=str(Path(location.file).relative_to(root)))
        finding = dataclasses.replace(finding, location=relative)
    if finding.details:
        # Tracebacks too name files relative to the root.
        finding = dataclasses.replace(finding, details=finding.details.replace(f"{root}{os.sep}", ""))
    return finding


def finding_text(finding: Finding, root: Path | None = None, secrets: Iterable[str] | None = None) -> str:
    """``finding`` as plain text: rule and subject, then its indented lines; secrets masked.

    ``root``: paths inside it are shown relative to it. ``secrets``: literal values to mask besides the
    patterns (default: those set in the environment).
    """
    if root is not None:
        finding = relative_to(finding, root)
    finding = mask_finding(finding, known_secrets() if secrets is None else tuple(secrets))
    text = [f"{finding.rule} {finding.subject}"]
    for line in finding_lines(finding):
        pad = " " * line.indent
        text.extend(pad + part for part in f"{line.label}{line.text}".splitlines() or [""])
    return "\n".join(text)
