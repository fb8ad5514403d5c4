"""``hokusai-contracts can-i-deploy``: may this SDK release meet that MLflow server? Read from the
results store every matrix run appends to (like the Pact Broker's matrix)."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hokusai_contracts.cli.output import harness_errors, stdout_console
from hokusai_contracts.verify.results_store import NO, STORE_NAME, YES, can_i_deploy, read_all

CAN_I_DEPLOY_EPILOG = (
    "Exit codes: 0 yes (every matching cell's latest run is green); 1 no (one is not); 2 unknown (no "
    "recorded run matches: never a yes); 3 usage error."
)


def can_i_deploy_command(
    sdk: Annotated[str, typer.Option("--sdk", help="The SDK version to deploy, e.g. 1.2.0.")],
    server: Annotated[str, typer.Option("--server", help="The MLflow server version it meets, e.g. 2.9.0.")],
    client: Annotated[
        str | None, typer.Option("--client", help="Only cells with this MLflow client.")
    ] = None,
    python: Annotated[
        str | None, typer.Option("--python", help="Only cells on this Python, e.g. 3.10.")
    ] = None,
    results: Annotated[Path, typer.Option("--results", help="The results store.")] = Path("reports")
    / STORE_NAME,
) -> None:
    """Answer yes / no / unknown for SDK x server (x client x Python) from the recorded matrix runs."""
    with harness_errors():
        rows = read_all(results) if results.is_file() else []
    verdict = can_i_deploy(rows, sdk, server, client, python)
    console = stdout_console()
    asked = f"SDK {sdk} with MLflow server {server}"
    asked += f", client {client}" if client else ""
    asked += f", Python {python}" if python else ""
    if verdict.answer == YES:
        console.print(
            Text(f"yes: {asked} passed in every recorded cell (latest run of each)"), soft_wrap=True
        )
    elif verdict.answer == NO:
        console.print(Text(f"no: {asked} failed in a recorded cell (latest run of each)"), soft_wrap=True)
    else:
        console.print(
            Text(
                f"unknown: no recorded matrix run of {asked} in {results}; run `hokusai-contracts verify "
                f"--servers {server}{' --clients ' + client if client else ''}"
                f"{' --pythons ' + python if python else ''}` first"
            ),
            soft_wrap=True,
        )
    if verdict.evidence:
        table = Table(
            "client",
            "server",
            "Python",
            "family",
            "passed",
            "failed",
            "errors",
            "known",
            "exit",
            "commit",
            "date",
        )
        for row in verdict.evidence:
            table.add_row(
                row.client,
                row.server,
                row.python,
                row.family,
                str(row.passed),
                str(row.failed),
                str(row.errors),
                str(row.known),
                str(row.exit_code),
                row.commit_sha[:10],
                row.recorded_at,
            )
        console.print(table)
    raise typer.Exit(verdict.exit_code)
