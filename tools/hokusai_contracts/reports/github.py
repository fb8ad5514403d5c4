"""GitHub Actions annotations: one workflow command per failing finding, shown on the PR diff.

See "Workflow commands for GitHub Actions": ``::error file=F,line=L,title=T::message``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from hokusai_contracts.findings import Finding, Outcome, RunResult, Severity
from hokusai_contracts.reports.common import headline, masked

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message: ``%``, CR and LF (so a message cannot start a new command)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value: as :func:`escape_data`, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line, e.g. ``::error file=a.yaml,line=3,title=R1::broken``."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value)
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def relative_path(file: str, root: Path) -> str:
    """``file`` relative to ``root`` when it lies inside it (annotations need repository paths)."""
    path = Path(file)
    if not path.is_absolute():
        return file
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return file


def annotation(finding: Finding, root: Path) -> str:
    """The workflow command for one failing or warning finding."""
    level = "error" if finding.outcome is Outcome.ERROR else _LEVEL[finding.severity]
    message = f"{finding.subject}: {finding.message}"
    if finding.fix:
        message += f"\nfix: {finding.fix}"
    location = finding.location
    return command(
        level,
        message,
        file=relative_path(location.file, root) if location else None,
        line=location.line if location else None,
        col=location.column if location else None,
        title=finding.rule,
    )


def render(result: RunResult, known_secrets: Iterable[str] = (), root: Path | None = None) -> str:
    """Annotations for every failing or warning finding, then a plain headline."""
    result = masked(result, known_secrets)
    root = Path(os.getcwd()) if root is None else root
    lines = [annotation(f, root) for f in result.findings if f.outcome in (Outcome.FAILED, Outcome.ERROR)]
    if result.infrastructure_error:
        lines.append(command("error", result.infrastructure_error, title="infrastructure"))
    for event in result.server_events:
        lines.append(command("warning", event.line(), title=f"server {event.event}"))
    lines.append(f"hokusai-contracts {headline(result)}")
    return "\n".join(lines) + "\n"
