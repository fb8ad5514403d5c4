"""BC016: a callable documents another exception type than before, not derived from the old one."""

from __future__ import annotations

import builtins

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import DOCUMENTED_EXCEPTION_CHANGED

RULE = DOCUMENTED_EXCEPTION_CHANGED


def _ancestors(name: str, context: DiffContext) -> set[str]:
    """Bare names of exception ``name`` and of every class it derives from (new API, then builtins)."""
    bare = name.rsplit(".", 1)[-1]
    index = context.new_index
    target = index.resolve(name) or next((o for o in index.by_path.values() if o.name == bare), None)
    if target is not None:
        return {bare} | {n.rsplit(".", 1)[-1] for n in index.ancestors(target)}
    builtin = getattr(builtins, bare, None)
    if isinstance(builtin, type):
        return {klass.__name__ for klass in builtin.__mro__}
    return {bare}


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Old documented exceptions not covered by any exception the new docstring names."""
    old, new = pair.old, pair.new
    if old is None or new is None or not old.raises or not new.raises:
        return []
    covered: set[str] = set()
    for name in new.raises:
        covered |= _ancestors(name, context)
    lost = [name for name in old.raises if name.rsplit(".", 1)[-1] not in covered]
    if not lost:
        return []
    return [
        change(
            RULE,
            pair,
            f"{pair.subject} documented raising {', '.join(lost)} and now documents "
            f"{', '.join(new.raises)} instead",
        )
    ]
