"""Run check families against servers from a :class:`~provisioning.providers.Provisioner`.

One server set per run: a run-scoped :class:`~servers.pool.ServerPool` from which every family (and the
release diff's behaviour checks) takes its servers by kind. ``context.server`` is the pool's plain MLflow
as a :class:`~servers.pool.PooledServer`, started on first use, so a run whose checks never reach a server
(all answered from the result cache) starts none. The kinds the selected families will ask for start in
a background thread as the run begins, while the checks that need no server run; fuzzing gets throwaway
servers of a pool of its own (it writes junk), started the same way.

A server that dies during a family is restarted once and that family run again; a second death (or a
failed restart) makes the family an infrastructure error (exit 2), never contract failures.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from hokusai_contracts.base import forkserver
from hokusai_contracts.base.closing import ClosedTogether
from hokusai_contracts.base.errors import ContractError, InfrastructureError
from hokusai_contracts.base.timing import carried, phase
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.auth import family as auth_family
from hokusai_contracts.checks.auth.execute import WORKER as AUTH_WORKER
from hokusai_contracts.checks.http import family as http_family
from hokusai_contracts.checks.http import sdk_flow
from hokusai_contracts.checks.http.servers import FUZZ_KINDS, OPTION_FUZZ_POOL, fuzz_pool
from hokusai_contracts.checks.snippets import capture_relay
from hokusai_contracts.checks.snippets import execute as snippets_execute
from hokusai_contracts.checks.snippets import family as snippets_family
from hokusai_contracts.diff.package_probe import WORKER as CLI_WORKER
from hokusai_contracts.diff.probe import PROBE_HASH_SEED
from hokusai_contracts.diff.probe import WORKER as PROBE_WORKER
from hokusai_contracts.findings import Finding, RunResult, ServerEvent
from hokusai_contracts.findings.from_errors import environment_cause, error_finding
from hokusai_contracts.reports.matrix_model import Matrix, MatrixRow, row_from_result
from hokusai_contracts.servers import launcher
from hokusai_contracts.servers.pool import PooledServer, ServerPool, pool_of
from hokusai_contracts.servers.providers import (
    URL,
    DockerProbe,
    Provisioner,
    ServerRequest,
    docker_probe,
    provisioner_for,
)
from hokusai_contracts.servers.server import BASIC_AUTH, MLFLOW, Server
from hokusai_contracts.verify.runner import Progress, run_family

# VerifyContext.options key: how the snippets family starts servers of other kinds (basic-auth).
OPTION_SERVER_START = "server_start"
# VerifyContext.options key: how many families, pages and scenarios run at once (verify's -j).
OPTION_JOBS = "jobs"
# VerifyContext.options key: False starts no server before a family asks for it (default: True).
OPTION_PRESTART = "prestart_servers"
OPTION_FORKSERVER = "forkserver"  # False: every page / scenario / SDK flow starts its interpreter afresh

# Which server kinds a family will ask the run's pool for beyond the plain MLflow;
# the release diff's behaviour checks run OLD's pages and scenarios, which ask for what the current ones
# do (a guess: a kind they do not need is only started early, never wrong).
KindPlanner = Callable[[VerifyContext], set[str]]
PLANNERS: dict[str, tuple[KindPlanner, ...]] = {
    "snippets": (snippets_family.server_kinds,),
    "auth": (auth_family.server_kinds,),
    "http": (http_family.server_kinds,),
    "diff": (snippets_family.server_kinds, auth_family.server_kinds),
}
FUZZING_FAMILY = "http"


def default_jobs() -> int:
    """The default worker count of a run: the machine's cores."""
    return os.cpu_count() or 1


class _Quiet:
    def start(self, family: str) -> None:
        pass

    def finish(self, family: str, findings: Sequence[Finding]) -> None:
        pass


def _died(server: Server) -> InfrastructureError:
    return InfrastructureError(
        f"the MLflow server {server.url} died during the check, again after a restart.\n"
        f"Log tail:\n{server.log_tail()}"
    )


def server_event(event: str, server: Server, reason: str) -> ServerEvent:
    """A :class:`ServerEvent` about ``server``, now."""
    at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return ServerEvent(event, f"{server.kind} server {server.url}", reason, at)


class _Restarts:
    """One restart per run, shared by families running at once."""

    def __init__(self, budget: int = 1):
        self.budget = budget
        self.lock = threading.Lock()


def _run_family(
    family: CheckFamily, context: VerifyContext, restarts: _Restarts, events: list[ServerEvent]
) -> list[Finding]:
    """``family``'s findings; reruns it once after restarting a server that died under it (in ``events``)."""
    findings = run_family(family, context)
    server = context.server
    if not family.needs_server or server is None or server.alive():
        return findings
    shared = pool_of(server)
    with restarts.lock:
        if shared is not None:  # what ran while the server was dying (a page's outcomes) is no answer
            shared.results.clear()
        if server.alive():  # another family restarted it meanwhile: run again on the restarted server
            return run_family(family, context)
        if not restarts.budget:
            return [error_finding(family.name, _died(server))]
        restarts.budget -= 1
        why = f"it died during the {family.name!r} checks; the family ran again"
        try:
            server.restart()
        except InfrastructureError as exc:
            events.append(
                server_event("restart-failed", server, f"it died during the {family.name!r} checks")
            )
            return [
                error_finding(family.name, InfrastructureError(f"restarting the dead server failed: {exc}"))
            ]
        events.append(server_event("restarted", server, why))
    findings = run_family(family, context)
    return findings if server.alive() else [error_finding(family.name, _died(server))]


def planned_kinds(families: Sequence[CheckFamily], context: VerifyContext) -> set[str]:
    """The kinds of the run's shared pool that ``families`` will ask for (the plain MLflow included)."""
    kinds: set[str] = set()
    for family in families:
        if not family.needs_server:
            continue
        # As ever, a family that needs a server gets the plain MLflow started (a dead --mlflow URL is
        # exit 2 even when no check reaches it); the planners add the other kinds.
        kinds.add(MLFLOW)
        for planner in PLANNERS.get(family.name, ()):
            with contextlib.suppress(ContractError, OSError):  # the family reports it when it runs
                kinds |= planner(context)
    return kinds


def _run_families(
    families: Sequence[CheckFamily], context: VerifyContext, progress: Progress, jobs: int, result: RunResult
) -> None:
    """Run ``families``, all at once when ``jobs`` > 1; their findings in family order, as a serial run has.

    Each family bounds its own workers (pages, scenarios, OLD's pages) by ``jobs``. The families go side
    by side rather than ``jobs`` at a time: much of a family's time is waiting (servers starting, pages
    backing off), and a long family queued behind others was the run's tail (measured: 73 s against 55 s
    for the cold gate, 2 cores).
    """
    restarts = _Restarts()

    def one(family: CheckFamily) -> list[Finding]:
        progress.start(family.name)
        findings = _run_family(family, context, restarts, result.server_events)
        progress.finish(family.name, findings)
        return findings

    if jobs <= 1 or len(families) <= 1:
        for family in families:
            result.extend(one(family))
        return
    with ThreadPoolExecutor(max_workers=len(families), thread_name_prefix="family") as executor:
        for findings in list(executor.map(carried(one), families)):
            result.extend(findings)


# The families with many SDK processes (pages, scenarios, OLD's pages): the preloading pays for itself.
FORKING_FAMILIES = ("snippets", "auth", "diff")
# The worker scripts that run the SDK under test: pages, auth scenarios, the recorded SDK flow, and the
# release diff's probes of both sides (calls, console scripts). Not introspection: it imports only the
# SDK (0.3 s of CPU), and would wait for the server's imports, holding back what needs the API.
FORKED_SCRIPTS = (snippets_execute.__file__, AUTH_WORKER, sdk_flow.__file__, PROBE_WORKER, CLI_WORKER)
_UNSET_FOR_THE_SDK = ("MLFLOW_", "HOKUSAI_", "DATABRICKS_")  # each page / scenario / flow sets its own


def _forks(context: VerifyContext) -> bool:
    return bool(context.options.get(OPTION_FORKSERVER, True)) and forkserver.forking_allowed()


def sdk_environment() -> dict[str, str]:
    """Our environment without the settings each page, scenario or flow sets itself."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_UNSET_FOR_THE_SDK) or name.startswith("HOKUSAI_CONTRACTS_")
    }


def sdk_server_environment() -> dict[str, str]:
    """The environment of the SDK's fork server (and of the base it is forked from)."""
    # Children share the server's hash seed, whatever it is: fixed at the one the diff's probes ask for
    # (both sides hash alike), so they can be forked too. Pages and scenarios ask for none.
    return {**sdk_environment(), "PYTHONHASHSEED": PROBE_HASH_SEED}


def sdk_forkserver(context: VerifyContext) -> forkserver.ForkServer:
    """A fork server of the interpreter under test with the SDK's dependencies imported (not the SDK)."""
    return forkserver.ForkServer(
        context.python,
        what="the fork server of the SDK's interpreter",
        scripts=FORKED_SCRIPTS,
        env=sdk_server_environment(),
        parent=forkserver.shared_base(context.python),
    )


def run_with_provisioner(
    families: Sequence[CheckFamily],
    context: VerifyContext,
    provisioner: Provisioner,
    progress: Progress | None = None,
    workdir: Path | None = None,
    jobs: int = 1,
) -> RunResult:
    """Run ``families`` (up to ``jobs`` at once) with servers from ``provisioner``, started when first
    needed or, for the kinds the families will need, in the background as the run begins."""
    progress = progress or _Quiet()
    started = time.monotonic()
    needing = [f for f in families if f.needs_server]
    jobs = int(context.options.get(OPTION_JOBS, jobs))

    def start(kind: str, where: str | Path) -> Server:
        return provisioner.start(Path(where), basic_auth=kind == BASIC_AUTH)

    context.options.setdefault(OPTION_SERVER_START, start)
    context.options.setdefault(snippets_family.OPTION_JOBS, max(1, jobs))
    context.options.setdefault(auth_family.OPTION_LANES, max(1, jobs))
    result = RunResult()
    with contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hokusai-contracts-")))
        if _forks(context):  # exited after the pools: their servers are stopped by then
            # The fork servers below are forks of one that imported MLflow once (when environments allow).
            stack.enter_context(forkserver.sharing(sdk_server_environment()))
            stack.enter_context(launcher.launching())
        # The pools, the fork server and the relay stop side by side, before the launchers.
        together = stack.enter_context(ClosedTogether())
        pool = together.enter(ServerPool(start_mlflow=start, workdir=root / "servers", purpose="the checks"))
        if needing:
            context.server = PooledServer(pool, MLFLOW)
            if _forks(context) and any(f.name in FORKING_FAMILIES for f in needing):
                together.enter(forkserver.routed(sdk_forkserver(context)))
                # MLflow's requirement inference in the pages, forked from the same kind of environment.
                together.enter(capture_relay.relaying(sdk_environment()))
            if any(f.name == FUZZING_FAMILY for f in needing) and http_family.fuzzes(context):
                # A URL provider hands back the user's own server: fuzzing must never write there.
                avoid = provisioner.choice.url if provisioner.choice.kind == URL else None
                fuzzing = together.enter(fuzz_pool(start, avoid, root / "fuzz"))
                context.options[OPTION_FUZZ_POOL] = fuzzing
                if context.options.get(OPTION_PRESTART, True):
                    fuzzing.prestart_in_background(FUZZ_KINDS)
            if context.options.get(OPTION_PRESTART, True):
                pool.prestart_in_background(planned_kinds(needing, context))
        with progress if hasattr(progress, "__enter__") else contextlib.nullcontext():
            _run_families(families, context, progress, jobs, result)
        with phase("stop: servers and workers"):
            stack.close()
    # After the pool closed: a start still running in the background has ended, failed or not.
    failed = pool.failure(MLFLOW)
    result.sdk_version = context.sdk_version
    used = pool.started(MLFLOW)
    where = context.server.url if used and context.server is not None else "no server needed"
    if needing and not used and failed is None:
        where = "no server started"
    result.server = f"{where} ({provisioner.describe()})"
    if failed is not None:
        # As before the pool: the families that need the run's server are not judged without it.
        # A full or read-only disk is named as such ("disk full: <path>"), whatever layer it surfaced in.
        detail = environment_cause(failed) or failed.__cause__ or failed
        message = f"could not start an MLflow server ({provisioner.describe()}):\n{detail}"
        names = {f.name for f in needing}
        result.findings = [f for f in result.findings if f.check not in names]
        result.extend(error_finding(f.name, InfrastructureError(message)) for f in needing)
        result.infrastructure_error = message
    result.duration_s = time.monotonic() - started
    return result


def run_matrix(
    families: Sequence[CheckFamily],
    make_context: Callable[[], VerifyContext],
    versions: Sequence[str],
    request: ServerRequest,
    probe: DockerProbe = docker_probe,
    on_row: Callable[[MatrixRow], None] | None = None,
) -> Matrix:
    """Run ``families`` against a server of each MLflow version in ``versions``, one row each."""
    matrix = Matrix()
    names = [f.name for f in families]
    for version in versions:
        provisioner = provisioner_for(replace(request, version=version), probe)
        result = run_with_provisioner(families, make_context(), provisioner)
        row = row_from_result(result, version, names)
        matrix.rows.append(row)
        if on_row is not None:
            on_row(row)
    return matrix
