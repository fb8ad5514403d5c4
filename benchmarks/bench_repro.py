"""Replay time of the lead-scoring bug report (fixtures/bug_reports/lead-scoring.yaml), cold and warm.

    .venv/bin/python benchmarks/bench_repro.py [--report PATH] [--warm 2]

cold: an empty replay cache (the SDK is installed and the replay venvs are created), with the cached
per-MLflow-version venvs and template DBs linked in from ~/.cache/hokusai-contracts (they belong to
provisioning and are built once per machine). warm: the same cache again, as every later replay finds
it. Goal: a warm replay under 30 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from hokusai_contracts.repro.load import load_report
from hokusai_contracts.repro.replay import replay
from hokusai_contracts.repro.verdict import REPRODUCED
from hokusai_contracts.servers.cache import CACHE_ENV, cache_root

REPO = Path(__file__).resolve().parents[1]
GOAL_S = 30.0


def _cold_cache(into: Path) -> Path:
    """A cache root holding links to the machine's MLflow venvs and templates, and nothing else."""
    shared = cache_root()
    for entry in shared.glob("mlflow-*"):
        (into / entry.name).symlink_to(entry, target_is_directory=True)
    return into


def _replay_once(path: Path, label: str) -> float:
    started = time.monotonic()
    result = replay(load_report(path))
    seconds = time.monotonic() - started
    verdicts = ", ".join(f"{c.claim.id}={c.verdict}" for c in result.claims)
    claims = sum(o.seconds for run in result.runs for o in run.outcomes.values())
    server = sum(run.server_seconds for run in result.runs)
    built = ", ".join(
        f"{run.role} env {run.environment.seconds:.1f} s{' (built)' if run.environment.created else ''}"
        for run in result.runs
    )
    print(f"{label:>6}: {seconds:6.1f} s  (server start {server:.1f} s, claims {claims:.1f} s; {built})")
    print(f"        {verdicts}")
    if not any(c.verdict == REPRODUCED for c in result.claims):
        raise SystemExit("the 403 claim did not reproduce: the benchmark measured a broken replay")
    return seconds


def main() -> None:
    """Print cold and warm replay times."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--report", type=Path, default=REPO / "fixtures" / "bug_reports" / "lead-scoring.yaml"
    )
    parser.add_argument("--warm", type=int, default=2, help="warm replays to time (default 2)")
    args = parser.parse_args()
    print(f"replay of {args.report.name} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="hokusai-bench-repro-") as scratch:
        os.environ[CACHE_ENV] = str(_cold_cache(Path(scratch)))
        cold = _replay_once(args.report, "cold")
        warm = [_replay_once(args.report, "warm") for _ in range(args.warm)]
    median = statistics.median(warm)
    verdict = "meets" if median < GOAL_S else "misses"
    print(f"cold {cold:.1f} s; warm median {median:.1f} s ({verdict} the {GOAL_S:.0f} s goal)")


if __name__ == "__main__":
    main()
