"""Run the cells of the compatibility space: each cell's interpreter, its server, its families, judged.

A cell runs every selected family with ``--python <cell venv>`` (this tree's SDK over MLflow client X on
Python Y, :mod:`hokusai_contracts.verify.cell_env`) against a server of MLflow version Z started by
:func:`hokusai_contracts.verify.server_run.run_with_provisioner`; its findings then pass the contracts'
version declarations (:mod:`hokusai_contracts.verify.known_differences`). Cells run concurrently, up to
``jobs`` at once, each in its own thread (the work is in child processes).
"""

from __future__ import annotations

import datetime
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.signatures.gate import OPTION_CELL_VERSIONS
from hokusai_contracts.findings import RunResult
from hokusai_contracts.findings.from_errors import error_finding
from hokusai_contracts.reports.matrix_model import Matrix, MatrixRow, row_from_result
from hokusai_contracts.reports.matrix_progress import CellTracker, MatrixProgress
from hokusai_contracts.servers.errors import EnvironmentBuildError
from hokusai_contracts.servers.providers import DockerProbe, ServerRequest, docker_probe, provisioner_for
from hokusai_contracts.verify.cell_env import REPO_ROOT, CellEnvironment, ensure_cell_environment
from hokusai_contracts.verify.cells import Cell
from hokusai_contracts.verify.known_differences import Declarations, judge
from hokusai_contracts.verify.results_store import StoredResult
from hokusai_contracts.verify.server_run import default_jobs, run_with_provisioner


@dataclass(frozen=True)
class CellRun:
    """One cell's outcome: its row of the matrix, and what the environment cost."""

    cell: Cell
    row: MatrixRow
    environment_s: float = 0.0
    environment_built: bool = False


def _known_per_family(result: RunResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in result.findings:
        if finding.message.startswith("known difference ("):
            counts[finding.check] = counts.get(finding.check, 0) + 1
    return counts


def sdk_version_of(python: str) -> str | None:
    """The installed SDK's version in ``python`` (the signatures family reports it; others do not)."""
    code = "import importlib.metadata as m; print(m.version('hokusai-ml-platform'))"
    try:
        # -I: not the current directory's metadata (a checkout's stale *.egg-info named 1.2.0 for 1.3.0).
        done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def run_cell(
    cell: Cell,
    families: Sequence[CheckFamily],
    make_context: Callable[[], VerifyContext],
    request: ServerRequest,
    declarations: Declarations,
    tracker: CellTracker,
    *,
    project: Path = REPO_ROOT,
    probe: DockerProbe = docker_probe,
    python: str | None = None,
    jobs: int = 1,
) -> CellRun:
    """Build ``cell``'s interpreter (cached; ``python``: use that one, an SDK installed elsewhere),
    run ``families`` in it against its server (``jobs`` families / pages / scenarios at once), judge
    the findings."""
    names = [f.name for f in families]
    started = time.monotonic()
    tracker.step("environment")
    try:
        if python is not None:
            environment = CellEnvironment(python=python, client=cell.client, python_version=cell.python)
        else:
            environment = ensure_cell_environment(
                cell.client, cell.python, project=project, on_step=tracker.step
            )
    except (EnvironmentBuildError, InfrastructureError, HarnessUsageError) as exc:
        problem = InfrastructureError(f"{cell.label}: the environment could not be built:\n{exc}")
        result = RunResult(findings=[error_finding(name, problem) for name in names])
        result.infrastructure_error = str(problem)
        result.duration_s = time.monotonic() - started
        tracker.done("environment failed")
        row = row_from_result(
            result, cell.server, names, client_version=cell.client, python_version=cell.python
        )
        return CellRun(cell, row, time.monotonic() - started)
    tracker.finish("environment", ())
    versions = {"client": cell.client, "server": cell.server, "python": cell.python}
    context = make_context()
    context.python = environment.python
    context.options[OPTION_CELL_VERSIONS] = versions
    provisioner = provisioner_for(replace(request, version=cell.server), probe)
    raw = run_with_provisioner(families, context, provisioner, progress=tracker, jobs=jobs)
    judged = judge(raw.findings, declarations, versions)
    result = RunResult(
        findings=list(judged.findings),
        sdk_version=raw.sdk_version or sdk_version_of(environment.python),
        server=raw.server,
        infrastructure_error=raw.infrastructure_error,
        duration_s=time.monotonic() - started,
    )
    row = row_from_result(
        result,
        cell.server,
        names,
        client_version=cell.client,
        python_version=cell.python,
        known=_known_per_family(result),
    )
    tracker.done(f"exit {row.exit_code}, {len(row.failures)} failure(s), {row.known} known difference(s)")
    return CellRun(cell, row, environment.seconds, environment.created)


def run_cells(
    cells: Sequence[Cell],
    families: Sequence[CheckFamily],
    make_context: Callable[[], VerifyContext],
    request: ServerRequest,
    declarations: Declarations,
    progress: MatrixProgress,
    *,
    jobs: int = 1,
    project: Path = REPO_ROOT,
    python: str | None = None,
    on_cell: Callable[[CellRun], None] | None = None,
) -> list[CellRun]:
    """Run every cell, up to ``jobs`` at once; the runs in the order of ``cells``."""
    if jobs < 1:
        raise HarnessUsageError(f"-j {jobs}: expected at least 1")
    # The machine's cores shared by the cells running at once: one cell alone uses them all.
    per_cell = max(1, default_jobs() // max(1, min(jobs, len(cells))))

    def one(cell: Cell) -> CellRun:
        run = run_cell(
            cell,
            families,
            make_context,
            request,
            declarations,
            progress.cell(cell.label),
            project=project,
            python=python,
            jobs=per_cell,
        )
        if on_cell is not None:
            on_cell(run)
        return run

    with progress, ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="matrix-cell") as pool:
        return list(pool.map(one, cells))


def matrix_of(runs: Sequence[CellRun]) -> Matrix:
    """The runs as a :class:`Matrix` (one row per cell)."""
    return Matrix(rows=[run.row for run in runs])


def head_commit(repository: Path = REPO_ROOT) -> str:
    """The commit the SDK tree is at (``unknown`` outside a git checkout)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repository), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def stored_results(
    matrix: Matrix, run_id: str, commit: str, when: datetime.datetime | None = None
) -> list[StoredResult]:
    """The rows of ``matrix`` as results-store rows of the run ``run_id``."""
    stamp = (when or datetime.datetime.now(datetime.timezone.utc)).isoformat(timespec="seconds")
    return [
        StoredResult(
            run_id=run_id,
            recorded_at=stamp,
            commit_sha=commit,
            sdk_version=cell.sdk_version,
            client=row.client_version,
            server=row.server_version,
            python=row.python_version,
            family=cell.family,
            passed=cell.passed,
            failed=cell.failed,
            errors=cell.errors,
            skipped=cell.skipped,
            known=cell.known,
            exit_code=row.exit_code,
        )
        for row in matrix.rows
        for cell in row.cells
    ]
