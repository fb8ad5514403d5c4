"""Run one call in a clean, restored process state, and capture everything the user could have seen.

The environment, ``HOME``, the SDK's process-wide defaults and its resilience settings are set for
the call and put back afterwards; logs (root logger at DEBUG), standard output/error and warnings
are collected for the leak check.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.checks.auth.model import Resilience

# Variables that steer the SDK or MLflow's client: unset unless the scenario sets them.
_CLEARED_PREFIXES = ("MLFLOW_TRACKING_", "HOKUSAI_")
_CLEARED_NAMES = ("MLFLOW_REGISTRY_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID")
# Loggers that may not propagate to the root logger; the collector listens to them directly.
_OWN_HANDLER_LOGGERS = ("mlflow", "hokusai", "urllib3")


@contextlib.contextmanager
def environment(home: Path, values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` without the SDK's variables, plus ``values``; ``HOME``/``HOKUSAI_HOME`` in ``home``."""
    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED_NAMES:
                del os.environ[name]
        os.environ["HOME"] = str(home)
        os.environ["HOKUSAI_HOME"] = str(home / ".hokusai")
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def sdk_state(resilience: Resilience) -> Iterator[None]:
    """The SDK's resilience settings for the scenario, fresh breakers, no remembered auth; all restored."""
    import hokusai.auth.client as auth_client
    import hokusai.config.mlflow_auth as mlflow_auth
    from hokusai.resilience import RetryPolicy, configure_resilience, get_resilience_config

    saved_config = get_resilience_config()
    saved_auth = (getattr(mlflow_auth, "_current", None), getattr(auth_client, "_global_auth", None))
    configure_resilience(
        RetryPolicy(
            max_attempts=resilience.max_attempts,
            initial_delay=resilience.initial_delay,
            max_delay=resilience.max_delay,
        ),
        failure_threshold=resilience.failure_threshold,
        recovery_timeout=resilience.recovery_timeout,
        request_timeout=resilience.request_timeout,
    )  # also resets every circuit breaker
    mlflow_auth._current, auth_client._global_auth = None, None
    try:
        yield
    finally:
        mlflow_auth._current, auth_client._global_auth = saved_auth
        configure_resilience(
            saved_config.retry,
            failure_threshold=saved_config.failure_threshold,
            recovery_timeout=saved_config.recovery_timeout,
            request_timeout=saved_config.request_timeout,
        )


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a broken log call is itself worth seeing
            self.lines.append(f"<unformattable log record {record.msg!r}: {exc}>")


@dataclass
class Captured:
    """What a call printed, logged and warned (filled when the capture ends)."""

    logs: str = ""
    output: str = ""
    warnings: str = ""


@contextlib.contextmanager
def captured() -> Iterator[Captured]:
    """Collect logs (root logger at DEBUG, plus loggers that do not propagate), output and warnings."""
    result = Captured()
    collector = _Collector()
    root = logging.getLogger()
    saved_level = root.level
    own = [logging.getLogger(name) for name in _OWN_HANDLER_LOGGERS]
    own = [logger for logger in own if not logger.propagate]
    stream = io.StringIO()
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    for logger in own:
        logger.addHandler(collector)
    try:
        with (
            warnings.catch_warnings(record=True) as seen,
            contextlib.redirect_stdout(stream),
            contextlib.redirect_stderr(stream),
        ):
            warnings.simplefilter("always")
            try:
                yield result
            finally:
                result.warnings = "\n".join(f"{w.category.__name__}: {w.message}" for w in seen)
    finally:
        root.removeHandler(collector)
        root.setLevel(saved_level)
        for logger in own:
            logger.removeHandler(collector)
        result.logs = "\n".join(collector.lines)
        result.output = stream.getvalue()
