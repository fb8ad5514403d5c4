"""BC015: a class no longer derives from one of its old bases."""

from __future__ import annotations

from hokusai_contracts.checks.signatures.gate import ObservedIndex
from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.catalogue import Bump, Change, Impact, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change

RULE = Rule(
    id="BC015",
    name="base-class-removed",
    title="base class removed",
    explanation=(
        "A class lost a base class (directly or anywhere up its hierarchy): isinstance checks and "
        "`except Base:` clauses stop matching it, and inherited members may be gone. Moving a base to "
        "another module, or inserting a class between, is not a removal."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)

_CLASS_KINDS = frozenset({ObjectKind.CLASS, ObjectKind.EXCEPTION})


def _names(path: str, index: ObservedIndex) -> set[str]:
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
        change(RULE, pair, f"class {pair.subject} no longer derives from {base}")
        for base in old.bases
        if not _names(base, context.old_index) & ancestors
    ]
