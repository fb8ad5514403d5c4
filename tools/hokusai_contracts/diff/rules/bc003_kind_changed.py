"""BC003: an object is now a different kind (a method became a property, a class a function, ...)."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import OBJECT_KIND_CHANGED

RULE = OBJECT_KIND_CHANGED

# Kind changes that keep every old use working (reported in a contract view only).
_SAFE = {
    (ObjectKind.METHOD, ObjectKind.CLASSMETHOD),
    (ObjectKind.METHOD, ObjectKind.STATICMETHOD),
    (ObjectKind.STATICMETHOD, ObjectKind.CLASSMETHOD),
    (ObjectKind.CLASSMETHOD, ObjectKind.STATICMETHOD),
}


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """The old and new kinds differ in a way old uses notice (in a contract view: in any way)."""
    if pair.old is None or pair.new is None or pair.old.kind is pair.new.kind:
        return []
    safe = (pair.old.kind, pair.new.kind) in _SAFE
    if safe and not context.contract_view:
        return []
    return [
        change(
            RULE,
            pair,
            f"{pair.old.path} was a {pair.old.kind.value} and is now a {pair.new.kind.value}",
            before=pair.old.kind.value,
            after=pair.new.kind.value,
            contract_only=safe,
        )
    ]
