"""BC018: a call form of the old contract no longer binds to the new signature."""

from __future__ import annotations

from hokusai_contracts.contract.callforms import bind_error
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import CALLED_KINDS, change
from hokusai_contracts.findings.catalogue.diff import CALL_FORM_NO_LONGER_BINDS

RULE = CALL_FORM_NO_LONGER_BINDS


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
                    after=problem,
                )
            )
    return found
