"""BC004: a parameter is gone, and no ``*args`` / ``**kwargs`` of the new signature takes its place."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import absorbed, old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC004",
    name="parameter-removed",
    title="parameter removed",
    explanation=(
        "A parameter of the old signature no longer exists (and was not renamed in place): calls that "
        "pass it fail with TypeError. Not reported when the new signature absorbs it: **kwargs for a "
        "keyword (and for an optional positional-or-keyword parameter), *args for a positional-only one."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Old parameters without a counterpart by name or by rename, not absorbed."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    return [
        change(
            RULE,
            pair,
            f"{callable_name(pair)} no longer has parameter {parameter.name!r}",
            witness="bind",
            calls=(old_call(delta.old, keyword=[parameter.name]),),
        )
        for parameter in delta.removed
        if not absorbed(parameter, delta)
    ]
