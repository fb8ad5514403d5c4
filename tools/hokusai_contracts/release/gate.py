"""``verify --baseline OLD``: the diff of OLD against the SDK under test as a check family of the gate.

The static diff always runs; the behavioural checks (BC101/BC102) run when the gate started a server
for the families that need one, since OLD's examples and auth scenarios need it too.
"""

from __future__ import annotations

import contextlib

from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.diff.accepted import load_accepted
from hokusai_contracts.diff.policy import CHECK
from hokusai_contracts.diff.sides import Side, resolve_side
from hokusai_contracts.findings import Finding, Outcome, Severity
from hokusai_contracts.release.run import diff_findings

ACCEPTED_NAME = "accepted-breaks.yaml"


def under_test(context: VerifyContext) -> Side:
    """The SDK the gate checks, as the NEW side of a diff."""
    return Side(
        label="SDK under test",
        api=context.observed_api(),
        python=context.python,
        contracts_dir=context.contracts_dir,
        importable=True,
        package=context.package,
    )


def run_baseline(context: VerifyContext, baseline: str) -> list[Finding]:
    """Findings of the diff from ``baseline`` to the SDK under test (behaviour too with a server)."""
    accepted_file = context.contracts_dir / ACCEPTED_NAME
    accepted = load_accepted(accepted_file) if accepted_file.is_file() else []
    with contextlib.ExitStack() as stack:
        old = resolve_side(baseline, stack, package=context.package, python=context.python)
        new = under_test(context)
        skipped = why_no_behaviour(old)
        behaviour = context.server is not None and skipped is None
        report = diff_findings(old, new, accepted, behaviour=behaviour, server=context.server)
    findings = list(report.result.findings)
    if context.server is not None and skipped is not None:
        findings.append(
            Finding(
                check=CHECK,
                rule="BC101",
                subject=baseline,
                message=f"behavioural checks skipped: {skipped}",
                outcome=Outcome.SKIPPED,
                severity=Severity.INFO,
            )
        )
    return findings


def why_no_behaviour(old: Side) -> str | None:
    """Why OLD's examples and auth scenarios cannot run with OLD's SDK (None: they can)."""
    if old.contracts_dir is None:
        return f"the baseline {old.label} has no contracts directory"
    if not old.importable:
        # Running OLD's pages with the harness's own SDK would compare NEW with itself.
        return old.note or f"the baseline {old.label} has contracts but no code to run them with"
    return None


def baseline_family(baseline: str) -> CheckFamily:
    """The check family ``verify --baseline`` adds to the families it runs."""
    return CheckFamily(
        CHECK,
        f"no breaking change since {baseline} without a major version bump",
        lambda context: run_baseline(context, baseline),
    )
