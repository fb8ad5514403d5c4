"""CLI of the compatibility space: ``verify``'s matrix run (axes, preset, shard, -j), ``matrix plan`` and
``matrix merge``."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.base.workers import resolve_python
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.cli.output import harness_errors, stdout_console, write_files
from hokusai_contracts.reports import render
from hokusai_contracts.reports.matrix import JSON_NAME, MARKDOWN_NAME, from_json
from hokusai_contracts.reports.matrix_compatibility import render_compatibility
from hokusai_contracts.reports.matrix_model import Matrix
from hokusai_contracts.reports.matrix_progress import MatrixProgress
from hokusai_contracts.servers.providers import ServerRequest
from hokusai_contracts.servers.venvs import mlflow_version_of, python_minor
from hokusai_contracts.verify.cells import (
    PRESET_CI,
    Cell,
    Plan,
    cross_product,
    github_matrix,
    parse_shard,
    preset,
    resolve_plan,
    shard,
    version_key,
)
from hokusai_contracts.verify.known_differences import declared_rows
from hokusai_contracts.verify.known_differences import load as load_declarations
from hokusai_contracts.verify.matrix_run import CellRun, head_commit, matrix_of, run_cells, stored_results
from hokusai_contracts.verify.results_store import STORE_NAME, append, merge

MATRIX_HELP = (
    "The matrix to run: 'ci' (the default preset: MLflow clients 2.9.0, 2.22.0, 3.17.2 x servers 2.9.0, "
    "3.17.2 x Python 3.10-3.13, six cells) or comma-separated MLflow server versions (same as --servers)."
)
CLIENTS_HELP = "Comma-separated MLflow client versions: run the matrix over them (default: the current one)."
SERVERS_HELP = "Comma-separated MLflow server versions of the matrix (default: the current one)."
PYTHONS_HELP = "Comma-separated Python versions of the matrix, e.g. 3.10,3.13 (default: the current one)."
SHARD_HELP = (
    "Run only slice I of N of the matrix's cells (deterministic), e.g. 1/2; merge with `matrix merge`."
)
JOBS_HELP = "How many cells run at once."
COMPATIBILITY_NAME = "COMPATIBILITY.md"
RESULTS_HELP = (
    f"The results store every matrix run appends to (can-i-deploy reads it); default reports/{STORE_NAME}."
)


def current_cell(python: str | None) -> Cell:
    """The cell of the current environment: ``python``'s (or the harness's) MLflow and Python."""
    interpreter = resolve_python(python)
    return Cell(
        client=mlflow_version_of(interpreter) or "",
        server=mlflow_version_of(sys.executable) or "",
        python=python_minor(interpreter),
    )


def plan_from_options(
    matrix: str | None,
    clients: str | None,
    servers: str | None,
    pythons: str | None,
    shard_text: str | None,
    python: str | None = None,
) -> Plan | None:
    """The cells the options select (None: no matrix), cut to the shard when one is given."""
    if matrix is None and clients is None and servers is None and pythons is None:
        return None  # a plain verify: nothing to resolve (and no interpreter to ask)
    plan = resolve_plan(matrix, clients, servers, pythons, current_cell(python))
    if plan is None or shard_text is None:
        return plan
    index, count = parse_shard(shard_text)
    return Plan(tuple(shard(plan.cells, index, count)), plan.not_installable)


def run_matrix_cells(
    families: Sequence[CheckFamily],
    make_context: Callable[[], VerifyContext],
    plan: Plan,
    request: ServerRequest,
    out_dir: Path,
    console: Console,
    *,
    jobs: int = 1,
    python: str | None = None,
    results: Path | None = None,
    quiet: bool = False,
) -> int:
    """``verify`` over the cells of ``plan``: run, write the matrix files, append to the results store."""
    started = time.monotonic()
    for cell, reason in plan.not_installable:
        console.print(Text(f"left out {cell.label}: {reason}"), soft_wrap=True)
    declarations = load_declarations(make_context().contracts_dir)
    progress = MatrixProgress(console, steps_per_cell=len(families) + 1, enabled=not quiet)

    def report(run: CellRun) -> None:
        # Each cell's failures as soon as it finishes: a long matrix shows what broke before it ends.
        for failure in run.row.failures:
            console.print(
                Text(f"[{run.cell.label}] {mask_secrets(failure, known_secrets())}"), soft_wrap=True
            )

    runs = run_cells(
        plan.cells,
        families,
        make_context,
        request.validated(),
        declarations,
        progress,
        jobs=jobs,
        python=python,
        on_cell=report,
    )
    matrix = matrix_of(runs)
    markdown_path, json_path = out_dir / MARKDOWN_NAME, out_dir / JSON_NAME
    write_files(matrix, {"matrix-markdown": markdown_path, "matrix-json": json_path})
    store = results or out_dir / STORE_NAME
    added = append(store, stored_results(matrix, uuid.uuid4().hex, head_commit()))
    console.print(render(matrix, "matrix-markdown"), soft_wrap=True, markup=False)
    for run in runs:
        built = "built" if run.environment_built else "cached"
        console.print(
            Text(
                f"{run.cell.label}: exit {run.row.exit_code} in {run.row.duration_s:.0f} s "
                f"(environment {built}, {run.environment_s:.0f} s)"
            ),
            soft_wrap=True,
        )
    console.print(
        Text(
            f"matrix of {len(runs)} cell(s) written to {markdown_path} and {json_path}, "
            f"{added} result row(s) added to {store}, in {time.monotonic() - started:.0f} s"
        ),
        soft_wrap=True,
    )
    return matrix.exit_code


# --- hokusai-contracts matrix plan|merge --------------------------------------------------------------

matrix_app = typer.Typer(
    help="Plan and merge compatibility-matrix runs (the cells, their shards).", no_args_is_help=True
)


class PlanFormat(str, Enum):
    """What ``matrix plan`` prints."""

    text = "text"
    json = "json"
    github = "github"


@matrix_app.command("plan")
def plan_command(
    matrix: Annotated[str | None, typer.Option("--matrix", help=MATRIX_HELP)] = None,
    clients: Annotated[str | None, typer.Option("--clients", help=CLIENTS_HELP)] = None,
    servers: Annotated[str | None, typer.Option("--servers", help=SERVERS_HELP)] = None,
    pythons: Annotated[str | None, typer.Option("--pythons", help=PYTHONS_HELP)] = None,
    shard_text: Annotated[str | None, typer.Option("--shard", help=SHARD_HELP)] = None,
    output: Annotated[
        PlanFormat, typer.Option("--format", help="text, json, or a GitHub Actions matrix.")
    ] = (PlanFormat.text),
) -> None:
    """Print the cells a matrix run would run (``--format github``: a ``strategy.matrix`` to fan out)."""
    with harness_errors():
        plan = plan_from_options(
            matrix if matrix or clients or servers or pythons else "ci", clients, servers, pythons, shard_text
        )
    assert plan is not None  # a matrix was always named above
    if output is PlanFormat.github:
        sys.stdout.write(json.dumps(github_matrix(plan.cells)) + "\n")
        return
    if output is PlanFormat.json:
        sys.stdout.write(json.dumps([cell.__dict__ for cell in plan.cells], indent=2) + "\n")
        return
    console = stdout_console()
    for cell in plan.cells:
        console.print(Text(cell.label), soft_wrap=True)
    for cell, reason in plan.not_installable:
        console.print(Text(f"left out: {cell.label}: {reason}"), soft_wrap=True)


@matrix_app.command("merge")
def merge_command(
    shards: Annotated[
        list[Path],
        typer.Argument(help="Shard output directories (each with the matrix JSON and results store)."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Directory of the merged matrix and results store.")
    ] = Path("reports"),
) -> None:
    """Join the matrix files and results stores of shard runs into one table and one store."""
    with harness_errors():
        merged = Matrix()
        seen: set[tuple[str, str, str]] = set()
        stores = []
        for directory in shards:
            path = directory / JSON_NAME
            try:
                matrix = from_json(json.loads(path.read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise typer.BadParameter(f"{path}: not a matrix JSON file ({exc})") from None
            for row in matrix.rows:
                if row.key not in seen:
                    seen.add(row.key)
                    merged.rows.append(row)
            if (directory / STORE_NAME).is_file():
                stores.append(directory / STORE_NAME)
        merged.rows.sort(key=lambda row: row.key)
        write_files(merged, {"matrix-markdown": out / MARKDOWN_NAME, "matrix-json": out / JSON_NAME})
        added = merge(out / STORE_NAME, stores)
    console = stdout_console()
    console.print(render(merged, "matrix-markdown"), soft_wrap=True, markup=False)
    console.print(
        Text(
            f"merged {len(merged.rows)} cell(s) from {len(shards)} shard(s) into {out}; "
            f"{added} new result row(s)"
        ),
        soft_wrap=True,
    )
    raise typer.Exit(merged.exit_code)


def compatibility_text(contracts: Path) -> str:
    """``contracts/COMPATIBILITY.md`` as generated from ``contracts``' version data and the CI preset."""
    plan = preset(PRESET_CI)
    every = cross_product(
        sorted({c.client for c in plan.cells}, key=version_key),
        sorted({c.server for c in plan.cells}, key=version_key),
        sorted({c.python for c in plan.cells}, key=version_key),
    )
    return render_compatibility(
        [(c.client, c.server, c.python) for c in plan.cells],
        [(c.client, c.server, c.python, reason) for c, reason in every.not_installable],
        declared_rows(load_declarations(contracts), contracts.parent),
    )


@matrix_app.command("compatibility")
def compatibility_command(
    contracts: Annotated[Path, typer.Option("--contracts", help="Contracts root directory.")] = Path(
        "contracts"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 when the committed page is stale.")
    ] = False,
) -> None:
    """Write CONTRACTS/COMPATIBILITY.md from the contracts' version data (with --check: only compare)."""
    with harness_errors():
        text = compatibility_text(contracts)
    target = contracts / COMPATIBILITY_NAME
    console = stdout_console()
    current = target.read_text() if target.is_file() else ""
    if check:
        if current == text:
            console.print(Text(f"{target} is up to date"), soft_wrap=True)
            return
        console.print(
            Text(f"{target} is stale: run `hokusai-contracts matrix compatibility` and commit it"),
            soft_wrap=True,
        )
        raise typer.Exit(1)
    target.write_text(text)
    console.print(Text(f"wrote {target}"), soft_wrap=True)
