"""Run OLD's auth scenarios with each side's SDK: servers started once, the calls in each side's interpreter.

The scenarios run as ``verify --only auth`` runs them (:func:`checks.auth.family.run_scenarios`): the
harness keeps the servers, the proxies and the judge; the SDK calls go to the auth worker in the side's
interpreter, with the side's ``extra_paths`` first on its ``PYTHONPATH``. Only sides whose package is
``hokusai`` can run them (the scenarios name its operations); other sides list the scenarios as skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.checks.auth.family import AUTH_DIR, run_scenarios
from hokusai_contracts.checks.auth.load import Loaded, load_dir
from hokusai_contracts.checks.auth.model import Scenario
from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.release.behaviour_docs import display_path
from hokusai_contracts.release.behaviour_model import (
    CHECK,
    FAILED,
    PASSED,
    SCENARIO_REGRESSED,
    SKIPPED,
    BehaviourSide,
    CaseResult,
)
from hokusai_contracts.servers.pool import ServerPool

AUTH_PACKAGE = "hokusai"


@dataclass
class AuthRuns:
    """Each side's verdict per scenario (empty when none ran), and the scenarios that could not run."""

    results: list[dict[str, CaseResult]] = field(default_factory=list)
    not_run: list[Finding] = field(default_factory=list)


def scenario_key(scenario: Scenario) -> str:
    """A scenario's identity on both sides."""
    return f"auth:{scenario.name}"


def load_scenarios(contracts_dir: Path) -> Loaded:
    """OLD's auth scenarios (and the files that do not load)."""
    return load_dir(display_path(Path(contracts_dir) / AUTH_DIR))


def why_not_runnable(side: BehaviourSide) -> str | None:
    """Why ``side``'s SDK cannot run auth scenarios (None: it can)."""
    if side.package != AUTH_PACKAGE:
        return (
            f"auth scenarios call the {AUTH_PACKAGE} SDK's operations; {side.label} is package "
            f"{side.package!r}"
        )
    return None


def not_compared(scenarios: Iterable[Scenario], reason: str) -> list[Finding]:
    """Each scenario listed as skipped with ``reason``."""
    return [
        Finding(
            CHECK,
            SCENARIO_REGRESSED,
            s.name,
            f"not compared: {reason}",
            outcome=Outcome.SKIPPED,
            severity=Severity.INFO,
            location=Location(s.file, s.line),
        )
        for s in scenarios
    ]


AUTH_LANES = 2  # scenarios of one side at once (they mostly wait on gateways and back-offs)


def run_auth_sides(scenarios: list[Scenario], sides: tuple[BehaviourSide, ...], pool: ServerPool) -> AuthRuns:
    """``scenarios`` run with each side's SDK, against ``pool``'s servers (started once for all sides)."""
    runs = AuthRuns()
    failures = _unavailable(pool, {s.server for s in scenarios})
    runnable = [s for s in scenarios if s.server not in failures]
    runs.not_run = [_server_error(s, failures[s.server]) for s in scenarios if s.server in failures]
    if runnable:
        # Each side is its own worker process; both mostly wait on servers, so they run at once.
        with ThreadPoolExecutor(max_workers=len(sides)) as executor:
            # One side alone (OLD runs only NEW's failures, after): its scenarios in two lanes.
            lanes = AUTH_LANES if len(sides) == 1 else 1
            run = functools.partial(_run_side, scenarios=runnable, pool=pool, lanes=lanes)
            runs.results = list(executor.map(run, sides))
    return runs


def _unavailable(pool: ServerPool, kinds: set[str]) -> dict[str, str]:
    failures = {}
    for kind in sorted(kinds):
        try:
            pool.get(kind)
        except InfrastructureError as exc:
            failures[kind] = str(exc)
    return failures


def _run_side(
    side: BehaviourSide, scenarios: list[Scenario], pool: ServerPool, lanes: int = 1
) -> dict[str, CaseResult]:
    """Every scenario's verdict with ``side``'s SDK, in ``lanes`` at once."""
    findings = run_scenarios(scenarios, pool, python=side.python, extra_paths=side.extra_paths, lanes=lanes)
    return {scenario_key(s): _case(s, f) for s, f in zip(scenarios, findings, strict=True)}


def _problem(message: str, description: str) -> str:
    """What went wrong, without the scenario's description the auth judge puts first."""
    description = description.strip()
    return message[len(description) :].strip() if message.startswith(description) else message


def _case(scenario: Scenario, finding: Finding) -> CaseResult:
    statuses = {Outcome.PASSED: PASSED, Outcome.SKIPPED: SKIPPED}
    return CaseResult(
        key=scenario_key(scenario),
        subject=scenario.name,
        location=Location(scenario.file, scenario.line),
        status=statuses.get(finding.outcome, FAILED),
        message=_problem(finding.message, scenario.description),
        details=finding.details or "",
    )


def _server_error(scenario: Scenario, message: str) -> Finding:
    return Finding(
        CHECK,
        SCENARIO_REGRESSED,
        scenario.name,
        mask_secrets(f"not compared: {message}"),
        outcome=Outcome.ERROR,
        location=Location(scenario.file, scenario.line),
        fix="fix the environment named in the message, then run again",
    )
