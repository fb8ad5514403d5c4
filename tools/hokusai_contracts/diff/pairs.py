"""Pair every object of the old API with its counterpart in the new one (or None), on the public surface."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind
from hokusai_contracts.diff.index import ApiIndex

if TYPE_CHECKING:
    from hokusai_contracts.diff.package_probe import PackageFacts

_CLASS_KINDS = frozenset({ObjectKind.CLASS, ObjectKind.EXCEPTION})


@dataclass(frozen=True)
class ObjectPair:
    """An object of the old API and its counterpart in the new one; either side may be missing.

    ``owner`` is the pair of the enclosing classes, for members.
    """

    old: ApiObject | None
    new: ApiObject | None
    owner: ObjectPair | None = None

    @property
    def subject(self) -> str:
        """The path findings are reported under: the old path when there is one."""
        obj = self.old or self.new
        assert obj is not None
        return obj.path


@dataclass
class DiffContext:
    """Both APIs with look-up indexes, plus facts only an interpreter can give (attribute values).

    ``contract_view``: OLD is a committed contract and NEW the SDK it specifies (the signature gate).
    The rules then also report the differences a release diff forgives because old calls keep working
    (a parameter absorbed by ``**kwargs``, a widened kind or annotation, a new default, a method become a
    staticmethod, an export path now naming another object), marked ``Change.contract_only``.
    """

    old: Api
    new: Api
    old_values: Mapping[str, str] = field(default_factory=dict)
    new_values: Mapping[str, str] = field(default_factory=dict)
    contract_view: bool = False
    # Differential probes, read in each side's interpreter with OLD's questions (diff/probe_worker.py):
    # submodule -> {"bound": reachable right after `import <package>`, "declared": bound on purpose};
    # OLD call path -> its two outcomes.
    old_bound: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    new_bound: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    old_calls: Mapping[str, list[dict]] = field(default_factory=dict)
    new_calls: Mapping[str, list[dict]] = field(default_factory=dict)
    # OLD path of a click command / typer app -> {command path: {"params": [...]}} on each side.
    old_cli: Mapping[str, Mapping[str, dict]] = field(default_factory=dict)
    new_cli: Mapping[str, Mapping[str, dict]] = field(default_factory=dict)
    # The package as a whole on each side (diff/package_probe.py): requirements, imports, console scripts.
    old_package: PackageFacts | None = None
    new_package: PackageFacts | None = None
    old_index: ApiIndex = field(init=False)
    new_index: ApiIndex = field(init=False)
    # (pair, parameter delta) by pair id, shared by the rules; holding the pair keeps its id unique.
    deltas: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.old_index = ApiIndex.of(self.old)
        self.new_index = ApiIndex.of(self.new)


def is_public_path(path: str) -> bool:
    """True when no component of ``path`` is private (dunder names such as ``__call__`` are public)."""
    return not any(_private(part) for part in path.split("."))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_pairs(context: DiffContext, module: ApiModule) -> Iterator[ObjectPair]:
    """The pairs of one old module: each public object (matched or not), then its members, depth first."""
    for old in sorted(module.objects, key=lambda o: o.path):
        if is_public_path(old.path):
            yield from _with_members(ObjectPair(old, context.new_index.find(old)))


def object_pairs(context: DiffContext) -> Iterator[ObjectPair]:
    """Every pair to run the rules on: old objects (matched or not), then new objects nobody matched."""
    matched_new: set[int] = set()
    for module in sorted(context.old.modules, key=lambda m: m.name):
        for pair in module_pairs(context, module):
            if pair.owner is None and pair.new is not None:
                matched_new.add(id(pair.new))
            yield pair
    for module in sorted(context.new.modules, key=lambda m: m.name):
        for new in sorted(module.objects, key=lambda o: o.path):
            if id(new) not in matched_new and is_public_path(new.path):
                yield ObjectPair(None, new)


def _with_members(pair: ObjectPair) -> Iterator[ObjectPair]:
    yield pair
    old, new = pair.old, pair.new
    if old is None or new is None:
        return  # a removed class is one change, not one per member
    if old.kind is not new.kind and not {old.kind, new.kind} <= _CLASS_KINDS:
        return
    new_members = {m.name: m for m in new.members}
    old_names = set()
    for member in sorted(old.members, key=lambda m: m.name):
        if is_public_path(member.name):
            old_names.add(member.name)
            yield from _with_members(ObjectPair(member, new_members.get(member.name), pair))
    for name, member in sorted(new_members.items()):
        if name not in old_names and is_public_path(name):
            yield ObjectPair(None, member, pair)
