"""BC006: a parameter callers pass by position now stands at another position."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import POSITIONAL, ParameterDelta, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import POSITIONAL_PARAMETER_MOVED

RULE = POSITIONAL_PARAMETER_MOVED


def moved(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Parameters positional on both sides whose index among the positional ones changed."""
    old_positions = [p.name for p in delta.old if p.kind in POSITIONAL]
    new_positions = [p.name for p in delta.new if p.kind in POSITIONAL]
    for old, new in delta.same:
        if old.kind not in POSITIONAL or new.kind not in POSITIONAL:
            continue
        before, after = old_positions.index(old.name) + 1, new_positions.index(new.name) + 1
        if before != after:
            yield Found(
                old.name,
                f"{name}: positional parameter {old.name!r} moved from position {before} to {after}",
                before=str(before),
                after=str(after),
                call=old_call(delta.old, positional_through=old.name),
            )


detect = parameter_detector(RULE, moved)
