"""``hokusai model register``: log a model file or folder and register it for a Hokusai token."""

from __future__ import annotations

import math

import click

from hokusai.cli._connection import connect
from hokusai.cli._model_files import check_model_path, prepared_model
from hokusai.cli._options import connection_options, experiment_option, json_option
from hokusai.cli._output import cli_errors, echo_json, quiet_mlflow
from hokusai.core.tokens import normalize_token_id
from hokusai.exceptions import InvalidParameterError

__all__ = ["model_group", "register"]


def _check_benchmark(metric: str, baseline: float) -> None:
    """Fail before any work when the benchmark cannot be stored."""
    if not metric.strip():
        raise InvalidParameterError(
            "metric_name", "--metric is empty", fix="pass --metric accuracy (or auroc, ...)"
        )
    if not math.isfinite(baseline):
        raise InvalidParameterError(
            "baseline_value",
            f"--baseline must be a finite number, got {baseline}",
            fix="pass --baseline 0.92",
        )


@click.group("model")
def model_group() -> None:
    """Register models on the Hokusai platform."""


@model_group.command("register")
@click.option("--token-id", required=True, metavar="TOKEN", help="Hokusai token id, e.g. LSCOR.")
@click.option(
    "--model-path",
    required=True,
    metavar="PATH",
    help="A fitted model saved with joblib.dump / pickle.dump (.joblib, .pkl), an MLflow model folder "
    "(with an MLmodel file), or a runs:/ or models:/ URI.",
)
@click.option("--metric", required=True, metavar="NAME", help="Benchmark metric, e.g. accuracy.")
@click.option("--baseline", required=True, type=float, metavar="VALUE", help="Baseline value of the metric.")
@click.option(
    "--model-name",
    metavar="NAME",
    default=None,
    help="Registered model name [default: the token id, lower-case].",
)
@experiment_option
@click.option(
    "--infer-requirements/--no-infer-requirements",
    default=True,
    show_default=True,
    help="Infer a model file's pip requirements by loading it in a subprocess (exact, a few seconds), "
    "or record the flavor's defaults.",
)
@connection_options
@json_option
def register(
    token_id: str,
    model_path: str,
    metric: str,
    baseline: float,
    model_name: str | None,
    experiment: str,
    infer_requirements: bool,
    mlflow_uri: str | None,
    api_key: str | None,
    as_json: bool,
) -> None:
    """Log the model at --model-path and register it as a new version linked to --token-id.

    Prints the registered model's name, version, token and MLflow run id.
    """
    connection = connect(mlflow_uri, api_key)
    with cli_errors(connection.redact), quiet_mlflow():
        token = normalize_token_id(token_id.strip())
        name = (model_name or "").strip() or token.lower()
        _check_benchmark(metric, baseline)
        check_model_path(model_path)
        registry = connection.registry(experiment_name=experiment, infer_pip_requirements=infer_requirements)
        registry.session.ping()  # an unreachable server or bad credential fails before the model is built
        with prepared_model(model_path, infer_requirements=infer_requirements) as prepared:
            result = registry.register_tokenized_model(
                prepared.uri,
                name,
                token,
                metric,
                baseline,
                additional_tags=prepared.tags or None,
            )
    if as_json:
        result = {**result, "model": prepared.description, "tracking_uri": connection.display_uri}
        echo_json(result, connection.redact)
        return
    lines = [
        f"Registered model '{result['model_name']}' version {result['version']} "
        f"for token {result['token_id']}",
        f"  model:     {prepared.description}",
        f"  metric:    {result['metric_name']} (baseline {result['baseline_value']:g})",
        f"  run id:    {result['mlflow_run_id']}",
        f"  model URI: {result['model_uri']}",
        f"  tracking:  {connection.display_uri} (from {connection.uri_source})",
    ]
    click.echo(connection.redact("\n".join(lines)))
