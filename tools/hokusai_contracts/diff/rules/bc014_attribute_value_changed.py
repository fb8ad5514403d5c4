"""BC014: a public constant has a different value (version strings excluded)."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import ATTRIBUTE_VALUE_CHANGED

RULE = ATTRIBUTE_VALUE_CHANGED


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Attributes whose ``repr`` read in each side's interpreter differs."""
    old, new = pair.old, pair.new
    if old is None or new is None or ObjectKind.ATTRIBUTE not in (old.kind, new.kind):
        return []
    if "version" in old.name.lower():
        return []
    before, after = context.old_values.get(old.path), context.new_values.get(new.path)
    if before is None or after is None or before == after:
        return []
    return [change(RULE, pair, f"{pair.subject} changed value from {before} to {after}")]
