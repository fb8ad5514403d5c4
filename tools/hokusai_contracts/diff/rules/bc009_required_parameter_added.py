"""BC009: the new signature has a parameter without a default that the old one did not have."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC009",
    name="required-parameter-added",
    title="required parameter added",
    explanation=(
        "A new parameter without a default: every existing call that does not pass it fails with TypeError."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """New required parameters (renamed ones are BC005)."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    return [
        change(
            RULE,
            pair,
            f"{callable_name(pair)} has a new required parameter {new.name!r}",
            witness="bind",
            calls=(old_call(delta.old),),
        )
        for new in delta.added
        if new.required
    ]
