"""``hokusai doctor``: which URI, which credential, and what the server says to them - with the fix."""

from __future__ import annotations

import platform
from importlib import metadata

import click

from hokusai.cli._connection import Connection, connect
from hokusai.cli._options import connection_options, experiment_option, json_option
from hokusai.cli._output import cli_errors, echo_json, quiet_mlflow
from hokusai.cli._probes import check_read, check_server, check_uri, check_version, check_write, skipped
from hokusai.cli._report import FAILED, Check, DoctorReport, render_text

__all__ = ["build_report", "doctor", "run_checks"]


def _mlflow_version() -> str:
    try:
        return metadata.version("mlflow")
    except metadata.PackageNotFoundError:
        return "not installed"


def _server_checks(connection: Connection, client_version: str) -> list[Check]:
    target = connection.target
    if not target.is_remote:
        return [
            skipped("server", "local store: no server to reach"),
            skipped("version", f"local store: read by this MLflow {client_version} directly"),
        ]
    server = check_server(target)
    if server.status == FAILED:
        return [server, skipped("version", "not run: the server is unreachable")]
    return [server, check_version(target, client_version)]


def run_checks(connection: Connection, experiment: str, model_name: str | None) -> list[Check]:
    """Every check, in order; a check whose prerequisite failed is reported as skipped."""
    from hokusai._mlflow.session import MLflowSession

    uri = check_uri(connection.target)
    if uri.status == FAILED:
        why = "not run: the tracking URI is invalid"
        return [uri, *(skipped(name, why) for name in ("server", "version", "read", "write"))]
    checks = [uri, *_server_checks(connection, _mlflow_version())]
    if checks[1].status == FAILED:
        return [*checks, skipped("read", "not run: the server is unreachable"), skipped("write", "not run")]
    session = MLflowSession(connection.target)
    with quiet_mlflow():
        read = check_read(session, connection.credential_source)
        if read.status == FAILED:
            write = skipped("write", "not run: the read check failed")
        elif not connection.target.is_remote:
            write = skipped("write", "local store: no permissions to check")
        else:
            write = check_write(session, experiment, model_name)
    return [*checks, read, write]


def build_report(connection: Connection, experiment: str, model_name: str | None) -> DoctorReport:
    """Run the checks and gather them with the settings they ran under."""
    from hokusai import __version__

    target = connection.target
    settings = {"experiment": experiment} if target.is_remote else {}
    if target.is_remote and model_name:
        settings["model"] = model_name
    return DoctorReport(
        tracking_uri=connection.display_uri,
        uri_source=connection.uri_source,
        credential=target.credentials.describe(),
        credential_kind=target.credentials.kind,
        credential_source=connection.credential_source,
        versions={"hokusai": __version__, "mlflow": _mlflow_version(), "python": platform.python_version()},
        checks=tuple(run_checks(connection, experiment, model_name)),
        notes=connection.notes,
        settings=settings,
    )


@click.command("doctor")
@connection_options
@experiment_option
@click.option(
    "--model-name",
    metavar="NAME",
    default=None,
    help="Also check write access to this registered model (the one `model register` adds versions to).",
)
@json_option
@click.pass_context
def doctor(
    ctx: click.Context,
    mlflow_uri: str | None,
    api_key: str | None,
    experiment: str,
    model_name: str | None,
    as_json: bool,
) -> None:
    """Diagnose the setup: tracking URI and where it came from, credential, server, read and write access.

    The write check is harmless: it sets and removes a tag on the experiment (or creates and deletes
    a scratch experiment), and creates and deletes a scratch registered model named
    hokusai-doctor-probe-<random>. Exit code 0 when everything is fine, 1 when something is wrong.
    """
    connection = connect(mlflow_uri, api_key)
    with cli_errors(connection.redact):
        report = build_report(connection, experiment, model_name)
    if as_json:
        echo_json(report.to_dict(), connection.redact)
    else:
        click.echo(connection.redact(render_text(report)))
    ctx.exit(report.exit_code)
