"""Every ``hokusai`` name a page's code uses must be in the API contract, whether or not the code runs.

Static, on the page's own text: imports (``from hokusai.x import Y``, ``import hokusai``), attribute
chains on them (``hokusai.tracking.ExperimentManager``), and members of contracted classes where the
class is statically known: ``ModelRegistry.register_baseline``, ``ModelVersionManager(r).list_versions``
and ``registry.register_baseline`` after ``registry = ModelRegistry(...)`` anywhere earlier on the page.
Calls of contracted callables must also fit the contracted signature: every keyword a parameter name
(unless it takes ``**kwargs``), no more positional arguments than it has.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from hokusai_contracts.checks.snippets.model import Page
from hokusai_contracts.contract.model import CALLABLE_KINDS, Api, ApiObject, ObjectKind, ParameterKind

_CLASS_KINDS = (ObjectKind.CLASS, ObjectKind.EXCEPTION)


@dataclass(frozen=True)
class Reference:
    """A use of an uncontracted name: which block, which Markdown line, which dotted name."""

    block: int
    line: int
    name: str
    suggestion: str | None = None
    # "name": not contracted; "keyword": a keyword the signature lacks; "positional": too many arguments.
    kind: str = "name"


@dataclass
class ApiIndex:
    """The contract as lookups: module names, and objects by path and by every export path."""

    package: str
    modules: set[str] = field(default_factory=set)
    objects: dict[str, ApiObject] = field(default_factory=dict)

    @classmethod
    def from_api(cls, api: Api) -> ApiIndex:
        """Index ``api``."""
        index = cls(package=api.package, modules={m.name for m in api.modules})
        for module in api.modules:
            for obj in module.objects:
                index.objects[obj.path] = obj
                for path in obj.export_paths:
                    index.objects.setdefault(path, obj)
        return index

    def member(self, owner: ApiObject, name: str, seen: frozenset[str] = frozenset()) -> ApiObject | None:
        """The member ``name`` of ``owner`` or of one of its contracted bases."""
        found = next((m for m in owner.members if m.name == name), None)
        if found is not None or owner.path in seen:
            return found
        for base in owner.bases:
            parent = self.objects.get(base)
            if parent is not None:
                found = self.member(parent, name, seen | {owner.path})
                if found is not None:
                    return found
        return None

    def names_under(self, prefix: str) -> list[str]:
        """Contracted names directly under ``prefix`` (for suggestions)."""
        names = {
            p[len(prefix) + 1 :].split(".")[0]
            for p in (*self.objects, *self.modules)
            if p.startswith(prefix + ".")
        }
        return sorted(names)


@dataclass(frozen=True)
class _Module:
    path: str


@dataclass(frozen=True)
class _Object:
    obj: ApiObject


@dataclass(frozen=True)
class _Instance:
    obj: ApiObject


_Binding = _Module | _Object | _Instance


class _Visitor(ast.NodeVisitor):
    """Walks a page's blocks in order, binding names to contracted things and reporting unknown ones."""

    def __init__(self, index: ApiIndex):
        self.index = index
        self.bindings: dict[str, _Binding] = {}
        self.references: list[Reference] = []
        self.block = 0
        # Contracted objects each block's code uses; off while a block's hidden setup code runs.
        self.used: dict[int, set[str]] = {}
        self.recording = True

    def _use(self, obj: ApiObject) -> None:
        if self.recording:
            self.used.setdefault(self.block, set()).add(obj.path)

    def report(
        self, node: ast.AST, name: str, choices: Iterable[str] = (), wanted: str = "", kind: str = "name"
    ) -> None:
        close = difflib.get_close_matches(wanted, list(choices), n=1) if wanted else []
        self.references.append(Reference(self.block, node.lineno, name, close[0] if close else None, kind))

    # -- imports -------------------------------------------------------------------------------------

    def _in_package(self, module: str) -> bool:
        return module == self.index.package or module.startswith(self.index.package + ".")

    def _resolve_path(self, node: ast.AST, path: str) -> _Binding | None:
        if path in self.index.modules:
            return _Module(path)
        obj = self.index.objects.get(path)
        if obj is not None:
            self._use(obj)
            return _Object(obj)
        parent, _, name = path.rpartition(".")
        self.report(node, path, self.index.names_under(parent), name)
        return None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self._in_package(alias.name):
                self.bindings.pop((alias.asname or alias.name).split(".")[0], None)
                continue
            binding = self._resolve_path(node, alias.name)
            if alias.asname:
                self._bind(alias.asname, binding)
            else:
                self.bindings[alias.name.split(".")[0]] = _Module(self.index.package)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not self._in_package(module):
            for alias in node.names:
                self.bindings.pop(alias.asname or alias.name, None)
            return
        if self._resolve_path(node, module) is None:
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            self._bind(alias.asname or alias.name, self._resolve_path(node, f"{module}.{alias.name}"))

    def _bind(self, name: str, binding: _Binding | None) -> None:
        if binding is None:
            self.bindings.pop(name, None)
        else:
            self.bindings[name] = binding

    # -- expressions ---------------------------------------------------------------------------------

    def resolve(self, node: ast.expr) -> _Binding | None:
        """What ``node`` statically is, reporting an uncontracted attribute on the way."""
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            if isinstance(binding, _Object):
                self._use(binding.obj)
            return binding
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            callee = self.resolve(node.func)
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                self.visit(argument)
            if isinstance(callee, _Object):
                self._check_arguments(node, callee.obj)
                if callee.obj.kind in _CLASS_KINDS:
                    return _Instance(callee.obj)
            return None
        self.visit(node)
        return None

    def visit_Call(self, node: ast.Call) -> None:
        self.resolve(node)

    def _attribute(self, node: ast.Attribute) -> _Binding | None:
        base = self.resolve(node.value)
        if base is None or (node.attr.startswith("__") and node.attr.endswith("__")):
            return None
        if isinstance(base, _Module):
            return self._resolve_path(node, f"{base.path}.{node.attr}")
        owner = base.obj
        if owner.kind is ObjectKind.EXCEPTION:
            return None  # members inherited from BaseException are not contracted
        member = self.index.member(owner, node.attr)
        if member is None:
            names = [m.name for m in owner.members]
            self.report(node, f"{owner.path}.{node.attr}", names, node.attr)
            return None
        self._use(member)
        # Only callables go on: an attribute's or property's value is of a type the contract may not know.
        return _Object(member) if member.kind in CALLABLE_KINDS or member.kind in _CLASS_KINDS else None

    def _check_arguments(self, node: ast.Call, obj: ApiObject) -> None:
        parameters = obj.parameters
        if parameters is None:
            return
        kinds = {p.kind for p in parameters}
        if ParameterKind.VAR_KEYWORD not in kinds:
            named = [p.name for p in parameters if p.kind is not ParameterKind.POSITIONAL_ONLY]
            for keyword in node.keywords:
                if keyword.arg is not None and keyword.arg not in named:
                    self.report(
                        keyword.value, f"{obj.path}({keyword.arg}=...)", named, keyword.arg, "keyword"
                    )
        positional = [
            p
            for p in parameters
            if p.kind in (ParameterKind.POSITIONAL_ONLY, ParameterKind.POSITIONAL_OR_KEYWORD)
        ]
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if ParameterKind.VAR_POSITIONAL not in kinds and not starred and len(node.args) > len(positional):
            self.report(node, f"{obj.path}({len(node.args)} positional arguments)", kind="positional")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.resolve(node)

    def _scoped(self, node: ast.AST, arguments: ast.arguments) -> None:
        # Parameters shadow page-level names inside the function; what it binds stays inside.
        saved = dict(self.bindings)
        every = [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            arguments.vararg,
            arguments.kwarg,
        ]
        for argument in every:
            if argument is not None:
                self.bindings.pop(argument.arg, None)
        self.generic_visit(node)
        self.bindings = saved

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node, node.args)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node, node.args)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node, node.args)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.bindings.pop(node.id, None)

    # -- statements ----------------------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        binding = self.resolve(node.value)
        for target in node.targets:
            self.visit(target)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self._bind(node.targets[0].id, binding)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        binding = self.resolve(node.value) if node.value is not None else None
        self.visit(node.annotation)
        self.visit(node.target)
        if isinstance(node.target, ast.Name) and node.value is not None:
            self._bind(node.target.id, binding)


def uncontracted_names(page: Page, index: ApiIndex) -> list[Reference]:
    """Every use of a ``hokusai`` name on ``page`` that the contract does not have, in page order."""
    visitor = _Visitor(index)
    for block in page.blocks:
        visitor.block = block.index
        for setup in block.setup:
            _visit(visitor, setup.code, setup.start_line)
        _visit(visitor, block.code, block.start_line)
    unique = dict.fromkeys(visitor.references)
    return list(unique)


def used_objects(page: Page, index: ApiIndex) -> dict[int, set[str]]:
    """By block index, the paths of the contracted objects each block's visible code uses."""
    visitor = _Visitor(index)
    for block in page.blocks:
        visitor.block = block.index
        visitor.recording = False  # hidden setup code is not what the reader sees
        for setup in block.setup:
            _visit(visitor, setup.code, setup.start_line)
        visitor.recording = True
        _visit(visitor, block.code, block.start_line)
    return visitor.used


def _visit(visitor: _Visitor, code: str, start_line: int) -> None:
    try:
        tree = ast.parse("\n" * (start_line - 1) + code)
    except SyntaxError:
        return  # the block's run reports it
    visitor.visit(tree)
