"""CLI pieces about MLflow servers: ``verify``'s provider options and matrix, ``mlflow up|down|status``."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.cli.output import write_files
from hokusai_contracts.findings import RunResult
from hokusai_contracts.reports import render
from hokusai_contracts.reports.matrix import JSON_NAME, MARKDOWN_NAME
from hokusai_contracts.servers.ha import DEFAULT_INSTANCES, MAX_INSTANCES, HaServer, start_ha
from hokusai_contracts.servers.providers import (
    DEFAULT_PROVIDER,
    HA,
    ServerRequest,
    provisioner_for,
)

MLFLOW_HELP = (
    "Where the MLflow server comes from: auto (Docker when a daemon answers and the image is built, "
    "else a local process), docker, process, ha (PostgreSQL + MLflow processes behind HAProxy, 2 unless "
    "--instances), docker-ha (the same with PostgreSQL and MLflow in containers), or the "
    f"URL of a running server. Default: {DEFAULT_PROVIDER}."
)
VERSION_HELP = "MLflow server version (default: the harness's own); other versions get a cached venv."
IMAGE_HELP = "Docker image for --mlflow docker/auto (default: ghcr.io/mlflow/mlflow:v<version>)."
TOPOLOGY_HELP = (
    "plain: one MLflow process (or container); ha: PostgreSQL + N MLflow processes behind HAProxy, "
    "kept in the foreground until Ctrl-C or `mlflow down`."
)
INSTANCES_HELP = f"ha: MLflow servers behind the balancer (1-{MAX_INSTANCES})."
PLAIN = "plain"
TOPOLOGIES = (PLAIN, HA)
MATRIX_HELP = "Comma-separated MLflow versions: run the checks against a server of each, write a matrix."
MATRIX_OUT_HELP = "Directory of the matrix's Markdown and JSON files."


def run_provisioned(
    families: Sequence[CheckFamily],
    context: VerifyContext,
    progress,
    request: ServerRequest,
    console: Console,
) -> RunResult:
    """Run ``families`` with a server from ``request``'s provider; say which provider and why."""
    from hokusai_contracts.verify.server_run import run_with_provisioner

    provisioner = provisioner_for(request)
    if any(f.needs_server for f in families):
        console.print(Text.assemble(("mlflow: ", "bold"), provisioner.describe()), soft_wrap=True)
    return run_with_provisioner(families, context, provisioner, progress)


def run_matrix_command(
    families: Sequence[CheckFamily],
    make_context: Callable[[], VerifyContext],
    versions_text: str,
    request: ServerRequest,
    out_dir: Path,
    console: Console,
) -> int:
    """``verify --matrix``: run, print each row as it finishes, write the files; the exit code."""
    from hokusai_contracts.verify.matrix import parse_versions
    from hokusai_contracts.verify.server_run import run_matrix

    versions = parse_versions(versions_text)
    request = request.validated()
    started = time.monotonic()

    def report(row) -> None:
        counts = ", ".join(
            f"{c.family}: {c.passed} passed/{c.failed} failed/{c.errors} error" for c in row.cells
        )
        console.print(
            f"MLflow {row.server_version}: exit {row.exit_code} ({row.duration_s:.0f} s) - {counts}"
        )

    matrix = run_matrix(families, make_context, versions, request, on_row=report)
    markdown_path, json_path = out_dir / MARKDOWN_NAME, out_dir / JSON_NAME
    write_files(matrix, {"matrix-markdown": markdown_path, "matrix-json": json_path})
    console.print(render(matrix, "matrix-markdown"), soft_wrap=True, markup=False)
    console.print(
        f"matrix written to {markdown_path} and {json_path} in {time.monotonic() - started:.0f} s",
        soft_wrap=True,
    )
    return matrix.exit_code


# --- hokusai-contracts mlflow up|down|status ------------------------------------------------------

mlflow_app = typer.Typer(
    help="Start, list and stop MLflow servers for manual use (recorded under the cache directory).",
    no_args_is_help=True,
)


@mlflow_app.command()
def up(
    mlflow: Annotated[str, typer.Option("--mlflow", help="auto, docker or process.")] = DEFAULT_PROVIDER,
    mlflow_version: Annotated[str | None, typer.Option("--mlflow-version", help=VERSION_HELP)] = None,
    mlflow_image: Annotated[str | None, typer.Option("--mlflow-image", help=IMAGE_HELP)] = None,
    basic_auth: Annotated[
        bool, typer.Option("--basic-auth", help="Start it with --app-name basic-auth.")
    ] = False,
    topology: Annotated[str, typer.Option("--topology", help=TOPOLOGY_HELP)] = PLAIN,
    instances: Annotated[int, typer.Option("--instances", help=INSTANCES_HELP)] = DEFAULT_INSTANCES,
) -> None:
    """Start a server that keeps running after this command; `mlflow down` stops it.

    ``--topology ha`` runs in the foreground instead: its parts stop with Ctrl-C or `mlflow down`.
    """
    from hokusai_contracts.servers import state
    from hokusai_contracts.servers.cache import cache_root

    console = Console(highlight=False)
    if topology not in TOPOLOGIES:
        console.print(f"--topology {topology!r}: expected one of {', '.join(TOPOLOGIES)}")
        raise typer.Exit(3)
    if not 1 <= instances <= MAX_INSTANCES or (instances != DEFAULT_INSTANCES and topology != HA):
        console.print(f"--instances {instances}: expected 1 to {MAX_INSTANCES}, with --topology ha")
        raise typer.Exit(3)
    if topology == HA:
        up_ha(console, basic_auth, mlflow_version, instances)
        return
    try:
        provisioner = provisioner_for(ServerRequest(mlflow, mlflow_version, mlflow_image))
        if provisioner.choice.kind == "url":
            raise InfrastructureError("`mlflow up` starts servers; a URL names one that already runs")
        workdir = cache_root() / "servers" / f"{int(time.time() * 1000)}"
        server = provisioner.start(workdir, basic_auth=basic_auth)
    except InfrastructureError as exc:
        console.print(f"infrastructure error: {mask_secrets(str(exc), known_secrets())}", soft_wrap=True)
        raise typer.Exit(2) from None
    path = state.state_path()
    state.keep(path, server)
    console.print(f"{server.url}  ({provisioner.describe()})", soft_wrap=True)
    if basic_auth:
        console.print(f"admin credentials are in {path} (readable by you only)", soft_wrap=True)


def describe_ha(server: HaServer) -> list[str]:
    """One line per part of an ha topology: what it is and where."""
    lines = [f"{server.url}  HAProxy in front of {len(server.instances)} MLflow {server.version} instances"]
    lines += [f"  instance {n}: {i.url} (pid {i.process.pid})" for n, i in enumerate(server.instances)]
    lines.append(f"  PostgreSQL: {server.postgres.url} (data in {server.postgres.root})")
    lines.append(f"  HAProxy: {server.balancer.config_path}, runtime API {server.balancer.socket_path}")
    lines.append(f"  logs: {server.workdir}/mlflow-*/server.log, {server.balancer.log_path}")
    return lines


def up_ha(
    console: Console, basic_auth: bool, version: str | None, instances: int = DEFAULT_INSTANCES
) -> None:
    """``mlflow up --topology ha``: start it, say where each part is, keep it until Ctrl-C or `mlflow down`.

    While it runs it is recorded in the state file (``mlflow status`` lists it; ``mlflow down`` sends
    this process SIGTERM, which stops every part as Ctrl-C does).
    """
    from hokusai_contracts.base import processes
    from hokusai_contracts.servers import state

    workdir = processes.make_temp_dir("ha")
    try:
        server = start_ha(workdir, basic_auth=basic_auth, version=version, instances=instances)
    except InfrastructureError as exc:
        processes.remove_temp_dir(workdir)
        console.print(f"infrastructure error: {mask_secrets(str(exc), known_secrets())}", soft_wrap=True)
        raise typer.Exit(2) from None
    path = state.state_path()
    try:
        state.add(path, state.ServerRecord.of(server))
        for line in describe_ha(server):
            console.print(line, soft_wrap=True)
        if server.users is not None:
            console.print(
                f"basic auth: admin user {server.users.admin_username!r}; its password is in "
                f"{workdir / 'basic_auth.ini'} (readable by you only)",
                soft_wrap=True,
            )
        console.print(
            "running until Ctrl-C or `hokusai-contracts mlflow down` "
            "(then every part stops and its data is removed)",
            soft_wrap=True,
        )
        while server.alive():
            time.sleep(1.0)
        console.print("a part of the topology stopped:\n" + server.log_tail(10), soft_wrap=True)
    finally:
        try:
            server.stop()
            processes.remove_temp_dir(workdir)
        finally:
            state.discard(path, server.url)


@mlflow_app.command()
def status() -> None:
    """List the servers started with `mlflow up`, and whether each answers /health."""
    from hokusai_contracts.servers import state

    console = Console(highlight=False)
    records = state.load(state.state_path())
    if not records:
        console.print("no servers started with `hokusai-contracts mlflow up`")
        return
    for record in records:
        health = "healthy" if state.healthy(record.url) else "NOT ANSWERING"
        if record.owner_pid and not state.owner_alive(record.owner_pid):
            health += f" (its `mlflow up` process {record.owner_pid} is gone: `mlflow down` clears it)"
        console.print(
            f"{record.url}  {record.description}  MLflow {record.mlflow_version}  {health}", soft_wrap=True
        )


@mlflow_app.command()
def down(
    url: Annotated[
        str | None, typer.Argument(help="Stop only the server at this URL (default: all).")
    ] = None,
) -> None:
    """Stop the servers started with `mlflow up` (all, or the one at URL)."""
    from hokusai_contracts.servers import state

    console = Console(highlight=False)
    path = state.state_path()
    with state.file_lock(path.with_suffix(".lock")):
        records = state.load(path)
        chosen = [r for r in records if url is None or r.url == url.rstrip("/")]
        state.save(path, [r for r in records if r not in chosen])
    # Outside the lock: an ha topology's own `mlflow up` process takes it to drop its record as it stops.
    for record in chosen:
        console.print(f"{record.url}: {state.stop(record)}", soft_wrap=True)
    if not chosen:
        console.print("no matching server to stop")
