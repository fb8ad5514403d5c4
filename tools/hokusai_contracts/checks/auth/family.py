"""The ``auth`` check family: every scenario of ``<contracts>/auth`` run against live servers.

``verify`` hands the family its plain MLflow server; the gateways (in front of it) and the basic-auth
server are started here, in parallel, and stopped at the end. Scenarios run one after another in this
process: each one changes the process environment for the length of its call.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.auth.execute import CallHook, run_scenario
from hokusai_contracts.checks.auth.judge import judge, malformed_finding
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.auth.model import CHECK, Scenario
from hokusai_contracts.checks.auth.servers import ServerHandle, ServerPool, ServerSource
from hokusai_contracts.findings import Finding, Location, Outcome

AUTH_DIR = "auth"


def run_one(scenario: Scenario, source: ServerSource, hook: CallHook | None = None) -> Finding:
    """The finding of one scenario; a server that cannot start or a harness crash is an error finding."""
    try:
        handle = ServerHandle(scenario.server, source(scenario.server))
        return judge(run_scenario(scenario, handle, hook))
    except InfrastructureError as exc:
        return _error(scenario, str(exc), "fix the environment named in the message, then run again")
    except Exception as exc:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return _error(
            scenario,
            f"the harness crashed running the scenario: {type(exc).__name__}: {exc}",
            "this is a bug in the harness; report it with the details below",
            details,
        )


def run_scenarios(
    scenarios: Iterable[Scenario], source: ServerSource, hook: CallHook | None = None
) -> list[Finding]:
    """One finding per scenario, run in order."""
    return [run_one(scenario, source, hook) for scenario in scenarios]


def run_auth(context: VerifyContext) -> list[Finding]:
    """The family's entry point for ``verify``."""
    loaded = load_dir(Path(context.contracts_dir) / AUTH_DIR)
    findings = [malformed_finding(error) for error in loaded.errors]
    if not loaded.scenarios:
        return findings
    if not same_interpreter(context.python):
        reason = (
            "auth scenarios call the SDK in the harness's own interpreter; run verify without --python "
            "(or from the environment whose SDK you want checked) to run them"
        )
        return findings + [
            Finding(
                CHECK, "AUTH001", s.name, reason, outcome=Outcome.SKIPPED, location=Location(s.file, s.line)
            )
            for s in loaded.scenarios
        ]
    pool = ServerPool(context.server)
    try:
        pool.prestart(scenario.server for scenario in loaded.scenarios)
        findings += run_scenarios(loaded.scenarios, pool)
    finally:
        pool.close()
    return findings


def same_interpreter(python: str | None) -> bool:
    # Two venvs can share one base binary: compare environments (sys.prefix), not executables.
    if python is None:
        return True
    from hokusai_contracts.introspection.runner import resolve_python

    try:
        completed = subprocess.run(
            [resolve_python(python), "-c", "import sys; print(sys.prefix)"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return os.path.realpath(completed.stdout.strip()) == os.path.realpath(sys.prefix)


def _error(scenario: Scenario, message: str, fix: str, details: str | None = None) -> Finding:
    return Finding(
        CHECK,
        "infrastructure",
        scenario.name,
        mask_secrets(message),
        outcome=Outcome.ERROR,
        location=Location(scenario.file, scenario.line),
        fix=fix,
        details=mask_secrets(details) if details else None,
    )
