"""Replay a bug report: its claims in the reporter's environment, the reproduced ones again in the
current one (this repository's SDK, the harness's MLflow), and all of them on an ``--against`` source."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from hokusai_contracts.repro import references
from hokusai_contracts.repro.outcome import Outcome
from hokusai_contracts.repro.report import BugReport, Claim, SdkSource, ServerSpec
from hokusai_contracts.repro.run_claims import ClaimInput, claim_variables, run_claim
from hokusai_contracts.repro.sdk_env import SdkEnvironment, current_sdk, ensure_sdk_environment
from hokusai_contracts.repro.servers import ReplayServers, provided_names
from hokusai_contracts.repro.verdict import (
    REPRODUCED,
    Judgement,
    against_result,
    final_verdict,
    judge,
)
from hokusai_contracts.servers.venvs import own_mlflow_version

REPORTER, CURRENT, AGAINST = "reporter", "current", "against"
ROLE_TITLES = {
    REPORTER: "Reporter's environment",
    CURRENT: "Current SDK and server",
    AGAINST: "--against",
}
# Claims without a server run side by side; on one shared server they run one after another, as the
# reporter ran them (two registrations at once race on creating the same experiment).
PARALLEL_WITHOUT_SERVER = 2


@dataclass(frozen=True)
class RunSpec:
    """An environment to run claims in: SDK source, MLflow client and server."""

    role: str
    sdk: SdkSource
    mlflow_client: str
    server: ServerSpec | None


@dataclass(frozen=True)
class EnvironmentRun:
    """The claims run in one environment, and what each produced."""

    role: str
    environment: SdkEnvironment
    server: ServerSpec | None
    server_version: str | None
    outcomes: Mapping[str, Outcome]
    judgements: Mapping[str, Judgement]
    reused_from: str | None = None  # the identical environment whose results were reused, if any
    server_seconds: float = 0.0  # starting the server for this run (0 when an earlier run started it)


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on one claim and the runs behind it."""

    claim: Claim
    verdict: str
    reporter: Judgement
    current: Judgement | None = None
    against: Judgement | None = None
    against_result: str | None = None


@dataclass(frozen=True)
class ReplayResult:
    """A whole replay: every run, every claim's verdict, and how long it took."""

    report: BugReport
    runs: tuple[EnvironmentRun, ...]
    claims: tuple[ClaimResult, ...]
    seconds: float
    started_at: str
    notes: tuple[str, ...] = ()

    def run(self, role: str) -> EnvironmentRun | None:
        """The run of ``role`` (reporter, current, against), None when there was none."""
        return next((run for run in self.runs if run.role == role), None)


def current_server(spec: ServerSpec | None, version: str) -> ServerSpec | None:
    """The reporter's server situation (auth, scopes, user) on the current MLflow ``version``."""
    return replace(spec, mlflow=version) if spec is not None else None


def check_references(report: BugReport, environ: Mapping[str, str]) -> None:
    """Fail before anything starts when a ``${NAME}`` has no value (provisioned or in the environment)."""
    offered = dict.fromkeys(provided_names(report.reporter.server), "provisioned")
    for claim in report.claims:
        _, missing = claim_variables(claim, report.reporter, offered, environ)
        if missing:
            raise references.unresolved_error(report.file, missing, offered)


@dataclass
class _Replayer:
    report: BugReport
    workdir: Path
    environ: Mapping[str, str]
    parallel: int | None
    pool: ReplayServers
    progress: Callable[[str], None]
    environments: dict[tuple[str, str, str], SdkEnvironment] = field(default_factory=dict)
    # (sdk key, mlflow client, server) -> claim id -> outcome: identical environments run a claim once
    outcomes: dict[tuple, dict[str, Outcome]] = field(default_factory=dict)
    first_role: dict[tuple, str] = field(default_factory=dict)

    def environment(self, spec: RunSpec) -> SdkEnvironment:
        key = (spec.sdk.kind, spec.sdk.value, spec.mlflow_client)
        if key not in self.environments:
            self.progress(f"preparing {spec.sdk.label()} with MLflow client {spec.mlflow_client}")
            self.environments[key] = ensure_sdk_environment(spec.sdk, spec.mlflow_client)
        return self.environments[key]

    def run(self, spec: RunSpec, claims: Sequence[Claim]) -> EnvironmentRun:
        # The server starts while the SDK environment is prepared: the two slowest steps overlap.
        started_before = self.pool.started(spec.server) if spec.server else True
        if not started_before:
            self.progress(f"starting {spec.server.label()}")
        with ThreadPoolExecutor(max_workers=1) as background:
            server_future = background.submit(self.pool.get, spec.server) if spec.server else None
            environment = self.environment(spec)
            server = server_future.result() if server_future else None
        key = (environment.sdk_key, environment.mlflow_client, spec.server)
        done = self.outcomes.setdefault(key, {})
        first_role = self.first_role.setdefault(key, spec.role)
        todo = [claim for claim in claims if claim.id not in done]
        reused = len(todo) < len(claims)
        if todo:
            self.progress(
                f"{ROLE_TITLES[spec.role]}: running {len(todo)} claim(s) with {environment.label()}"
            )

        def one(claim: Claim) -> tuple[str, Outcome]:
            directory = self.workdir / spec.role / claim.id
            given = ClaimInput(claim, self.report.reporter, environment, server, directory, self.environ)
            return claim.id, run_claim(given)

        parallel = self.parallel or (1 if server else PARALLEL_WITHOUT_SERVER)
        with ThreadPoolExecutor(max_workers=parallel) as workers:
            done.update(workers.map(one, todo))
        outcomes = {claim.id: done[claim.id] for claim in claims}
        judgements = {claim.id: judge(claim.observed, outcomes[claim.id]) for claim in claims}
        return EnvironmentRun(
            role=spec.role,
            environment=environment,
            server=spec.server,
            server_version=server.mlflow_version if server else None,
            outcomes=outcomes,
            judgements=judgements,
            reused_from=f"the identical {ROLE_TITLES[first_role]} run" if reused else None,
            server_seconds=0.0 if started_before else server.startup_seconds,
        )


def replay(
    report: BugReport,
    *,
    against: SdkSource | None = None,
    environ: Mapping[str, str] | None = None,
    workdir: Path | None = None,
    parallel: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> ReplayResult:
    """Replay every claim of ``report``; see the module docstring for the runs it makes.

    ``parallel``: claims run at the same time (default: 2 without a server, 1 on a shared server).
    """
    environ = dict(os.environ if environ is None else environ)
    check_references(report, environ)
    started, started_at = time.monotonic(), datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    reporter = report.reporter
    own = own_mlflow_version() or reporter.mlflow_client
    specs = {
        REPORTER: RunSpec(REPORTER, reporter.sdk, reporter.mlflow_client, reporter.server),
        CURRENT: RunSpec(CURRENT, current_sdk(), own, current_server(reporter.server, own)),
    }
    if against is not None:
        specs[AGAINST] = RunSpec(AGAINST, against, reporter.mlflow_client, reporter.server)
    with tempfile.TemporaryDirectory(prefix="hokusai-repro-", dir=workdir) as scratch:
        pool = ReplayServers(Path(scratch))
        replayer = _Replayer(report, Path(scratch), environ, parallel, pool, progress)
        try:
            runs = [replayer.run(specs[REPORTER], report.claims)]
            reproduced = [c for c in report.claims if runs[0].judgements[c.id].verdict == REPRODUCED]
            if reproduced and _differs(replayer, specs[REPORTER], specs[CURRENT]):
                runs.append(replayer.run(specs[CURRENT], reproduced))
            if against is not None:
                runs.append(replayer.run(specs[AGAINST], report.claims))
        finally:
            pool.close()
    claims = tuple(_claim_result(claim, runs) for claim in report.claims)
    return ReplayResult(
        report=report,
        runs=tuple(runs),
        claims=claims,
        seconds=time.monotonic() - started,
        started_at=started_at,
        notes=tuple(_notes(report, runs[0])),
    )


def _differs(replayer: _Replayer, first: RunSpec, second: RunSpec) -> bool:
    one, two = replayer.environment(first), replayer.environment(second)
    return (one.sdk_key, one.mlflow_client, first.server) != (two.sdk_key, two.mlflow_client, second.server)


def _claim_result(claim: Claim, runs: Sequence[EnvironmentRun]) -> ClaimResult:
    by_role = {run.role: run for run in runs}
    reporter = by_role[REPORTER].judgements[claim.id]
    current_run = by_role.get(CURRENT)
    current = current_run.judgements.get(claim.id) if current_run else None
    against_run = by_role.get(AGAINST)
    against = against_run.judgements[claim.id] if against_run else None
    return ClaimResult(
        claim=claim,
        verdict=final_verdict(reporter, current),
        reporter=reporter,
        current=current,
        against=against,
        against_result=against_result(reporter, against) if against else None,
    )


def _notes(report: BugReport, run: EnvironmentRun) -> list[str]:
    notes = []
    wanted, used = report.reporter.python, run.environment.python_version
    if used.split(".")[:2] != wanted.split(".")[:2]:
        notes.append(f"The reporter used Python {wanted}; the replay used Python {used} (no {wanted} here).")
    elif wanted.count(".") == 2 and wanted != used:
        notes.append(f"The reporter used Python {wanted}; the replay used {used} (same minor version).")
    return notes
