"""Problems and run outcomes as :class:`Finding` s, each with its catalogue rule, FILE:LINE:COLUMN and fix."""

from __future__ import annotations

from pathlib import Path

from hokusai_contracts.checks.docs_check import problems
from hokusai_contracts.findings import Finding, Location, Outcome
from hokusai_contracts.findings.catalogue import docs_check as rules
from hokusai_contracts.findings.rules import Rule

CHECK = rules.FAMILY

RULE_OF = {
    problems.MISSING_NAME: rules.MISSING_NAME,
    problems.UNKNOWN_KEYWORD: rules.UNKNOWN_KEYWORD,
    problems.MISSING_ARGUMENT: rules.MISSING_ARGUMENT,
    problems.TOO_MANY_POSITIONAL: rules.TOO_MANY_POSITIONAL,
    problems.ABSTRACT: rules.ABSTRACT,
    problems.PROTOCOL: rules.PROTOCOL,
    problems.NOT_PYTHON: rules.NOT_PYTHON,
    problems.UNCHECKED: rules.UNCHECKED,
}


def finding(
    rule: Rule,
    path: Path | str,
    subject: str,
    message: str,
    *,
    line: int | None = None,
    column: int | None = None,
    fix: str | None = None,
    outcome: Outcome = Outcome.FAILED,
    details: str | None = None,
) -> Finding:
    """A docs-check finding of ``rule`` (its severity and, unless given, its fix from the catalogue)."""
    return Finding(
        check=CHECK,
        rule=rule.id,
        subject=subject,
        message=message,
        outcome=outcome,
        severity=rule.severity,
        location=Location(str(path), line, column),
        fix=fix or rule.fix,
        details=details,
    )


def problem_finding(path: Path, problem: problems.Problem) -> Finding:
    """The finding of one static problem (columns become 1-based)."""
    return finding(
        RULE_OF[problem.kind],
        path,
        problem.subject,
        problem.message,
        line=problem.line,
        column=problem.column + 1,
        fix=problem.fix,
    )


def page_passed(path: Path, blocks: int, how: str = "checked") -> Finding:
    """The pass (or, without Python blocks, the skip) of one page."""
    if blocks == 0:
        return finding(
            rules.PAGE_CHECKED, path, str(path), "no Python blocks", outcome=Outcome.SKIPPED, fix=""
        )
    return finding(
        rules.PAGE_CHECKED, path, str(path), f"{blocks} Python block(s) {how}", outcome=Outcome.PASSED, fix=""
    )
