"""BC020: a new public object (compatible)."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import OBJECT_ADDED

RULE = OBJECT_ADDED


# Only pairs with no old object can hold this change.
SHAPE = "added"


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """A new object nobody in the old API matches."""
    if pair.old is not None or pair.new is None:
        return []
    return [change(RULE, pair, f"new {pair.new.kind.value} {pair.new.path}")]
