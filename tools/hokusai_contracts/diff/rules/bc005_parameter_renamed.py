"""BC005: a parameter has a new name at the same place and with the same kind."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC005",
    name="parameter-renamed",
    title="parameter renamed",
    explanation=(
        "A parameter kept its place and kind but changed its name: calls passing it by keyword fail with "
        "TypeError (unless a decorator still accepts the old name, which the runtime witness shows)."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Renamed parameters that callers could pass by keyword."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    return [
        change(
            RULE,
            pair,
            f"{callable_name(pair)}: parameter {old.name!r} was renamed to {new.name!r}",
            witness="bind",
            calls=(old_call(delta.old, keyword=[old.name]),),
        )
        for old, new in delta.renamed
    ]
