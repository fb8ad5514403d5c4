"""BC015: a class no longer derives from one of its old bases."""

from __future__ import annotations

from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.index import ApiIndex
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import BASE_CLASS_REMOVED

RULE = BASE_CLASS_REMOVED

_CLASS_KINDS = frozenset({ObjectKind.CLASS, ObjectKind.EXCEPTION})


def _names(path: str, index: ApiIndex) -> set[str]:
    """Every name a base is known by: its paths, export paths and its bare name."""
    names = {path, path.rsplit(".", 1)[-1]}
    target = index.resolve(path)
    if target is not None:
        names.update([target.path, *target.export_paths])
    return names


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Old bases none of whose names appear among the new class's ancestors."""
    old, new = pair.old, pair.new
    if old is None or new is None or old.kind not in _CLASS_KINDS or new.kind not in _CLASS_KINDS:
        return []
    ancestors = context.new_index.ancestors(new)
    ancestors |= {name.rsplit(".", 1)[-1] for name in ancestors}
    return [
        change(RULE, pair, f"class {pair.subject} no longer derives from {base}", before=base)
        for base in old.bases
        if not _names(base, context.old_index) & ancestors
    ]
