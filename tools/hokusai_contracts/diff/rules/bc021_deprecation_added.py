"""BC021: the new contract marks an object deprecated (compatible, announces a future removal)."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import DEPRECATION_ADDED

RULE = DEPRECATION_ADDED


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
