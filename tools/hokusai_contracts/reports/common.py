"""What every report format shares: the masked view of a run, its status, and per-family tallies."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Outcome, RunResult

PASSED, FAILED, ERROR = "passed", "failed", "error"


def _mask(text: str | None, known: tuple[str, ...]) -> str | None:
    return None if text is None else mask_secrets(text, known)


def mask_finding(finding: Finding, known: Iterable[str] = ()) -> Finding:
    """``finding`` with every text field passed through :func:`mask_secrets`."""
    known = tuple(known)
    location = finding.location
    if location is not None:
        location = dataclasses.replace(location, file=_mask(location.file, known) or "")
    return dataclasses.replace(
        finding,
        subject=_mask(finding.subject, known) or "",
        message=_mask(finding.message, known) or "",
        fix=_mask(finding.fix, known),
        details=_mask(finding.details, known),
        location=location,
    )


def masked(result: RunResult, known: Iterable[str] = ()) -> RunResult:
    """A copy of ``result`` whose every text is masked; reports render only this copy."""
    known = tuple(known)
    return dataclasses.replace(
        result,
        findings=[mask_finding(f, known) for f in result.findings],
        sdk_version=_mask(result.sdk_version, known),
        server=_mask(result.server, known),
        infrastructure_error=_mask(result.infrastructure_error, known),
        server_events=[
            dataclasses.replace(e, server=_mask(e.server, known) or "", reason=_mask(e.reason, known) or "")
            for e in result.server_events
        ],
    )


def status(result: RunResult) -> str:
    """``passed``, ``failed`` (contract failures) or ``error`` (infrastructure), as the exit code says."""
    return {0: PASSED, 1: FAILED}.get(result.exit_code, ERROR)


def is_warning(finding: Finding) -> bool:
    """True for a failed finding whose severity does not fail the gate."""
    return finding.outcome is Outcome.FAILED and not finding.failed


@dataclass
class Tally:
    """Counts of one check family (or of the whole run), as the summary tables show them."""

    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: int = 0
    errors: int = 0

    @property
    def total(self) -> int:
        """Every finding counted."""
        return self.passed + self.failed + self.warnings + self.skipped + self.errors

    def add(self, finding: Finding) -> None:
        """Count one finding."""
        if finding.outcome is Outcome.ERROR:
            self.errors += 1
        elif finding.outcome is Outcome.SKIPPED:
            self.skipped += 1
        elif finding.outcome is Outcome.PASSED:
            self.passed += 1
        elif finding.failed:
            self.failed += 1
        else:
            self.warnings += 1

    def as_dict(self) -> dict[str, int]:
        """The counts plus their total, by name."""
        return {**dataclasses.asdict(self), "total": self.total}


def tallies(result: RunResult) -> dict[str, Tally]:
    """One tally per check family, in family-name order."""
    per_check: dict[str, Tally] = {}
    for finding in result.findings:
        per_check.setdefault(finding.check, Tally()).add(finding)
    return dict(sorted(per_check.items()))


def overall(result: RunResult) -> Tally:
    """The tally of the whole run."""
    tally = Tally()
    for finding in result.findings:
        tally.add(finding)
    return tally


def problems(result: RunResult) -> list[Finding]:
    """Findings that fail the gate, infrastructure errors first."""
    return sorted(result.failures, key=lambda f: f.outcome is not Outcome.ERROR)


def warnings(result: RunResult) -> list[Finding]:
    """Failed findings that do not fail the gate."""
    return [f for f in result.findings if is_warning(f)]


def headline(result: RunResult) -> str:
    """One line saying how the run went, e.g. ``FAILED: 3 failed, 120 passed``."""
    tally = overall(result)
    parts = [
        f"{value} {name}"
        for name, value in (
            ("failed", tally.failed),
            ("errors", tally.errors),
            ("warnings", tally.warnings),
            ("passed", tally.passed),
            ("skipped", tally.skipped),
        )
        if value
    ]
    counts = ", ".join(parts) or "no findings"
    return f"{status(result).upper()}: {counts}"
