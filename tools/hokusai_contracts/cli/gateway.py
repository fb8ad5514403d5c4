"""``hokusai-contracts gateway``: run the reference platform gateway by hand, and keep its OpenAPI current."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import contextlib
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from hokusai_contracts.cli.output import (
    EXIT_FAILED,
    EXIT_INFRASTRUCTURE,
    fail,
    stderr_console,
    stdout_console,
)
from hokusai_contracts.servers.gateway import RunningGateway
from hokusai_contracts.servers.process import ProcessServer

gateway_app = typer.Typer(
    name="gateway",
    help="The reference Hokusai platform gateway (API keys, scopes, rate limits) in front of MLflow.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    # `kill` (SIGTERM) stops the servers as cleanly as Ctrl-C does.
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _keys_table(gateway: RunningGateway) -> Table:
    from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE

    table = Table(title="API keys (shown once: the key store keeps only their hashes)", title_justify="left")
    table.add_column("key")
    table.add_column("scopes")
    table.add_column("state")
    table.add_column("API key (plain text)", no_wrap=True)
    keys = gateway.keys
    rows = (
        ("write", f"{READ} {WRITE}", "valid", keys.write),
        ("read", READ, "valid", keys.read),
        ("expired", f"{READ} {WRITE}", "expired", keys.expired),
        ("admin", ADMIN, "valid", keys.admin),
    )
    for name, scopes, state, key in rows:
        table.add_row(name, scopes, state, key)
    return table


def _print_running(gateway: RunningGateway, upstream_note: str) -> None:
    console = stdout_console()
    console.print(Text.assemble(("gateway      ", "bold"), gateway.url), soft_wrap=True)
    console.print(Text.assemble(("tracking URI ", "bold"), gateway.tracking_uri), soft_wrap=True)
    console.print(Text.assemble(("upstream     ", "bold"), upstream_note), soft_wrap=True)
    console.print(Text.assemble(("key store    ", "bold"), str(gateway.config.key_store)), soft_wrap=True)
    # The one place a plain key is ever shown: the person who started the gateway needs them to use it.
    console.print(_keys_table(gateway), soft_wrap=True)
    console.print(
        "Use a key as MLFLOW_TRACKING_TOKEN (or HOKUSAI_API_KEY) with the tracking URI above. "
        "Press Ctrl-C to stop.",
        soft_wrap=True,
    )
    sys.stdout.flush()


def _wait(processes: list[ProcessServer]) -> None:
    while True:
        for process in processes:
            if not process.alive():
                raise fail(
                    EXIT_INFRASTRUCTURE,
                    f"a server stopped unexpectedly (exit code {process.process.returncode}).\n"
                    f"{process.log_tail()}",
                    "see the log tail above, then start the gateway again",
                )
        time.sleep(0.5)


@gateway_app.command("up")
def up(
    upstream: Annotated[
        str | None,
        typer.Option("--upstream", help="MLflow server URL to front (default: start one in a temp dir)."),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Gateway port (default: a free one).")] = 0,
    host: Annotated[str, typer.Option("--host", help="Interface the gateway listens on.")] = "127.0.0.1",
    keys_file: Annotated[
        Path | None,
        typer.Option(
            "--keys-file",
            help="SQLite key store to use (keys stay valid across runs; default: a fresh one in a temp dir).",
        ),
    ] = None,
) -> None:
    """Start MLflow (unless --upstream) and the gateway, print the URL and fresh keys, run until Ctrl-C."""
    from hokusai_contracts.servers import ServerStartError, start_mlflow_process
    from hokusai_contracts.servers.gateway import start_gateway

    with tempfile.TemporaryDirectory(prefix="hokusai-gateway-") as temp, _terminate_as_interrupt():
        workdir = Path(temp)
        running: list[ProcessServer] = []
        try:
            if upstream is None:
                stderr_console().print("starting an MLflow server...", soft_wrap=True)
                mlflow_server = start_mlflow_process(workdir / "mlflow")
                running.append(mlflow_server)
                target, note = (
                    mlflow_server,
                    f"{mlflow_server.url} (started here, data in {workdir / 'mlflow'})",
                )
            else:
                target, note = upstream, upstream
            gateway = start_gateway(
                target, workdir / "gateway", host=host, port=port or None, key_store=keys_file
            )
            running.append(gateway)
            _print_running(gateway, note)
            _wait(running)
        except ServerStartError as exc:
            raise fail(EXIT_INFRASTRUCTURE, str(exc), "see the log tail above") from None
        except KeyboardInterrupt:
            stderr_console().print("stopping...", soft_wrap=True)
        finally:
            for server in reversed(running):
                server.stop()


@gateway_app.command("openapi")
def openapi(
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Where to write (default: contracts/http/gateway.openapi.yaml)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 when the committed document is stale.")
    ] = False,
) -> None:
    """Write the gateway's OpenAPI document (with --check: only compare it with the committed one)."""
    from hokusai_contracts.gateway import openapi as document

    path = output or document.COMMITTED
    if check:
        if document.is_current(path):
            stdout_console().print(f"{path} matches the gateway app", soft_wrap=True)
            return
        raise fail(
            EXIT_FAILED,
            f"{path} differs from the OpenAPI document the gateway app generates",
            "run `hokusai-contracts gateway openapi`, review the diff, and commit it",
            label="error",
        )
    changed = document.write(path)
    stdout_console().print(f"{'wrote' if changed else 'unchanged:'} {path}", soft_wrap=True)
