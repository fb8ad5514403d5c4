"""``hokusai-contracts docs``: render the API reference from the contracts, or check a committed copy."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.cli.output import fail, harness_errors, print_diff, stdout_console

EXIT_STALE = 1
FORMAT_HELP = (
    "Comma-separated formats: md (Markdown pages), html (static site with search). "
    "Default: md,html; with --check, the formats whose index page DIR holds."
)
RESULTS_HELP = (
    "A `verify --json` report: each example shows the MLflow version it was verified against. "
    "Without it examples say they were not verified in this build."
)
MATRIX_HELP = "A compatibility-matrix.json (`verify --matrix`) shown on the compatibility page."
TEMPLATES_HELP = "A folder of templates laid out like the built-in ones (md/, html/) overriding any of them."


def _formats_in(directory: Path) -> str:
    from hokusai_contracts.reference.render import FORMATS

    present = [fmt for fmt in FORMATS if (directory / f"index.{fmt}").is_file()]
    if not present:
        raise HarnessUsageError(
            f"--check {directory}: no generated reference there (no index.md or index.html); generate it "
            f"with `hokusai-contracts docs --out {directory} --format md`"
        )
    return ",".join(present)


def _command_line(out: Path, formats: list[str], results: Path | None, matrix: Path | None) -> str:
    parts = ["hokusai-contracts docs", f"--out {out}", f"--format {','.join(formats)}"]
    parts += [f"--results {results}"] if results else []
    parts += [f"--matrix {matrix}"] if matrix else []
    return " ".join(parts)


def docs_command(
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write the reference into.")] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Write nothing; exit 1 with a diff summary when DIR is stale."),
    ] = None,
    formats: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    contracts: Annotated[
        Path, typer.Option("--contracts", help="Contracts root (api/, docs/, auth/).")
    ] = Path("contracts"),
    templates: Annotated[Path | None, typer.Option("--templates", help=TEMPLATES_HELP)] = None,
    results: Annotated[Path | None, typer.Option("--results", help=RESULTS_HELP)] = None,
    matrix: Annotated[Path | None, typer.Option("--matrix", help=MATRIX_HELP)] = None,
) -> None:
    """Render the API reference (Markdown, HTML) from the contracts; --check compares a committed copy."""
    from hokusai_contracts.reference import build_reference, parse_formats
    from hokusai_contracts.reference.render import check_template_dir
    from hokusai_contracts.reference.writer import compare, write_files

    with harness_errors():
        if (out is None) == (check is None):
            raise HarnessUsageError("give exactly one of --out DIR (write the reference) or --check DIR")
        target = out if out is not None else check
        if formats is None:
            formats = "md,html" if check is None else _formats_in(check)
        chosen = parse_formats(formats)
        if templates is not None:
            check_template_dir(templates)
        files = build_reference(contracts, chosen, templates=templates, results=results, matrix=matrix)
        if check is None:
            written = write_files(files, target)
    console = stdout_console()
    if check is None:
        note = f"{len(written)} file(s) written or removed" if written else "nothing changed"
        console.print(f"reference in {target}: {len(files)} file(s), {note}", soft_wrap=True)
        return
    comparison = compare(files, check)
    if not comparison.stale:
        console.print(f"reference in {check} is up to date ({len(files)} file(s))", soft_wrap=True)
        return
    print_diff(console, "\n".join(comparison.summary()))
    raise fail(
        EXIT_STALE,
        f"the reference in {check} is stale: {len(comparison.missing)} missing, {len(comparison.changed)} "
        f"changed, {len(comparison.extra)} no longer generated (above)",
        f"run `{_command_line(check, chosen, results, matrix)}` and commit the result",
        label="stale reference",
    )
