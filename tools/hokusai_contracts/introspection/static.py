"""Read a package's public API from its source files alone: ``ast`` only, nothing imported or run.

The static pass builds the same worker payload the import-based worker (``worker.py``) reports, so
:func:`build_api` places objects the same way: public modules found on disk as ``pkgutil`` finds them,
``__all__`` (or the names a module binds itself), re-exports followed through ``from .x import y`` and
star imports to their definition, classes with their bases, members (methods; static and class methods,
properties from their decorators; attributes; enum members), constructors (``__init__``/``__new__``, or
the one ``@dataclass`` and ``NamedTuple`` generate), parameters with kinds, defaults (the ``repr`` of a
literal, of a module constant it names, of an enum member) and annotations as written, and the exceptions
docstrings declare.

What it cannot see, by design (``tests/harness/test_static_introspection.py`` lists it): objects
re-exported from other distributions; names bound only by running code (a loop, ``setattr``,
``globals()``); names served only by a module ``__getattr__`` (unless an import in the hook, a
``TYPE_CHECKING`` import or a ``{"name": "module"}`` table names their home); signatures rewritten by
decorators (the def's own stands; click's ``@group``/``@command`` are known to make command objects);
defaults that are not literals, constants, enum members or standard-library objects (their source text
stands in for the ``repr``); annotations of modules without ``from __future__ import annotations``
(written text, where the import-based reader formats the evaluated type); what an external base class
contributes (its members and constructor; standard-library bases are read by importing the standard
library, never the package).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.contract.model import Api
from hokusai_contracts.introspection.build import build_api
from hokusai_contracts.introspection.worker import FORMAT, first_line, parse_raises, safe_repr

__all__ = ["StaticReader", "literal_values", "resolves", "static_api", "static_payload"]

_SCALARS = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)
_PROTOCOLS = ("__aenter__", "__aiter__", "__await__", "__call__", "__enter__", "__getattr__", "__getitem__")
_PROTOCOLS += ("__iter__",)
_ENUM_BASES = {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"}
_TYPING = ("typing.", "typing_extensions.")
_TYPING_FACTORIES = {"TypeVar", "ParamSpec", "TypeVarTuple", "NewType", "TypeAliasType"}
_PROPERTY_DECORATORS = {"property", "cached_property", "functools.cached_property", "abc.abstractproperty"}
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning", "Exit", "Interrupt")


def _builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


# -- what a name is bound to -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """A ``def`` or ``class`` statement of module ``module`` (``qualname`` within it)."""

    module: str
    qualname: str
    node: ast.AST


@dataclass(frozen=True)
class Value:
    """``name = value`` (or ``name: annotation = value``) at the top of module ``module``."""

    module: str
    name: str
    value: ast.expr | None
    annotation: ast.expr | None = None


@dataclass(frozen=True)
class ImportedName:
    """``from <module> import <name>``: resolved lazily (the module may import this one)."""

    module: str
    name: str


@dataclass(frozen=True)
class ModuleRef:
    """A name bound to a module (``import x``, ``from . import sub``)."""

    module: str


@dataclass(frozen=True)
class External:
    """Something defined outside the package (``from mlflow import X``): dotted import path."""

    path: str


Binding = Definition | Value | ImportedName | ModuleRef | External


@dataclass
class SourceModule:
    """One parsed module: its bindings in execution order (last wins), ``__all__``, docstring."""

    name: str
    file: Path
    is_package: bool
    tree: ast.Module | None = None
    error: str | None = None
    bindings: dict[str, Binding] = field(default_factory=dict)
    # Names bound only under ``if TYPE_CHECKING:`` (where lazy exports say their home).
    typing_only: dict[str, Binding] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    all_names: list[str] | None = None
    annotations: dict[str, ast.expr] = field(default_factory=dict)
    future_annotations: bool = False

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return _dotted(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _string_list(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return items if len(items) == len(node.elts) else None
    return None


class _Binder:
    """Collects a module's top-level bindings, statement by statement, as executing it would."""

    def __init__(self, module: SourceModule) -> None:
        self.module = module

    def absolute(self, level: int, name: str | None) -> str:
        """The absolute module name of ``from <level dots><name> import ...`` in this module."""
        base = self.module.package
        for _ in range(max(level - 1, 0)):
            base = base.rpartition(".")[0]
        if level == 0:
            return name or ""
        return f"{base}.{name}" if name else base

    def bind(self, statements: list[ast.stmt], into: dict[str, Binding]) -> None:
        """Record what ``statements`` bind into ``into`` (``__all__``, annotations on the module)."""
        module = self.module
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                into[node.name] = Definition(module.name, node.name, node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        if target.id == "__all__":
                            module.all_names = _string_list(node.value)
                        into[target.id] = Value(module.name, target.id, node.value)
                    else:
                        for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                            into[name] = Value(module.name, name, None)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                module.annotations[node.target.id] = node.annotation
                if node.value is not None:
                    if node.target.id == "__all__":
                        module.all_names = _string_list(node.value)
                    into[node.target.id] = Value(module.name, node.target.id, node.value, node.annotation)
            elif isinstance(node, ast.AugAssign) and _dotted(node.target) == "__all__":
                extra = _string_list(node.value)
                if module.all_names is not None and extra is not None:
                    module.all_names = [*module.all_names, *extra]
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._all_call(node.value)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node, into)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        into[alias.asname] = ModuleRef(alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        into[top] = ModuleRef(top)
            elif isinstance(node, ast.If):
                if _is_type_checking(node.test):
                    self.bind(node.body, module.typing_only)
                    self.bind(node.orelse, into)
                else:  # the branch taken is unknown: the first one wins (the usual, newer path)
                    self.bind(node.orelse, into)
                    self.bind(node.body, into)
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                for handler in node.handlers:
                    self.bind(handler.body, into)
                self.bind(node.body, into)
                self.bind(node.orelse, into)
                self.bind(node.finalbody, into)
            elif isinstance(node, ast.With):
                self.bind(node.body, into)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        into.pop(target.id, None)

    def _all_call(self, call: ast.Call) -> None:
        name = _dotted(call.func)
        if self.module.all_names is None or name not in ("__all__.extend", "__all__.append"):
            return
        if name == "__all__.extend" and call.args:
            extra = _string_list(call.args[0])
            if extra is not None:
                self.module.all_names = [*self.module.all_names, *extra]
        elif call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            self.module.all_names = [*self.module.all_names, call.args[0].value]

    def _import_from(self, node: ast.ImportFrom, into: dict[str, Binding]) -> None:
        source = self.absolute(node.level, node.module)
        if node.module == "__future__":
            self.module.future_annotations |= any(a.name == "annotations" for a in node.names)
        for alias in node.names:
            if alias.name == "*":
                self.module.star_imports.append(source)
                into[f"*{source}"] = ModuleRef(source)  # a marker: star names resolve in order later
                continue
            into[alias.asname or alias.name] = ImportedName(source, alias.name)


# -- the reader ----------------------------------------------------------------------------------------------


class StaticReader:
    """Reads package ``package`` from ``base`` (the directory holding ``<package>/``)."""

    def __init__(self, base: str | os.PathLike[str], package: str) -> None:
        self.base = Path(base)
        self.package = package
        self._modules: dict[str, SourceModule | None] = {}
        self.public: list[str] = []
        self.objects: dict[str, dict] = {}
        self.errors: list[dict] = []
        self._star_cache: dict[str, list[str]] = {}
        self._public_set: set[str] = set()
        # Classes are asked about again and again (members, MRO, bases): each answer is computed once.
        self._class_cache: dict[Definition, dict[str, Binding]] = {}
        self._mro_cache: dict[Definition, list[Definition]] = {}
        self._bases_cache: dict[Definition, list[Binding | None]] = {}
        self._assignments_cache: dict[int, dict[str, ast.expr | None]] = {}  # by id: the trees stay alive

    # -- finding and parsing modules --------------------------------------------------------------------

    def in_package(self, module: str) -> bool:
        """True for the package and its submodules."""
        return module == self.package or module.startswith(self.package + ".")

    def source(self, name: str) -> SourceModule | None:
        """The parsed module ``name`` of the package (None: not part of it, or no source file)."""
        if name in self._modules:
            return self._modules[name]
        found = None
        if self.in_package(name):
            path = self.base.joinpath(*name.split("."))
            if (path / "__init__.py").is_file():
                found = self._parse(name, path / "__init__.py", True)
            elif path.with_suffix(".py").is_file():
                found = self._parse(name, path.with_suffix(".py"), False)
        self._modules[name] = found
        return found

    def _parse(self, name: str, file: Path, is_package: bool) -> SourceModule:
        module = SourceModule(name, file, is_package)
        try:
            module.tree = ast.parse(file.read_bytes(), filename=str(file))
        except (SyntaxError, ValueError) as exc:
            module.error = f"{type(exc).__name__}: {exc}"
            return module
        _Binder(module).bind(module.tree.body, module.bindings)
        return module

    def walk_modules(self) -> list[str]:
        """The package and its public submodules, as the import-based walker finds them (sorted)."""
        found = [self.package]
        self._collect(self.package, self.base.joinpath(*self.package.split(".")), found)
        return sorted(found)

    def _collect(self, name: str, directory: Path, found: list[str]) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            return
        for entry in entries:
            stem = entry.name[:-3] if entry.name.endswith(".py") else entry.name
            if stem.startswith("_") or not stem.isidentifier():
                continue
            child = f"{name}.{stem}"
            if entry.is_dir() and (entry / "__init__.py").is_file():
                found.append(child)
                self._collect(child, entry, found)
            elif entry.is_file() and entry.name.endswith(".py") and not (directory / stem).is_dir():
                found.append(child)

    # -- resolving names ---------------------------------------------------------------------------------

    def lookup(self, module_name: str, name: str, depth: int = 0) -> Binding | None:
        """What ``module_name.name`` is at run time, followed through imports (None: unknown)."""
        if depth > 40:
            return None
        if not self.in_package(module_name):
            return External(f"{module_name}.{name}")
        module = self.source(module_name)
        if module is None or module.error:
            return None
        binding = self._own_binding(module, name)
        if binding is None and module.is_package and self.source(f"{module_name}.{name}") is not None:
            return ModuleRef(f"{module_name}.{name}")
        return self.follow(binding, depth)

    def _own_binding(self, module: SourceModule, name: str) -> Binding | None:
        binding = module.bindings.get(name)
        if binding is not None:
            return binding
        for source in reversed(module.star_imports):
            if name in self.star_names(source):
                return ImportedName(source, name)
        return None

    def follow(self, binding: Binding | None, depth: int = 0) -> Binding | None:
        """``binding`` resolved to a definition, value, module or external object."""
        if isinstance(binding, ImportedName):
            return self.lookup(binding.module, binding.name, depth + 1)
        if isinstance(binding, ModuleRef) and not self.in_package(binding.module):
            return External(binding.module)
        if isinstance(binding, Value) and isinstance(binding.value, (ast.Name, ast.Attribute)):
            # ``Alias = Original``: the same object under another name.
            target = self.resolve_expr(binding.module, binding.value, depth + 1)
            if isinstance(target, (Definition, ModuleRef, External)):
                return target
            if isinstance(target, Value) and not self.is_scalar_value(target):
                return target  # one object under two names (a scalar is keyed by each name instead)
        return binding

    def resolve_expr(self, module_name: str, node: ast.expr, depth: int = 0) -> Binding | None:
        """What a name or dotted attribute expression of ``module_name`` refers to."""
        dotted = _dotted(node)
        if dotted is None or depth > 40:
            return None
        head, *rest = dotted.split(".")
        target = self.lookup(module_name, head, depth)
        if target is None and hasattr(builtins, head):
            target = External(head)
        for part in rest:
            if isinstance(target, ModuleRef):
                target = self.lookup(target.module, part, depth + 1)
            elif isinstance(target, External):
                target = External(f"{target.path}.{part}")
            elif isinstance(target, Definition) and isinstance(target.node, ast.ClassDef):
                inner = self.class_bindings(target).get(part)
                target = inner
            else:
                return None
        return target

    def star_names(self, module_name: str) -> list[str]:
        """The names ``from <module_name> import *`` binds."""
        if module_name in self._star_cache:
            return self._star_cache[module_name]
        self._star_cache[module_name] = []  # an import cycle binds nothing more
        module = self.source(module_name)
        names: list[str] = []
        if module is not None and not module.error:
            if module.all_names is not None:
                names = list(module.all_names)
            else:
                names = [n for n in module.bindings if not n.startswith(("_", "*"))]
                for source in module.star_imports:
                    names += [n for n in self.star_names(source) if n not in names]
        self._star_cache[module_name] = names
        return names

    # -- classes -----------------------------------------------------------------------------------------

    def class_bindings(self, definition: Definition) -> dict[str, Binding]:
        """What a class body binds (its ``__dict__``), in order; property setters keep the property."""
        cached = self._class_cache.get(definition)
        if cached is None:
            cached = self._class_cache[definition] = self._class_bindings(definition)
        return cached

    def _class_bindings(self, definition: Definition) -> dict[str, Binding]:
        bound: dict[str, Binding] = {}
        node = definition.node
        assert isinstance(node, ast.ClassDef)

        def visit(statements: list[ast.stmt]) -> None:
            for child in statements:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if _is_overload(child):
                        continue
                    accessor = any(
                        (_dotted(d) or "").endswith((".setter", ".deleter")) for d in child.decorator_list
                    )
                    if accessor and child.name in bound:
                        continue
                    bound[child.name] = Definition(
                        definition.module, f"{definition.qualname}.{child.name}", child
                    )
                elif isinstance(child, ast.ClassDef):
                    bound[child.name] = Definition(
                        definition.module, f"{definition.qualname}.{child.name}", child
                    )
                elif isinstance(child, ast.Assign):
                    for target in child.targets:
                        if isinstance(target, ast.Name):
                            bound[target.id] = Value(definition.module, target.id, child.value)
                elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
                    if child.value is not None and not self._removed_field(definition, child.value):
                        bound[child.target.id] = Value(
                            definition.module, child.target.id, child.value, child.annotation
                        )
                elif isinstance(child, ast.If):
                    visit(child.orelse)
                    visit(child.body)
                elif isinstance(child, ast.Try):
                    visit(child.body)

        visit(node.body)
        return bound

    def _removed_field(self, definition: Definition, value: ast.expr) -> bool:
        """A dataclass ``field()`` without a ``default=``: dataclasses leave no class attribute."""
        if not self.dataclass_options(definition) or not isinstance(value, ast.Call):
            return False
        if (_dotted(value.func) or "").rsplit(".", 1)[-1] != "field":
            return False
        return not any(k.arg == "default" for k in value.keywords)

    def base_targets(self, definition: Definition) -> list[Binding | None]:
        """Each base of a class, resolved (``Generic[T]`` as ``Generic``)."""
        if definition in self._bases_cache:
            return self._bases_cache[definition]
        node = definition.node
        assert isinstance(node, ast.ClassDef)
        found = []
        for base in node.bases:
            expr = base.value if isinstance(base, ast.Subscript) else base
            found.append(self.resolve_expr(definition.module, expr))
        self._bases_cache[definition] = found
        return found

    def mro(self, definition: Definition) -> list[Definition]:
        """The package classes of ``definition``'s MRO (C3 over them; external bases left out)."""
        cached = self._mro_cache.get(definition)
        if cached is None:
            cached = self._mro_cache[definition] = self._mro(definition)
        return cached

    def _mro(self, definition: Definition) -> list[Definition]:

        def linear(d: Definition, seen: frozenset) -> list[Definition]:
            if d in seen:
                return [d]
            parents = [b for b in self.base_targets(d) if _is_class(b)]
            sequences = [linear(p, seen | {d}) for p in parents] + [list(parents)]
            result = [d]
            while any(sequences):
                for sequence in sequences:
                    if not sequence:
                        continue
                    head = sequence[0]
                    if not any(head in s[1:] for s in sequences):
                        break
                else:
                    head = next(s[0] for s in sequences if s)  # inconsistent: Python would refuse
                result.append(head)
                sequences = [s[1:] if s and s[0] == head else s for s in sequences]
            return result

        return linear(definition, frozenset())

    def external_bases(self, definition: Definition) -> list[str]:
        """Dotted names of the bases from outside the package, anywhere in the package MRO."""
        names: list[str] = []
        for klass in self.mro(definition):
            for base in self.base_targets(klass):
                if isinstance(base, External) and base.path not in names:
                    names.append(base.path)
        return names

    def stdlib_mro(self, definition: Definition) -> list[type]:
        """The MRO of the standard-library bases (``Exception``, ``enum.Enum``): the standard library
        may be imported to read them, the package never is."""
        found: list[type] = []
        for name in self.external_bases(definition):
            klass = _stdlib_object(name if "." in name else f"builtins.{name}")
            if isinstance(klass, type):
                found += [k for k in klass.__mro__ if k not in found and k is not object]
        return found

    def is_enum(self, definition: Definition) -> bool:
        """True when an ``enum`` class is among the bases."""
        return any(name in _ENUM_BASES for name in self.external_bases(definition))

    def is_exception(self, definition: Definition) -> bool:
        """True when the class derives from an exception (builtin, or named like one)."""
        for name in self.external_bases(definition):
            last = name.rsplit(".", 1)[-1]
            if _builtin_exception(last) or last.endswith(_EXCEPTION_SUFFIXES):
                return True
        return False

    def dataclass_options(self, definition: Definition) -> dict[str, bool] | None:
        """The options of a ``@dataclass`` decorator (None: not a dataclass)."""
        node = definition.node
        assert isinstance(node, ast.ClassDef)
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            name = _dotted(call.func if call else decorator) or ""
            if name.rsplit(".", 1)[-1] != "dataclass":
                continue
            options = {"init": True, "kw_only": False}
            for keyword in call.keywords if call else []:
                if keyword.arg in options and isinstance(keyword.value, ast.Constant):
                    options[keyword.arg] = bool(keyword.value.value)
            return options
        return None

    def is_named_tuple(self, definition: Definition) -> bool:
        """True for a ``typing.NamedTuple`` class."""
        return any(
            isinstance(b, External) and b.path.endswith("NamedTuple") for b in self.base_targets(definition)
        )

    # -- descriptions ------------------------------------------------------------------------------------

    def describe_function(self, definition: Definition, *, drop_first: bool = False) -> dict:
        """Summary, parameters, return annotation, raises and async-ness of a ``def``."""
        node = definition.node
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        doc = ast.get_docstring(node, clean=False)
        module = self.source(definition.module)
        parameters = self.parameters(node.args, module, drop_first=drop_first)
        asynchronous = None
        if isinstance(node, ast.AsyncFunctionDef):
            asynchronous = "asyncgen" if _yields(node) else "coroutine"
        return {
            "summary": first_line(doc),
            "parameters": parameters,
            "returns": self.annotation(node.returns, module),
            "raises": parse_raises(doc),
            "asynchronous": asynchronous,
        }

    def parameters(self, args: ast.arguments, module: SourceModule | None, *, drop_first: bool) -> list[dict]:
        """The parameters of an ``ast.arguments`` as the worker reports them."""
        positional = [(a, "positional_only") for a in args.posonlyargs]
        positional += [(a, "positional_or_keyword") for a in args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(
            args.defaults
        )
        items: list[tuple[ast.arg, str, ast.expr | None]] = [
            (a, kind, d) for (a, kind), d in zip(positional, defaults, strict=True)
        ]
        if drop_first and items:
            items = items[1:]
        if args.vararg is not None:
            items.append((args.vararg, "var_positional", None))
        items += [(a, "keyword_only", d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
        if args.kwarg is not None:
            items.append((args.kwarg, "var_keyword", None))
        return [
            {
                "name": a.arg,
                "kind": kind,
                "default": None if d is None else self.default_repr(d, module),
                "annotation": self.annotation(a.annotation, module),
            }
            for a, kind, d in items
        ]

    def annotation(self, node: ast.expr | None, module: SourceModule | None) -> str | None:
        """An annotation's text: as written (a string annotation's content when not postponed)."""
        if node is None:
            return None
        postponed = module is not None and module.future_annotations
        if not postponed and isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return ast.unparse(node)

    def default_repr(self, node: ast.expr, module: SourceModule | None, depth: int = 0) -> str:
        """The ``repr`` a default has at run time when the source says it; else the source text."""
        try:
            return repr(ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        if module is not None and depth < 5 and isinstance(node, (ast.Name, ast.Attribute)):
            member = self._enum_member(module.name, node)
            if member is not None:
                return member
            target = self.resolve_expr(module.name, node)
            if isinstance(target, External):
                return _stdlib_repr(target.path) or ast.unparse(node)
            if isinstance(target, Value) and target.value is not None:
                return self.default_repr(target.value, self.source(target.module), depth + 1)
            if isinstance(target, Definition):
                if isinstance(target.node, ast.ClassDef):
                    return f"<class '{target.module}.{target.qualname}'>"
                return f"<function {target.qualname}>"
        return ast.unparse(node)

    def _enum_member(self, module_name: str, node: ast.expr) -> str | None:
        if not isinstance(node, ast.Attribute):
            return None
        owner = self.resolve_expr(module_name, node.value)
        if not (_is_class(owner) and self.is_enum(owner)):
            return None
        value = self.class_bindings(owner).get(node.attr)
        if not isinstance(value, Value) or value.value is None:
            return None
        try:
            literal = ast.literal_eval(value.value)
        except (ValueError, TypeError, SyntaxError):
            return None
        return f"<{owner.qualname}.{node.attr}: {literal!r}>"

    def value_type(self, binding: Value, *, declared: bool = True) -> str | None:
        """The declared type of an attribute, else the type of its value when the source shows it."""
        module = self.source(binding.module)
        if declared and binding.annotation is not None:
            return self.annotation(binding.annotation, module)
        node = binding.value
        if node is None:
            return None
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = ...
        if value is not ...:
            return "NoneType" if value is None else type(value).__name__
        left = node.left if isinstance(node, ast.BinOp) else None
        if isinstance(left, ast.JoinedStr) or (
            isinstance(left, ast.Constant) and isinstance(left.value, str)
        ):
            return "str"  # "..." % args, f"..." + "..."
        displays = {ast.Dict: "dict", ast.DictComp: "dict", ast.List: "list", ast.ListComp: "list"}
        displays.update({ast.Set: "set", ast.SetComp: "set", ast.JoinedStr: "str", ast.Lambda: "function"})
        if type(node) in displays:
            return displays[type(node)]
        if isinstance(node, ast.Call):
            target = self.resolve_expr(binding.module, node.func)
            if _is_class(target):
                return f"{target.module}.{target.qualname}"
            if isinstance(target, External) and target.path in {"dict", "list", "set", "frozenset", "tuple"}:
                return target.path
        return None

    def is_scalar_value(self, binding: Value) -> bool:
        """True when the value is a literal of a type without identity worth tracking."""
        if binding.value is None:
            return False
        try:
            return isinstance(ast.literal_eval(binding.value), _SCALARS)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return isinstance(binding.value, ast.JoinedStr)

    def is_typing_value(self, binding: Value) -> bool:
        """``T = TypeVar("T")``, ``Alias = Optional[int]``: typing objects, not API attributes."""
        node = binding.value
        if isinstance(node, ast.Call):
            target = self.resolve_expr(binding.module, node.func)
            return isinstance(target, External) and target.path.rsplit(".", 1)[-1] in _TYPING_FACTORIES
        if isinstance(node, ast.Subscript):
            target = self.resolve_expr(binding.module, node.value)
            return isinstance(target, External) and target.path.startswith(_TYPING)
        if isinstance(node, (ast.Name, ast.Attribute)):
            target = self.resolve_expr(binding.module, node)
            return isinstance(target, External) and target.path.startswith(_TYPING)
        return False

    def describe_class(self, definition: Definition) -> dict:
        """A class as the worker describes it: summary, bases, members, constructor, protocols, names."""
        node = definition.node
        assert isinstance(node, ast.ClassDef)
        mro = self.mro(definition)
        summary = first_line(ast.get_docstring(node, clean=False))
        record: dict = {
            "summary": summary,
            "bases": self.public_bases(definition),
            "raises": [],
            "returns": None,
            "members": self.describe_members(definition, mro),
            "abstract": self.is_abstract(mro),
            "protocols": [
                name
                for name in _PROTOCOLS
                if any(name in self.class_bindings(k) for k in mro)
                or any(name in vars(k) for k in self.stdlib_mro(definition))
            ],
            "names": self.attribute_names(definition, mro),
            "asynchronous": None,
        }
        record["parameters"] = self.constructor(definition, mro)
        return record

    def public_bases(self, definition: Definition) -> list[str]:
        """Dotted names of the visible bases (a private base is replaced by its own bases)."""
        bases: list[str] = []
        for target in self.base_targets(definition):
            if _is_class(target):
                name = f"{target.module}.{target.qualname}"
                if any(part.startswith("_") for part in target.qualname.split(".")):
                    bases.extend(b for b in self.public_bases(target) if b not in bases)
                    continue
            elif isinstance(target, External):
                name = target.path.removeprefix("builtins.")
                if name == "object":
                    continue
            else:
                continue
            if name not in bases:
                bases.append(name)
        return bases

    def is_abstract(self, mro: list[Definition]) -> bool:
        """True when an ``@abstractmethod`` of the MRO is not overridden by a concrete one."""
        seen: set[str] = set()
        for klass in mro:
            for name, binding in self.class_bindings(klass).items():
                if name in seen:
                    continue
                seen.add(name)
                if isinstance(binding, Definition) and any(
                    (_dotted(d) or "").endswith("abstractmethod") for d in _decorators(binding.node)
                ):
                    return True
        return False

    def constructor(self, definition: Definition, mro: list[Definition]) -> list[dict] | None:
        """The class's call parameters, when a package class of its MRO defines the constructor."""
        if self.is_enum(definition):
            return None
        for klass in mro:
            bound = self.class_bindings(klass)
            for name in ("__new__", "__init__"):
                target = bound.get(name)
                if isinstance(target, Definition) and isinstance(
                    target.node, (ast.FunctionDef, ast.AsyncFunctionDef)
                ):
                    # inspect.signature takes the first of __new__ / __init__ along the MRO.
                    return self.describe_function(target, drop_first=True)["parameters"]
            options = self.dataclass_options(klass)
            if (options and options["init"]) or self.is_named_tuple(klass):
                return self.generated_init(klass, mro)
        return None

    def generated_init(self, definition: Definition, mro: list[Definition]) -> list[dict]:
        """The ``__init__`` a dataclass (or ``__new__`` a NamedTuple) generates from its fields."""
        fields: dict[str, dict] = {}
        for klass in reversed(mro[mro.index(definition) :]):
            options = self.dataclass_options(klass)
            named_tuple = self.is_named_tuple(klass)
            if options is None and not named_tuple:
                continue
            kw_only = bool(options and options["kw_only"])
            module = self.source(klass.module)
            node = klass.node
            assert isinstance(node, ast.ClassDef)
            for child in node.body:
                if not (isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name)):
                    continue
                annotation = self.annotation(child.annotation, module)
                written = ast.unparse(child.annotation)
                if "ClassVar" in written:
                    continue
                if written.rsplit(".", 1)[-1] == "KW_ONLY":
                    kw_only = True
                    continue
                default, init, field_kw_only = self._field_default(child.value, module)
                if not init:
                    fields.pop(child.target.id, None)
                    continue
                fields[child.target.id] = {
                    "name": child.target.id,
                    "kind": "keyword_only"
                    if (field_kw_only if field_kw_only is not None else kw_only)
                    else "positional_or_keyword",
                    "default": default,
                    "annotation": annotation,
                }
        ordered = [f for f in fields.values() if f["kind"] != "keyword_only"]
        return ordered + [f for f in fields.values() if f["kind"] == "keyword_only"]

    def _field_default(
        self, value: ast.expr | None, module: SourceModule | None
    ) -> tuple[str | None, bool, bool | None]:
        """(default repr, in __init__, kw_only) of a dataclass field's right-hand side."""
        if value is None:
            return None, True, None
        if isinstance(value, ast.Call) and (_dotted(value.func) or "").rsplit(".", 1)[-1] == "field":
            keywords = {k.arg: k.value for k in value.keywords if k.arg}
            init = keywords.get("init")
            in_init = not (isinstance(init, ast.Constant) and init.value is False)
            kw = keywords.get("kw_only")
            kw_only = bool(kw.value) if isinstance(kw, ast.Constant) else None
            if "default" in keywords:
                return self.default_repr(keywords["default"], module), in_init, kw_only
            if "default_factory" in keywords:
                return "<factory>", in_init, kw_only
            return None, in_init, kw_only
        return self.default_repr(value, module), True, None

    def describe_members(self, definition: Definition, mro: list[Definition]) -> list[dict]:
        """Public methods, properties, nested classes and attributes of the class and its package bases."""
        owners: dict[str, Definition] = {}
        for klass in mro:
            for name in self.class_bindings(klass):
                owners.setdefault(name, klass)
        enum = self.is_enum(definition)
        members = []
        for name in sorted(owners):
            if name.startswith("_") and name != "__call__":
                continue
            owner = owners[name]
            member = self.describe_member(owner, name, self.class_bindings(owner)[name], enum)
            if member is not None:
                members.append(member)
        members += self.instance_attributes(mro, set(owners))
        members.sort(key=lambda m: m["name"])
        return members

    def describe_member(self, owner: Definition, name: str, raw: Binding, enum: bool) -> dict | None:
        """One member, from what the owner's class body binds to ``name``."""
        record: dict = {"name": name}
        if isinstance(raw, Definition) and isinstance(raw.node, ast.ClassDef):
            record["kind"] = "exception" if self.is_exception(raw) else "class"
            record.update(self.describe_class(raw))
            return record
        if isinstance(raw, Definition):
            decorators = {(_dotted(d) or "") for d in _decorators(raw.node)}
            if decorators & {"staticmethod"}:
                record.update(kind="staticmethod", **self.describe_function(raw))
            elif decorators & {"classmethod"}:
                record.update(kind="classmethod", **self.describe_function(raw, drop_first=True))
            elif decorators & _PROPERTY_DECORATORS:
                described = self.describe_function(raw)
                record.update(
                    kind="property",
                    summary=described["summary"],
                    parameters=None,
                    raises=described["raises"],
                    returns=described["returns"],
                )
            else:
                record.update(kind="method", **self.describe_function(raw, drop_first=True))
            return record
        if isinstance(raw, Value) and isinstance(raw.value, ast.Name):
            alias = self.class_bindings(owner).get(raw.value.id)
            if isinstance(alias, Definition):  # ``get_headers = headers``: the same function
                return self.describe_member(owner, name, alias, enum)
        if isinstance(raw, Value):
            module = self.source(owner.module)
            annotation = self._class_annotations(owner).get(name)
            record.update(kind="attribute", summary=None, parameters=None)
            if enum or (raw.value is not None and self._enum_member(owner.module, raw.value)):
                record["returns"] = None
            elif annotation is not None:
                record["returns"] = self.annotation(annotation, module)
            else:
                record["returns"] = self.value_type(raw)
            return record
        return None

    def _class_annotations(self, definition: Definition) -> dict[str, ast.expr]:
        node = definition.node
        assert isinstance(node, ast.ClassDef)
        return {
            c.target.id: c.annotation
            for c in node.body
            if isinstance(c, ast.AnnAssign) and isinstance(c.target, ast.Name)
        }

    def instance_attributes(self, mro: list[Definition], seen: set[str]) -> list[dict]:
        """Annotated fields and ``self.x =`` targets of ``__init__``, not bound in a class body."""
        found: dict[str, str | None] = {}
        for klass in reversed(mro):
            module = self.source(klass.module)
            for name, annotation in self._class_annotations(klass).items():
                found[name] = self.annotation(annotation, module)
            init = self.class_bindings(klass).get("__init__")
            if isinstance(init, Definition):
                for name, annotation in self.self_assignments(init.node).items():
                    found.setdefault(name, self.annotation(annotation, module))
        return [
            {"name": name, "kind": "attribute", "summary": None, "parameters": None, "returns": annotation}
            for name, annotation in sorted(found.items())
            if not name.startswith("_") and name not in seen
        ]

    def self_assignments(self, node: ast.AST) -> dict[str, ast.expr | None]:
        """``self.<name>`` targets of a function or class (computed once per node)."""
        key = id(node)
        if key not in self._assignments_cache:
            self._assignments_cache[key] = _self_assignments(node)
        return self._assignments_cache[key]

    def attribute_names(self, definition: Definition, mro: list[Definition]) -> list[str]:
        """Public names an instance can have, as far as the package's own classes say."""
        names: set[str] = set()
        for klass in mro:
            names.update(self.class_bindings(klass))
            names.update(self._class_annotations(klass))
            names.update(self.self_assignments(klass.node))
        for klass in self.stdlib_mro(definition):
            names.update(dir(klass))
        return sorted(n for n in names if not n.startswith("_"))

    # -- modules and the payload ---------------------------------------------------------------------------

    def public_names(self, module: SourceModule) -> tuple[list[str], bool]:
        """``__all__`` when declared, else the public names the module binds itself (as the worker)."""
        if module.all_names is not None:
            return list(module.all_names), True
        names = []
        for name, binding in module.bindings.items():
            if name.startswith(("_", "*")):
                continue
            target = self.follow(binding)
            if isinstance(target, (ModuleRef, External)) or target is None:
                continue
            own_import = isinstance(binding, ImportedName) and self.in_package(binding.module)
            if isinstance(binding, (Definition, Value)) or own_import:
                if isinstance(target, Value) and self.is_typing_value(target):
                    continue
                names.append(name)
        for source in module.star_imports:
            if not self.in_package(source):
                continue
            for name in self.star_names(source):
                if name in module.bindings or name.startswith("_") or name in names:
                    continue
                if isinstance(self.lookup(module.name, name), Definition):
                    names.append(name)
        return sorted(names), False

    def lazy_target(self, module: SourceModule, name: str) -> Binding | None:
        """Where a name served by the module's ``__getattr__`` lives: a TYPE_CHECKING import of it, or a
        ``{"name": "module"}`` table the hook reads."""
        if "__getattr__" not in module.bindings:
            return None
        if name in module.typing_only:
            return self.follow(module.typing_only[name])
        hook = module.bindings["__getattr__"]
        if isinstance(hook, Definition):
            for node in ast.walk(hook.node):
                if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
                    source = _Binder(module).absolute(node.level, node.module)
                    original = next(a.name for a in node.names if (a.asname or a.name) == name)
                    return self.lookup(source, original)
        for binding in module.bindings.values():
            if not (isinstance(binding, Value) and isinstance(binding.value, ast.Dict)):
                continue
            for key, value in zip(binding.value.keys, binding.value.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == name
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    target = value.value
                    if target.startswith("."):
                        level = len(target) - len(target.lstrip("."))
                        target = _Binder(module).absolute(level, target.lstrip(".") or None)
                    return self.lookup(target, name)
        return None

    def object_id(self, module: SourceModule, name: str, target: Binding) -> str | None:
        """The object id of an exported name (the worker's ids: scalars by exporting module)."""
        if isinstance(target, Definition):
            key = f"def:{target.module}:{target.qualname}"
            if key not in self.objects:
                self.objects[key] = self.describe_top_level(target)
            return key
        wrapped = self.wrapped_function(target) if isinstance(target, Value) else None
        if wrapped is not None:
            # ``old = decorator(...)(func)``: a wrapper of its own, with func's signature (__wrapped__).
            key = f"wrapper:{target.module}:{target.name}"
            if key not in self.objects:
                record = self.describe_top_level(wrapped)
                self.objects[key] = {**record, "at_definition": False}
            return key
        if isinstance(target, Value):
            scalar = self.is_scalar_value(target)
            key = f"{module.name}:{name}" if scalar else f"value:{target.module}:{target.name}"
            if key not in self.objects:
                # The worker reads the annotation of the exporting module, like this.
                annotation = module.annotations.get(name)
                returns = self.annotation(annotation, module) if annotation is not None else None
                self.objects[key] = {
                    "kind": "attribute",
                    "module": None,
                    "qualname": None,
                    "at_definition": False,
                    "summary": None,
                    "returns": returns or self.value_type(target, declared=False),
                }
            return key
        return None

    def wrapped_function(self, binding: Value) -> Definition | None:
        """The package function ``decorator(...)(func)`` / ``decorator(func)`` wraps (None: not that)."""
        node = binding.value
        if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
            return None
        called = node.func.func if isinstance(node.func, ast.Call) else node.func
        if _is_class(self.resolve_expr(binding.module, called)):
            return None  # an instance of a package class
        target = self.resolve_expr(binding.module, node.args[0])
        if isinstance(target, Definition) and isinstance(
            target.node, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return target
        return None

    def describe_top_level(self, definition: Definition) -> dict:
        """A module-level class or function."""
        node = definition.node
        at_definition = definition.module in self._public_set and isinstance(
            self.lookup(definition.module, definition.qualname), Definition
        )
        record: dict = {
            "module": definition.module,
            "qualname": definition.qualname,
            "at_definition": at_definition
            and self.lookup(definition.module, definition.qualname) == definition,
        }
        command = self.click_command(definition)
        if isinstance(node, ast.ClassDef):
            record["kind"] = "exception" if self.is_exception(definition) else "class"
            record.update(self.describe_class(definition))
        elif command is not None:  # a click command object, no longer a function
            record.update(kind="attribute", module=None, qualname=None, at_definition=False)
            record.update(summary=None, returns=command)
        else:
            record["kind"] = "function"
            record.update(self.describe_function(definition))
        return record

    def click_command(self, definition: Definition) -> str | None:
        """``click.core.Group`` / ``click.core.Command`` for a function a click decorator turns into a
        command object (``@click.group()``, ``@main.command()``); None otherwise."""
        for decorator in _decorators(definition.node):
            dotted = _dotted(decorator) or ""
            head, _, last = dotted.rpartition(".")
            if last not in ("command", "group") or not head:
                continue
            target = self.resolve_expr(definition.module, ast.parse(head, mode="eval").body)
            clicked = isinstance(target, ModuleRef | External) and (
                getattr(target, "module", None) == "click" or getattr(target, "path", "") == "click"
            )
            if clicked or (
                isinstance(target, Definition)
                and target != definition
                and self.click_command(target) == "click.core.Group"
            ):
                return "click.core.Group" if last == "group" else "click.core.Command"
        return None

    def describe_module(self, name: str) -> dict | None:
        """One module entry of the payload (None when its source does not parse: an error instead)."""
        module = self.source(name)
        if module is None:
            return None
        if module.error:
            self.errors.append(
                {"module": name, "error": module.error, "import_failed": True, "missing": None}
            )
            return None
        names, has_all = self.public_names(module)
        exports: dict[str, str] = {}
        for export in names:
            binding = self._own_binding(module, export)
            target = self.follow(binding) if binding is not None else self.lazy_target(module, export)
            submodule = binding is None and module.is_package and self.source(f"{name}.{export}")
            if target is None and submodule:
                continue  # a submodule named in __all__
            if target is None:
                if "__getattr__" not in module.bindings:
                    self.errors.append(
                        {
                            "module": name,
                            "error": f"__all__ lists {export!r} but the module has no attribute of that name",
                        }
                    )
                continue
            object_id = self.object_id(module, export, target)
            if object_id is not None:
                exports[export] = object_id
        children = {m.rpartition(".")[2] for m in self.public if m.rpartition(".")[0] == name}
        bound = {n for n in module.bindings if not n.startswith(("_", "*"))}
        for source in module.star_imports:
            bound.update(n for n in self.star_names(source) if not n.startswith("_"))
        return {
            "name": name,
            "summary": first_line(ast.get_docstring(module.tree, clean=False)) if module.tree else None,
            "has_all": has_all,
            "getattr_hook": "__getattr__" in module.bindings,
            "names": sorted(bound | children),
            "file": str(module.file),
            "exports": exports,
        }

    def payload(self) -> dict:
        """The worker payload of the whole package (``fatal`` when it has no ``__init__.py``)."""
        with _without_cycle_collection():
            return self._payload()

    def _payload(self) -> dict:
        root = self.source(self.package)
        if root is None:
            return {
                "format": FORMAT,
                "package": self.package,
                "fatal": f"no {self.package}/__init__.py under {self.base}",
                "missing": self.package,
            }
        self.public = self.walk_modules()
        self._public_set = set(self.public)
        modules = [m for m in (self.describe_module(name) for name in self.public) if m is not None]
        return {
            "format": FORMAT,
            "package": self.package,
            "version": self.version(),
            "package_file": str(root.file),
            "python": None,
            "modules": modules,
            "objects": self.objects,
            "errors": self.errors,
            "static": True,
        }

    def version(self) -> str | None:
        """``__version__`` of the package when the source assigns (or imports) a string literal."""
        target = self.lookup(self.package, "__version__")
        if isinstance(target, Value) and isinstance(target.value, ast.Constant):
            value = target.value.value
            return value if isinstance(value, str) else None
        return None


def _stdlib_repr(path: str) -> str | None:
    """The ``repr`` (addresses left out) of a standard-library object such as ``time.time``: the
    standard library may be imported, the package under test never is."""
    value = _stdlib_object(path)
    return None if value is None else safe_repr(value)


def _stdlib_object(path: str) -> object | None:
    module_name, _, name = path.rpartition(".")
    if not module_name or module_name.split(".")[0] not in {*sys.stdlib_module_names, "builtins"}:
        return None
    try:
        return getattr(importlib.import_module(module_name), name)
    except Exception:
        return None


def _is_class(target: object) -> bool:
    return isinstance(target, Definition) and isinstance(target.node, ast.ClassDef)


def _decorators(node: ast.AST) -> list[ast.expr]:
    decorators = getattr(node, "decorator_list", [])
    return [d.func if isinstance(d, ast.Call) else d for d in decorators]


def _is_overload(node: ast.AST) -> bool:
    return any((_dotted(d) or "").rsplit(".", 1)[-1] == "overload" for d in _decorators(node))


def _yields(node: ast.AST) -> bool:
    def walk(n: ast.AST) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(n):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            yield child
            yield from walk(child)

    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in walk(node))


def _self_assignments(node: ast.AST) -> dict[str, ast.expr | None]:
    """``self.<name>`` targets (with their annotation) in a function or class body."""
    found: dict[str, ast.expr | None] = {}
    for child in ast.walk(node):
        targets = (
            child.targets
            if isinstance(child, ast.Assign)
            else [child.target]
            if isinstance(child, (ast.AnnAssign, ast.AugAssign))
            else []
        )
        for target in targets:
            if isinstance(target, ast.Attribute) and _dotted(target.value) == "self":
                annotation = child.annotation if isinstance(child, ast.AnnAssign) else None
                found.setdefault(target.attr, annotation)
    return found


def resolves(reader: StaticReader, path: str) -> bool:
    """Whether ``import``/attribute access of dotted ``path`` finds something, as far as the source
    shows: a binding, a submodule, or a name the module's ``__getattr__`` visibly serves (an import of
    it in the hook, a TYPE_CHECKING import, a table entry, or the name compared in the hook)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module = reader.source(".".join(parts[:cut]))
        if module is None or module.error:
            continue
        target: Binding | None = ModuleRef(module.name)
        for part in parts[cut:]:
            if isinstance(target, ModuleRef):
                owner = reader.source(target.module)
                found = reader.lookup(target.module, part)
                if found is None and owner is not None:
                    found = reader.lazy_target(owner, part) or (
                        ModuleRef(f"{target.module}.{part}") if _hook_names(owner, part) else None
                    )
                target = found
            elif _is_class(target):
                target = reader.class_bindings(target).get(part)
            else:
                return isinstance(target, External)  # an attribute of something outside: unknown, trusted
        return target is not None
    return False


def _hook_names(module: SourceModule, name: str) -> bool:
    """True when the module's ``__getattr__`` compares its argument with ``name`` or imports ``name``."""
    hook = module.bindings.get("__getattr__")
    if not isinstance(hook, Definition):
        return False
    for node in ast.walk(hook.node):
        if isinstance(node, ast.Constant) and node.value == name:
            return True
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            return True
    return False


def literal_values(reader: StaticReader, paths: list[str]) -> dict[str, str]:
    """``repr`` of the attributes among ``paths`` whose source assigns a plain constant (as the probe
    worker's ``value_repr`` spells it): what ``diff --static`` compares for BC014."""
    values: dict[str, str] = {}
    for path in paths:
        module_name, _, name = path.rpartition(".")
        target = reader.lookup(module_name, name) if reader.source(module_name) else None
        if target is None and "." in module_name:  # a class attribute: Class.NAME
            owner = reader.lookup(*module_name.rsplit(".", 1))
            target = reader.class_bindings(owner).get(name) if _is_class(owner) else None
            target = reader.follow(target) if target is not None else None
        if not isinstance(target, Value) or target.value is None:
            continue
        try:
            value = ast.literal_eval(target.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(value, _SCALARS):
            values[path] = repr(value)
    return values


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    # Syntax trees are many small acyclic objects: the cycle collector would rescan them all again and
    # again while they are built (a third of the time, unevenly); reference counting frees them anyway.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def static_payload(base: str | os.PathLike[str], package: str = "hokusai") -> dict:
    """The worker payload of ``package`` read from source under ``base`` (no import)."""
    return StaticReader(base, package).payload()


def static_api(base: str | os.PathLike[str], package: str = "hokusai") -> Api:
    """The :class:`Api` of ``package`` read from source under ``base`` (no import, nothing run)."""
    return build_api(static_payload(base, package))
