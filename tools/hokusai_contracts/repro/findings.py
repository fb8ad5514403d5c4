"""A replay's verdicts as findings (one per claim, check ``repro``), and the report model the repro report
handlers render (:mod:`hokusai_contracts.reports.repro_model`)."""

from __future__ import annotations

from dataclasses import asdict

from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.findings.catalogue.repro import BY_VERDICT, FAMILY
from hokusai_contracts.reports.repro_model import (
    CallRecord,
    CheckRecord,
    ClaimFacts,
    ClaimRun,
    EnvironmentFacts,
    ExceptionRecord,
    ReproReport,
    SdkFacts,
)
from hokusai_contracts.repro.outcome import Outcome as ClaimOutcome
from hokusai_contracts.repro.replay import ROLE_TITLES, ClaimResult, EnvironmentRun, ReplayResult
from hokusai_contracts.repro.verdict import (
    ENVIRONMENT_SPECIFIC,
    NOT_REPRODUCED,
    Check,
    Judgement,
    not_fixed,
)

_OUTPUT_LINES_IN_DETAILS = 5


def claim_evidence(claim: ClaimResult) -> str:
    """The one sentence that explains a claim's verdict (both runs for an environment-specific one)."""
    if claim.verdict == ENVIRONMENT_SPECIFIC and claim.current is not None:
        reporter, current = claim.reporter.evidence, claim.current.evidence
        return f"Reporter's environment: {reporter}. Current SDK and server: {current}"
    return claim.reporter.evidence


def claim_finding(claim: ClaimResult, result: ReplayResult) -> Finding:
    """The verdict on one claim as a finding at the claim's line of the report."""
    rule = BY_VERDICT[claim.verdict]
    # The catalogue grades each verdict (a reproduced problem is a warning: repro exits 0 whatever the
    # verdicts); only a claim that --against does not fix fails (exit 1).
    severity, fix = rule.severity, rule.fix
    if not_fixed(claim.reporter, claim.against_result):
        severity = Severity.ERROR
        fix = f"the --against SDK source does not fix it ({claim.against_result})"
    return Finding(
        check=FAMILY,
        rule=rule.id,
        subject=claim.claim.id,
        message=claim_evidence(claim),
        outcome=Outcome.PASSED if claim.verdict == NOT_REPRODUCED else Outcome.FAILED,
        severity=severity,
        location=Location(result.report.file, claim.claim.line),
        fix=fix,
        details=_details(claim, result),
    )


def _details(claim: ClaimResult, result: ReplayResult) -> str:
    """The evidence as text: what was observed, then each run's environment, checks, calls and output."""
    lines = [f"reporter observed: {claim.claim.observed.describe()}"]
    if claim.against_result:
        lines.append(f"--against: {claim.against_result}")
    for run in result.runs:
        judgement = run.judgements.get(claim.claim.id)
        if judgement is None:
            continue
        outcome = run.outcomes[claim.claim.id]
        lines.append(f"{ROLE_TITLES[run.role]}: {judgement.verdict} in {outcome.seconds:.1f} s")
        lines.append(f"  {run.environment.label()}")
        if run.server is not None:
            lines.append(f"  server: {run.server.label()}")
        lines += [f"  check {_check_text(check)}" for check in judgement.checks]
        lines += [f"  HTTP {call.label()}" for call in outcome.transcript]
        shown = [line for line in outcome.output.splitlines() if line.strip()][-_OUTPUT_LINES_IN_DETAILS:]
        lines += [f"  output: {line}" for line in shown]
        if outcome.problem:
            lines.append(f"  problem: {outcome.problem}")
    return "\n".join(lines)


def _check_text(check: Check) -> str:
    return f"{check.field} {check.expected!r}: {'matches' if check.matched else 'got ' + repr(check.actual)}"


def _sdk(run: EnvironmentRun) -> SdkFacts:
    environment = run.environment
    return SdkFacts(
        kind=environment.sdk.kind,
        source=environment.sdk.value,
        label=environment.sdk.label(),
        version=environment.sdk_version,
        described_as=environment.sdk.described_as,
        cache_key=environment.sdk_key,
    )


def environment_facts(run: EnvironmentRun) -> EnvironmentFacts:
    """One environment the claims ran in, as the reports show it."""
    return EnvironmentFacts(
        role=run.role,
        title=ROLE_TITLES[run.role],
        sdk=_sdk(run),
        mlflow_client=run.environment.mlflow_client,
        python=run.environment.python_version,
        server=asdict(run.server) if run.server else None,
        server_label=run.server.label() if run.server else None,
        server_version=run.server_version,
        server_seconds=run.server_seconds,
        environment_seconds=run.environment.seconds,
        claims_run=tuple(run.outcomes),
        reused_from=run.reused_from,
    )


def claim_run(run: EnvironmentRun, judgement: Judgement, outcome: ClaimOutcome) -> ClaimRun:
    """One run of one claim, as the reports show it."""
    raised = outcome.exception
    exception = ExceptionRecord(raised.type, raised.bases, raised.message, raised.status) if raised else None
    return ClaimRun(
        role=run.role,
        title=ROLE_TITLES[run.role],
        verdict=judgement.verdict,
        evidence=judgement.evidence,
        checks=tuple(CheckRecord(c.field, c.expected, c.actual, c.matched) for c in judgement.checks),
        exception=exception,
        output=outcome.output,
        traceback=outcome.traceback,
        calls=tuple(CallRecord(c.method, c.path, c.status, c.headers) for c in outcome.transcript),
        seconds=outcome.seconds,
        timed_out=outcome.timed_out,
        problem=outcome.problem,
    )


def claim_facts(claim: ClaimResult, result: ReplayResult) -> ClaimFacts:
    """One claim's finding, what the reporter wrote, and every run of it."""
    written = claim.claim
    runs = tuple(
        claim_run(run, run.judgements[written.id], run.outcomes[written.id])
        for run in result.runs
        if written.id in run.judgements
    )
    return ClaimFacts(
        finding=claim_finding(claim, result),
        verdict=claim.verdict,
        title=written.title,
        code=written.code,
        observed={k: v for k, v in asdict(written.observed).items() if v is not None},
        observed_text=written.observed.describe(),
        reported_as=written.reported_as,
        against=claim.against_result,
        runs=runs,
    )


def report_model(result: ReplayResult) -> ReproReport:
    """The whole replay as the repro report handlers render it."""
    report = result.report
    return ReproReport(
        report=report.report,
        title=report.title,
        file=report.file,
        started_at=result.started_at,
        seconds=result.seconds,
        reporter_python=report.reporter.python,
        reporter_mlflow_client=report.reporter.mlflow_client,
        environments=tuple(environment_facts(run) for run in result.runs),
        claims=tuple(claim_facts(claim, result) for claim in result.claims),
        source=report.source,
        notes=result.notes,
    )
