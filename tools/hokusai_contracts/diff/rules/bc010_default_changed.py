"""BC010: a parameter's default value changed."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import DEFAULT_CHANGED

RULE = DEFAULT_CHANGED


def default_changed(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Parameters optional on both sides whose default ``repr`` differs (in a contract view: also a
    required parameter that gained a default, which old calls never notice)."""
    for old, new in delta.same:
        if old.default is not None and new.default is not None and old.default != new.default:
            yield Found(
                old.name,
                f"{name}: default of {old.name!r} changed from {old.default} to {new.default}",
                before=old.default,
                after=new.default,
            )
        elif context.contract_view and old.required and not new.required:
            yield Found(
                old.name,
                f"{name}: parameter {old.name!r} now has the default {new.default}",
                after=new.default,
                contract_only=True,
            )


detect = parameter_detector(RULE, default_changed)
