"""The ``hokusai`` command line: register models, list them, and diagnose the setup.

::

    hokusai model register --token-id LSCOR --model-path model.joblib --metric accuracy --baseline 0.92
    hokusai models list [--token-id LSCOR]
    hokusai versions lscor
    hokusai doctor [--json]

Every command takes ``--mlflow-uri`` and ``--api-key`` (resolved as the SDK resolves them) and never
prints a password or key.
"""

from __future__ import annotations

import platform
from importlib import metadata

import click

from hokusai import __version__
from hokusai.cli._doctor import doctor
from hokusai.cli._listing import models_group, versions
from hokusai.cli._model import model_group

__all__ = ["main"]


def _version_message() -> str:
    try:
        mlflow_version = metadata.version("mlflow")
    except metadata.PackageNotFoundError:
        mlflow_version = "not installed"
    return f"hokusai {__version__} (mlflow {mlflow_version}, Python {platform.python_version()})"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", message=_version_message())
def main() -> None:
    """Hokusai: register ML models on the Hokusai platform and diagnose the connection to it."""


main.add_command(model_group)
main.add_command(models_group)
main.add_command(versions)
main.add_command(doctor)
