"""BC012: the declared return type (of a property: its type) changed or was removed."""

from __future__ import annotations

from hokusai_contracts.contract.annotations import same_annotation
from hokusai_contracts.contract.model import CALLABLE_KINDS, ObjectKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import RETURN_ANNOTATION_CHANGED

RULE = RETURN_ANNOTATION_CHANGED

_KINDS = CALLABLE_KINDS | {ObjectKind.PROPERTY}
# A contract also records the type of attributes; a release diff compares their values instead (BC014).
_CONTRACT_KINDS = _KINDS | {ObjectKind.ATTRIBUTE}


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Annotated before, and now annotated differently or not at all."""
    old, new = pair.old, pair.new
    kinds = _CONTRACT_KINDS if context.contract_view else _KINDS
    if old is None or new is None or old.kind not in kinds or new.kind not in kinds or not old.returns:
        return []
    if same_annotation(old.returns, new.returns):
        return []
    now = f"-> {new.returns}" if new.returns else "no return annotation"
    return [
        change(
            RULE,
            pair,
            f"{pair.subject}: return annotation changed from -> {old.returns} to {now}",
            before=old.returns,
            after=new.returns,
            contract_only=old.kind not in _KINDS or new.kind not in _KINDS,
        )
    ]
