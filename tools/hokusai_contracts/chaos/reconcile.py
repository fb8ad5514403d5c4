"""Reconciling what each workload call reported against what the registry holds afterwards (pure).

A registration is identified by its ``chaos_call`` tag (one key per call). Lost: acknowledged (the SDK
returned a version) but no version carries the key. Duplicated: more than one version carries it (a
retry after a lost response created a second one). Applied despite an error: the SDK raised, yet the
version exists (honest, not lost: the caller was told it failed). Recovery after a fault: how long,
from the fault's start, calls kept failing (the end of the last failed call that started before the
next fault), 0 when none failed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hokusai_contracts.chaos.faults import FaultEvent


@dataclass(frozen=True)
class Call:
    """One workload call as the worker reported it."""

    worker: int
    seq: int
    op: str
    key: str
    started: float
    ended: float
    ok: bool
    version: str | None = None
    error: str = ""
    documented: bool = True
    message: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Call:
        """A call from a worker's JSON record."""
        return cls(
            worker=int(record["worker"]),
            seq=int(record["seq"]),
            op=str(record["op"]),
            key=str(record["key"]),
            started=float(record["started"]),
            ended=float(record["ended"]),
            ok=bool(record["ok"]),
            version=record.get("version"),
            error=str(record.get("error", "")),
            documented=bool(record.get("documented", True)),
            message=str(record.get("message", "")),
        )


@dataclass(frozen=True)
class Registration:
    """A model version in the registry, with its ``chaos_call`` key (None when it has none)."""

    model_name: str
    version: str
    key: str | None
    deleted: bool = False  # MLflow keeps a deleted version's row; it is no longer in the registry


@dataclass(frozen=True)
class Recovery:
    """One fault's effect seen by the workload."""

    kind: str
    instance: int
    at_s: float  # seconds after the workload started
    action_s: float  # how long the fault's action took (a restart: until healthy again)
    recovery_s: float  # how long calls kept failing after the fault started
    failed_calls: int
    error: str = ""
    detail: str = ""
    slowest_call_s: float = 0.0  # the longest call started in the fault's window (a hang shows here)


@dataclass
class Reconciliation:
    """Everything the run's figures come from."""

    calls: int = 0
    succeeded: int = 0
    registrations_acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: dict[str, int] = field(default_factory=dict)
    applied_despite_error: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    undocumented_errors: dict[str, int] = field(default_factory=dict)
    recoveries: list[Recovery] = field(default_factory=list)
    by_operation: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def availability(self) -> float:
        """The fraction of workload calls that succeeded (1.0 with no call)."""
        return self.succeeded / self.calls if self.calls else 1.0


def recoveries(calls: Sequence[Call], events: Sequence[FaultEvent], start: float) -> list[Recovery]:
    """Each fault's recovery: failures of calls started from its start until the next fault's."""
    ordered = sorted(events, key=lambda e: e.started)
    result = []
    for number, event in enumerate(ordered):
        until = ordered[number + 1].started if number + 1 < len(ordered) else float("inf")
        window = [c for c in calls if event.started <= c.started < until]
        failed = [c for c in window if not c.ok]
        last_failure = max((c.ended for c in failed), default=event.started)
        result.append(
            Recovery(
                kind=event.kind,
                instance=event.instance,
                at_s=round(event.started - start, 2),
                action_s=round(event.finished - event.started, 2),
                recovery_s=round(max(0.0, last_failure - event.started), 2),
                failed_calls=len(failed),
                error=event.error,
                detail=event.detail,
                slowest_call_s=round(max((c.ended - c.started for c in window), default=0.0), 2),
            )
        )
    return result


def reconcile(
    calls: Sequence[Call],
    registrations: Sequence[Registration],
    events: Sequence[FaultEvent] = (),
    start: float = 0.0,
) -> Reconciliation:
    """Compare the calls' reports with the registry's versions; the run's figures."""
    result = Reconciliation(calls=len(calls), succeeded=sum(c.ok for c in calls))
    versions_by_key = Counter(r.key for r in registrations if r.key)
    registrations_called = [c for c in calls if c.op == "register"]
    for call in registrations_called:
        found = versions_by_key.get(call.key, 0)
        if call.ok:
            result.registrations_acknowledged += 1
            if found == 0:
                result.lost.append(call.key)
        elif found:
            result.applied_despite_error.append(call.key)
        if found > 1:
            result.duplicated[call.key] = found
    for call in calls:
        counts = result.by_operation.setdefault(call.op, {"calls": 0, "succeeded": 0})
        counts["calls"] += 1
        counts["succeeded"] += call.ok
        if not call.ok:
            result.errors[call.error] = result.errors.get(call.error, 0) + 1
            if not call.documented:
                result.undocumented_errors[call.error] = result.undocumented_errors.get(call.error, 0) + 1
    result.recoveries = recoveries(calls, events, start)
    return result
