"""BC008: a parameter lost its default."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import PARAMETER_NOW_REQUIRED

RULE = PARAMETER_NOW_REQUIRED


def now_required(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Optional parameters that became required."""
    for old, new in delta.same:
        if not old.required and new.required:
            yield Found(
                old.name,
                f"{name}: parameter {old.name!r} is now required (its default was {old.default})",
                before=old.default,
                call=old_call(delta.old),
            )


detect = parameter_detector(RULE, now_required)
