"""``hokusai-contracts diff OLD NEW``: breaking changes between two releases, judged against the version."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import contextlib
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hokusai_contracts.cli.output import (
    EXIT_USAGE,
    append_step_summary,
    fail,
    harness_errors,
    stdout_console,
    write_files,
)
from hokusai_contracts.release.history import run_history
from hokusai_contracts.reports.history import History, HistoryPair

SIDE_HELP = (
    "release:VERSION (recorded under contracts/releases/; release:latest), a contracts directory (or its "
    "api/), git:REF of this repository, git:<repo-path>@<ref>[:<subdir>] of any git repository, a wheel "
    "or sdist, a source tree holding the package, or a Python interpreter / virtual environment with "
    "the SDK installed."
)
ACCEPTED_HELP = "Accepted-breaks file (default: contracts/accepted-breaks.yaml when it exists)."
PYTHON_HELP = "Interpreter that imports git refs, wheels, sdists and source trees (default: this one)."
BEHAVIOUR_HELP = (
    "Also run OLD's executable documentation and auth scenarios on NEW (BC101/BC102; starts servers)."
)

STATIC_HELP = (
    "Read both sides from their source files only: nothing is imported or run (the fastest mode, like "
    "griffe). No probes, witnesses or behaviour checks; what a static read cannot see is listed in "
    "introspection/static.py."
)

BASELINE_HELP = (
    "Also diff this previous release (as for `diff OLD`) against the SDK under test: breaking changes "
    "without a major version bump fail the gate; with server-needing families, OLD's examples and auth "
    "scenarios run too."
)


class DiffFormat(str, Enum):
    """What ``diff`` prints on standard output."""

    terminal = "terminal"
    github = "github"


def print_entries(console: Console, entries: list[str]) -> None:
    """The ready-to-paste accepted-breaks entries for the breaking changes that fail the gate."""
    if not entries:
        return
    console.print(
        Text(
            "To accept these breaks without a major release, add to contracts/accepted-breaks.yaml "
            "(under `accepted:`) and write each justification:",
            style="bold",
        ),
        soft_wrap=True,
    )
    for entry in entries:
        console.print(Text(entry.rstrip("\n")), soft_wrap=True)


HISTORY_HELP = (
    "Instead of OLD NEW: diff every consecutive pair of commits that touched the package in the git "
    "repository REPO (optionally its subfolder: REPO:SUBDIR), oldest first; one table of pair, findings, "
    "verdict and seconds (--markdown/--json write it)."
)


def diff_command(
    old: Annotated[str | None, typer.Argument(help=f"The previous release. {SIDE_HELP}")] = None,
    new: Annotated[str | None, typer.Argument(help=f"The release to check. {SIDE_HELP}")] = None,
    history: Annotated[
        str | None, typer.Option("--history", metavar="REPO[:SUBDIR]", help=HISTORY_HELP)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="With --history: start at this commit, branch or tag.")
    ] = None,
    behaviour: Annotated[bool, typer.Option("--behaviour", help=BEHAVIOUR_HELP)] = False,
    static: Annotated[bool, typer.Option("--static", help=STATIC_HELP)] = False,
    accepted: Annotated[Path | None, typer.Option("--accepted", help=ACCEPTED_HELP)] = None,
    package: Annotated[str, typer.Option("--package", help="Top-level package of the SDK.")] = "hokusai",
    python: Annotated[str | None, typer.Option("--python", help=PYTHON_HELP)] = None,
    markdown_file: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the changes as a Markdown changelog section."),
    ] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write a JSON report.")] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report.")] = None,
    output: Annotated[
        DiffFormat,
        typer.Option("--format", help="Standard output: a terminal report or GitHub Actions annotations."),
    ] = DiffFormat.terminal,
) -> None:
    """Compare two releases: breaking changes, the semantic-version verdict, accepted breaks.

    A breaking change fails (exit 1) unless NEW is a major release (before 1.0: a minor one, 0.3 -> 0.4),
    contracts/accepted-breaks.yaml accepts it, or OLD's contract deprecated the removed object.
    """
    from hokusai_contracts.release.run import load_accepted_file, run_diff
    from hokusai_contracts.reports import render, write_report
    from hokusai_contracts.reports.changelog import Changelog

    if history is not None:
        if old is not None or new is not None:
            raise fail(EXIT_USAGE, "--history replaces OLD and NEW: give one or the other", "see --help")
        console = stdout_console()
        with harness_errors():
            done = run_history(
                history,
                package=package,
                since=since,
                python=python,
                accepted=load_accepted_file(accepted),
                progress=lambda pair: console.print(history_line(pair), soft_wrap=True),
            )
            write_files(done, {"history-markdown": markdown_file, "history-json": json_file})
        print_history(console, done)
        append_step_summary(render(done, "history-markdown"))
        raise typer.Exit(0 if all(p.passed for p in done.pairs) else 1)
    if old is None or new is None:
        raise fail(
            EXIT_USAGE, "diff needs OLD and NEW (or --history REPO)", "see `hokusai-contracts diff --help`"
        )
    if static and behaviour:
        raise fail(EXIT_USAGE, "--static runs no code, --behaviour runs OLD's examples", "choose one")
    with harness_errors():
        if static:
            report = static_diff(old, new, package=package, python=python, accepted_file=accepted)
        else:
            report = run_diff(
                old, new, package=package, python=python, accepted_file=accepted, behaviour=behaviour
            )
        changelog = Changelog(
            tuple(report.result.findings),
            _label(report.old),
            _label(report.new),
            report.verdict.describe(),
        )
        write_files(report.result, {"json": json_file, "junit": junit})
        write_files(changelog, {"changelog": markdown_file})
    if output is DiffFormat.github:
        write_report(report.result, "github")
        append_step_summary(render(changelog, "changelog"))
    else:
        console = stdout_console()
        write_report(report.result, "terminal", console=console)
        console.print(Text.assemble(("version: ", "bold"), report.verdict.describe()), soft_wrap=True)
        print_entries(console, report.unaccepted_entries)
    raise typer.Exit(report.exit_code)


def static_diff(old: str, new: str, *, package: str, python: str | None, accepted_file: Path | None):
    """``diff --static``: both sides read from source (no import), compared without probes."""
    from hokusai_contracts.diff.sides import resolve_sides
    from hokusai_contracts.release.run import diff_findings, load_accepted_file

    started = time.monotonic()
    accepted_breaks = load_accepted_file(accepted_file)
    with contextlib.ExitStack() as stack:
        old_side, new_side = resolve_sides(old, new, stack, package=package, python=python, static=True)
        report = diff_findings(old_side, new_side, accepted_breaks)
    report.result.duration_s = time.monotonic() - started
    return report


def _label(side) -> str:
    return f"{side.label} ({side.version})" if side.version else side.label


def history_line(pair: HistoryPair) -> Text:
    """One progress line: the pair, its counts and the gate's answer."""
    if pair.error:
        return Text(f"{pair.old}..{pair.new}  not compared: {pair.error}", style="yellow")
    status = ("pass", "green") if pair.passed else ("FAIL", "bold red")
    return Text.assemble(
        f"{pair.old}..{pair.new}  ",
        status,
        f"  {len(pair.breaking)} breaking, {len(pair.warnings)} warnings, {pair.seconds:.1f} s",
        f"  {pair.title[:70]}",
    )


def print_history(console: Console, history: History) -> None:
    """The table of pairs, then each failing pair's breaking findings."""
    table = Table(title=f"diff --history {history.source} ({history.package})")
    for column in ("pair", "findings", "verdict", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for pair in history.pairs:
        counts = "not compared" if pair.error else f"{len(pair.breaking)} breaking, {len(pair.warnings)} warn"
        verdict = pair.error or ("pass" if pair.passed else "FAIL") + f": {pair.verdict}"
        table.add_row(f"{pair.old}..{pair.new}", counts, verdict, f"{pair.seconds:.1f}")
    console.print(table)
    for pair in history.pairs:
        for finding in pair.breaking:
            console.print(
                f"{pair.old}..{pair.new} {finding.rule} {finding.subject}: {finding.message}", soft_wrap=True
            )
