"""What every CLI command prints and how it exits: consoles, error messages, report files, diffs.

Exit codes: 0 pass, 1 contract failure, 2 infrastructure problem, 3 usage error.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from hokusai_contracts.base.errors import ContractError, HarnessUsageError, InfrastructureError
from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.reports import write_report

EXIT_OK, EXIT_FAILED, EXIT_INFRASTRUCTURE, EXIT_USAGE = 0, 1, 2, 3

# Off a terminal (CI logs, files) rich would wrap at 80 columns and break signatures across lines.
LOG_WIDTH = 160


def stdout_console() -> Console:
    """A console on standard output, wide enough off a terminal for FILE:LINE to stay on one line."""
    # Created per call so a test runner's captured stdout is the one written to.
    return Console(highlight=False, width=None if sys.stdout.isatty() else LOG_WIDTH)


def stderr_console() -> Console:
    """A console on standard error."""
    return Console(stderr=True, highlight=False)


def fail(code: int, message: str, fix: str | None = None, label: str | None = None) -> typer.Exit:
    """Print ``message`` and ``fix`` on standard error; the Exit to raise with ``code``."""
    console = stderr_console()
    default = {EXIT_FAILED: "contract error", EXIT_INFRASTRUCTURE: "infrastructure error"}
    label = label or default.get(code, "usage error")
    text = mask_secrets(message, known_secrets())
    # soft_wrap: paths and FILE:LINE must stay on one line to be clickable and greppable.
    console.print(Text.assemble((f"{label}: ", "bold red"), text), soft_wrap=True)
    if fix:
        console.print(Text.assemble(("fix: ", "bold green"), fix), soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def harness_errors() -> Iterator[None]:
    """Turn the harness's expected errors into a clear message and the documented exit code."""
    try:
        yield
    except ContractError as exc:
        raise fail(EXIT_FAILED, str(exc), "correct the contract file at the place named above") from None
    except InfrastructureError as exc:
        raise fail(EXIT_INFRASTRUCTURE, str(exc), "fix the environment named above and run again") from None
    except HarnessUsageError as exc:
        raise fail(EXIT_USAGE, str(exc), "see `hokusai-contracts --help`") from None


def write_files(document: object, files: Mapping[str, Path | None]) -> None:
    """Write ``document`` (run, matrix, changelog or replay) in each format to its file (None: skipped)."""
    for fmt, path in files.items():
        if path is None:
            continue
        try:
            write_report(document, fmt, path)
        except OSError as exc:
            raise HarnessUsageError(
                f"cannot write the {fmt} report to {path}: {exc.strerror or exc}"
            ) from exc


def append_step_summary(text: str) -> None:
    """Append ``text`` to the GitHub Actions step summary, when there is one."""
    # In GitHub Actions the step summary file is shared by the step's commands: append, never replace.
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with contextlib.suppress(OSError), open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)


def print_diff(console: Console, diff: str) -> None:
    """Print a unified diff in colour, secrets masked."""
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in mask_secrets(diff, known_secrets()).splitlines():
        console.print(Text(line, style=styles.get(line[:1], "")), soft_wrap=True)
