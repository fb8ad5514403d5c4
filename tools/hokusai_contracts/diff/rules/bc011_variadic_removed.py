"""BC011: the signature lost its ``*args`` or ``**kwargs``."""

from __future__ import annotations

from hokusai_contracts.contract.model import CallForm, ParameterKind
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import POSITIONAL, VARIADIC, ParameterDelta, old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC011",
    name="variadic-removed",
    title="*args/**kwargs removed",
    explanation=(
        "The old signature accepted any extra positional (*args) or keyword (**kwargs) arguments and the "
        "new one does not: calls passing extra arguments fail with TypeError."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def _extra_call(delta: ParameterDelta, kind: ParameterKind) -> CallForm:
    """An old call passing one extra argument of ``kind`` (extra positionals follow all positional ones)."""
    if kind is ParameterKind.VAR_KEYWORD:
        return old_call(delta.old, extra_kwargs=["extra_option"])
    positional = [p.name for p in delta.old if p.kind in POSITIONAL]
    return old_call(delta.old, positional_through=positional[-1] if positional else None, extra_args=1)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """A var-positional or var-keyword parameter present before and gone now."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    return [
        change(
            RULE,
            pair,
            f"{callable_name(pair)} no longer accepts {spelled}{parameter.name}",
            witness="bind",
            calls=(_extra_call(delta, parameter.kind),),
        )
        for parameter, spelled in (
            (p, "*" if p.kind is ParameterKind.VAR_POSITIONAL else "**")
            for p in delta.old
            if p.kind in VARIADIC and not delta.new_has(p.kind)
        )
    ]
