"""BC019: the new signature accepts a parameter the old one did not, with a default (compatible)."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import VARIADIC, ParameterDelta
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import OPTIONAL_PARAMETER_ADDED

RULE = OPTIONAL_PARAMETER_ADDED


def added_optional(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """New optional parameters and new variadic parameters."""
    added = [p for p in delta.added if not p.required]
    added += [p for p in delta.new if p.kind in VARIADIC and not delta.old_has(p.kind)]
    for parameter in added:
        yield Found(parameter.name, f"{name} has a new optional parameter {parameter.name!r}")


detect = parameter_detector(RULE, added_optional)
