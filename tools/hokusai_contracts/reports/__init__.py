"""Report handlers, one module per output format; :data:`HANDLERS` lists them all by format name.

A handler renders one kind of document: a verify run or a docs-check (:class:`RunResult`: terminal, junit,
markdown, json, github, sarif), a compatibility matrix (:class:`Matrix`), a diff's changelog
(:class:`Changelog`) or a bug-report replay (:class:`ReproReport`). Every document is made of findings, and
every handler renders a masked copy (see :mod:`hokusai_contracts.base.masking`), so no API key, token or
password reaches a terminal, a CI log or an uploaded artifact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.findings import RunResult
from hokusai_contracts.reports import (
    changelog,
    github,
    history,
    json_report,
    junit,
    markdown,
    matrix,
    repro_json,
    repro_markdown,
    sarif,
    terminal,
)
from hokusai_contracts.reports.changelog import Changelog
from hokusai_contracts.reports.history import History
from hokusai_contracts.reports.matrix_model import Matrix
from hokusai_contracts.reports.repro_model import ReproReport

Renderer = Callable[[Any, Iterable[str]], str]


@dataclass(frozen=True)
class ReportHandler:
    """One output format: its name, the kind of document it renders, and the function rendering it."""

    name: str
    document: type
    render: Renderer
    description: str


HANDLERS: dict[str, ReportHandler] = {
    handler.name: handler
    for handler in (
        ReportHandler("terminal", RunResult, terminal.render, "summary table and every failure, for people"),
        ReportHandler("junit", RunResult, junit.render, "JUnit XML for CI test reporters"),
        ReportHandler("markdown", RunResult, markdown.render, "a CI step summary"),
        ReportHandler("json", RunResult, json_report.render, "the stable, versioned run document"),
        ReportHandler("github", RunResult, github.render, "GitHub Actions annotations"),
        ReportHandler("sarif", RunResult, sarif.render, "SARIF 2.1.0 for code-scanning UIs"),
        ReportHandler("matrix-markdown", Matrix, matrix.render_markdown, "the compatibility table"),
        ReportHandler("matrix-json", Matrix, matrix.render_json, "the compatibility matrix as data"),
        ReportHandler("changelog", Changelog, changelog.render, "a diff as a Markdown changelog section"),
        ReportHandler("history-markdown", History, history.render_markdown, "diff --history as a table"),
        ReportHandler("history-json", History, history.render_json, "diff --history as data"),
        ReportHandler("repro-markdown", ReproReport, repro_markdown.render, "a replay, for the ticket"),
        ReportHandler("repro-json", ReproReport, repro_json.render, "a bug-report replay as data"),
    )
}

# The formats of a verify run (what `--format` and the run's report files choose from).
FORMATS: dict[str, Renderer] = {
    name: handler.render for name, handler in HANDLERS.items() if handler.document is RunResult
}


def handler_for(fmt: str, document: Any) -> ReportHandler:
    """The handler of format ``fmt``; ValueError when there is none, TypeError when it renders other data."""
    if fmt not in HANDLERS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(HANDLERS)}")
    handler = HANDLERS[fmt]
    if not isinstance(document, handler.document):
        raise TypeError(
            f"the {fmt} report renders a {handler.document.__name__}, not a {type(document).__name__}"
        )
    return handler


def render(document: Any, fmt: str, secrets: Iterable[str] | None = None) -> str:
    """``document`` in format ``fmt`` as text; ``secrets`` default to those set in the environment."""
    handler = handler_for(fmt, document)
    return handler.render(document, known_secrets() if secrets is None else tuple(secrets))


def write_report(
    document: Any,
    fmt: str,
    path: Path | None = None,
    *,
    console: Console | None = None,
    secrets: Iterable[str] | None = None,
) -> None:
    """Write ``document`` (a run, matrix, changelog or replay) in format ``fmt`` to ``path``, or to
    standard output when ``path`` is None.

    The terminal format on standard output goes through ``console`` (colours, terminal width).
    """
    if fmt == "terminal" and path is None and isinstance(document, RunResult):
        secrets = known_secrets() if secrets is None else tuple(secrets)
        terminal.print_report(document, console or Console(), secrets)
        return
    text = render(document, fmt, secrets)
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


__all__ = ["FORMATS", "HANDLERS", "ReportHandler", "handler_for", "render", "write_report"]
