"""BC007: a parameter can no longer be passed the way the old signature allowed."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta, lost_styles, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import PARAMETER_KIND_CHANGED

RULE = PARAMETER_KIND_CHANGED


def narrowed(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Parameters that lost the positional or the keyword way of passing them (in a contract view:
    widened ones too)."""
    for old, new in delta.same:
        lost = lost_styles(old.kind, new.kind)
        if old.kind is new.kind or not (lost or context.contract_view):
            continue
        if not lost:
            call = None
        elif "positional" in lost:
            call = old_call(delta.old, positional_through=old.name)
        else:
            call = old_call(delta.old, keyword=[old.name])
        yield Found(
            old.name,
            f"{name}: parameter {old.name!r} was {old.kind.value} and is now {new.kind.value}",
            before=old.kind.value,
            after=new.kind.value,
            call=call,
            contract_only=not lost,
        )


detect = parameter_detector(RULE, narrowed)
