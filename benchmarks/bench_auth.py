"""Benchmark (not a test): how long the auth scenario matrix takes, servers and scenarios apart.

Starts the servers the scenarios need (in parallel, as ``verify --only auth`` does), then runs the whole
matrix ROUNDS times with one lane and with the default lanes (each lane is a worker process in the
target interpreter, a fresh process per call); prints the server start-up time and each round's total.

Run: .venv/bin/python benchmarks/bench_auth.py [ROUNDS] [PYTHON]  (default 2 rounds, this interpreter)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hokusai_contracts.checks.auth.family import DEFAULT_LANES, run_scenarios
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.findings import Outcome
from hokusai_contracts.servers.pool import ServerPool

AUTH_DIR = Path(__file__).resolve().parents[1] / "contracts" / "auth"


def main() -> None:
    """Start the servers, run the matrix, print one line per figure."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    python = sys.argv[2] if len(sys.argv) > 2 else None
    scenarios = load_dir(AUTH_DIR).scenarios
    with ServerPool(purpose="the auth benchmark") as pool:
        started = time.perf_counter()
        pool.prestart(s.server for s in scenarios)
        print(f"servers started ({len({s.server for s in scenarios})} kinds, parallel): "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        for lanes in sorted({1, DEFAULT_LANES}):
            totals, failures = [], 0
            for _ in range(rounds):
                began = time.perf_counter()
                findings = run_scenarios(scenarios, pool, python=python, lanes=lanes)
                totals.append(time.perf_counter() - began)
                failures += sum(f.outcome is not Outcome.PASSED for f in findings)
            print(f"matrix of {len(scenarios)} scenarios, {lanes} lane(s): "
                  + ", ".join(f"{t:.1f} s" for t in totals) + f"; failures: {failures}")  # fmt: skip


if __name__ == "__main__":
    main()
