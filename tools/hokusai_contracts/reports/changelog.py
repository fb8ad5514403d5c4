"""The diff as a Markdown changelog section: breaking changes first, then warnings, then additions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.findings.catalogue import RULES
from hokusai_contracts.findings.rules import Impact


@dataclass(frozen=True)
class Changelog:
    """The findings of a diff between two releases, the releases' labels and the version verdict."""

    findings: tuple[Finding, ...]
    old_label: str
    new_label: str
    verdict: str


_SECTIONS = (
    ("Breaking changes", lambda f, impact: f.failed and f.rule != "semver"),
    ("Breaking changes allowed by the policy", lambda f, impact: impact is Impact.BREAKING and not f.failed),
    ("Potentially breaking changes", lambda f, impact: impact is Impact.POTENTIALLY_BREAKING),
    ("Added and compatible", lambda f, impact: impact is Impact.COMPATIBLE),
)


def impact(finding: Finding) -> Impact | None:
    """What the change a finding reports does to callers, as the rule catalogue says (None: no diff rule)."""
    rule = RULES.get(finding.rule)
    return rule.severity if rule is not None and isinstance(rule.severity, Impact) else None


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
        chosen = [f for f in findings if f.outcome is not Outcome.ERROR and belongs(f, impact(f))]
        if chosen:
            lines += ["", f"### {title} ({len(chosen)})", "", *(_line(f) for f in chosen)]
    errors = [f for f in findings if f.outcome is Outcome.ERROR]
    if errors:
        lines += ["", f"### Checks that could not run ({len(errors)})", "", *(_line(f) for f in errors)]
    return mask_secrets("\n".join(lines) + "\n", tuple(known_secrets))
