"""Compare what a scenario observed with what it expects: one finding per scenario.

Pure functions over the observation. A failing scenario's finding carries its most serious rule
(AUTH004 leak > AUTH001 outcome > AUTH002 error details > AUTH003 fix phrase) and lists the others.
Every text put in a finding is masked first; the finding is then rendered by every report format to
prove no secret survives there either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.checks.auth.execute import ScenarioRun
from hokusai_contracts.checks.auth.model import (
    CHECK,
    MALFORMED,
    MISSING_FIX,
    SECRET_LEAKED,
    UNEXPECTED_OUTCOME,
    WRONG_ERROR,
    Expectation,
    Observation,
)
from hokusai_contracts.findings import Finding, Location, Outcome, RunResult
from hokusai_contracts.findings.catalogue import auth as auth_rules

_ORDER = (SECRET_LEAKED, UNEXPECTED_OUTCOME, WRONG_ERROR, MISSING_FIX)
FIXES = {rule.id: rule.fix for rule in auth_rules.RULES}


@dataclass(frozen=True)
class Problem:
    """One way the observation differs from the expectation."""

    rule: str
    message: str


def leaks(observation: Observation, secrets: Mapping[str, str]) -> list[Problem]:
    """AUTH004 for every secret found in a text the user could see."""
    found = []
    for channel, text in observation.channels().items():
        names = sorted(name for name, value in secrets.items() if value and value in text)
        if names:
            found.append(Problem(SECRET_LEAKED, f"{', '.join(names)} appears unmasked in {channel}"))
    return found


def outcome_problems(expect: Expectation, observation: Observation) -> list[Problem]:
    """AUTH001: success vs exception, retries, request count, circuit state, notification status."""
    found = []
    if expect.success and not observation.succeeded:
        found.append(Problem(UNEXPECTED_OUTCOME, f"expected success, the call raised {_what(observation)}"))
    if expect.exception and observation.succeeded:
        found.append(Problem(UNEXPECTED_OUTCOME, f"expected {expect.exception}, the call succeeded"))
    if expect.retried is not None and (observation.attempts > 1) != expect.retried:
        said = "be retried" if expect.retried else "not be retried"
        found.append(
            Problem(
                UNEXPECTED_OUTCOME,
                f"the failing request should {said}; it reached the server {observation.attempts} time(s)",
            )
        )
    if expect.requests is not None and len(observation.requests) != expect.requests:
        found.append(
            Problem(
                UNEXPECTED_OUTCOME,
                f"expected {expect.requests} request(s) to reach the server, {len(observation.requests)} did",
            )
        )
    if expect.circuit is not None:
        found.extend(_circuit_problems(expect.circuit, observation))
    if expect.notification is not None and observation.succeeded:
        status = (
            (observation.result or {}).get("notification", {}).get("status")
            if isinstance(observation.result, dict)
            else None
        )
        if status != expect.notification:
            found.append(
                Problem(UNEXPECTED_OUTCOME, f"expected notification {expect.notification!r}, got {status!r}")
            )
    return found


def _circuit_problems(expected: str, observation: Observation) -> list[Problem]:
    found = []
    if observation.circuit != expected:
        found.append(
            Problem(
                UNEXPECTED_OUTCOME, f"expected the circuit breaker {expected}, it is {observation.circuit}"
            )
        )
    if expected == "open" and (
        observation.followup_exception != "CircuitOpenError" or observation.followup_requests
    ):
        found.append(
            Problem(
                UNEXPECTED_OUTCOME,
                f"a second call should fail fast with CircuitOpenError and send nothing; it raised "
                f"{observation.followup_exception} after {observation.followup_requests} request(s)",
            )
        )
    return found


def error_problems(expect: Expectation, observation: Observation) -> list[Problem]:
    """AUTH002 (type and attributes) and AUTH003 (fix phrases) for an expected exception."""
    if not expect.exception or observation.succeeded:
        return []
    found = []
    if observation.exception_type != expect.exception:
        found.append(Problem(WRONG_ERROR, f"expected {expect.exception}, got {_what(observation)}"))
    for name in ("status_code", "error_code", "required_scope", "mlflow_registered"):
        wanted = getattr(expect, name)
        actual = observation.attributes.get(name)
        if wanted is not None and actual != wanted:
            found.append(Problem(WRONG_ERROR, f"expected {name} {wanted!r}, got {actual!r}"))
    missing = [phrase for phrase in expect.message_contains if phrase not in observation.text]
    if missing:
        found.append(Problem(MISSING_FIX, f"the message lacks {', '.join(map(repr, missing))}"))
    return found


def problems_of(run: ScenarioRun) -> list[Problem]:
    """Every problem of ``run``, most serious first."""
    expect, observation = run.scenario.expect, run.observation
    found = [
        *leaks(observation, run.secrets),
        *outcome_problems(expect, observation),
        *error_problems(expect, observation),
    ]
    return sorted(found, key=lambda p: _ORDER.index(p.rule))


def finding_for(run: ScenarioRun, extra: list[Problem] | None = None) -> Finding:
    """The scenario's one finding: passed, or failed with its most serious rule."""
    found = sorted([*problems_of(run), *(extra or [])], key=lambda p: _ORDER.index(p.rule))
    scenario, masked_values = run.scenario, tuple(run.secrets.values())
    details = mask_secrets(_details(run.observation), masked_values)
    if not found:
        return Finding(
            CHECK,
            UNEXPECTED_OUTCOME,
            scenario.name,
            f"as expected: {_summary(run.observation)}",
            outcome=Outcome.PASSED,
            location=Location(scenario.file, scenario.line),
            details=details,
        )
    first, others = found[0], found[1:]
    message = first.message + "".join(f"\nalso {p.rule}: {p.message}" for p in others)
    return Finding(
        CHECK,
        first.rule,
        scenario.name,
        mask_secrets(f"{scenario.description.strip()}\n{message}", masked_values),
        location=Location(scenario.file, scenario.line),
        fix=FIXES[first.rule],
        details=details,
    )


def judge(run: ScenarioRun) -> Finding:
    """The finding of ``run``, after checking that no report format would show one of its secrets."""
    finding = finding_for(run)
    shown = report_leaks(finding, run.secrets)
    return finding_for(run, shown) if shown else finding


def report_leaks(finding: Finding, secrets: Mapping[str, str]) -> list[Problem]:
    """AUTH004 for every report format that would print a secret of ``finding``."""
    # Rendered unaided (no list of secrets), as when verify runs without them in its environment.
    from hokusai_contracts.reports import FORMATS, render

    found = []
    for fmt in FORMATS:
        text = render(RunResult(findings=[finding]), fmt, secrets=())
        names = sorted(name for name, value in secrets.items() if value and value in text)
        if names:
            found.append(Problem(SECRET_LEAKED, f"{', '.join(names)} appears in the harness's {fmt} report"))
    return found


def malformed_finding(error: ContractError) -> Finding:
    """AUTH005: a scenario file that cannot be read."""
    return Finding(
        CHECK,
        MALFORMED,
        error.file or "contracts/auth",
        str(error),
        location=Location(error.file, error.line) if error.file else None,
        fix=FIXES[MALFORMED],
    )


def _what(observation: Observation) -> str:
    if observation.succeeded:
        return "nothing (success)"
    status = observation.attributes.get("status_code")
    code = observation.attributes.get("error_code")
    extra = ", ".join(str(x) for x in (f"HTTP {status}" if status else None, code) if x)
    return f"{observation.exception_type}" + (f" ({extra})" if extra else "")


def _summary(observation: Observation) -> str:
    what = _what(observation)
    if (
        observation.succeeded
        and isinstance(observation.result, dict)
        and "notification" in observation.result
    ):
        what = f"success (notification {observation.result['notification'].get('status')})"
    elif observation.succeeded:
        what = "success"
    return f"{what} after {len(observation.requests)} request(s) in {observation.duration_s:.2f} s"


def _details(observation: Observation) -> str:
    lines = [
        f"observed: {_what(observation)}",
        f"requests: {len(observation.requests)} (failing request sent {observation.attempts} time(s)); "
        f"circuit: {observation.circuit}",
    ]
    if observation.followup_exception:
        lines.append(
            f"second call: {observation.followup_exception}, {observation.followup_requests} request(s)"
        )
    if observation.text:
        lines.append("message:")
        lines.extend(f"  {line}" for line in observation.text.splitlines()[:12])
    return "\n".join(lines)
