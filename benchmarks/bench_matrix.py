"""Time per cell of the compatibility matrix and for the whole default matrix (prints a table).

    .venv/bin/python benchmarks/bench_matrix.py [--matrix ci | --clients .. --servers .. --pythons ..]
        [-j 2] [--only signatures,snippets,auth,http] [--cold]

Each cell's time is split into its environment (cached venvs: a few seconds; ``--cold`` builds them
into a fresh cache under /tmp first), the wait before its first family (a server started up front) and
each family, read from the cell's progress steps. The goal on 2 cores: a cell <= 60 s once venvs are
cached, the default matrix <= 10 min.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
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


class TimedProgress(MatrixProgress):
    """The matrix's progress, also noting when each cell's steps happen (for the time per family)."""

    def __init__(self, *args, families: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.families = families
        self.steps: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self._steps_lock = threading.Lock()

    def update(self, task, label: str, text: str, *, advance: int, complete: bool = False) -> None:
        """Note ``text`` with the time, then show it."""
        with self._steps_lock:
            self.steps[label].append((time.monotonic(), text))
        super().update(task, label, text, advance=advance, complete=complete)

    def phases(self, label: str) -> dict[str, float]:
        """Seconds per phase of the cell ``label``: environment, before-first-family, each family."""
        steps = self.steps[label]
        if not steps:
            return {}
        began, out, opened = steps[0][0], {}, {}
        env_done = next((at for at, text in steps if text.startswith("environment done")), None)
        if env_done is not None:
            out["environment"] = env_done - began
        for at, text in steps:
            if text in self.families:
                opened[text] = at
            elif text.split(" ", 1)[0] in opened and " done (" in text:
                name = text.split(" ", 1)[0]
                out[name] = at - opened[name]
        first = min(opened.values(), default=None)
        if env_done is not None and first is not None:
            out["before families"] = first - env_done
        return out


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
    progress = TimedProgress(console, len(families) + 1, families=[f.name for f in families])
    started = time.monotonic()
    runs = run_cells(
        plan.cells,
        families,
        lambda: VerifyContext(contracts_dir=contracts),
        ServerRequest("process"),
        load(contracts),
        progress,
        jobs=args.jobs,
    )
    total = time.monotonic() - started
    names = [f.name for f in families]
    columns = ["environment", "before families", *names]
    # Seconds: env = the cell's interpreter, wait = from it to the first family (a server started up
    # front), then each family (its own servers included).
    headers = ["env", "wait", *names]
    print(
        f"{'cell':48} " + " ".join(f"{h:>10}" for h in headers) + f" {'total s':>8} {'exit':>4} {'known':>5}"
    )
    for run in runs:
        phases = progress.phases(run.cell.label)
        cells = " ".join(f"{phases[c]:10.1f}" if c in phases else f"{'-':>10}" for c in columns)
        print(
            f"{run.cell.label:48} {cells} {run.row.duration_s:8.1f} {run.row.exit_code:4d} {run.row.known:5d}"
        )
    print(f"{len(runs)} cell(s), -j {args.jobs}, {os.cpu_count()} cores: {total:.0f} s wall")
    return max((run.row.exit_code for run in runs), default=0)


if __name__ == "__main__":
    sys.exit(main())
