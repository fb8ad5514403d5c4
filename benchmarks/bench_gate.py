"""Benchmark (not a test): wall time of the contract gate, interpreter start included.

Run: .venv/bin/python benchmarks/bench_gate.py [--runs N] [--quick]
Goals: `verify --only signatures` under 2 s (issue 3). Issue 17, the full gate (`scripts/gate.sh`, release
diff and behaviour included): cold (`--no-cache`) <= 30 s and <= 4 x the start of one MLflow server,
an unchanged re-run <= 5 s and <= 0.25 x cold, one docs page changed <= 10 s. Absolute times drift on
shared machines, so the ratios are measured in the same run. --quick: the first part only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("hokusai-contracts"))
PROFILE = REPO / "reports" / "contracts.profile.json"
CHANGED_PAGE = REPO / "contracts" / "docs" / "quickstart.md"


def _wall_times(command: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return samples


def _quick(runs: int) -> None:
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


def _server_start() -> float:
    """Seconds until one plain ``mlflow server`` process of the harness's version (3.17.2) answers /health.

    The yardstick of the ratio: a process of its own, as anyone starts it (verify's launcher, which forks
    servers from a preloaded process, is not used here: the ratio measures the machine, not the harness).
    """
    from hokusai_contracts.servers.process import start_mlflow_process

    with tempfile.TemporaryDirectory(prefix="bench-gate-") as workdir:
        started = time.perf_counter()
        server = start_mlflow_process(Path(workdir))
        seconds = time.perf_counter() - started
        server.stop()
    return seconds


def _gate(*args: str) -> tuple[float, dict]:
    """One `scripts/gate.sh` run: wall seconds and verify's --profile document."""
    PROFILE.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(["bash", "scripts/gate.sh", *args], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: a contract failure is still a timed gate
        sys.exit(f"scripts/gate.sh {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    profile = json.loads(PROFILE.read_text()) if PROFILE.is_file() else {"phases": []}
    return seconds, profile


def _page_changed() -> tuple[float, dict]:
    """A warm gate after one docs page changed (a comment appended; the page is restored)."""
    original = CHANGED_PAGE.read_bytes()
    try:
        CHANGED_PAGE.write_bytes(original + f"\n<!-- bench_gate {time.time_ns()} -->\n".encode())
        return _gate()
    finally:
        CHANGED_PAGE.write_bytes(original)


def _table(profile: dict) -> list[str]:
    rows = [p for p in profile.get("phases", []) if p.get("depth", 0) <= 1]
    width = max([5, *(2 * p["depth"] + len(p["name"]) for p in rows)])
    lines = [f"  {'phase':{width}}  {'start s':>8}  {'took s':>7}"]
    lines += [
        f"  {'  ' * p['depth'] + p['name']:{width}}  {p['start']:8.1f}  {p['duration']:7.1f}" for p in rows
    ]
    return lines


def _full_gate(runs: int) -> None:
    server = _server_start()
    samples: dict[str, list[tuple[float, dict]]] = {"cold": [], "warm": [], "one page changed": []}
    for _ in range(runs):
        samples["cold"].append(_gate("--no-cache"))
        samples["warm"].append(_gate())
        samples["one page changed"].append(_page_changed())
    _gate()  # leaves the cache as the tree is (not a sample)
    medians = {name: statistics.median(s for s, _ in runs_) for name, runs_ in samples.items()}
    print(f"\nfull gate (scripts/gate.sh, release diff included), {runs} run(s) each")
    print(f"{'run':28} {'median s':>9} {'max s':>7}")
    print(f"{'one MLflow server start':28} {server:9.1f} {server:7.1f}")
    for name, runs_ in samples.items():
        print(f"{name:28} {medians[name]:9.1f} {max(s for s, _ in runs_):7.1f}")
    cold_runs = sorted(samples["cold"], key=lambda sample: sample[0])
    print("\nper-phase table of the median cold run:")
    print("\n".join(_table(cold_runs[len(cold_runs) // 2][1])))
    cold, warm, page = medians["cold"], medians["warm"], medians["one page changed"]
    checks = [
        ("cold / one server start", cold / server, 4.0),
        ("warm / cold", warm / cold, 0.25),
        ("cold gate s", cold, 30.0),
        ("unchanged re-run s", warm, 5.0),
        ("one docs page changed s", page, 10.0),
    ]
    print(f"\n{'goal':28} {'measured':>9} {'goal':>7}")
    for name, value, goal in checks:
        print(
            f"{name:28} {value:9.2f} {'<= ' + format(goal, 'g'):>7} {'met' if value <= goal else 'NOT met'}"
        )


def main() -> None:
    """Time the quick commands, then the full gate cold, warm and with one page changed; print ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="only the quick commands (no full gate)")
    options = parser.parse_args()
    _quick(options.runs)
    if not options.quick:
        _full_gate(options.runs)


if __name__ == "__main__":
    main()
