"""BC019: the new signature accepts a parameter the old one did not, with a default (compatible)."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import VARIADIC
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC019",
    name="optional-parameter-added",
    title="optional parameter added",
    explanation=(
        "A new parameter with a default (or a new *args / **kwargs): old calls keep working and new code "
        "can use it. A new feature: a minor release."
    ),
    severity=Impact.COMPATIBLE,
    bump=Bump.MINOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """New optional parameters and new variadic parameters."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    added = [p for p in delta.added if not p.required]
    added += [p for p in delta.new if p.kind in VARIADIC and not delta.old_has(p.kind)]
    return [
        change(RULE, pair, f"{callable_name(pair)} has a new optional parameter {p.name!r}") for p in added
    ]
