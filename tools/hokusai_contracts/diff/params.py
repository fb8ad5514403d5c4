"""Match the parameters of two signatures by name, and spot renames (same place and kind, new name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hokusai_contracts.contract.model import ApiObject, CallForm, ObjectKind, Parameter, ParameterKind

POSITIONAL = frozenset({ParameterKind.POSITIONAL_ONLY, ParameterKind.POSITIONAL_OR_KEYWORD})
KEYWORD = frozenset({ParameterKind.POSITIONAL_OR_KEYWORD, ParameterKind.KEYWORD_ONLY})
VARIADIC = frozenset({ParameterKind.VAR_POSITIONAL, ParameterKind.VAR_KEYWORD})
_BOUND_KINDS = frozenset({ObjectKind.METHOD, ObjectKind.CLASSMETHOD})


@dataclass(frozen=True)
class ParameterDelta:
    """How the parameters of one callable changed between two releases."""

    old: tuple[Parameter, ...]
    new: tuple[Parameter, ...]
    same: tuple[tuple[Parameter, Parameter], ...]
    renamed: tuple[tuple[Parameter, Parameter], ...]
    removed: tuple[Parameter, ...]
    added: tuple[Parameter, ...]

    def new_has(self, kind: ParameterKind) -> bool:
        """True when the new signature has a parameter of ``kind`` (e.g. ``**kwargs``)."""
        return any(p.kind is kind for p in self.new)

    def old_has(self, kind: ParameterKind) -> bool:
        """True when the old signature has a parameter of ``kind``."""
        return any(p.kind is kind for p in self.old)


def signature_of(obj: ApiObject) -> list[Parameter]:
    """The parameters a caller passes: a hand-written leading ``self`` / ``cls`` of a method is dropped.

    Introspected signatures never list it; contracts written by hand may.
    """
    parameters = list(obj.parameters or [])
    if (
        obj.kind in _BOUND_KINDS
        and parameters
        and parameters[0].name in ("self", "cls")
        and parameters[0].kind in POSITIONAL
    ):
        return parameters[1:]
    return parameters


def lost_styles(old: ParameterKind, new: ParameterKind) -> list[str]:
    """How callers could pass a parameter of kind ``old`` and no longer can: ``positional``, ``keyword``."""
    lost = []
    if old in POSITIONAL and new not in POSITIONAL:
        lost.append("positional")
    if old in KEYWORD and new not in KEYWORD:
        lost.append("keyword")
    return lost


def compare_parameters(old: Sequence[Parameter], new: Sequence[Parameter]) -> ParameterDelta:
    """Pair ``old`` and ``new`` parameters by name; an unpaired old one at the same index and kind as an
    unpaired new one is a rename (positional-only parameters have no name callers can use: never renamed).
    """
    new_by_name = {p.name: p for p in new if p.kind not in VARIADIC}
    old_names = {p.name for p in old}
    same, renamed, removed = [], [], []
    taken: set[str] = set()
    for index, parameter in enumerate(old):
        if parameter.kind in VARIADIC:
            continue
        if parameter.name in new_by_name:
            same.append((parameter, new_by_name[parameter.name]))
            taken.add(parameter.name)
            continue
        candidate = new[index] if index < len(new) else None
        if (
            candidate is not None
            and candidate.kind is parameter.kind
            and candidate.name not in old_names
            and candidate.name not in taken
        ):
            taken.add(candidate.name)
            if parameter.kind is not ParameterKind.POSITIONAL_ONLY:
                renamed.append((parameter, candidate))
            continue
        removed.append(parameter)
    added = [p for p in new if p.kind not in VARIADIC and p.name not in old_names and p.name not in taken]
    return ParameterDelta(tuple(old), tuple(new), tuple(same), tuple(renamed), tuple(removed), tuple(added))


def absorbed(parameter: Parameter, delta: ParameterDelta) -> bool:
    """True when a removed parameter's old uses still bind through the new ``*args`` / ``**kwargs``.

    A positional-or-keyword parameter needs ``**kwargs``, and ``*args`` too unless it was optional:
    optional parameters are passed by keyword by convention, so ``**kwargs`` alone absorbs them.
    """
    var_keyword = delta.new_has(ParameterKind.VAR_KEYWORD)
    var_positional = delta.new_has(ParameterKind.VAR_POSITIONAL)
    if parameter.kind is ParameterKind.KEYWORD_ONLY:
        return var_keyword
    if parameter.kind is ParameterKind.POSITIONAL_ONLY:
        return var_positional
    return var_keyword and (var_positional or parameter.default is not None)


def placeholder(name: str) -> str:
    """The value a witness passes for parameter ``name``; it tells where the argument landed."""
    return f"<{name}>"


def old_call(
    old: Sequence[Parameter],
    *,
    keyword: Sequence[str] = (),
    positional_through: str | None = None,
    skip: Sequence[str] = (),
    extra_args: int = 0,
    extra_kwargs: Sequence[str] = (),
) -> CallForm:
    """A call valid against the old signature: its required parameters, plus the ones a change is about.

    ``keyword`` parameters are passed by name; ``positional_through`` passes every positional
    parameter up to and including that one by position; ``skip`` leaves optional ones out.
    """
    args: list[str] = []
    kwargs: list[str] = []
    names = [p.name for p in old if p.kind in POSITIONAL]
    # Positional arguments fill parameters from the left: passing one by position passes all before it.
    wanted = [positional_through] if positional_through else []
    wanted += [p.name for p in old if p.name in keyword and p.kind is ParameterKind.POSITIONAL_ONLY]
    through = max((names.index(n) for n in wanted if n in names), default=None)
    positional_index = -1
    for parameter in old:
        if parameter.kind in VARIADIC or parameter.name in skip:
            continue
        if parameter.kind in POSITIONAL:
            positional_index += 1
            if through is not None and positional_index <= through:
                args.append(placeholder(parameter.name))
                continue
        if parameter.name in keyword:
            kwargs.append(parameter.name)
        elif parameter.required:
            if parameter.kind is ParameterKind.KEYWORD_ONLY:
                kwargs.append(parameter.name)
            else:
                args.append(placeholder(parameter.name))
    args.extend(placeholder(f"extra{i}") for i in range(extra_args))
    kwargs.extend(extra_kwargs)
    text = ", ".join([*args, *(f"{k}={placeholder(k)}" for k in kwargs)])
    return CallForm(text=f"({text})", args=tuple(args), kwargs=tuple(kwargs))
