"""BC001: a public object (class, function, method, property, attribute) no longer exists."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change, is_enum
from hokusai_contracts.findings.catalogue.diff import OBJECT_REMOVED

RULE = OBJECT_REMOVED
# Only pairs with no new object can hold this change.
SHAPE = "removed"


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """The old object has no counterpart in the new API."""
    if pair.old is None or pair.new is not None:
        return []
    if pair.owner is not None and is_enum(pair.owner.old) and pair.old.kind is ObjectKind.ATTRIBUTE:
        return []  # an enum member: BC017
    paths = tuple(pair.old.export_paths) or (pair.old.path,)
    return [
        change(
            RULE,
            pair,
            f"{pair.old.kind.value} {pair.old.path} was removed",
            witness="import",
            import_paths=paths,
        )
    ]
