"""Benchmark (not a test): time to render the whole API reference from contracts/, Markdown and HTML apart.

Each figure is a full build in-process: read the contracts (api, docs, auth), build the page data, render
every page; writing files is left out. Also prints the whole ``hokusai-contracts docs --out`` command
(interpreter start and writing included) once per format.

Run: .venv/bin/python benchmarks/bench_reference.py [--runs N]
Goal (issue 9): under 1 s for the current SDK, per format.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hokusai_contracts.reference import build_reference

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("hokusai-contracts"))
GOAL_S = 1.0


def _build_times(formats: list[str], runs: int) -> tuple[list[float], list[float], dict[str, str]]:
    # CPU time next to wall time: on a shared machine the wall time also counts other processes' turns.
    wall, cpu, files = [], [], {}
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        files = build_reference(REPO / "contracts", formats)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu, files


def _command_time(formats: str) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-reference-") as out:
        started = time.perf_counter()
        subprocess.run(
            [CLI, "docs", "--out", out, "--format", formats], cwd=REPO, check=True, capture_output=True
        )
        return time.perf_counter() - started


def main() -> None:
    """Print median/max wall and median CPU build times per format, file counts and sizes, CLI wall times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    build_reference(REPO / "contracts", ["md", "html"])  # warm imports and caches once
    print(f"{'build':12} {'median s':>9} {'max s':>7} {'cpu s':>7} {'files':>6} {'KiB':>7} {'goal':>6}")
    for formats in (["md"], ["html"], ["md", "html"]):
        wall, cpu, files = _build_times(formats, runs)
        median, cpu_median = statistics.median(wall), statistics.median(cpu)
        size = sum(len(text.encode()) for text in files.values()) / 1024
        verdict = "ok" if median < GOAL_S else "SLOW"
        name = "+".join(formats)
        figures = f"{median:9.3f} {max(wall):7.3f} {cpu_median:7.3f}"
        print(f"{name:12} {figures} {len(files):6} {size:7.0f} {verdict:>6}")
    for formats in ("md", "html"):
        wall = _command_time(formats)
        print(f"hokusai-contracts docs --format {formats}: {wall:.2f} s wall (process start included)")


if __name__ == "__main__":
    main()
