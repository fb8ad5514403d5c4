"""BC002: an object still exists but is no longer importable from one of its old public paths."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC002",
    name="export-path-removed",
    title="export path removed",
    explanation=(
        "The object still exists, but `from <module> import <name>` no longer works for one of the paths "
        "the old release exported it from (e.g. dropped from a package's re-exports)."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Old export paths that the new object does not have."""
    if pair.old is None or pair.new is None or pair.owner is not None:
        return []
    kept = set(pair.new.export_paths) | {pair.new.path}
    gone = [p for p in pair.old.export_paths if p not in kept and not context.new_index.resolve(p)]
    return [
        change(
            RULE,
            pair,
            f"{pair.old.path} is no longer importable as {path}",
            witness="import",
            import_paths=(path,),
        )
        for path in gone
    ]
