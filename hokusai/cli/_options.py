"""Options shared by the commands: where to connect, with which key, and machine-readable output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def mlflow_uri_option(fn: F) -> F:
    """``--mlflow-uri URI``: the tracking server (default: $MLFLOW_TRACKING_URI, else the local store)."""
    return click.option(
        "--mlflow-uri",
        metavar="URI",
        default=None,
        help="MLflow tracking URI, e.g. http://localhost:5000 (default: $MLFLOW_TRACKING_URI, else the "
        "embedded local store under $HOKUSAI_HOME).",
    )(fn)


def api_key_option(fn: F) -> F:
    """``--api-key KEY``: a Hokusai API key sent as bearer token (never printed)."""
    return click.option(
        "--api-key",
        metavar="KEY",
        default=None,
        help="Hokusai API key, sent to MLflow as a bearer token; it overrides the MLFLOW_TRACKING_* "
        "credentials. Without it: MLFLOW_TRACKING_*, then $HOKUSAI_API_KEY, then $HOKUSAI_HOME/config. "
        "Prefer the environment variable: a key on the command line ends up in the shell history.",
    )(fn)


def experiment_option(fn: F) -> F:
    """``--experiment NAME``: the MLflow experiment models are logged to."""
    from hokusai.core.registry import DEFAULT_EXPERIMENT

    return click.option(
        "--experiment",
        metavar="NAME",
        default=DEFAULT_EXPERIMENT,
        show_default=True,
        help="MLflow experiment the model runs are logged to.",
    )(fn)


def json_option(fn: F) -> F:
    """``--json``: print machine-readable JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(fn)


def connection_options(fn: F) -> F:
    """``--mlflow-uri`` and ``--api-key``."""
    return mlflow_uri_option(api_key_option(fn))
