"""Run OLD's auth scenarios with each side's SDK: servers started once, scenarios in a worker per side.

Auth scenarios call the ``hokusai`` SDK in-process (its operations and its resilience state), so they run
only for sides whose package is ``hokusai`` and whose interpreter is this environment (the SDK itself may
come from the side's ``extra_paths``, put first on the worker's ``PYTHONPATH``); other sides list the
scenarios as skipped with the reason.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.checks.auth.family import AUTH_DIR, same_interpreter
from hokusai_contracts.checks.auth.load import Loaded, load_dir
from hokusai_contracts.checks.auth.model import Scenario
from hokusai_contracts.checks.auth.servers import ServerPool
from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.release.behaviour_auth_servers import describe_server
from hokusai_contracts.release.behaviour_docs import display_path
from hokusai_contracts.release.behaviour_model import (
    CHECK,
    FAILED,
    PASSED,
    SCENARIO_REGRESSED,
    BehaviourSide,
    CaseResult,
)

WORKER = "hokusai_contracts.release.behaviour_auth_worker"
WORKER_TIMEOUT_S = 1800.0
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
    if not same_interpreter(side.python):
        return (
            f"auth scenarios call the SDK in the harness's interpreter; {side.label} names another "
            "interpreter (give its SDK as extra paths of this one to compare its scenarios)"
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


def run_auth_sides(scenarios: list[Scenario], sides: tuple[BehaviourSide, ...], pool: ServerPool) -> AuthRuns:
    """``scenarios`` run with each side's SDK, against ``pool``'s servers (started once for all sides)."""
    runs = AuthRuns()
    servers, failures = _describe(pool, {s.server for s in scenarios})
    runnable = [s for s in scenarios if s.server in servers]
    runs.not_run = [_server_error(s, failures[s.server]) for s in scenarios if s not in runnable]
    if runnable:
        auth_dir = Path(runnable[0].file).parent
        # Each side is its own worker process; both mostly wait on servers, so they run at once.
        with ThreadPoolExecutor(max_workers=len(sides)) as executor:
            run = functools.partial(_run_side, auth_dir=auth_dir, scenarios=runnable, servers=servers)
            runs.results = list(executor.map(run, sides))
    return runs


def _describe(pool: ServerPool, kinds: set[str]) -> tuple[dict[str, dict], dict[str, str]]:
    servers, failures = {}, {}
    for kind in sorted(kinds):
        try:
            servers[kind] = describe_server(kind, pool(kind))
        except InfrastructureError as exc:
            failures[kind] = str(exc)
    return servers, failures


def _run_side(
    side: BehaviourSide, auth_dir: Path, scenarios: list[Scenario], servers: dict[str, dict]
) -> dict[str, CaseResult]:
    """Every scenario's verdict with ``side``'s SDK, from a worker process that imports it."""
    from hokusai_contracts.introspection.runner import worker_environment

    with tempfile.TemporaryDirectory(prefix="hokusai-behaviour-auth-") as scratch:
        request, result = Path(scratch) / "request.json", Path(scratch) / "result.json"
        payload = {
            "auth_dir": str(Path(auth_dir).resolve()),
            "scenarios": [s.name for s in scenarios],
            "servers": servers,
        }
        request.write_text(json.dumps(payload), encoding="utf-8")
        request.chmod(0o600)  # it holds the basic-auth passwords
        try:
            completed = subprocess.run(
                [sys.executable, "-m", WORKER, str(request), str(result)],
                capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, cwd=scratch, check=False,
                env=worker_environment(side.extra_paths),
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise InfrastructureError(
                f"the auth scenarios with {side.label}'s SDK did not finish within {WORKER_TIMEOUT_S:.0f} s"
            ) from exc
        if completed.returncode != 0 or not result.exists():
            tail = "\n".join(completed.stderr.strip().splitlines()[-20:])
            raise InfrastructureError(
                f"the auth scenario worker for {side.label} exited with status {completed.returncode}:\n"
                f"{mask_secrets(tail)}"
            )
        verdicts = {v["name"]: v for v in json.loads(result.read_text(encoding="utf-8"))}
    return {scenario_key(s): _case(s, verdicts[s.name]) for s in scenarios}


def _case(scenario: Scenario, verdict: dict) -> CaseResult:
    return CaseResult(
        key=scenario_key(scenario),
        subject=scenario.name,
        location=Location(scenario.file, scenario.line),
        status=PASSED if verdict["passed"] else FAILED,
        message=verdict["message"],
        details=verdict["details"],
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
