"""``hokusai-contracts docs-check PATH...``: anyone's documentation checked against an installed SDK.

Defaults come from ``[tool.hokusai-contracts]`` (or ``[tool.hokusai-contracts.docs-check]``) in the
nearest ``pyproject.toml``: ``paths``, ``python``, ``package``, ``include``, ``exclude``, ``env``,
``page-timeout``. Options given on the command line win.
"""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.checks.docs_check.check import DocsCheckRequest, docs_check
from hokusai_contracts.checks.docs_check.discovery import load_config
from hokusai_contracts.checks.docs_check.execution import (
    DEFAULT_PAGE_TIMEOUT_S,
    RunOptions,
    sandbox_available,
)
from hokusai_contracts.cli.output import harness_errors, stderr_console, stdout_console
from hokusai_contracts.reports import write_report
from hokusai_contracts.reports.terminal import print_report

DOCS_CHECK_EPILOG = (
    "Exit codes: 0 every block fits the SDK; 1 a block does not (or failed, with --run); 2 the SDK could "
    "not be read in the interpreter given; 3 usage error (a path or interpreter that does not exist)."
)


class DocsFormat(str, Enum):
    """Where docs-check's findings go on standard output."""

    terminal = "terminal"
    json = "json"
    junit = "junit"
    markdown = "markdown"
    github = "github"
    sarif = "sarif"


def _env_pairs(names: list[str]) -> tuple[tuple[str, str], ...]:
    missing = [name for name in names if name not in os.environ]
    if missing:
        raise HarnessUsageError(
            f"--env {', '.join(missing)}: not set in this environment; set it, or leave the option out"
        )
    return tuple((name, os.environ[name]) for name in names)


def docs_check_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Documentation files or folders (searched recursively); default: pyproject's paths."
        ),
    ] = None,
    python: Annotated[
        str | None, typer.Option("--python", help="Interpreter or venv where the SDK is installed.")
    ] = None,
    package: Annotated[
        str | None,
        typer.Option("--package", help="Import name(s) of the SDK, comma-separated (default: hokusai)."),
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Only files matching this glob (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Leave out files matching this glob (repeatable).")
    ] = None,
    sdk_path: Annotated[
        list[Path] | None,
        typer.Option("--sdk-path", help="Put this directory first on the SDK's import path (a source tree)."),
    ] = None,
    output: Annotated[DocsFormat, typer.Option("--format", help="Report format on standard output.")] = (
        DocsFormat.terminal
    ),
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file instead.")] = None,
    run: Annotated[
        bool, typer.Option("--run", help="Also execute every page (slower; needs its services).")
    ] = False,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="With --run: pass this environment variable through (repeatable)."),
    ] = None,
    page_timeout: Annotated[
        float | None, typer.Option("--page-timeout", min=0.1, help="With --run: seconds a page may take.")
    ] = None,
    network: Annotated[
        bool,
        typer.Option(
            "--network", help="With --run: allow the network (default: loopback only where possible)."
        ),
    ] = False,
) -> None:
    """Check documentation (Markdown, MDX, rst, notebooks, example scripts) against an installed SDK."""
    with harness_errors():
        config = load_config(Path(paths[0]) if paths else Path.cwd())
        chosen = [Path(p) for p in (paths or config.paths)]
        if not chosen:
            raise HarnessUsageError(
                "no documentation paths: pass PATH... or set paths in [tool.hokusai-contracts]"
            )
        options = None
        if run:
            options = RunOptions(
                env=_env_pairs([*(env or ()), *config.env]),
                page_timeout=page_timeout or config.page_timeout or DEFAULT_PAGE_TIMEOUT_S,
                sandbox=not network,
            )
            if not network and not sandbox_available():
                stderr_console().print(
                    "note: no network sandbox here (`unshare -n` needs root or user namespaces): pages run "
                    "with the network",
                    soft_wrap=True,
                )
        elif env or page_timeout is not None:
            raise HarnessUsageError("--env and --page-timeout only apply with --run")
        request = DocsCheckRequest(
            paths=tuple(chosen),
            package=package or config.package or "hokusai",
            python=python or config.python,
            include=tuple(include or config.include),
            exclude=tuple(exclude or config.exclude),
            extra_paths=tuple(str(p) for p in sdk_path or ()),
            run=options,
        )
        result = docs_check(request)
    secrets = (*known_secrets(), *(options.secrets() if options else ()))
    if output is DocsFormat.terminal and out is None:
        print_report(result, stdout_console(), secrets)
    else:
        with harness_errors():
            try:
                write_report(result, output.value, out, secrets=secrets)
            except OSError as exc:
                raise HarnessUsageError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    raise typer.Exit(result.exit_code)
