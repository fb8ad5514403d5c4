"""Reports of a verify run, one module per output format; :func:`write_report` picks one.

Every format renders a masked copy of the run (see :mod:`hokusai_contracts.base.masking`), so no API key,
token or password reaches a terminal, a CI log or an uploaded artifact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.console import Console

from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.findings import RunResult
from hokusai_contracts.reports import github, json_report, junit, markdown, terminal

Renderer = Callable[[RunResult, Iterable[str]], str]

FORMATS: dict[str, Renderer] = {
    "terminal": terminal.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "json": json_report.render,
    "github": github.render,
}


def render(result: RunResult, fmt: str, secrets: Iterable[str] | None = None) -> str:
    """``result`` in format ``fmt`` as text; ``secrets`` default to those set in the environment."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt](result, known_secrets() if secrets is None else tuple(secrets))


def write_report(
    result: RunResult,
    fmt: str,
    path: Path | None = None,
    *,
    console: Console | None = None,
    secrets: Iterable[str] | None = None,
) -> None:
    """Write ``result`` in format ``fmt`` to ``path``, or to standard output when ``path`` is None.

    The terminal format on standard output goes through ``console`` (colours, terminal width).
    """
    if fmt == "terminal" and path is None:
        secrets = known_secrets() if secrets is None else tuple(secrets)
        terminal.print_report(result, console or Console(), secrets)
        return
    text = render(result, fmt, secrets)
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


__all__ = ["FORMATS", "render", "write_report"]
