"""BC006: a parameter callers pass by position now stands at another position."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import POSITIONAL, old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC006",
    name="positional-parameter-moved",
    title="positional parameter moved",
    explanation=(
        "Positional parameters were reordered, or one was inserted or removed before another: positional "
        "calls still bind, but their values now land in the wrong parameters. Keyword-only parameters can "
        "be reordered freely and are not reported."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Parameters positional on both sides whose index among the positional ones changed."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    old_positions = [p.name for p in delta.old if p.kind in POSITIONAL]
    new_positions = [p.name for p in delta.new if p.kind in POSITIONAL]
    found = []
    for old, new in delta.same:
        if old.kind not in POSITIONAL or new.kind not in POSITIONAL:
            continue
        before, after = old_positions.index(old.name), new_positions.index(new.name)
        if before != after:
            found.append(
                change(
                    RULE,
                    pair,
                    f"{callable_name(pair)}: positional parameter {old.name!r} moved from position "
                    f"{before + 1} to {after + 1}",
                    witness="bind",
                    calls=(old_call(delta.old, positional_through=old.name),),
                )
            )
    return found
