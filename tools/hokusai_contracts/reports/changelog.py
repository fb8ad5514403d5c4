"""The diff as a Markdown changelog section: breaking changes first, then warnings, then additions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Outcome

BREAKING, POTENTIALLY_BREAKING, COMPATIBLE = "breaking", "potentially_breaking", "compatible"


@dataclass(frozen=True)
class Changelog:
    """The findings of a diff between two releases, and what the section says about them.

    ``impacts``: rule id -> ``breaking``, ``potentially_breaking`` or ``compatible`` (the diff rule
    catalogue's severities); findings of other rules appear only when they fail the gate.
    """

    findings: tuple[Finding, ...]
    old_label: str
    new_label: str
    verdict: str
    impacts: Mapping[str, str] = field(default_factory=dict)


_SECTIONS = (
    ("Breaking changes", lambda f, impact: f.failed and f.rule != "semver"),
    ("Breaking changes allowed by the policy", lambda f, impact: impact == BREAKING and not f.failed),
    ("Potentially breaking changes", lambda f, impact: impact == POTENTIALLY_BREAKING),
    ("Added and compatible", lambda f, impact: impact == COMPATIBLE),
)


def _line(finding: Finding) -> str:
    where = f" ({finding.location})" if finding.location else ""
    return f"- **{finding.rule}** `{finding.subject}`: {' '.join(finding.message.split())}{where}"


def render(changelog: Changelog, known_secrets: Iterable[str] = ()) -> str:
    """A Markdown section naming both releases, the version verdict and every change by kind."""
    findings = changelog.findings
    failed = any(f.failed for f in findings)
    lines = [
        f"## Changes from {changelog.old_label} to {changelog.new_label}",
        "",
        f"**Gate:** {'failed' if failed else 'passed'} · **Version:** {changelog.verdict}",
    ]
    for title, belongs in _SECTIONS:
        chosen = [
            f
            for f in findings
            if f.outcome is not Outcome.ERROR and belongs(f, changelog.impacts.get(f.rule))
        ]
        if chosen:
            lines += ["", f"### {title} ({len(chosen)})", "", *(_line(f) for f in chosen)]
    errors = [f for f in findings if f.outcome is Outcome.ERROR]
    if errors:
        lines += ["", f"### Checks that could not run ({len(errors)})", "", *(_line(f) for f in errors)]
    return mask_secrets("\n".join(lines) + "\n", tuple(known_secrets))
