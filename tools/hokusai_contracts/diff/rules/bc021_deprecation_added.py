"""BC021: the new contract marks an object deprecated (compatible, announces a future removal)."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC021",
    name="deprecation-added",
    title="deprecation added",
    explanation=(
        "The new contract marks the object deprecated (lifecycle.deprecated_since): it still works, and "
        "a later major release may remove it without failing the gate. A minor release."
    ),
    severity=Impact.COMPATIBLE,
    bump=Bump.MINOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Deprecated in the new contract and not in the old one."""
    old, new = pair.old, pair.new
    if old is None or new is None or old.lifecycle.deprecated_since or not new.lifecycle.deprecated_since:
        return []
    replacement = f"; use {new.lifecycle.replacement}" if new.lifecycle.replacement else ""
    return [
        change(
            RULE, pair, f"{pair.subject} is deprecated since {new.lifecycle.deprecated_since}{replacement}"
        )
    ]
