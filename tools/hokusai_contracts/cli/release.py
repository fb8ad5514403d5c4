"""``hokusai-contracts release [SOURCE]``: record a release's contracts and version as tracked files."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from hokusai_contracts.cli.output import harness_errors, stdout_console
from hokusai_contracts.diff.records import RELEASES_DIR, list_records
from hokusai_contracts.diff.sides import REPOSITORY
from hokusai_contracts.release.record import WORKING_TREE, record_release

RELEASE_EPILOG = (
    "Exit codes: 0 recorded (or listed); 3 usage error (unknown ref, release already recorded, no "
    "__version__). The gate (scripts/gate.sh) diffs the SDK against the newest recorded release."
)
SOURCE_HELP = "What to record: git:REF (a commit, branch or tag of this repository) or . (the working tree)."


def release_command(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP)] = WORKING_TREE,
    version: Annotated[
        str | None,
        typer.Option("--version", help="The release's version (default: the package's __version__)."),
    ] = None,
    package: Annotated[str, typer.Option("--package", help="Top-level package of the SDK.")] = "hokusai",
    releases_dir: Annotated[Path, typer.Option("--releases-dir", help="Where records live.")] = REPOSITORY
    / RELEASES_DIR,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing record of that version.")
    ] = False,
    list_only: Annotated[bool, typer.Option("--list", help="List the recorded releases and stop.")] = False,
) -> None:
    """Record a release under contracts/releases/<version>/ (API, docs, auth scenarios, release.yaml).

    Tags do not travel with every clone; these tracked records do, so `diff release:VERSION`, the gate's
    default baseline (release:latest) and `repro --sdk version:VERSION` work in a fresh clone.
    """
    console = stdout_console()
    with harness_errors():
        if list_only:
            for record in list_records(releases_dir):
                console.print(
                    f"{record.version}  commit {record.commit or '-'}  ({record.recorded_from or '?'})",
                    soft_wrap=True,
                )
            return
        done = record_release(
            source, releases_dir, repository=REPOSITORY, package=package, version=version, force=force
        )
    for note in done.notes:
        console.print(Text(f"note: {note}", style="yellow"), soft_wrap=True)
    console.print(
        f"recorded {done.record.label} from {done.record.recorded_from}: {done.files} contract files in "
        f"{done.record.directory}",
        soft_wrap=True,
    )
