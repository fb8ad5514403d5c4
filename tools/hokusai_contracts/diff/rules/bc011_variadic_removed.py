"""BC011: the signature lost its ``*args`` or ``**kwargs``."""

from __future__ import annotations

from collections.abc import Iterator

from hokusai_contracts.contract.model import CallForm, ParameterKind
from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import POSITIONAL, VARIADIC, ParameterDelta, old_call
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import VARIADIC_REMOVED

RULE = VARIADIC_REMOVED


def _extra_call(delta: ParameterDelta, kind: ParameterKind) -> CallForm:
    """An old call passing one extra argument of ``kind`` (extra positionals follow all positional ones)."""
    if kind is ParameterKind.VAR_KEYWORD:
        return old_call(delta.old, extra_kwargs=["extra_option"])
    positional = [p.name for p in delta.old if p.kind in POSITIONAL]
    return old_call(delta.old, positional_through=positional[-1] if positional else None, extra_args=1)


def variadic_removed(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """A var-positional or var-keyword parameter present before and gone now."""
    for parameter in delta.old:
        if parameter.kind in VARIADIC and not delta.new_has(parameter.kind):
            spelled = "*" if parameter.kind is ParameterKind.VAR_POSITIONAL else "**"
            yield Found(
                parameter.name,
                f"{name} no longer accepts {spelled}{parameter.name}",
                before=parameter.kind.value,
                call=_extra_call(delta, parameter.kind),
            )


detect = parameter_detector(RULE, variadic_removed)
