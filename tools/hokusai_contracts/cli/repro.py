"""``hokusai-contracts repro REPORT.yaml``: replay a third party's bug report and give a verdict per claim.

Exit codes: 0 the replay ran (whatever the verdicts); 1 the report is invalid or holds a literal secret,
or with ``--against`` a claim that reproduced is not fixed by that SDK source; 2 infrastructure (an
environment or server could not be built or started); 3 usage.
"""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.cli.output import harness_errors, write_files
from hokusai_contracts.findings import Outcome
from hokusai_contracts.reports.repro_model import ReproReport
from hokusai_contracts.repro.findings import report_model
from hokusai_contracts.repro.load import load_report
from hokusai_contracts.repro.replay import replay
from hokusai_contracts.repro.report import SDK_KINDS, SdkSource
from hokusai_contracts.repro.verdict import REPRODUCED

EXIT_OK, EXIT_NOT_FIXED = 0, 1
REPRO_EPILOG = (
    "Exit codes: 0 replayed (whatever the verdicts); 1 invalid report, a literal secret in it, or a claim "
    "--against does not fix; 2 infrastructure (environment or server); 3 usage."
)
DEFAULT_OUT = Path("reports") / "repro"
LOG_WIDTH = 160

AGAINST_HELP = (
    "Re-run every claim on another SDK source (same MLflow client and server) to confirm a fix: "
    "path:DIR, git:REF, version:X.Y.Z or wheel:FILE (a bare directory, .whl file or version works too)."
)


def parse_sdk_source(text: str) -> SdkSource:
    """``path:DIR`` / ``git:REF`` / ``version:V`` / ``wheel:FILE``, or a bare directory, wheel or version."""
    kind, sep, value = text.partition(":")
    if not (sep and kind in SDK_KINDS):
        kind, value = _guess_kind(text), text
    if not value:
        raise HarnessUsageError(f"--against {text!r}: nothing after {kind}:")
    if kind in ("path", "wheel"):
        resolved = Path(value).expanduser().resolve()
        if not (resolved.is_dir() if kind == "path" else resolved.is_file()):
            raise HarnessUsageError(
                f"--against {text!r}: no such {'directory' if kind == 'path' else 'file'}"
            )
        value = str(resolved)
    return SdkSource(kind=kind, value=value, described_as="--against")


def _guess_kind(text: str) -> str:
    if text.endswith(".whl"):
        return "wheel"
    if Path(text).expanduser().is_dir():
        return "path"
    if text[:1].isdigit() and text.replace(".", "").isalnum():
        return "version"
    return "git"


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, width=None if stream.isatty() else LOG_WIDTH)


def _summary_table(model: ReproReport) -> Table:
    table = Table(title=f"{model.report}: {model.title}", title_justify="left")
    table.add_column("claim")
    table.add_column("verdict")
    if any(claim.against for claim in model.claims):
        table.add_column("--against")
    table.add_column("evidence", overflow="fold")
    for claim in model.claims:
        finding = claim.finding
        style = (
            ""
            if finding.outcome is Outcome.PASSED
            else ("bold red" if claim.verdict == REPRODUCED else "yellow")
        )
        cells = [claim.id, Text(claim.verdict, style=style)]
        if claim.against is not None:
            cells.append(claim.against)
        cells.append(finding.message)
        table.add_row(*cells)
    return table


def repro_command(
    report: Annotated[
        Path, typer.Argument(help="The bug report (YAML, contracts/schema/bug-report.schema.json).")
    ],
    against: Annotated[str | None, typer.Option("--against", help=AGAINST_HELP)] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Where to write the Markdown report (for the ticket)."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the JSON report.")] = None,
    parallel: Annotated[
        int | None,
        typer.Option(
            "--parallel", min=1, help="Claims run at the same time (default: 2 without a server, else 1)."
        ),
    ] = None,
) -> None:
    """Replay a bug report: the reporter's environment and server, each claim run, a verdict per claim."""
    stderr = _console(stderr=True)
    with harness_errors():
        source = parse_sdk_source(against) if against else None
        bug_report = load_report(report)
        result = replay(
            bug_report,
            against=source,
            parallel=parallel,
            progress=lambda message: stderr.print(
                Text(mask_secrets(message, known_secrets())), soft_wrap=True
            ),
        )
        model = report_model(result)
        markdown = markdown or DEFAULT_OUT / f"{bug_report.report}.md"
        json_out = json_out or DEFAULT_OUT / f"{bug_report.report}.json"
        write_files(model, {"repro-markdown": markdown, "repro-json": json_out})
    console = _console()
    console.print(_summary_table(model))
    console.print(Text(f"{model.summary()} ({model.seconds:.1f} s)"), soft_wrap=True)
    console.print(Text(f"Markdown: {markdown}\nJSON: {json_out}"), soft_wrap=True)
    not_fixed = [claim.id for claim in model.claims if claim.finding.failed]
    if not_fixed:
        stderr.print(Text(f"not fixed by --against {against}: {', '.join(not_fixed)}", style="bold red"))
    raise typer.Exit(EXIT_NOT_FIXED if model.run_result().exit_code else EXIT_OK)
