"""Worker script: MLflow's pip-requirement inference, ``python .../mlflow/utils/_capture_modules.py ARGS``,
run in a fork of the capture launcher (a process of the page's interpreter that imported that script's
own imports, and nothing else). Standard library only here.

A fresh run executes the script's imports, then its ``main()`` with the script's directory first on
``sys.path``; the fork starts after those imports and does the rest the same way, so the modules the
model's loading imports are recorded as in a fresh process.
"""

from __future__ import annotations

import os
import sys


def handle(request: dict) -> None:
    """Run the inference script's ``main()`` with ``request["argv"]`` (its arguments)."""
    import mlflow.utils._capture_modules as capture

    script = capture.__file__
    sys.argv = [script, *request["argv"]]
    sys.path.insert(0, os.path.dirname(script))
    capture.main()
