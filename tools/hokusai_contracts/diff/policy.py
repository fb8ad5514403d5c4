"""Judge each change: does it fail the gate, is it allowed (major bump, accepted, deprecated), disproved?

Turns changes into :class:`~hokusai_contracts.findings.Finding` values (check ``diff``) that the
shared reports render, and applies the same policy to behavioural findings (BC1xx).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from hokusai_contracts.diff.accepted import AcceptedBreak, entry_yaml, find_acceptance
from hokusai_contracts.diff.catalogue import Bump, Change, Impact
from hokusai_contracts.diff.rules import RULES
from hokusai_contracts.diff.semver import Verdict
from hokusai_contracts.diff.witness import Witness
from hokusai_contracts.findings import Finding, Location, Outcome, Severity

CHECK = "diff"
VERSION_RULE = "semver"
# Rules whose change is a removal, which a deprecation in the old contract announces.
REMOVALS = frozenset({"BC001", "BC002", "BC017"})


@dataclass(frozen=True)
class Judged:
    """A change and what the gate makes of it.

    ``status``: ``breaking`` (fails), ``allowed`` (major bump), ``accepted`` (accepted-breaks entry),
    ``deprecated`` (removal announced by a deprecation), ``disproved`` (the witness saw old use
    work), ``warning`` (potentially breaking), ``static`` (breaking only as read from the source of a
    module that did not import: a warning, see ``diff/coverage.py``), ``compatible``.
    """

    change: Change
    status: str
    witness: Witness | None = None
    acceptance: AcceptedBreak | None = None
    # Why a potentially breaking change was judged as a breaking one (a probe saw the old call change).
    evidence: str | None = None

    @property
    def bump(self) -> Bump | None:
        """The version bump this change demands."""
        rule = RULES[self.change.rule]
        if self.status in ("breaking", "allowed"):
            return Bump.MAJOR
        if self.status in ("accepted", "deprecated", "disproved", "static"):
            return Bump.MINOR
        return rule.bump


# Potentially breaking changes a differential probe can show breaking: types and defaults.
ESCALATED_BY_PROBES = frozenset({"BC010", "BC012", "BC013"})
PROBE_RULE = "BC023"


def probe_evidence(changes: Sequence[Change]) -> dict[str, str]:
    """Subject -> what the differential probe saw, for each object whose old call changed outcome."""
    return {c.subject: c.message for c in changes if c.rule == PROBE_RULE}


def judge(
    change: Change,
    witness: Witness | None,
    accepted: Sequence[AcceptedBreak],
    new_version: str | None,
    major_bump: bool,
    *,
    evidence: str | None = None,
) -> Judged:
    """The status of one change under the gate's policy.

    A type or default change (potentially breaking) is breaking when ``evidence`` says a probe saw the
    old call behave differently; a warning otherwise.
    """
    rule = RULES[change.rule]
    if rule.severity is Impact.COMPATIBLE:
        return Judged(change, "compatible", witness)
    if rule.severity is Impact.POTENTIALLY_BREAKING and (
        evidence is None or change.rule not in ESCALATED_BY_PROBES
    ):
        return Judged(change, "warning", witness)
    if rule.severity is Impact.POTENTIALLY_BREAKING:
        witness = None  # the bind witness speaks to signatures, the probe to behaviour
    else:
        evidence = None
    if witness is not None and witness.verdict == "disproved":
        return Judged(change, "disproved", witness)
    if change.deprecated and change.rule in REMOVALS:
        return Judged(change, "deprecated", witness)
    acceptance = find_acceptance(change, list(accepted), new_version)
    if acceptance is not None:
        return Judged(change, "accepted", witness, acceptance, evidence)
    return Judged(change, "allowed" if major_bump else "breaking", witness, evidence=evidence)


_NOTES = {
    "allowed": "allowed: the new version is a major release",
    "deprecated": "accepted: the old contract marked it deprecated",
    "disproved": "downgraded: the runtime witness disproves it",
    "static": "warning: seen only in the source of a module that does not import (read statically)",
}


def to_finding(judged: Judged, new_version: str | None) -> Finding:
    """The report finding of a judged change."""
    change = judged.change
    rule = RULES[change.rule]
    note = _NOTES.get(judged.status)
    if judged.status == "accepted" and judged.acceptance is not None:
        where = f" ({judged.acceptance.file}:{judged.acceptance.line})" if judged.acceptance.file else ""
        note = f"accepted{where}: {judged.acceptance.justification}"
    message = f"{rule.title}: {change.message}" + (f" [{note}]" if note else "")
    details = [rule.explanation]
    if judged.evidence is not None:
        details.append(
            f"breaking by evidence: a differential probe saw the old call change: {judged.evidence}"
        )
    if change.details:
        details.append(change.details)
    if judged.witness is not None:
        details.append(f"witness ({judged.witness.verdict}): {judged.witness.reason}")
    fix = None
    if judged.status == "breaking":
        fix = (
            "restore compatibility, release it as a new major version, or accept the break by adding to "
            f"contracts/accepted-breaks.yaml:\n{entry_yaml(change, new_version)}"
        )
    outcome, severity = {
        "breaking": (Outcome.FAILED, Severity.ERROR),
        "compatible": (Outcome.PASSED, Severity.INFO),
    }.get(judged.status, (Outcome.FAILED, Severity.WARNING))
    return Finding(
        check=CHECK,
        rule=change.rule,
        subject=change.subject,
        message=message,
        outcome=outcome,
        severity=severity,
        location=Location(change.old_file, change.old_line) if change.old_file else None,
        fix=fix,
        details="\n".join(details),
    )


def apply_to_behaviour(
    finding: Finding, accepted: Sequence[AcceptedBreak], new_version: str | None, major_bump: bool
) -> Finding:
    """A behavioural finding (BC1xx) under the same policy: accepted entries and major bumps allow it."""
    if not finding.failed:
        return finding
    change = Change(rule=finding.rule, subject=finding.subject, message=finding.message)
    acceptance = find_acceptance(change, list(accepted), new_version)
    if acceptance is None and not major_bump:
        return finding
    note = f"accepted: {acceptance.justification}" if acceptance else _NOTES["allowed"]
    return dataclasses.replace(finding, severity=Severity.WARNING, message=f"{finding.message} [{note}]")


def version_finding(verdict: Verdict) -> Finding:
    """The semantic-version verdict as a finding: an error when a needed major bump is missing."""
    failed = not verdict.ok
    major_missing = failed and verdict.required is Bump.MAJOR
    return Finding(
        check=CHECK,
        rule=VERSION_RULE,
        subject="version",
        message=verdict.describe(),
        outcome=Outcome.FAILED if failed else Outcome.PASSED,
        severity=Severity.ERROR if major_missing else (Severity.WARNING if failed else Severity.INFO),
        fix=(
            f"release {verdict.new_version} as a new major version, or restore compatibility"
            if major_missing
            else None
        ),
    )
