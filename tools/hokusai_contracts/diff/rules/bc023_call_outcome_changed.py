"""BC023: the same call behaves differently in the new release.

Both sides run OLD's calls (``diff/probe_worker.py``, sandboxed, twice each): zero-argument calls, and
calls synthesised from OLD's signatures and docstring examples (``diff/call_synthesis.py``). Outcomes are
compared only when both runs on each side agree, so nondeterministic output is no finding; what is
compared is what callers rely on: returned or raised, the exception's class against the old one's
(a subclass still satisfies ``except Old``), the returned value's shape, process-global state changed
and network attempts. Messages, timing and values themselves are not compared. A synthesised call
is held to less (:func:`synthesised_differences`): its input may be nothing the SDK promised to take.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair, is_public_path
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import CALL_OUTCOME_CHANGED

RULE = CALL_OUTCOME_CHANGED
# What a comparison looks at; the rest (message, type name of a returned value) may vary freely.
_STABLE = ("outcome", "shape", "type", "env_changed", "tracking_uri_changed", "network", "receiver", "steps")


# (old shape, new shape) where the new value still does what code did with the old one: a bool is an
# int; a list iterates like the generator it replaced (a faster implementation, not a break).
_STILL_SERVES = frozenset({("number", "bool"), ("iterator", "sequence")})


def _a(shape: object) -> str:
    return f"{'an' if str(shape)[:1] in 'aeiou' else 'a'} {shape}"


def _comparable(run: dict) -> dict:
    picked = {k: run.get(k) for k in _STABLE}
    if picked["steps"] is not None:  # an example: each statement's outcome, messages aside
        picked["steps"] = [{k: v for k, v in step.items() if k != "message"} for step in picked["steps"]]
    return picked


def stable(runs: list[dict] | None) -> dict | None:
    """The outcome when both runs agree on what callers rely on, else None (nondeterministic)."""
    if not runs or len(runs) < 2:
        return None
    first, second = (_comparable(run) for run in runs[:2])
    if first != second or runs[0].get("outcome") == "timeout":
        return None
    return runs[0]


def describe(outcome: dict) -> str:
    """One line: what the call did."""
    if outcome["outcome"] == "example":
        steps = outcome.get("steps") or [{}]
        last = steps[-1]
        if last.get("outcome") != "raised":
            return f"ran its {len(steps)} statements"
        return f"raised at `{last['source'].splitlines()[0]}`: " + describe(last)
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
        old["outcome"] == "returned"
        and new["outcome"] == "returned"
        and old.get("shape") != new.get("shape")
        and (old.get("shape"), new.get("shape")) not in _STILL_SERVES
    ):
        found.append(f"it returns {_a(new.get('shape'))} instead of {_a(old.get('shape'))}")
    added_env = sorted(set(new.get("env_changed") or []) - set(old.get("env_changed") or []))
    if added_env:
        found.append(f"it newly changes environment variables {', '.join(added_env)}")
    if new.get("tracking_uri_changed") and not old.get("tracking_uri_changed"):
        found.append("it newly changes MLflow's global tracking URI")
    added_network = sorted(set(new.get("network") or []) - set(old.get("network") or []))
    if added_network:
        found.append(f"it newly tries to connect to {', '.join(added_network)}")
    return found


# Exceptions that say the probe's input was out of the function's domain (a synthesised argument of
# the wrong kind): what NEW raises instead for that input is not compared.
_MISUSE = frozenset(
    f"builtins.{name}"
    for name in (
        "TypeError", "AttributeError", "NameError", "UnboundLocalError", "AssertionError",
        "NotImplementedError", "RecursionError",
    )
)  # fmt: skip


def plain_differences(old: dict, new: dict) -> list[str]:
    """:func:`differences` for a zero-argument call: an exception class change after OLD raised misuse
    (the call was broken in OLD already: AttributeError -> NotImplementedError) is no finding."""
    if old["outcome"] == new["outcome"] == "raised" and old.get("type") in _MISUSE:
        return [d for d in differences(old, new) if not d.startswith("it raises ")]
    return differences(old, new)


def synthesised_differences(old: dict, new: dict) -> list[str]:
    """:func:`differences` for a call OLD's signature or docstring suggested (not one the SDK
    promised): an input OLD rejected as misuse, an argument guessed from a parameter's name that NEW
    now refuses as misuse, or a value where OLD returned None, is no finding;
    nor is a method on an instance built differently, a call that no longer binds (the signature rules
    report that) or a name an example no longer finds (the removal rules do)."""
    if new["outcome"] not in ("returned", "raised", "example") or old.get("receiver") != new.get("receiver"):
        return []
    if old["outcome"] == "example" and new["outcome"] == "example":
        return example_differences(old, new)
    if old["outcome"] == "raised" and old.get("type") in _MISUSE:
        return []
    if old.get("guessed") and new["outcome"] == "raised" and new.get("type") in _MISUSE:
        return []  # the argument's type was a guess from its name: NEW may rightly refuse it now
    if old["outcome"] == "returned" and old.get("shape") == "None" and new["outcome"] == "returned":
        return [d for d in differences(old, new) if not d.startswith("it returns ")]
    return differences(old, new)


def example_differences(old: dict, new: dict) -> list[str]:
    """The first statement of an example whose outcome changed, in :func:`differences`' terms."""
    for before, after in zip(old.get("steps") or [], new.get("steps") or [], strict=False):
        if before.get("source") != after.get("source"):
            return []
        if after["outcome"] == "raised" and after.get("type") == "builtins.NameError" != before.get("type"):
            return []
        found = synthesised_differences(before, after)
        if found:
            return [f"`{after['source'].splitlines()[0]}`: {'; '.join(found)}"]
    return []


def call_text(key: str, outcome: dict) -> str:
    """The call as text: the path called with no arguments, or the probe's id with its receiver."""
    if "subject" not in outcome:
        return f"{key}()"
    receiver = outcome.get("receiver")
    return key.replace(key.split("(...)")[0] + "(...)", receiver, 1) if receiver and "(...)" in key else key


def probes_of(subjects: set[str], calls: Mapping[str, list[dict]]) -> list[str]:
    """The probes (paths or ids) reported under one of ``subjects``, in order."""
    return [key for key, runs in calls.items() if runs and runs[0].get("subject", key) in subjects]


def _first_kept_in(pair: ObjectPair, context: DiffContext) -> list[str]:
    # A module docstring's examples are reported at the module's first public object kept in NEW.
    if pair.owner is not None or pair.old is None:
        return []
    module = pair.old.path.rsplit(".", 1)[0]
    contracted = context.old.module(module)
    if contracted is None:
        return []
    kept = [o.path for o in contracted.objects if is_public_path(o.path) and context.new_index.find(o)]
    return [module] if min(kept, default=None) == pair.old.path else []


def _also(rest: list[tuple[str, list[str], dict, dict]]) -> str:
    if not rest:
        return ""
    shown = ", ".join(call_text(k, b) for k, _, b, _ in rest[:3])
    return f" (also {shown}" + (f" and {len(rest) - 3} more" if len(rest) > 3 else "") + ")"


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """OLD's calls of the object (and examples of its docstring), compared between the sides' probes."""
    if pair.old is None or pair.new is None:
        return []
    subjects = {pair.old.path, *_first_kept_in(pair, context)}
    evidence: list[tuple[str, list[str], dict, dict]] = []
    for key in probes_of(subjects, context.old_calls):
        before, after = stable(context.old_calls.get(key)), stable(context.new_calls.get(key))
        if before is None or after is None:
            continue
        found = (
            synthesised_differences(before, after)
            if "subject" in before
            else plain_differences(before, after)
        )
        if found:
            evidence.append((key, found, before, after))
    if not evidence:
        return []
    key, found, before, after = evidence[0]
    shown = call_text(key, before)
    details = "\n".join(
        f"OLD: {call_text(k, b)} {describe(b)}\nNEW: {call_text(k, b)} {describe(a)}"
        for k, _, b, a in evidence[:3]
    )
    if len(evidence) > 3:
        details += f"\n(and {len(evidence) - 3} more calls)"
    subject = before.get("subject", pair.old.path)
    result = change(
        RULE,
        pair,
        f"{shown} behaves differently: {'; '.join(found)}{_also(evidence[1:])}",
        details=details,
        before=describe(before),
        after=describe(after),
    )
    return [dataclasses.replace(result, subject=subject)] if subject != pair.old.path else [result]
