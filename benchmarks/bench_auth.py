"""Benchmark (not a test): how long the auth scenario matrix takes, servers and scenarios apart.

Starts the servers the scenarios need (in parallel, as ``verify --only auth`` does), then runs the whole
matrix ROUNDS times; prints the server start-up time, each scenario's median time and the matrix total.

Run: .venv/bin/python benchmarks/bench_auth.py [ROUNDS]  (default 2; about 25 s + 15 s per round)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from hokusai_contracts.checks.auth.family import run_one
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.auth.servers import ServerPool
from hokusai_contracts.findings import Outcome

AUTH_DIR = Path(__file__).resolve().parents[1] / "contracts" / "auth"


def main() -> None:
    """Start the servers, run the matrix, print one line per figure."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    scenarios = load_dir(AUTH_DIR).scenarios
    pool = ServerPool()
    try:
        started = time.perf_counter()
        pool.prestart(s.server for s in scenarios)
        print(f"servers started ({len({s.server for s in scenarios})} kinds, parallel): "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        timings: dict[str, list[float]] = {s.name: [] for s in scenarios}
        totals, failures = [], 0
        for _ in range(rounds):
            round_started = time.perf_counter()
            for scenario in scenarios:
                began = time.perf_counter()
                finding = run_one(scenario, pool)
                timings[scenario.name].append(time.perf_counter() - began)
                failures += finding.outcome is not Outcome.PASSED
            totals.append(time.perf_counter() - round_started)
    finally:
        pool.close()
    width = max(map(len, timings))
    for name, values in timings.items():
        print(f"  {name:<{width}}  median {statistics.median(values):6.2f} s")
    print(f"matrix of {len(scenarios)} scenarios: " + ", ".join(f"{t:.1f} s" for t in totals)
          + f" (round 1 includes the SDK's first imports); failures: {failures}")  # fmt: skip


if __name__ == "__main__":
    main()
