"""BC001: a public object (class, function, method, property, attribute) no longer exists."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change, is_enum

RULE = Rule(
    id="BC001",
    name="object-removed",
    title="object removed",
    explanation=(
        "A public class, function, method, property or attribute of the old release is gone from every "
        "path it was importable from: code using it fails with ImportError or AttributeError. Removing an "
        "object the old contract marked deprecated (lifecycle.deprecated_since) is reported but accepted."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


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
