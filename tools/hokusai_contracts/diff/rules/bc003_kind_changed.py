"""BC003: an object is now a different kind (a method became a property, a class a function, ...)."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC003",
    name="object-kind-changed",
    title="object kind changed",
    explanation=(
        "The object is now another kind of thing: a method became a property (calls fail), an exception a "
        "plain class (`except` fails), a class a function (isinstance fails). A method becoming a "
        "classmethod or staticmethod keeps instance calls working and is not reported."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)

# Kind changes that keep every old use working.
_SAFE = {
    (ObjectKind.METHOD, ObjectKind.CLASSMETHOD),
    (ObjectKind.METHOD, ObjectKind.STATICMETHOD),
    (ObjectKind.STATICMETHOD, ObjectKind.CLASSMETHOD),
    (ObjectKind.CLASSMETHOD, ObjectKind.STATICMETHOD),
}


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """The old and new kinds differ in a way old uses notice."""
    if pair.old is None or pair.new is None or pair.old.kind is pair.new.kind:
        return []
    if (pair.old.kind, pair.new.kind) in _SAFE:
        return []
    return [
        change(RULE, pair, f"{pair.old.path} was a {pair.old.kind.value} and is now a {pair.new.kind.value}")
    ]
