"""``hokusai models list`` and ``hokusai versions NAME``: what is registered, as tables or JSON."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from hokusai.cli._connection import connect
from hokusai.cli._options import connection_options, json_option
from hokusai.cli._output import CliError, cli_errors, echo_json, format_table, quiet_mlflow
from hokusai.core.entries import TAG_MODEL_TYPE, TAG_TOKEN_ID
from hokusai.exceptions import ModelNotFoundError

__all__ = ["list_models", "models_group", "versions"]

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from hokusai.core.registry import ModelRegistry


@click.group("models")
def models_group() -> None:
    """List registered models."""


def _model_summaries(versions: Iterable[ModelVersion]) -> list[dict[str, Any]]:
    """One row per registered model: its latest version and that version's type and token."""
    latest: dict[str, ModelVersion] = {}
    counts: dict[str, int] = {}
    for version in versions:
        counts[version.name] = counts.get(version.name, 0) + 1
        if version.name not in latest or int(version.version) > int(latest[version.name].version):
            latest[version.name] = version
    rows = []
    for name in sorted(latest):
        tags = latest[name].tags or {}
        rows.append(
            {
                "model_name": name,
                "latest_version": str(latest[name].version),
                "versions": counts[name],
                "model_type": tags.get(TAG_MODEL_TYPE),
                "token_id": tags.get(TAG_TOKEN_ID),
            }
        )
    return rows


def _all_models(registry: ModelRegistry) -> list[dict[str, Any]]:
    # No public "list every model" on ModelRegistry yet; the store is this package's own I/O edge.
    return _model_summaries(registry._store.iter_versions())


@models_group.command("list")
@click.option(
    "--token-id", metavar="TOKEN", default=None, help="Only the versions registered for this token."
)
@connection_options
@json_option
def list_models(token_id: str | None, mlflow_uri: str | None, api_key: str | None, as_json: bool) -> None:
    """List registered models (all of them, or the versions registered for --token-id)."""
    connection = connect(mlflow_uri, api_key)
    with cli_errors(connection.redact), quiet_mlflow():
        registry = connection.registry()
        if token_id is not None:
            rows = [
                {
                    key: record[key]
                    for key in ("model_name", "version", "token_id", "metric_name", "baseline_value")
                }
                | {"mlflow_run_id": record["mlflow_run_id"]}
                for record in registry.list_models_by_token(token_id)
            ]
        else:
            rows = _all_models(registry)
    if as_json:
        echo_json(rows, connection.redact)
        return
    where = connection.display_uri
    if not rows:
        what = f"registered for token {token_id.upper()}" if token_id else "registered"
        click.echo(f"No models {what} on {where}.")
        return
    if token_id is not None:
        table = format_table(
            ("MODEL", "VERSION", "TOKEN", "METRIC", "BASELINE", "RUN ID"),
            [
                (
                    r["model_name"],
                    r["version"],
                    r["token_id"],
                    r["metric_name"],
                    r["baseline_value"],
                    r["mlflow_run_id"],
                )
                for r in rows
            ],
        )
    else:
        table = format_table(
            ("MODEL", "LATEST", "VERSIONS", "TYPE", "TOKEN"),
            [
                (r["model_name"], r["latest_version"], r["versions"], r["model_type"], r["token_id"])
                for r in rows
            ],
        )
    click.echo(connection.redact(f"{table}\n\n{len(rows)} row(s) on {where}"))


def _created(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else None


@click.command("versions")
@click.argument("model_name", metavar="NAME")
@connection_options
@json_option
def versions(model_name: str, mlflow_uri: str | None, api_key: str | None, as_json: bool) -> None:
    """List the versions of registered model NAME, oldest first."""
    from hokusai.core.versioning import ModelVersionManager

    connection = connect(mlflow_uri, api_key)
    with cli_errors(connection.redact), quiet_mlflow():
        try:
            history = ModelVersionManager(connection.registry()).get_version_history(model_name)
        except ModelNotFoundError:
            raise CliError(
                f"No registered model named '{model_name}' on {connection.display_uri}",
                "check the name (names are case-sensitive); `hokusai models list` shows the registered ones",
            ) from None
    history.sort(key=lambda entry: int(entry["mlflow_version"]))
    if as_json:
        echo_json(
            [
                entry | {"created": entry["created"].isoformat() if entry["created"] else None}
                for entry in history
            ],
            connection.redact,
        )
        return
    if not history:
        click.echo(f"Model '{model_name}' has no versions on {connection.display_uri}.")
        return
    table = format_table(
        ("VERSION", "MLFLOW", "CREATED", "TOKEN", "TYPE", "ALIASES", "STATUS"),
        [
            (
                entry["version"],
                entry["mlflow_version"],
                _created(entry["created"]),
                entry["tags"].get(TAG_TOKEN_ID),
                entry["tags"].get(TAG_MODEL_TYPE),
                ", ".join(entry["aliases"]),
                entry["status"],
            )
            for entry in history
        ],
    )
    click.echo(
        connection.redact(
            f"{table}\n\n{len(history)} version(s) of '{model_name}' on {connection.display_uri}"
        )
    )
