"""The ``auth`` check family: every scenario of ``<contracts>/auth`` run against live servers.

``verify`` hands the family its plain MLflow server; the gateways (in front of it) and the basic-auth
server are started here, in parallel, and stopped at the end. The SDK calls run in the interpreter
``--python`` names (default: this one), in a worker per lane of scenarios, a fresh process per call;
a few lanes run at once.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.base.memo import RunMemo
from hokusai_contracts.base.timing import carried, phase
from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.auth.execute import (
    NotSupported,
    Result,
    RunError,
    RunOptions,
    ScenarioRun,
    run_batch,
)
from hokusai_contracts.checks.auth.judge import judge, malformed_finding
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.auth.model import CHECK, UNEXPECTED_OUTCOME, Scenario
from hokusai_contracts.checks.auth.servers import ServerSource
from hokusai_contracts.checks.auth.worker import FORK, Hook
from hokusai_contracts.findings import Finding, Location, Outcome
from hokusai_contracts.servers.health import blame_infrastructure
from hokusai_contracts.servers.pool import shared_or_own
from hokusai_contracts.servers.server import Server

AUTH_DIR = "auth"
# Lanes of scenarios run at once: each is a worker process; the calls mostly wait on servers.
DEFAULT_LANES = min(2, os.cpu_count() or 1)
OPTION_LANES = "auth_lanes"  # VerifyContext.options: lanes under verify (its -j)
NOT_SUPPORTED = "not supported by this SDK"
# Remembered results (verify/result_cache.py sets it): an object with key(family, unit, text) / get / put.
OPTION_RESULT_CACHE = "result_cache"


def finding_of(result: Result) -> Finding:
    """The one finding of a scenario's result."""
    if isinstance(result, ScenarioRun):
        return judge(result)
    scenario = result.scenario
    location = Location(scenario.file, scenario.line)
    if isinstance(result, NotSupported):
        message = f"{NOT_SUPPORTED}: {result.reason}"
        return Finding(
            CHECK, UNEXPECTED_OUTCOME, scenario.name, message, outcome=Outcome.SKIPPED, location=location
        )
    assert isinstance(result, RunError)
    return Finding(
        CHECK,
        "infrastructure",
        scenario.name,
        mask_secrets(result.message),
        outcome=Outcome.ERROR,
        location=location,
        fix=result.fix,
        details=mask_secrets(result.details) if result.details else None,
    )


def resolved(source: ServerSource, kinds: Iterable[str]) -> ServerSource:
    """``source`` asked once per kind, in this thread (a pytest fixture source is not thread-safe)."""
    found: dict[str, Server] = {}
    failed: dict[str, Exception] = {}
    for kind in sorted(kinds):
        try:
            found[kind] = source(kind)
        except Exception as exc:  # raised again for each scenario of the kind, where it becomes a finding
            failed[kind] = exc

    def server(kind: str) -> Server:
        if kind in failed:
            raise failed[kind]
        return found[kind]

    return server


def run_scenarios(
    scenarios: Iterable[Scenario],
    source: ServerSource,
    hook: Hook | None = None,
    *,
    python: str | None = None,
    extra_paths: Sequence[str] = (),
    lanes: int = DEFAULT_LANES,
    isolation: str = FORK,
) -> list[Finding]:
    """One finding per scenario, in order, the SDK of ``python`` (+ ``extra_paths``) making the calls."""
    scenarios = list(scenarios)
    if not scenarios:
        return []
    options = RunOptions(python, tuple(str(p) for p in extra_paths), hook, isolation)
    servers = resolved(source, {scenario.server for scenario in scenarios})
    # A pool's runs are shared: the release diff's behaviour check runs OLD's scenarios with the SDK
    # under test, and those the release has word for word are the auth family's own runs.
    memo = getattr(source, "results", None) if hook is None else None
    keys = {s.name: _run_key(s, options) for s in scenarios}
    claims = {name: memo.claim(key) for name, key in keys.items()} if isinstance(memo, RunMemo) else {}
    mine = [s for s in scenarios if s.name not in claims or claims[s.name][1]]
    try:
        results = _run_lanes(mine, servers, options, lanes)
    except BaseException as exc:
        for s in mine:
            if s.name in claims:
                memo.fail(keys[s.name], claims[s.name][0], exc)
        raise
    for s in scenarios:
        if s.name not in claims:
            continue
        future, owned = claims[s.name]
        if owned:
            future.set_result(results[s.name])
        else:  # run by another caller: its result, told of this copy's place
            results[s.name] = dataclasses.replace(future.result(), scenario=s)
    return [blame_server(finding_of(results[s.name]), s, servers) for s in scenarios]


def _run_key(scenario: Scenario, options: RunOptions) -> tuple[str, ...]:
    """What makes two runs of a scenario the same run: its definition (not its file and line), the SDK."""
    python = os.path.abspath(options.python or sys.executable)  # not resolved: two venvs share one binary
    definition = repr(dataclasses.replace(scenario, file="", line=None))
    return ("auth scenario", definition, python, *options.extra_paths, options.isolation)


def _run_lanes(scenarios: list[Scenario], servers: ServerSource, options: RunOptions, lanes: int) -> dict:
    """Each scenario's result by name, the scenarios run in up to ``lanes`` workers at once."""
    if not scenarios:
        return {}
    count = max(1, min(lanes, len(scenarios)))
    groups = [scenarios[lane::count] for lane in range(count)]
    with ThreadPoolExecutor(max_workers=count) as executor:
        batches = list(
            executor.map(carried(lambda lane: _lane(lane, groups[lane], servers, options)), range(count))
        )
    return {result.scenario.name: result for batch in batches for result in batch}


def _lane(lane: int, group: list[Scenario], servers: ServerSource, options: RunOptions) -> list[Result]:
    with phase(f"auth lane {lane + 1}: {len(group)} scenario(s)"):
        return run_batch(group, servers, options)


def blame_server(finding: Finding, scenario: Scenario, servers: ServerSource) -> Finding:
    """``finding``, or an infrastructure error when the scenario's server died or answers wrongly."""
    if finding.outcome is not Outcome.FAILED:
        return finding
    try:
        server = servers(scenario.server)
    except Exception:  # it never started: the finding says so already
        return finding
    return blame_infrastructure([finding], [server])[0]


def run_one(scenario: Scenario, source: ServerSource, hook: Hook | None = None) -> Finding:
    """The finding of one scenario; a server that cannot start or a harness crash is an error finding."""
    return run_scenarios([scenario], source, hook)[0]


def run_auth(context: VerifyContext) -> list[Finding]:
    """The family's entry point for ``verify``."""
    loaded = load_dir(Path(context.contracts_dir) / AUTH_DIR)
    findings = [malformed_finding(error) for error in loaded.errors]
    if not loaded.scenarios:
        return findings
    # Result cache hook: a scenario whose key (its whole definition) is remembered does not run, nor do
    # its servers start; the findings keep scenario order either way.
    cache = context.options.get(OPTION_RESULT_CACHE)
    keys = {s.name: cache.key(CHECK, s.name, repr(s)) for s in loaded.scenarios} if cache is not None else {}
    by_name = {name: cache.get(key) for name, key in keys.items()}
    to_run = [s for s in loaded.scenarios if by_name.get(s.name) is None]
    if to_run:
        lanes = int(context.options.get(OPTION_LANES, DEFAULT_LANES))
        # Under verify: the run's shared servers; scenarios keep apart by fresh keys and unique names.
        with shared_or_own(context.server, purpose="the auth scenarios") as pool:
            pool.prestart(scenario.server for scenario in to_run)
            fresh = run_scenarios(to_run, pool, python=context.python, lanes=lanes)
        for scenario, finding in zip(to_run, fresh, strict=True):
            by_name[scenario.name] = [finding]
            if cache is not None:
                cache.put(keys[scenario.name], [finding])
    return findings + [finding for s in loaded.scenarios for finding in by_name[s.name] or ()]


def server_kinds(context: VerifyContext) -> set[str]:
    """The server kinds the scenarios will ask for (a remembered scenario does not run: none)."""
    cache = context.options.get(OPTION_RESULT_CACHE)
    return {
        scenario.server
        for scenario in load_dir(Path(context.contracts_dir) / AUTH_DIR).scenarios
        if cache is None or not cache.remembered(cache.key(CHECK, scenario.name, repr(scenario)))
    }
