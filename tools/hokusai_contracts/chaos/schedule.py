"""The fault schedule: which fault happens when, for a topology and a run length (pure)."""

from __future__ import annotations

from dataclasses import dataclass

HA, PLAIN = "ha", "plain"
TOPOLOGIES = (HA, PLAIN)

KILL = "kill-instance"  # SIGKILL one MLflow instance (its whole group) mid-request, then start it again
HANG = "hang-instance"  # SIGSTOP one instance longer than the SDK timeout, then SIGCONT
RESTART_DATABASE = "restart-postgres"  # PostgreSQL fast shutdown and start (ha only)
DROP_CONNECTIONS = "drop-connections"  # the balancer cuts every open session (ha only)
ROLLING_UPGRADE = "rolling-upgrade"  # restart the instances one by one, each healthy before the next

FAULTS_BY_TOPOLOGY = {
    HA: (KILL, HANG, RESTART_DATABASE, DROP_CONNECTIONS, ROLLING_UPGRADE),
    PLAIN: (KILL, HANG, ROLLING_UPGRADE),
}
DESCRIPTIONS = {
    KILL: "SIGKILL one MLflow instance (its process group) while calls are in flight; start it again",
    HANG: "SIGSTOP one instance for longer than the SDK's request timeout, then SIGCONT",
    RESTART_DATABASE: "stop PostgreSQL (fast shutdown: open connections cut) and start it again",
    DROP_CONNECTIONS: "HAProxy's runtime API shuts every open session to the instances",
    ROLLING_UPGRADE: "restart every instance in turn (SIGTERM, start, healthy) as an upgrade would",
}
MIN_DURATION_S = 20.0
WARMUP_S = 5.0  # calls run undisturbed first: the baseline availability


@dataclass(frozen=True)
class Fault:
    """One fault: when it starts (seconds into the workload), what it is, which instance it hits."""

    at_s: float
    kind: str
    instance: int = 0
    hold_s: float = 0.0  # how long the fault lasts before it is undone (the hang)

    @property
    def description(self) -> str:
        """What the fault does, in one line."""
        return DESCRIPTIONS[self.kind]


def build_schedule(
    topology: str, duration_s: float, *, instances: int = 2, hang_s: float = 8.0
) -> list[Fault]:
    """The faults of a run: spread evenly after a warm-up, the last leaving a fifth of the run to recover.

    ValueError for an unknown topology or a run too short to hold its faults.
    """
    if topology not in TOPOLOGIES:
        raise ValueError(f"topology {topology!r}: expected one of {', '.join(TOPOLOGIES)}")
    if duration_s < MIN_DURATION_S:
        raise ValueError(f"a fault run needs at least {MIN_DURATION_S:.0f} s, not {duration_s:g}")
    kinds = FAULTS_BY_TOPOLOGY[topology]
    window = duration_s * 0.8 - WARMUP_S
    step = window / len(kinds)
    faults = []
    for number, kind in enumerate(kinds):
        # The one-instance faults alternate instances, so the second hits the one the first spared.
        instance = number % instances if instances > 1 else 0
        hold = hang_s if kind == HANG else 0.0
        faults.append(
            Fault(at_s=round(WARMUP_S + number * step, 1), kind=kind, instance=instance, hold_s=hold)
        )
    return faults
