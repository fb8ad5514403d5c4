"""BC013: a parameter now accepts fewer types than it was declared to (widening is compatible)."""

from __future__ import annotations

import ast

from hokusai_contracts.contract.annotations import normalize_annotation
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import callable_name, change, parameter_delta

RULE = Rule(
    id="BC013",
    name="parameter-annotation-narrowed",
    title="parameter annotation narrowed",
    explanation=(
        "A parameter's declared type no longer includes a type it used to accept (str | None became str): "
        "type-checked callers passing that type break, and the SDK may reject such values. Widening "
        "(str became str | None) is compatible and not reported."
    ),
    severity=Impact.POTENTIALLY_BREAKING,
    bump=Bump.MINOR,
)

_ANYTHING = frozenset({"Any", "object"})


def union_members(annotation: str) -> set[str]:
    """The members of a (normalised) union annotation: ``str | None`` -> {"str", "None"}."""
    text = normalize_annotation(annotation)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return {text}
    members: list[ast.expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.BinOp) and isinstance(current.op, ast.BitOr):
            stack.extend([current.left, current.right])
        else:
            members.append(current)
    return {ast.unparse(m) for m in members}


def narrowed(old: str | None, new: str | None) -> list[str]:
    """The types ``old`` accepted that ``new`` does not (empty when the same or wider)."""
    if not old or not new:
        return []
    after = union_members(new)
    if after & _ANYTHING:
        return []
    return sorted(union_members(old) - after)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Parameters present on both sides whose annotation lost a union member."""
    delta = parameter_delta(pair, context)
    if delta is None:
        return []
    found = []
    for old, new in [*delta.same, *delta.renamed]:
        lost = narrowed(old.annotation, new.annotation)
        if lost:
            found.append(
                change(
                    RULE,
                    pair,
                    f"{callable_name(pair)}: parameter {new.name!r} narrowed from {old.annotation} to "
                    f"{new.annotation} (no longer accepts {', '.join(lost)})",
                )
            )
    return found
