"""BC018: a call form of the old contract no longer binds to the new signature."""

from __future__ import annotations

from hokusai_contracts.contract.callforms import bind_error
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import CALLED_KINDS, change

RULE = Rule(
    id="BC018",
    name="call-form-no-longer-binds",
    title="call form no longer binds",
    explanation=(
        "The old release's contract documents a call (call_forms) that raises TypeError against the new "
        "signature: code written from the old documentation breaks, whatever the individual parameter "
        "changes are."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Old contract call forms that the new parameters cannot bind."""
    old, new = pair.old, pair.new
    if old is None or new is None or not old.call_forms or new.parameters is None:
        return []
    if new.kind not in CALLED_KINDS:
        return []
    found = []
    for form in old.call_forms:
        problem = bind_error(form, new.parameters)
        if problem:
            found.append(
                change(
                    RULE,
                    pair,
                    f"documented call {form.text} no longer binds: {problem}",
                    witness="bind",
                    calls=(form,),
                )
            )
    return found
