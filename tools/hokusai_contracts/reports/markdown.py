"""Markdown report for a CI step summary: headline, counts table, failures with their fixes."""

from __future__ import annotations

import html
from collections.abc import Iterable

from hokusai_contracts.findings import Finding, Outcome, RunResult
from hokusai_contracts.reports.common import (
    ERROR,
    PASSED,
    headline,
    masked,
    overall,
    problems,
    status,
    tallies,
    warnings,
)

# GitHub caps a step summary at 1 MiB; a broken SDK can produce thousands of findings.
MAX_LISTED = 100

_ICON = {PASSED: "✅", ERROR: "⚠️"}


def _inline(text: str) -> str:
    """Text safe inside a table cell or list item: no HTML, no table breaks, one line."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _code(text: str) -> str:
    """``text`` as a code span (for list items, not table cells), whatever backticks it holds."""
    text = " ".join(text.split())
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    # A code span's fence must be longer than any backtick run inside it.
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _item(finding: Finding) -> list[str]:
    kind = "error" if finding.outcome is Outcome.ERROR else ("failed" if finding.failed else "warning")
    where = f" — {_code(str(finding.location))}" if finding.location else ""
    lines = [
        f"- **{_inline(finding.rule)}** ({kind}) {_code(finding.subject)}{where}: {_inline(finding.message)}"
    ]
    if finding.fix:
        lines.append(f"  - fix: {_inline(finding.fix)}")
    return lines


def _section(title: str, findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    lines = ["", f"### {title} ({len(findings)})", ""]
    for finding in findings[:MAX_LISTED]:
        lines.extend(_item(finding))
    if len(findings) > MAX_LISTED:
        lines.append(f"- … and {len(findings) - MAX_LISTED} more (see the JUnit or JSON report)")
    return lines


def render(result: RunResult, known_secrets: Iterable[str] = ()) -> str:
    """The Markdown summary of ``result`` (masked)."""
    result = masked(result, known_secrets)
    state = status(result)
    lines = [f"## {_ICON.get(state, '❌')} Hokusai contracts: {_inline(headline(result))}", ""]
    facts = []
    if result.sdk_version:
        facts.append(f"SDK {_code(result.sdk_version)}")
    if result.server:
        facts.append(f"server {_code(result.server)}")
    facts.append(f"{result.duration_s:.1f} s")
    lines += [" · ".join(facts), ""]
    if result.infrastructure_error:
        lines += [f"> **Infrastructure problem:** {_inline(result.infrastructure_error)}", ""]
    lines += ["| check | passed | failed | warnings | skipped | errors |", "|---|---:|---:|---:|---:|---:|"]
    for check, tally in {**tallies(result), "**total**": overall(result)}.items():
        counts = (tally.passed, tally.failed, tally.warnings, tally.skipped, tally.errors)
        name = check if check.startswith("**") else _inline(check)
        lines.append(f"| {name} | " + " | ".join(str(n) for n in counts) + " |")
    if result.server_events:
        lines += ["", f"### Server events ({len(result.server_events)})", ""]
        lines += [f"- {_inline(event.line())}" for event in result.server_events]
    lines += _section("Failures", problems(result))
    lines += _section("Warnings", warnings(result))
    return "\n".join(lines) + "\n"
