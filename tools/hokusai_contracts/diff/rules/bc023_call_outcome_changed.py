"""BC023: the same call with no arguments behaves differently in the new release.

Both sides run OLD's zero-argument calls (``diff/probe_worker.py``, sandboxed, twice each). Outcomes are
compared only when both runs on each side agree, so nondeterministic output is no finding; what is
compared is what callers rely on: returned or raised, the exception's class against the old one's
(a subclass still satisfies ``except Old``), the returned value's shape, process-global state changed
and network attempts. Messages, timing and values themselves are not compared.
"""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import CALL_OUTCOME_CHANGED

RULE = CALL_OUTCOME_CHANGED
# What a comparison looks at; the rest (message, type name of a returned value) may vary freely.
_STABLE = ("outcome", "shape", "type", "env_changed", "tracking_uri_changed", "network")


def stable(runs: list[dict] | None) -> dict | None:
    """The outcome when both runs agree on what callers rely on, else None (nondeterministic)."""
    if not runs or len(runs) < 2:
        return None
    first, second = ({k: run.get(k) for k in _STABLE} for run in runs[:2])
    if first != second or runs[0].get("outcome") == "timeout":
        return None
    return runs[0]


def describe(outcome: dict) -> str:
    """One line: what the call did."""
    if outcome["outcome"] == "returned":
        text = f"returned a {outcome.get('type')} ({outcome.get('shape')})"
    else:
        message = (outcome.get("message") or "").splitlines()[0:1]
        text = f"raised {outcome.get('type')}" + (f": {message[0][:160]}" if message else "")
    extras = []
    if outcome.get("env_changed"):
        extras.append(f"changed environment variables {', '.join(outcome['env_changed'])}")
    if outcome.get("tracking_uri_changed"):
        extras.append("changed MLflow's global tracking URI")
    if outcome.get("network"):
        extras.append(f"tried to connect to {', '.join(outcome['network'])}")
    return text + (f"; {'; '.join(extras)}" if extras else "")


def differences(old: dict, new: dict) -> list[str]:
    """How ``new`` breaks code that relied on ``old``."""
    found = []
    if old["outcome"] == "returned" and new["outcome"] == "raised":
        found.append(f"it now raises {new.get('type')}")
    elif old["outcome"] == "raised" and new["outcome"] == "raised":
        if old.get("type") not in (new.get("mro") or []):
            found.append(f"it raises {new.get('type')}, not a subclass of {old.get('type')}")
    elif (
        old["outcome"] == "returned" and new["outcome"] == "returned" and old.get("shape") != new.get("shape")
    ):
        found.append(f"it returns a {new.get('shape')} instead of a {old.get('shape')}")
    added_env = sorted(set(new.get("env_changed") or []) - set(old.get("env_changed") or []))
    if added_env:
        found.append(f"it newly changes environment variables {', '.join(added_env)}")
    if new.get("tracking_uri_changed") and not old.get("tracking_uri_changed"):
        found.append("it newly changes MLflow's global tracking URI")
    added_network = sorted(set(new.get("network") or []) - set(old.get("network") or []))
    if added_network:
        found.append(f"it newly tries to connect to {', '.join(added_network)}")
    return found


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """OLD's zero-argument call of the object, compared between the sides' probes."""
    if pair.old is None or pair.new is None:
        return []
    before = stable(context.old_calls.get(pair.old.path))
    after = stable(context.new_calls.get(pair.old.path))
    if before is None or after is None:
        return []
    found = differences(before, after)
    if not found:
        return []
    details = f"OLD: {pair.old.path}() {describe(before)}\nNEW: {pair.old.path}() {describe(after)}"
    return [
        change(
            RULE,
            pair,
            f"{pair.old.path}() behaves differently: {'; '.join(found)}",
            details=details,
            before=describe(before),
            after=describe(after),
        )
    ]
