"""The introspected API as docs-check asks it: does this path exist, does this class have this member,
what type does this annotation name. Built on the snippets cross-check's :class:`ApiIndex`.

Three answers, never two: found, missing (the model knows the whole namespace and the name is not in
it), unknown (a module that failed to import, a lazy ``__getattr__``, a base class from another package,
a private module). Only "missing" becomes a finding.
"""

from __future__ import annotations

import ast
import difflib
from collections import defaultdict
from dataclasses import dataclass, field

from hokusai_contracts.checks.docs_check.values import (
    BuiltinValue,
    InstanceValue,
    ModuleValue,
    ObjectValue,
    Value,
)
from hokusai_contracts.checks.snippets.crosscheck import ApiIndex
from hokusai_contracts.contract.model import Api, ApiObject, ObjectKind

CLASS_KINDS = (ObjectKind.CLASS, ObjectKind.EXCEPTION)
# Annotation names that mean "a value of this built-in kind" (``typing`` spellings included).
_BUILTIN_NAMES = {
    "None": "NoneType",
    "NoneType": "NoneType",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "str": "str",
    "bytes": "bytes",
    "complex": "complex",
    "list": "list",
    "List": "list",
    "tuple": "tuple",
    "Tuple": "tuple",
    "dict": "dict",
    "Dict": "dict",
    "set": "set",
    "Set": "set",
    "frozenset": "frozenset",
    "FrozenSet": "frozenset",
}
_ITERATORS = {
    "Iterator",
    "Iterable",
    "Generator",
    "Sequence",
    "Collection",
    "MutableSequence",
    "KeysView",
    "ValuesView",
    "ItemsView",
    "Reversible",
}
_ASYNC_ITERATORS = {"AsyncIterator", "AsyncIterable", "AsyncGenerator"}
_AWAITABLES = {"Awaitable", "Coroutine"}
# Bases from outside the package that add no public member: a class deriving from them stays fully known.
_EMPTY_BASES = frozenset({"abc.ABC", "ABC", "typing.Generic", "Generic"})


@dataclass(frozen=True)
class Missing:
    """A name the model knows is not there: what was asked, the closest names, and where it was looked."""

    name: str
    where: str
    choices: tuple[str, ...] = ()

    def closest(self) -> str | None:
        """The nearest existing name, if any is close."""
        found = difflib.get_close_matches(self.name, list(self.choices), n=1, cutoff=0.6)
        return found[0] if found else None


@dataclass(frozen=True)
class Unchecked:
    """A name that could not be checked because the module it lives in failed to import."""

    module: str
    error: str


def failed_modules(api: Api) -> dict[str, str]:
    """The modules whose import failed, with why (not those that imported with an ``__all__`` problem)."""
    imported = {module.name for module in api.modules}
    failed = {name: error for name, error in api.import_errors.items() if name not in imported}
    for name, missing in api.unimportable.items():
        error = failed.get(name) or api.import_errors.get(name, "")
        failed[name] = (
            f"missing dependency {missing!r}: {error}" if missing and missing not in error else error
        )
    return failed


@dataclass
class ApiView:
    """Look-ups on one introspected :class:`Api`."""

    api: Api
    index: ApiIndex = field(init=False)
    lazy_modules: set[str] = field(init=False)
    packages: set[str] = field(init=False)
    failed: dict[str, str] = field(init=False)
    module_names: dict[str, set[str]] = field(init=False)
    classes_by_name: dict[str, list[ApiObject]] = field(init=False)

    def __post_init__(self) -> None:
        self.index = ApiIndex.from_api(self.api)
        self.packages = {self.api.package, *(m.name.split(".")[0] for m in self.api.modules)}
        self.failed = failed_modules(self.api)
        self.lazy_modules = {m.name for m in self.api.modules if m.getattr_hook}
        self.module_names = {m.name: set(m.names) for m in self.api.modules if m.names is not None}
        self.classes_by_name = defaultdict(list)
        for obj in {id(o): o for o in self.index.objects.values()}.values():
            if obj.kind in CLASS_KINDS:
                self.classes_by_name[obj.name].append(obj)

    @property
    def package(self) -> str:
        """The SDK's top-level package."""
        return self.api.package

    def in_package(self, dotted: str) -> bool:
        """True for the SDK's top-level packages (one, or several read together) and anything under them."""
        return dotted.split(".")[0] in self.packages

    def import_error(self, path: str) -> Unchecked | None:
        """The failed import ``path`` depends on (the path itself, or a module above it)."""
        module = path
        while module:
            if module in self.failed:
                return Unchecked(module, self.failed[module])
            module = module.rpartition(".")[0]
        return None

    def resolve(self, path: str) -> Value | Missing | Unchecked | None:
        """``sdk.mod.Name``: a module, an object, missing, unchecked, or None (unknown: private, lazy)."""
        unchecked = self.import_error(path)
        if unchecked is not None:
            return unchecked
        if path in self.index.modules:
            return ModuleValue(path)
        obj = self.index.objects.get(path)
        if obj is not None:
            return ObjectValue(obj)
        parent, _, name = path.rpartition(".")
        if any(part.startswith("_") for part in path.split(".")) or parent in self.lazy_modules:
            return None
        if parent not in self.index.modules:
            return None  # asked about the member of something that is not a module: the caller decides
        if parent not in self.module_names or name in self.module_names[parent]:
            return None  # the module has it (a star import, a name left out of __all__), or it is not known
        choices = tuple(n for n in self.index.names_under(parent) if not n.startswith("_"))
        return Missing(name, f"module `{parent}`", choices)

    def complete(self, cls: ApiObject, seen: frozenset[str] = frozenset()) -> bool:
        """True when every member of ``cls`` is in the model: no dynamic ``__getattr__``, no foreign base."""
        if cls.kind is not ObjectKind.CLASS or cls.protocols is None or "__getattr__" in cls.protocols:
            return False
        for base in cls.bases:
            if base in _EMPTY_BASES:
                continue
            parent = self.index.objects.get(base)
            if parent is None or base in seen or not self.complete(parent, seen | {cls.path}):
                return False
        return True

    def member(self, cls: ApiObject, name: str) -> ApiObject | Missing | None:
        """The member ``name`` of class ``cls``; Missing only when the class's namespace is fully known."""
        found = self.index.member(cls, name)
        if found is not None:
            return found
        if name.startswith("__") or not self.complete(cls) or cls.names is None or name in cls.names:
            return None  # set by a method, inherited from outside the model, or not knowable
        choices = {m.name for m in cls.members}
        for base in cls.bases:
            parent = self.index.objects.get(base)
            if parent is not None:
                choices.update(m.name for m in parent.members)
        return Missing(name, f"`{cls.path}`", tuple(sorted(choices)))

    def value_of_annotation(self, text: str | None, owner: ApiObject | None = None) -> Value | None:
        """What a value annotated ``text`` is (an instance, a built-in kind), or None when not sure."""
        if not text:
            return None
        try:
            node = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            return None
        return self._annotation(node, owner)

    def _annotation(self, node: ast.expr, owner: ApiObject | None) -> Value | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.value_of_annotation(node.value, owner)
        if isinstance(node, ast.Constant) and node.value is None:
            return BuiltinValue("NoneType")
        if isinstance(node, ast.Subscript):
            base = _dotted(node.value)
            last = base.rsplit(".", 1)[-1] if base else ""
            arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            element = self._annotation(arguments[0], owner) if arguments else None
            if last in _BUILTIN_NAMES and _BUILTIN_NAMES[last] != "NoneType":
                return BuiltinValue(_BUILTIN_NAMES[last], element if last not in ("dict", "Dict") else None)
            if last in _ITERATORS:
                return BuiltinValue("iterator", element)
            if last in _ASYNC_ITERATORS:
                return BuiltinValue("async-iterator", element)
            if last in _AWAITABLES:
                result = self._annotation(arguments[-1], owner) if arguments else None
                return BuiltinValue("awaitable", result)
            return None  # Optional, Union, Literal, generics of the SDK: not sure
        dotted = _dotted(node)
        if dotted is None:
            return None  # X | None and other unions
        last = dotted.rsplit(".", 1)[-1]
        if last == "Self" and owner is not None:
            return InstanceValue(owner)
        if dotted in _BUILTIN_NAMES:
            return BuiltinValue(_BUILTIN_NAMES[dotted])
        obj = self.index.objects.get(dotted)
        if obj is None:
            candidates = self.classes_by_name.get(last, [])
            obj = candidates[0] if len(candidates) == 1 and "." not in dotted else None
        if obj is not None and obj.kind in CLASS_KINDS:
            return InstanceValue(obj)
        return None


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
