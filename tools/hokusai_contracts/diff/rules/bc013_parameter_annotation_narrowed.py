"""BC013: a parameter now accepts fewer types than it was declared to (widening is compatible)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from hokusai_contracts.contract.annotations import normalize_annotation, same_annotation
from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.diff.params import ParameterDelta
from hokusai_contracts.diff.rules._common import Found, parameter_detector
from hokusai_contracts.findings.catalogue.diff import PARAMETER_ANNOTATION_NARROWED

RULE = PARAMETER_ANNOTATION_NARROWED

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
    """The types ``old`` accepted that ``new`` does not (empty when the same, wider, or not decidable).

    Narrowing is claimed only when every member of NEW's union was already a member of OLD's: a member
    OLD did not name may be a type alias (``QueryParamTypes``) or a supertype that still covers what OLD
    accepted, and an annotation is not evaluated here, so such a change is not claimed.
    """
    if not old or not new:
        return []
    before, after = union_members(old), union_members(new)
    if after & _ANYTHING or not after <= before:
        return []
    return sorted(before - after)


def annotation_narrowed(delta: ParameterDelta, name: str, context: DiffContext) -> Iterator[Found]:
    """Parameters present on both sides whose annotation lost a union member (in a contract view: whose
    annotation changed in any way; the contract's spelling of the same type is no change)."""
    for old, new in [*delta.same, *delta.renamed]:
        if context.contract_view and (not old.annotation or same_annotation(old.annotation, new.annotation)):
            continue
        lost = narrowed(old.annotation, new.annotation)
        if lost:
            message = (
                f"{name}: parameter {new.name!r} narrowed from {old.annotation} to {new.annotation} "
                f"(no longer accepts {', '.join(lost)})"
            )
        elif context.contract_view:
            now = new.annotation or "nothing"
            message = f"{name}: parameter {new.name!r} changed from {old.annotation} to {now}"
        else:
            continue
        yield Found(old.name, message, before=old.annotation, after=new.annotation, contract_only=not lost)


detect = parameter_detector(RULE, annotation_narrowed)
