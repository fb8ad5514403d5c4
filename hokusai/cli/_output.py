"""How the CLI speaks: secrets scrubbed from every line, errors as message + fix, no tracebacks."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from hokusai.cli._diagnosis import connection_failure
from hokusai.exceptions import (
    CircuitOpenError,
    HokusaiException,
    MLflowAuthenticationError,
    MLflowConnectionError,
)

_DOCTOR_HINT = "`hokusai doctor` shows which URI and credential are used and what the server allows"


class CliError(click.ClickException):
    """A failure shown as ``Error: <what>`` and ``How to fix: <fix>``; exit code 1."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix

    def show(self, file: Any = None) -> None:
        """Print the message and the fix to stderr."""
        click.echo(f"Error: {self.message}", err=True)
        if self.fix:
            click.echo(f"How to fix: {self.fix}", err=True)


@contextlib.contextmanager
def cli_errors(redact: Callable[[str], str]) -> Iterator[None]:
    """Turn any exception raised in the block into a :class:`CliError` with secrets scrubbed."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except MLflowConnectionError as exc:
        if exc.status_code is None and exc.tracking_uri and not isinstance(exc, CircuitOpenError):
            # MLflow's message is a urllib3 retry chain: name the cause (refused, DNS, TLS) instead.
            diagnosis = connection_failure(exc, exc.tracking_uri)
            if diagnosis.problem != "unreachable":
                raise CliError(
                    redact(diagnosis.summary), redact(f"{diagnosis.fix}; {_DOCTOR_HINT}")
                ) from None
        fix = f"{exc.fix}; {_DOCTOR_HINT}" if exc.fix else _DOCTOR_HINT
        raise CliError(redact(exc.message), redact(fix)) from None
    except HokusaiException as exc:
        fix = exc.fix
        if isinstance(exc, MLflowAuthenticationError):
            fix = f"{fix}; {_DOCTOR_HINT}" if fix else _DOCTOR_HINT
        raise CliError(redact(exc.message), redact(fix) if fix else None) from None
    except KeyboardInterrupt:
        raise click.Abort() from None
    except Exception as exc:
        raise CliError(
            redact(f"unexpected {type(exc).__name__}: {exc}"),
            f"check the arguments and the setup ({_DOCTOR_HINT}); if it persists, report this message",
        ) from None


@contextlib.contextmanager
def quiet_mlflow() -> Iterator[None]:
    """Keep MLflow's logs, warnings and printed run links out of the command's output for the block."""
    import mlflow  # noqa: F401 - MLflow configures its logger on import, which would undo the level below

    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    chatter = io.StringIO()  # MLflow prints "View run ..." and "Successfully registered ..." itself
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(chatter),
            contextlib.redirect_stderr(chatter),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def scrub_data(value: Any, redact: Callable[[str], str]) -> Any:
    """``value`` (nested dicts, lists, strings) with every string scrubbed."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: scrub_data(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(item, redact) for item in value]
    return value


def echo_json(data: Any, redact: Callable[[str], str]) -> None:
    """Print ``data`` as indented JSON, secrets scrubbed."""
    click.echo(json.dumps(scrub_data(data, redact), indent=2, sort_keys=False, default=str))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with left-aligned columns ("-" for empty cells)."""
    cells = [[("-" if value in (None, "") else str(value)) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
