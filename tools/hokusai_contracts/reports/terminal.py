"""Terminal report (rich): a summary table per check family, then every failure with its fix."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from hokusai_contracts.findings import Finding, Outcome, RunResult
from hokusai_contracts.reports.common import (
    ERROR,
    PASSED,
    headline,
    masked,
    problems,
    status,
    tallies,
    warnings,
)
from hokusai_contracts.reports.text import DETAILS, FIX, LOCATION, finding_lines

_STATUS_STYLE = {PASSED: "bold green", ERROR: "bold yellow"}


def summary_table(result: RunResult) -> Table:
    """Counts per check family."""
    table = Table(title="Contract checks", title_justify="left", show_edge=False)
    table.add_column("check")
    for name, style in (
        ("passed", "green"),
        ("failed", "red"),
        ("warnings", "yellow"),
        ("skipped", "dim"),
        ("errors", "yellow"),
    ):
        table.add_column(name, justify="right", style=style)
    for check, tally in tallies(result).items():
        table.add_row(
            Text(check),
            *(str(n) for n in (tally.passed, tally.failed, tally.warnings, tally.skipped, tally.errors)),
        )
    return table


_LINE_STYLES = {LOCATION: ("", "underline"), FIX: ("bold green", ""), DETAILS: ("", "dim")}


def finding_block(finding: Finding) -> Group:
    """One finding: its label, rule id and subject, then the lines of :func:`finding_lines`, styled."""
    label, style = ("ERROR", "bold yellow") if finding.outcome is Outcome.ERROR else ("FAIL", "bold red")
    if not finding.failed:
        label, style = "WARN", "bold yellow"
    title = Text.assemble((f"{label} ", style), (finding.rule, "bold"), "  ", (finding.subject, "cyan"))
    lines: list = [title]
    for line in finding_lines(finding):
        label_style, text_style = _LINE_STYLES.get(line.kind, ("", ""))
        text = Text.assemble((line.label, label_style), (line.text, text_style))
        lines.append(Padding(text, (0, 0, 0, line.indent), expand=False))
    return Group(*lines)


def print_report(
    result: RunResult, console: Console, known_secrets: Iterable[str] = (), summary: bool = True
) -> None:
    """Print the summary table, every failure and warning, and the headline to ``console``.

    ``summary=False`` (quiet) leaves out the table and the warnings.
    """
    result = masked(result, known_secrets)
    if summary and result.findings:
        console.print(summary_table(result))
    sections = (("Failures", problems(result)), ("Warnings", warnings(result) if summary else []))
    for title, findings in sections:
        if findings:
            console.rule(Text(f"{title} ({len(findings)})"), align="left")
            for finding in findings:
                console.print(finding_block(finding))
                console.print()
    if result.infrastructure_error:
        console.print(Text.assemble(("infrastructure: ", "bold yellow"), result.infrastructure_error))
    for event in result.server_events:
        console.print(Text.assemble(("server: ", "bold yellow"), event.line()), soft_wrap=True)
    facts = [f"sdk {result.sdk_version}" if result.sdk_version else "", f"{result.duration_s:.1f}s"]
    console.print(
        Text.assemble(
            (headline(result), _STATUS_STYLE.get(status(result), "bold red")),
            f"  ({', '.join(f for f in facts if f)})",
        )
    )


def render(result: RunResult, known_secrets: Iterable[str] = (), width: int = 100) -> str:
    """The terminal report as plain text (no colours), e.g. for a file."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, no_color=True)
    print_report(result, console, known_secrets)
    return buffer.getvalue()


class CheckProgress:
    """Shows which check family runs, for ``verify``: a spinner on a terminal, plain lines in CI logs.

    Use as a context manager and call :meth:`start` and :meth:`finish` around each family.
    """

    def __init__(self, console: Console, families: Sequence[str], enabled: bool = True):
        self._console = console
        self._enabled = enabled
        self._live = enabled and console.is_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._families = list(families)

    def __enter__(self) -> CheckProgress:
        if self._live:
            self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._live:
            self._progress.stop()

    def _label(self, family: str) -> str:
        position = self._families.index(family) + 1 if family in self._families else 0
        return f"[{position}/{len(self._families)}] {family}"

    def start(self, family: str) -> None:
        """Show ``family`` as running."""
        if self._live:
            self._tasks[family] = self._progress.add_task(self._label(family), total=None)
        elif self._enabled:
            self._console.print(Text(f"{self._label(family)} running"))

    def finish(self, family: str, findings: Sequence[Finding]) -> None:
        """Replace the running line of ``family`` by a one-line outcome."""
        if family in self._tasks:
            self._progress.remove_task(self._tasks.pop(family))
        if not self._enabled:
            return
        failing = sum(1 for f in findings if f.failed)
        mark = Text("✗ ", style="bold red") if failing else Text("✓ ", style="bold green")
        self._console.print(
            mark + Text(f"{self._label(family)}: {len(findings)} findings, {failing} failing")
        )
