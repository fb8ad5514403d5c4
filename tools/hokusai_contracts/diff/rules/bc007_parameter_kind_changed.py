"""BC007: a parameter can no longer be passed the way the old signature allowed."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import KEYWORD, POSITIONAL, old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC007",
    name="parameter-kind-changed",
    title="parameter kind changed",
    explanation=(
        "A parameter binds more narrowly: positional-or-keyword became keyword-only (positional calls "
        "fail) or positional-only (keyword calls fail). Widening (keyword-only to positional-or-keyword) "
        "keeps every call working and is not reported."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Parameters that lost the positional or the keyword way of passing them."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    found = []
    for old, new in delta.same:
        lost_position = old.kind in POSITIONAL and new.kind not in POSITIONAL
        lost_keyword = old.kind in KEYWORD and new.kind not in KEYWORD
        if not (lost_position or lost_keyword):
            continue
        call = (
            old_call(delta.old, positional_through=old.name)
            if lost_position
            else old_call(delta.old, keyword=[old.name])
        )
        found.append(
            change(
                RULE,
                pair,
                f"{callable_name(pair)}: parameter {old.name!r} was {old.kind.value} and is now "
                f"{new.kind.value}",
                witness="bind",
                calls=(call,),
            )
        )
    return found
