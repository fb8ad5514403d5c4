"""BC009: the new signature has a parameter without a default that the old one did not have."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import REQUIRED_PARAMETER_ADDED

RULE = REQUIRED_PARAMETER_ADDED


def added_required(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """New required parameters (renamed ones are BC005)."""
    for new in delta.added:
        if new.required:
            yield Found(
                new.name, f"{name} has a new required parameter {new.name!r}", call=old_call(delta.old)
            )


detect = parameter_detector(RULE, added_required)
