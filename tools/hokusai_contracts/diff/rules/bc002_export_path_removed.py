"""BC002: an object still exists but is no longer importable from one of its old public paths."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import EXPORT_PATH_REMOVED

RULE = EXPORT_PATH_REMOVED


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Old export paths that the new object does not have (and, in a contract view, that now name
    another object: a release diff leaves those to the witness, since the name still imports)."""
    if pair.old is None or pair.new is None or pair.owner is not None:
        return []
    kept = set(pair.new.export_paths) | {pair.new.path}
    found = []
    for path in pair.old.export_paths:
        if path in kept:
            continue
        other = context.new_index.resolve(path)
        if other is not None and not context.contract_view:
            continue
        found.append(
            change(
                RULE,
                pair,
                f"{pair.old.path} is no longer importable as {path}",
                witness="import",
                import_paths=(path,),
                before=path,
                after=other.path if other is not None else None,
                contract_only=other is not None,
            )
        )
    return found
