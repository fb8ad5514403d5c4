"""BC010: a parameter's default value changed."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC010",
    name="default-changed",
    title="default changed",
    explanation=(
        "A parameter's default value changed: calls still bind, but those relying on the default now "
        "behave differently (e.g. a default that newly points at a remote server)."
    ),
    severity=Impact.POTENTIALLY_BREAKING,
    bump=Bump.MINOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Parameters optional on both sides whose default ``repr`` differs."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    return [
        change(
            RULE,
            pair,
            f"{callable_name(pair)}: default of {old.name!r} changed from {old.default} to {new.default}",
        )
        for old, new in delta.same
        if old.default is not None and new.default is not None and old.default != new.default
    ]
