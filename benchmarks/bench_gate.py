"""Benchmark (not a test): wall time of the contract gate on the full contract, interpreter start included.

Run: .venv/bin/python benchmarks/bench_gate.py [--runs N]
Goal (issue 3): `verify --only signatures` under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("hokusai-contracts"))


def _wall_times(command: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    """Time interpreter start, verify --only signatures and extract --check; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    figures = {
        "python -c pass": _wall_times([sys.executable, "-c", "pass"], runs),
        "verify --only signatures": _wall_times([CLI, "verify", "--only", "signatures", "-q"], runs),
        "extract --check": _wall_times([CLI, "extract", "--check"], runs),
    }
    baseline = statistics.median(figures["python -c pass"])
    print(f"{'command':28} {'median s':>9} {'max s':>7} {'x python start':>15}")
    for name, samples in figures.items():
        median = statistics.median(samples)
        print(f"{name:28} {median:9.3f} {max(samples):7.3f} {median / baseline:15.1f}")


if __name__ == "__main__":
    main()
