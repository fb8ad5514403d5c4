"""BC011: the signature lost its ``*args`` or ``**kwargs``."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Impact, Rule
from hokusai_contracts.diff.params import old_call
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta
from hokusai_contracts.model import ParameterKind

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


def detect(pair, context):
    """A var-positional or var-keyword parameter present before and gone now."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    found = []
    for kind, spelled, call in (
        (ParameterKind.VAR_POSITIONAL, "*", dict(extra_args=1)),
        (ParameterKind.VAR_KEYWORD, "**", dict(extra_kwargs=["extra_option"])),
    ):
        if delta.old_has(kind) and not delta.new_has(kind):
            name = next(p.name for p in delta.old if p.kind is kind)
            positional = {"positional_through": None}
            if kind is ParameterKind.VAR_POSITIONAL:
                # Extra positional values follow every positional parameter.
                last = [p.name for p in delta.old if p.kind.value.startswith("positional")]
                positional = {"positional_through": last[-1] if last else None}
            found.append(
                change(
                    RULE,
                    pair,
                    f"{callable_name(pair)} no longer accepts {spelled}{name}",
                    witness="bind",
                    calls=(old_call(delta.old, **positional, **call),),
                )
            )
    return found
