"""The one result type every check yields, and the run summary reports are made from."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    """How bad a finding is: errors fail the gate, warnings do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Outcome(str, enum.Enum):
    """The result of one checked item."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"  # the check itself could not run (infrastructure)


@dataclass(frozen=True)
class Location:
    """Where the contract, document or code that a finding is about stands."""

    file: str
    line: int | None = None
    column: int | None = None  # 1-based, when the finding points into code (docs-check)

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Finding:
    """One problem (or pass) found by a check, with a stable rule id and a place to look."""

    check: str
    rule: str
    subject: str
    message: str
    outcome: Outcome = Outcome.FAILED
    severity: Severity = Severity.ERROR
    location: Location | None = None
    fix: str | None = None
    details: str | None = None

    @property
    def failed(self) -> bool:
        """True when this finding fails the gate."""
        return self.outcome in (Outcome.FAILED, Outcome.ERROR) and self.severity is Severity.ERROR


@dataclass(frozen=True)
class ServerEvent:
    """Something that happened to a server during the run (``restarted``, ``restart-failed``), shown in
    every report: a run that passed after a restart must say so."""

    event: str
    server: str  # its kind and URL
    reason: str
    at: str  # ISO 8601, UTC

    def line(self) -> str:
        """One line for a report: ``restarted mlflow server http://...: why (at ...)``."""
        return f"{self.event} {self.server} at {self.at}: {self.reason}"


@dataclass
class RunResult:
    """All findings of one ``verify`` run, plus what the run was about."""

    findings: list[Finding] = field(default_factory=list)
    sdk_version: str | None = None
    server: str | None = None
    infrastructure_error: str | None = None
    duration_s: float = 0.0
    server_events: list[ServerEvent] = field(default_factory=list)

    def extend(self, findings) -> None:
        """Add findings from a check."""
        self.findings.extend(findings)

    @property
    def failures(self) -> list[Finding]:
        """Findings that fail the gate."""
        return [f for f in self.findings if f.failed]

    def counts(self) -> dict[str, Counter]:
        """Outcome counts per check family."""
        per_check: dict[str, Counter] = {}
        for finding in self.findings:
            per_check.setdefault(finding.check, Counter())[finding.outcome.value] += 1
        return per_check

    @property
    def exit_code(self) -> int:
        """0 pass, 1 contract failure, 2 infrastructure problem."""
        if self.infrastructure_error or any(f.outcome is Outcome.ERROR for f in self.findings):
            return 2
        return 1 if self.failures else 0
