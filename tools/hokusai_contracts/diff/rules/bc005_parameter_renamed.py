"""BC005: a parameter has a new name at the same place and with the same kind."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import PARAMETER_RENAMED

RULE = PARAMETER_RENAMED


def renamed(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Renamed parameters that callers could pass by keyword."""
    for old, new in delta.renamed:
        yield Found(
            old.name,
            f"{name}: parameter {old.name!r} was renamed to {new.name!r}",
            before=old.name,
            after=new.name,
            call=old_call(delta.old, keyword=[old.name]),
        )


detect = parameter_detector(RULE, renamed)
