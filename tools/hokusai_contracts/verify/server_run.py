"""Run check families against a server from a :class:`~provisioning.providers.Provisioner`.

A server that dies during a family is restarted once and that family run again; a second death (or a
failed restart) makes the family an infrastructure error (exit 2), never contract failures.
"""

from __future__ import annotations

import contextlib
import datetime
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.timing import phase
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.findings import Finding, RunResult, ServerEvent
from hokusai_contracts.findings.from_errors import environment_cause, error_finding
from hokusai_contracts.reports.matrix_model import Matrix, MatrixRow, row_from_result
from hokusai_contracts.servers.providers import (
    DockerProbe,
    Provisioner,
    ServerRequest,
    docker_probe,
    provisioner_for,
)
from hokusai_contracts.servers.server import Server
from hokusai_contracts.verify.runner import Progress, run_family

# VerifyContext.options key: how the snippets family starts servers of other kinds (basic-auth).
OPTION_SERVER_START = "server_start"


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


def _run_family(
    family: CheckFamily, context: VerifyContext, budget: list[int], events: list[ServerEvent]
) -> list[Finding]:
    """``family``'s findings; reruns it once after restarting a server that died under it (in ``events``)."""
    findings = run_family(family, context)
    server = context.server
    if not family.needs_server or server is None or server.alive():
        return findings
    if not budget:
        return [error_finding(family.name, _died(server))]
    budget.pop()
    why = f"it died during the {family.name!r} checks; the family ran again"
    try:
        server.restart()
    except InfrastructureError as exc:
        events.append(server_event("restart-failed", server, f"it died during the {family.name!r} checks"))
        return [error_finding(family.name, InfrastructureError(f"restarting the dead server failed: {exc}"))]
    events.append(server_event("restarted", server, why))
    findings = run_family(family, context)
    return findings if server.alive() else [error_finding(family.name, _died(server))]


def run_with_provisioner(
    families: Sequence[CheckFamily],
    context: VerifyContext,
    provisioner: Provisioner,
    progress: Progress | None = None,
    workdir: Path | None = None,
) -> RunResult:
    """Run ``families``; start a server with ``provisioner`` first when one of them needs it."""
    progress = progress or _Quiet()
    started = time.monotonic()
    needing = [f for f in families if f.needs_server]
    with contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hokusai-contracts-")))
        context.options.setdefault(
            OPTION_SERVER_START,
            lambda kind, where: provisioner.start(Path(where), basic_auth=kind == "basic-auth"),
        )
        server_error: InfrastructureError | None = None
        if needing:
            try:
                with phase("server start: verify's mlflow"):
                    context.server = provisioner.start(root / "mlflow")
                stack.callback(context.server.stop)
            except InfrastructureError as exc:
                server_error = exc
            except OSError as exc:  # a full or read-only disk while preparing the server's directory
                cause = environment_cause(exc) or f"{type(exc).__name__}: {exc}"
                server_error = InfrastructureError(f"{cause}\nfix: free space or point TMPDIR elsewhere")
        runnable = families if server_error is None else [f for f in families if not f.needs_server]
        result = RunResult()
        budget = [1]  # one restart per run
        with progress if hasattr(progress, "__enter__") else contextlib.nullcontext():
            for family in runnable:
                progress.start(family.name)
                findings = _run_family(family, context, budget, result.server_events)
                progress.finish(family.name, findings)
                result.extend(findings)
    result.sdk_version = context.sdk_version
    where = context.server.url if context.server is not None else "no server needed"
    result.server = f"{where} ({provisioner.describe()})"
    if server_error is not None:
        message = f"could not start an MLflow server ({provisioner.describe()}):\n{server_error}"
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
