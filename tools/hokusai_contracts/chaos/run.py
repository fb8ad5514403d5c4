"""One fault run: start the topology, run the workload with the faults on schedule, reconcile, report.

Bounded: the workers stop once the run's length has passed and the last fault is over (at most
``FAULT_ALLOWANCE_S`` later) or at their call budget, each is killed with its process group
``WORKER_GRACE_S`` after its deadline, and everything runs on loopback. The SDK calls run in the SDK's
interpreter (``python``) through :mod:`hokusai_contracts.base.workers`, several processes at once.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import run_worker
from hokusai_contracts.chaos import registry
from hokusai_contracts.chaos.faults import Target, inject
from hokusai_contracts.chaos.reconcile import Call, reconcile
from hokusai_contracts.chaos.report import ChaosReport
from hokusai_contracts.chaos.schedule import HA, build_schedule
from hokusai_contracts.servers.ha import TRACKING_DATABASE, HaServer, start_ha
from hokusai_contracts.servers.process import RunningServer, start_mlflow_process
from hokusai_contracts.servers.server import Server

WORKER = Path(__file__).with_name("workload_worker.py")
STARTUP_ALLOWANCE_S = 20.0  # the workers import the SDK and MLflow before the common start
WORKER_GRACE_S = 120.0  # a worker past its deadline by this much is stopped (its last call hung)
FAULT_ALLOWANCE_S = 240.0  # how long the workload may outlast its length while faults are still underway
SETUP_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class ChaosOptions:
    """What to run: topology, length, workers, call budget, SDK interpreter and timeouts."""

    topology: str = HA
    duration_s: float = 120.0
    workers: int = 3
    max_calls_per_worker: int = 2000
    request_timeout_s: float = 5.0  # the SDK's HOKUSAI_REQUEST_TIMEOUT in the workers
    hang_s: float = 8.0  # longer than request_timeout_s: the hung instance outlasts a call
    # Each worker starts a call at most every interval_s: a call that fails fast (an open breaker) waits
    # for its slot, so availability weighs time, not how fast failures can spin.
    interval_s: float = 0.25
    python: str | None = None
    instances: int = 2
    keep_dir: Path | None = None  # copy the run's logs (balancer, instances, database, workers) here


KEPT_SUFFIXES = (".log", ".cfg", ".conf")  # the logs and configurations, not the data or artifacts


def keep_logs(workdir: Path, outcomes: list, keep_dir: Path) -> list[Path]:
    """Copy the run's logs and configurations, and each worker's stderr, under ``keep_dir``; the copies."""
    kept = []
    for path in sorted(workdir.rglob("*")):
        if path.is_file() and path.suffix in KEPT_SUFFIXES:
            copy = keep_dir / path.relative_to(workdir)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
            kept.append(copy)
    for number, outcome in enumerate(outcomes):
        copy = keep_dir / f"worker-{number}.stderr"
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(outcome.stderr or "")
        kept.append(copy)
    return kept


def start_topology(options: ChaosOptions, workdir: Path) -> tuple[Server, Target]:
    """The MLflow of the run and what the faults act on."""
    if options.topology == HA:
        server = start_ha(workdir / "ha", instances=options.instances)
        return server, Target(server.instances, server.postgres, server.balancer)
    server = start_mlflow_process(workdir / "plain")
    return server, Target([server])


def read_registry(server: Server, prefix: str) -> list[registry.Registration]:
    """The run's versions, read from the database itself."""
    if isinstance(server, HaServer):
        return registry.from_postgres(server.postgres, TRACKING_DATABASE, prefix)
    if isinstance(server, RunningServer):
        return registry.from_sqlite(server.workdir / "mlflow.db", prefix)
    raise InfrastructureError(f"cannot read the registry of {server.url} directly")


def sdk_state(root: Path) -> str:
    """The SDK the workers ran: the commit, and whether ``hokusai/`` differed from it."""
    head = processes.run(["git", "rev-parse", "--short", "HEAD"], timeout=10, cwd=root)
    dirty = processes.run(["git", "status", "--porcelain", "--", "hokusai"], timeout=10, cwd=root)
    if head.returncode != 0:
        return "installed (not a git checkout)"
    changed = len([line for line in dirty.stdout.splitlines() if line.strip()])
    state = f"{changed} file(s) of hokusai/ modified" if changed else "hokusai/ as committed"
    return f"{head.stdout.strip()} ({state})"


def _environment(options: ChaosOptions) -> dict[str, str]:
    # The workers' SDK must not pick up the caller's MLflow target, credentials or resilience settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_TRACKING_", "HOKUSAI_"))}
    env["HOKUSAI_REQUEST_TIMEOUT"] = str(options.request_timeout_s)
    env["HOKUSAI_HOME"] = str(processes.make_temp_dir("chaos-home"))
    return env


def run_chaos(options: ChaosOptions, root: Path | None = None) -> ChaosReport:
    """Run the workload with faults against a fresh topology; the reconciled report."""
    instances = options.instances if options.topology == HA else 1
    schedule = build_schedule(
        options.topology, options.duration_s, instances=instances, hang_s=options.hang_s
    )
    prefix = f"chaos-{uuid.uuid4().hex[:8]}"
    env = _environment(options)
    with processes.temp_dir("chaos") as workdir:
        server, target = start_topology(options, workdir)
        try:
            setup = run_worker(
                WORKER,
                {"mode": "setup", "tracking_uri": server.url, "model_name": f"{prefix}-base"},
                what="the fault run's setup",
                python=options.python,
                timeout=SETUP_TIMEOUT_S,
                env=env,
            ).answer()
            start = time.time() + STARTUP_ALLOWANCE_S
            finished = threading.Event()
            stop_file = workdir / "stop"
            requests = [
                {
                    "mode": "work",
                    "tracking_uri": server.url,
                    "model_uri": setup["model_uri"],
                    "model_name": f"{prefix}-w{n}",
                    "worker": n,
                    "run": prefix,
                    "start_at": start,
                    "max_duration_s": options.duration_s + FAULT_ALLOWANCE_S,
                    "stop_file": str(stop_file),
                    "max_calls": options.max_calls_per_worker,
                    "interval_s": options.interval_s,
                }
                for n in range(options.workers)
            ]
            timeout = STARTUP_ALLOWANCE_S + options.duration_s + FAULT_ALLOWANCE_S + WORKER_GRACE_S
            with ThreadPoolExecutor(max_workers=options.workers + 1) as pool:
                runs = [
                    pool.submit(
                        run_worker,
                        WORKER,
                        request,
                        what=f"fault-run worker {request['worker']}",
                        python=options.python,
                        timeout=timeout,
                        env=env,
                    )
                    for request in requests
                ]
                faults = pool.submit(inject, target, schedule, start, finished.is_set)
                # The workload lasts the run's length and at least until the last fault is over.
                while time.time() < start + options.duration_s or not faults.done():
                    if all(run.done() for run in runs):
                        break
                    time.sleep(0.2)
                stop_file.touch()
                outcomes = [future.result() for future in runs]
                finished.set()
                events = faults.result()
            calls = [Call.from_record(r) for outcome in outcomes for r in outcome.records]
            notes = [
                f"worker {n} stopped after {WORKER_GRACE_S:.0f} s past its deadline (a call hung)"
                for n, outcome in enumerate(outcomes)
                if outcome.timed_out
            ]
            notes += [
                f"worker {n} crashed (exit {o.returncode}): {o.stderr.strip().splitlines()[-1:]}"
                for n, o in enumerate(outcomes)
                if not o.timed_out and o.returncode != 0
            ]
            if not server.alive():
                server.restart()
            stored = read_registry(server, prefix)
            # MLflow keeps a deleted version's row (stage Deleted_Internal) but serves it nowhere: the
            # SDK deletes the duplicates a late-applied create left; they are counted, not reconciled.
            registrations = [r for r in stored if not r.deleted]
            deleted = len(stored) - len(registrations)
            if deleted:
                notes.append(f"{deleted} duplicate version(s) created and deleted again by the SDK")
            if options.keep_dir is not None:
                kept = keep_logs(workdir, outcomes, options.keep_dir)
                notes.append(f"kept {len(kept)} log file(s) in {options.keep_dir}")
        finally:
            server.stop()
            processes.remove_temp_dir(Path(env["HOKUSAI_HOME"]))
    result = reconcile(calls, registrations, events, start)
    return ChaosReport(
        topology=options.topology,
        duration_s=options.duration_s,
        workers=options.workers,
        mlflow_version=server.version,
        sdk=sdk_state(root or Path.cwd()),
        reconciliation=result,
        calls=calls,
        start=start,
        notes=notes,
    )
