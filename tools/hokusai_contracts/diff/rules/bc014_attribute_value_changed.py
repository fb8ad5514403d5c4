"""BC014: a public constant has a different value (version strings excluded)."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC014",
    name="attribute-value-changed",
    title="attribute value changed",
    explanation=(
        "A public module or class attribute (a constant, an enum member) has another value: code comparing "
        "with it, storing it or relying on it behaves differently. Version strings (names containing "
        "'version') are expected to change and are not reported; a removed attribute is BC001. Needs "
        "both sides importable (a contract directory carries no values)."
    ),
    severity=Impact.POTENTIALLY_BREAKING,
    bump=Bump.MINOR,
)


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
