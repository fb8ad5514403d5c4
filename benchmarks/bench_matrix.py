"""Time per cell of the compatibility matrix and for the whole default matrix (prints a table).

    .venv/bin/python benchmarks/bench_matrix.py [--matrix ci | --clients .. --servers .. --pythons ..]
        [-j 2] [--only signatures,snippets,auth,http] [--cold]

Each cell's time is split into its environment (cached venvs: a few seconds; ``--cold`` builds them
into a fresh cache under /tmp first) and its checks (server start plus the families). The goal on
2 cores: a cell <= 60 s once venvs are cached, the default matrix <= 10 min.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.cli.matrix import plan_from_options
from hokusai_contracts.reports.matrix_progress import MatrixProgress
from hokusai_contracts.servers.cache import CACHE_ENV
from hokusai_contracts.servers.providers import ServerRequest
from hokusai_contracts.verify.known_differences import load
from hokusai_contracts.verify.matrix_run import run_cells

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Run the matrix, print one line per cell and the total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", default=None)
    parser.add_argument("--clients")
    parser.add_argument("--servers")
    parser.add_argument("--pythons")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--only", default=",".join(CHECKS))
    parser.add_argument("--cold", action="store_true", help="build every venv into a fresh cache first")
    args = parser.parse_args()
    if args.cold:
        os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="bench-matrix-cache-")
    matrix = args.matrix if args.matrix or args.clients or args.servers or args.pythons else "ci"
    plan = plan_from_options(matrix, args.clients, args.servers, args.pythons, None)
    families = [CHECKS[name] for name in args.only.split(",")]
    contracts = ROOT / "contracts"
    console = Console(stderr=True)
    started = time.monotonic()
    runs = run_cells(
        plan.cells,
        families,
        lambda: VerifyContext(contracts_dir=contracts),
        ServerRequest("process"),
        load(contracts),
        MatrixProgress(console, len(families) + 1),
        jobs=args.jobs,
    )
    total = time.monotonic() - started
    print(f"{'cell':48} {'env s':>7} {'checks s':>9} {'total s':>8} {'exit':>4} {'known':>5}")
    for run in runs:
        checks = run.row.duration_s - run.environment_s
        print(
            f"{run.cell.label:48} {run.environment_s:7.1f} {checks:9.1f} {run.row.duration_s:8.1f} "
            f"{run.row.exit_code:4d} {run.row.known:5d}"
        )
    print(f"{len(runs)} cell(s), -j {args.jobs}, {os.cpu_count()} cores: {total:.0f} s wall")
    return max((run.row.exit_code for run in runs), default=0)


if __name__ == "__main__":
    sys.exit(main())
