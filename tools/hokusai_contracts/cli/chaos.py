"""``hokusai-contracts chaos``: the fault run (an SDK workload while MLflow's parts fail), its figures."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.chaos.report import write
from hokusai_contracts.chaos.run import ChaosOptions, run_chaos
from hokusai_contracts.chaos.schedule import DESCRIPTIONS, HA, MIN_DURATION_S, TOPOLOGIES
from hokusai_contracts.servers.ha import DEFAULT_INSTANCES, MAX_INSTANCES

MAX_DURATION_S = 1800.0
MAX_WORKERS = 8

CHAOS_EPILOG = (
    "Faults (on a schedule after a 5 s warm-up): "
    + "; ".join(f"{kind}: {what}" for kind, what in DESCRIPTIONS.items())
    + ". Exit 0 when nothing was lost or duplicated, 1 when something was (with --strict: when any target "
    "was missed: availability, documented errors, PostgreSQL recovery), 2 when the run itself failed, "
    "3 on a bad option."
)


def chaos_command(
    topology: Annotated[
        str, typer.Option("--topology", help="ha (PostgreSQL + N MLflow + HAProxy) or plain.")
    ] = "ha",
    instances: Annotated[
        int, typer.Option("--instances", help=f"ha: MLflow servers behind the balancer (1-{MAX_INSTANCES}).")
    ] = DEFAULT_INSTANCES,
    duration: Annotated[float, typer.Option("--duration", help="Seconds of workload (20-1800).")] = 120.0,
    workers: Annotated[int, typer.Option("--workers", help="Workload processes (1-8).")] = 3,
    max_calls: Annotated[int, typer.Option("--max-calls", help="Call budget per worker.")] = 2000,
    request_timeout: Annotated[
        float, typer.Option("--request-timeout", help="The SDK's request timeout in the workers (s).")
    ] = 5.0,
    python: Annotated[
        str | None, typer.Option("--python", help="Interpreter of the SDK under test (default: this one).")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
    markdown_path: Annotated[
        Path | None, typer.Option("--markdown", help="Write the Markdown report here (the PNG beside it).")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit 1 when any target is missed, not only on lost or duplicated registrations."
        ),
    ] = False,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep", help="Copy the run's logs (HAProxy, MLflow, PostgreSQL, workers' stderr) here."
        ),
    ] = None,
) -> None:
    """Run an SDK workload against MLflow while faults are injected; reconcile the registry afterwards."""
    console = Console(highlight=False)
    problems = []
    if topology not in TOPOLOGIES:
        problems.append(f"--topology {topology!r}: expected one of {', '.join(TOPOLOGIES)}")
    if not MIN_DURATION_S <= duration <= MAX_DURATION_S:
        problems.append(f"--duration {duration:g}: expected {MIN_DURATION_S:.0f} to {MAX_DURATION_S:.0f} s")
    if not 1 <= workers <= MAX_WORKERS:
        problems.append(f"--workers {workers}: expected 1 to {MAX_WORKERS}")
    if not 1 <= instances <= MAX_INSTANCES or (instances != DEFAULT_INSTANCES and topology != HA):
        problems.append(f"--instances {instances}: expected 1 to {MAX_INSTANCES}, with --topology ha")
    if max_calls < 1 or request_timeout <= 0:
        problems.append("--max-calls and --request-timeout must be positive")
    if problems:
        console.print("\n".join(problems), soft_wrap=True)
        raise typer.Exit(3)
    options = ChaosOptions(
        topology=topology,
        duration_s=duration,
        workers=workers,
        max_calls_per_worker=max_calls,
        request_timeout_s=request_timeout,
        hang_s=request_timeout + 3.0,
        python=python,
        instances=instances,
        keep_dir=keep,
    )
    console.print(f"fault run: topology {topology}, {duration:.0f} s, {workers} workers", soft_wrap=True)
    try:
        report = run_chaos(options)
    except InfrastructureError as exc:
        console.print(f"infrastructure error: {mask_secrets(str(exc), known_secrets())}", soft_wrap=True)
        raise typer.Exit(2) from None
    for name, met, figure in report.verdicts():
        console.print(f"{'ok ' if met else 'NO '} {name}: {figure}", soft_wrap=True)
    for x in report.reconciliation.recoveries:
        failed = f", failed: {x.error}" if x.error else (f" - {x.detail}" if x.detail else "")
        console.print(
            f"    {x.kind} at {x.at_s:.0f} s (instance {x.instance}): action {x.action_s:.1f} s, "
            f"calls failing for {x.recovery_s:.1f} s ({x.failed_calls} failed, slowest call "
            f"{x.slowest_call_s:.1f} s){failed}",
            soft_wrap=True,
        )
    errors = report.reconciliation.errors
    if errors:
        console.print("errors: " + ", ".join(f"{k} x{v}" for k, v in errors.items()), soft_wrap=True)
    for note in report.notes:
        console.print(f"note: {note}", soft_wrap=True)
    for path in write(report, json_path, markdown_path):
        console.print(f"wrote {path}", soft_wrap=True)
    reconciliation = report.reconciliation
    missed = strict and not all(met for _, met, _ in report.verdicts())
    raise typer.Exit(1 if reconciliation.lost or reconciliation.duplicated or missed else 0)
