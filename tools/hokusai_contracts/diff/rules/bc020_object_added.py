"""BC020: a new public object (compatible)."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC020",
    name="object-added",
    title="object added",
    explanation=(
        "A new public class, function, method, property or attribute: a new feature, a minor release."
    ),
    severity=Impact.COMPATIBLE,
    bump=Bump.MINOR,
)


# Only pairs with no old object can hold this change.
SHAPE = "added"


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """A new object nobody in the old API matches."""
    if pair.old is not None or pair.new is None:
        return []
    return [change(RULE, pair, f"new {pair.new.kind.value} {pair.new.path}")]
