"""Start-to-healthy time and RSS of MLflow servers, per provider and version (prints a table).

    .venv/bin/python benchmarks/bench_provisioning.py [--versions 2.9.0,3.17.2] [--repeat 2] [--no-docker]

Process servers run with and without the template DB; Docker servers need the image
(fixtures/docker/build-images.sh VERSION). Venvs are built first when missing (their time is printed).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hokusai_contracts.servers.containers import start_mlflow_container
from hokusai_contracts.servers.process import start_mlflow_process
from hokusai_contracts.servers.providers import docker_probe
from hokusai_contracts.servers.venvs import ensure_environment


def process_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (gunicorn/uvicorn workers), in MiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def container_rss_mb(server) -> float:
    """Memory the container uses (cgroup), in MiB."""
    stats = server.container.get_wrapped_container().stats(stream=False)
    return stats.get("memory_stats", {}).get("usage", 0) / 2**20


def measure(start, rss, repeat: int) -> tuple[float, float]:
    """Median seconds to healthy and the last server's RSS."""
    times, memory = [], 0.0
    for _ in range(repeat):
        server = start(Path(tempfile.mkdtemp(prefix="bench-provisioning-")))
        try:
            time.sleep(1)  # let the worker finish booting before reading its memory
            times.append(server.startup_seconds)
            memory = rss(server)
        finally:
            server.stop()
    return statistics.median(times), memory


def main() -> None:
    """Print one line per (version, provider)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", default="2.9.0,3.17.2")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    print(f"{'version':<9} {'provider':<22} {'healthy (s)':>11} {'RSS (MiB)':>10}")
    for version in args.versions.split(","):
        started = time.monotonic()
        environment = ensure_environment(version)
        built = "built" if environment.created else "cached"
        print(f"{version:<9} {'venv (' + built + ')':<22} {time.monotonic() - started:>11.1f} {'':>10}")
        for label, template in (("process, fresh DB", False), ("process, template DB", True)):
            seconds, rss = measure(
                lambda w, t=template, v=version: start_mlflow_process(w, version=v, use_template=t),
                lambda s: process_rss_mb(s.process.pid),
                args.repeat,
            )
            print(f"{version:<9} {label:<22} {seconds:>11.1f} {rss:>10.0f}")
        if args.no_docker:
            continue
        image = f"ghcr.io/mlflow/mlflow:v{version}"
        problem = docker_probe(image)
        if problem:
            print(f"{version:<9} {'docker':<22} {'-':>11} {'-':>10}  ({problem})")
            continue
        seconds, rss = measure(
            lambda w, v=version: start_mlflow_container(w, version=v), container_rss_mb, args.repeat
        )
        print(f"{version:<9} {'docker':<22} {seconds:>11.1f} {rss:>10.0f}")


if __name__ == "__main__":
    main()
