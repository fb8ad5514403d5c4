"""BC008: a parameter lost its default."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC008",
    name="parameter-now-required",
    title="parameter now required",
    explanation=(
        "A parameter that had a default no longer has one: calls that left it out fail with TypeError."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Optional parameters that became required."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    return [
        change(
            RULE,
            pair,
            f"{callable_name(pair)}: parameter {old.name!r} is now required (its default was {old.default})",
            witness="bind",
            calls=(old_call(delta.old),),
        )
        for old, new in delta.same
        if not old.required and new.required
    ]
