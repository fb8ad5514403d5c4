"""Run one claim's code in the interpreter of the reporter's environment and say what happened.

Standard library only: it runs inside the replay's virtual environment, where the harness is not
installed, as a worker (``base/worker_entry.py``; the request is a ``run_claims.ClaimRequest``). The
code's output goes to this process's stdout/stderr (captured by the caller); the answer holds the
exception, if any.
"""

import os
import sys
import traceback

_TRACEBACK_LINES = 40


def _qualified(cls):
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "__main__") else f"{module}.{name}"


def _status(exc):
    # The SDK's errors carry status_code; MLflow's own exceptions map their error code to a status.
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    getter = getattr(exc, "get_http_status_code", None)
    if callable(getter):
        try:
            status = getter()
        except Exception:
            return None
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return None


def describe(exc):
    """The JSON-able description of ``exc``."""
    # The first frame is this worker's exec(): the reporter's code starts below it.
    frames = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    lines = traceback.format_exception(type(exc), exc, frames or exc.__traceback__)
    text = "".join(lines).splitlines()
    try:
        message = str(exc)
    except Exception as failure:
        message = f"<str() of the exception failed: {type(failure).__name__}>"
    return {
        "type": _qualified(type(exc)),
        "bases": [_qualified(cls) for cls in type(exc).__mro__ if cls is not object],
        "message": message,
        "status": _status(exc),
        "traceback": "\n".join(text[-_TRACEBACK_LINES:]),
    }


def run(code_path):
    """Execute the code at ``code_path`` as ``__main__``: ``{"exception": None | description}``."""
    with open(code_path, encoding="utf-8") as handle:
        code = handle.read()
    result = {"exception": None}
    namespace = {"__name__": "__main__", "__file__": code_path}
    sys.argv = [code_path]
    # As `python CLAIM.py` would: the claim's directory first on sys.path.
    sys.path.insert(0, os.path.dirname(os.path.abspath(code_path)))
    try:
        exec(compile(code, code_path, "exec"), namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            result["exception"] = describe(exc)
    except BaseException as exc:
        result["exception"] = describe(exc)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return result


def handle(request):
    """The worker protocol's entry: run the claim at ``request["code_path"]``."""
    return run(request["code_path"])
