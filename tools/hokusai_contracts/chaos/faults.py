"""Injecting the scheduled faults into a running topology, and when each one happened."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hokusai_contracts.chaos.schedule import (
    DROP_CONNECTIONS,
    HANG,
    KILL,
    RESTART_DATABASE,
    ROLLING_UPGRADE,
    Fault,
)
from hokusai_contracts.servers.haproxy import Balancer
from hokusai_contracts.servers.postgres import PostgresServer
from hokusai_contracts.servers.process import RunningServer

# How long a kill waits for a request in flight on its instance. The workload is paced and spends much
# of a call in the worker (a prediction, a model load): on a loaded machine 3 s often saw none.
IN_FLIGHT_WAIT_S = 10.0
BALANCER_UP_WAIT_S = 20.0


@dataclass
class Target:
    """What the faults act on: the MLflow instances, and for ``ha`` the database and the balancer."""

    instances: list[RunningServer]
    postgres: PostgresServer | None = None
    balancer: Balancer | None = None

    def backend_name(self, index: int) -> str:
        """The balancer's name of instance ``index``."""
        return f"mlflow-{index}"


@dataclass(frozen=True)
class FaultEvent:
    """A fault as it happened: wall-clock start and end of the action, and what went wrong doing it."""

    kind: str
    instance: int
    started: float
    finished: float
    detail: str = ""
    error: str = ""


def _signal_group(process_id: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process_id, signum)


def _wait_in_flight(target: Target, index: int) -> str:
    """Wait (briefly) until the balancer has a request in flight on instance ``index``; say if it had."""
    if target.balancer is None:
        return "no balancer to watch: killed at the scheduled time"
    name = target.backend_name(index)
    deadline = time.monotonic() + IN_FLIGHT_WAIT_S
    while time.monotonic() < deadline:
        if target.balancer.current_sessions().get(name, 0) > 0:
            return "killed with a request in flight"
        time.sleep(0.02)
    return f"no request in flight within {IN_FLIGHT_WAIT_S:.0f} s: killed anyway"


def _wait_balancer_up(target: Target, index: int) -> None:
    if target.balancer is None:
        return
    name = target.backend_name(index)
    deadline = time.monotonic() + BALANCER_UP_WAIT_S
    while time.monotonic() < deadline:
        if target.balancer.server_states().get(name, "").startswith("UP"):
            return
        time.sleep(0.2)


def kill(target: Target, fault: Fault) -> str:
    """SIGKILL the instance's whole group mid-request, then start it again (healthy, back in rotation)."""
    instance = target.instances[fault.instance]
    said = _wait_in_flight(target, fault.instance)
    _signal_group(instance.process.pid, signal.SIGKILL)
    instance.process.wait()
    instance.restart()
    _wait_balancer_up(target, fault.instance)
    return said


def hang(target: Target, fault: Fault) -> str:
    """SIGSTOP the instance's group for ``hold_s`` seconds, then SIGCONT."""
    instance = target.instances[fault.instance]
    _signal_group(instance.process.pid, signal.SIGSTOP)
    try:
        time.sleep(fault.hold_s)
    finally:
        _signal_group(instance.process.pid, signal.SIGCONT)
    _wait_balancer_up(target, fault.instance)
    return f"stopped {fault.hold_s:g} s"


def restart_database(target: Target, fault: Fault) -> str:
    """Restart PostgreSQL (fast shutdown: every connection is cut)."""
    if target.postgres is None:
        return "skipped: no PostgreSQL in this topology"
    target.postgres.restart()
    return "restarted"


def drop_connections(target: Target, fault: Fault) -> str:
    """The balancer cuts every open session to every instance, once one has a request in flight."""
    if target.balancer is None:
        return "skipped: no balancer in this topology"
    names = [target.backend_name(i) for i in range(len(target.instances))]
    # The workload is paced: at a random instant nothing may be in flight, and cutting nothing tests
    # nothing. Wait for a request on any instance, as the kill does for its own.
    deadline = time.monotonic() + IN_FLIGHT_WAIT_S
    open_sessions = sum(target.balancer.current_sessions().values())
    while open_sessions == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
        open_sessions = sum(target.balancer.current_sessions().values())
    target.balancer.drop_connections(names)
    return f"{open_sessions} open session(s) cut"


def rolling_upgrade(target: Target, fault: Fault) -> str:
    """Restart every instance in turn; the next only once the balancer has the previous back."""
    for index, instance in enumerate(target.instances):
        instance.restart()
        _wait_balancer_up(target, index)
    return f"{len(target.instances)} instance(s) restarted in turn"


ACTIONS: dict[str, Callable[[Target, Fault], str]] = {
    KILL: kill,
    HANG: hang,
    RESTART_DATABASE: restart_database,
    DROP_CONNECTIONS: drop_connections,
    ROLLING_UPGRADE: rolling_upgrade,
}


def inject(
    target: Target, schedule: Sequence[Fault], start_at: float, stop: Callable[[], bool]
) -> list[FaultEvent]:
    """Run ``schedule`` against ``target``, each fault at ``start_at + at_s`` (wall clock); the events.

    A fault whose action fails is recorded with its error (the run goes on); ``stop`` ends it early.
    """
    events = []
    for fault in schedule:
        while time.time() < start_at + fault.at_s:
            if stop():
                return events
            time.sleep(0.05)
        started = time.time()
        try:
            detail, error = ACTIONS[fault.kind](target, fault), ""
        except Exception as exc:
            detail, error = "", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        events.append(FaultEvent(fault.kind, fault.instance, started, time.time(), detail, error))
    return events
