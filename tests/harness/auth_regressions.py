"""Deliberate regressions for the auth scenario tests, loaded by the auth worker in each call's process.

Standard library and the SDK only (the worker may run in a venv without pytest or the harness). Each
function is a hook: ``function(invoke, call, **arguments)``, where ``invoke`` makes the real call and
``call`` is the worker's description of it (``call.name`` is the scenario).
"""

from __future__ import annotations

import os
from pathlib import Path

from hokusai.exceptions import AuthorizationError

HERE = Path(__file__).resolve()


def generic_errors(invoke, call, target: str):
    """The SDK maps a 403 to a generic error instead of AuthorizationError (in scenario ``target``)."""
    try:
        return invoke()
    except AuthorizationError:
        if call.name == target:
            raise RuntimeError("request failed") from None
        raise


def chatty(invoke, call, target: str, printed: str):
    """The SDK prints its tracking token (in scenario ``target``); the token is also kept in ``printed``."""
    if call.name == target:
        token = os.environ["MLFLOW_TRACKING_TOKEN"]
        with open(printed, "a", encoding="utf-8") as record:
            record.write(token + "\n")
        print(f"debug: using {token}")
    return invoke()
