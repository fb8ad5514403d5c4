"""The diff as a Markdown changelog section: breaking changes first, then warnings, then additions."""

from __future__ import annotations

from collections.abc import Iterable

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.diff.rules import RULES
from hokusai_contracts.findings import Finding, Outcome

_SECTIONS = (
    ("Breaking changes", lambda f, impact: f.failed and f.rule != "semver"),
    ("Breaking changes allowed by the policy", lambda f, impact: impact == "breaking" and not f.failed),
    ("Potentially breaking changes", lambda f, impact: impact == "potentially_breaking"),
    ("Added and compatible", lambda f, impact: impact == "compatible"),
)


def _impact(finding: Finding) -> str | None:
    rule = RULES.get(finding.rule)
    return rule.severity.value if rule else None


def _line(finding: Finding) -> str:
    where = f" ({finding.location})" if finding.location else ""
    return f"- **{finding.rule}** `{finding.subject}`: {' '.join(finding.message.split())}{where}"


def render_changelog(
    findings: Iterable[Finding], old_label: str, new_label: str, verdict: str, secrets: Iterable[str] = ()
) -> str:
    """A Markdown section naming both releases, the version verdict and every change by kind."""
    findings = list(findings)
    failed = any(f.failed for f in findings)
    lines = [
        f"## Changes from {old_label} to {new_label}",
        "",
        f"**Gate:** {'failed' if failed else 'passed'} · **Version:** {verdict}",
    ]
    for title, belongs in _SECTIONS:
        chosen = [f for f in findings if f.outcome is not Outcome.ERROR and belongs(f, _impact(f))]
        if chosen:
            lines += ["", f"### {title} ({len(chosen)})", "", *(_line(f) for f in chosen)]
    errors = [f for f in findings if f.outcome is Outcome.ERROR]
    if errors:
        lines += ["", f"### Checks that could not run ({len(errors)})", "", *(_line(f) for f in errors)]
    return mask_secrets("\n".join(lines) + "\n", tuple(secrets))
