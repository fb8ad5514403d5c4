"""BC004: a parameter is gone, and no ``*args`` / ``**kwargs`` of the new signature takes its place."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta, absorbed, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import PARAMETER_REMOVED

RULE = PARAMETER_REMOVED


def removed(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Old parameters without a counterpart by name or by rename, not absorbed (in a contract view:
    absorbed ones too, since only ``*args`` / ``**kwargs`` still take them, with no guarantee of use)."""
    for parameter in delta.removed:
        kept = absorbed(parameter, delta)
        if kept and not context.contract_view:
            continue
        yield Found(
            parameter.name,
            f"{name} no longer has parameter {parameter.name!r}",
            before=parameter.kind.value,
            call=old_call(delta.old, keyword=[parameter.name]),
            contract_only=kept,
        )


detect = parameter_detector(RULE, removed)
