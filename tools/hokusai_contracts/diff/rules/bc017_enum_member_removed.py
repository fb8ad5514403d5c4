"""BC017: an enum lost a member."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change, is_enum
from hokusai_contracts.findings.catalogue.diff import ENUM_MEMBER_REMOVED

RULE = ENUM_MEMBER_REMOVED


# Only pairs with no new object can hold this change.
SHAPE = "removed"


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """A member attribute of an enum present before and gone now."""
    if pair.old is None or pair.new is not None or pair.owner is None or pair.owner.new is None:
        return []
    if not is_enum(pair.owner.old) or pair.old.kind is not ObjectKind.ATTRIBUTE:
        return []
    return [
        change(
            RULE,
            pair,
            f"enum {pair.owner.old.path} lost member {pair.old.name}",
            witness="import",
            import_paths=(pair.old.path,),
        )
    ]
