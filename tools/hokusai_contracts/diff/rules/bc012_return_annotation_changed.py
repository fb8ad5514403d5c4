"""BC012: the declared return type (of a property: its type) changed or was removed."""

from __future__ import annotations

from hokusai_contracts.contract.annotations import same_annotation
from hokusai_contracts.contract.model import CALLABLE_KINDS, ObjectKind
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC012",
    name="return-annotation-changed",
    title="return annotation changed or removed",
    explanation=(
        "The declared return type of a function or method (the type of a property) is different or gone: "
        "type-checked callers break, and the result may no longer support what they do with it. Spellings "
        "of the same type (Optional[str] and str | None) are the same."
    ),
    severity=Impact.POTENTIALLY_BREAKING,
    bump=Bump.MINOR,
)

_KINDS = CALLABLE_KINDS | {ObjectKind.PROPERTY}


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Annotated before, and now annotated differently or not at all."""
    old, new = pair.old, pair.new
    if old is None or new is None or old.kind not in _KINDS or new.kind not in _KINDS or not old.returns:
        return []
    if same_annotation(old.returns, new.returns):
        return []
    now = f"-> {new.returns}" if new.returns else "no return annotation"
    return [change(RULE, pair, f"{pair.subject}: return annotation changed from -> {old.returns} to {now}")]
