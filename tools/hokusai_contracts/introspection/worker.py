"""Describe the public API of an installed package as JSON (``python worker.py --package hokusai``).

This script runs inside the TARGET interpreter, which may have neither ``hokusai_contracts`` nor any
third-party package installed: it uses the standard library only and must stay importable on the
oldest Python the SDK supports. It reports facts (what is defined where, exported where, with which
signature); grouping them into contract modules is the harness's job.

The harness runs it through the worker protocol (``handle``, see ``base/worker_entry.py``); run by
hand, it prints the same document. The document::

    {"format": 1, "package": ..., "version": ..., "package_file": ..., "python": ...,
     "modules": [{"name", "summary", "has_all", "exports": {public name: object id}}],
     "objects": {object id: {"kind", "module", "qualname", "at_definition", "summary",
                             "parameters", "returns", "bases", "raises", "members", ...}},
     "errors": [{"module", "error", "import_failed", "missing"}]}

The package may fail to import: the document then has ``fatal`` and ``missing`` (and, run by hand, the
exit status is 3). Submodules that do not import are listed in ``errors`` with ``import_failed`` true
and ``missing``: the module the import could not find (``pandas``, ``mlflow.gone``), when it was one.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import enum
import functools
import importlib
import inspect
import json
import os
import pkgutil
import re
import sys
import textwrap
import traceback

FORMAT = 1

# Values of these types have no identity worth tracking: two modules exporting ``30`` are unrelated.
_SCALARS = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)
_TYPING_MODULES = ("typing", "typing_extensions")
_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")
_ROLE = re.compile(r":[\w:]+:`~?([^`]+)`")
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*$")
# Special methods docs-check asks about: what a class's instances can be iterated, awaited, subscripted,
# used as a context manager with, or whether attribute look-up is dynamic.
_PROTOCOLS = (
    "__aenter__",
    "__aiter__",
    "__await__",
    "__call__",
    "__enter__",
    "__getattr__",
    "__getitem__",
    "__iter__",
)


def _drop_own_directory() -> None:
    # ``python worker.py`` puts this directory first on sys.path; nothing here may shadow the target.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]


def first_line(doc: object) -> str | None:
    """The first non-empty line of a docstring, or None."""
    if not isinstance(doc, str):
        return None
    for line in inspect.cleandoc(doc).splitlines():
        if line.strip():
            return line.strip()
    return None


def safe_repr(value: object) -> str:
    """``repr`` without memory addresses (so it is stable between runs) and without crashing."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return _ADDRESS.sub("", text)


def format_annotation(annotation: object) -> str | None:
    """An annotation as source-like text; strings (``from __future__ import annotations``) as written."""
    if annotation is inspect.Parameter.empty or annotation is inspect.Signature.empty:
        return None
    if isinstance(annotation, str):
        return annotation
    try:
        return inspect.formatannotation(annotation)
    except Exception:
        return safe_repr(annotation)


def attribute_type(annotation: object, value: object) -> str | None:
    """The declared type of an attribute, else the type of its value (``str``, ``tuple``, ...)."""
    declared = format_annotation(annotation)
    if declared is not None:
        return declared
    return format_annotation(type(value))


def parse_raises(doc: object) -> list[str]:
    """Exception names of a docstring's ``Raises:`` (Google), ``Raises/------`` (NumPy) or ``:raises X:``."""
    if not isinstance(doc, str):
        return []
    lines = inspect.cleandoc(doc).splitlines()
    names: list[str] = []

    def add(text: str) -> None:
        name = _ROLE.sub(r"\1", text).strip().strip("`").strip()
        if _DOTTED.match(name) and name not in names:
            names.append(name)

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        sphinx = re.match(r":raises?\s+([^:]+):", stripped)
        if sphinx:
            for part in sphinx.group(1).split(","):
                add(part)
            i += 1
            continue
        numpy = stripped == "Raises" and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}
        if stripped != "Raises:" and not numpy:
            i += 1
            continue
        header_indent = indent(lines[i])
        j = i + (2 if numpy else 1)
        entry_indent = None
        while j < len(lines):
            line = lines[j]
            if not line.strip():
                j += 1
                continue
            level = indent(line)
            next_is_rule = j + 1 < len(lines) and set(lines[j + 1].strip()) == {"-"}
            if (not numpy and level <= header_indent) or (numpy and next_is_rule):
                break
            if entry_indent is None:
                entry_indent = level
            if level == entry_indent:
                add(line.strip().split(":", 1)[0].split(" ", 1)[0])
            j += 1
        i = j
    return names


def _annotations_of(owner: object) -> dict:
    getter = getattr(inspect, "get_annotations", None)
    try:
        if getter is not None:
            return dict(getter(owner))
        return dict(vars(owner).get("__annotations__", {}))  # Python < 3.10
    except Exception:
        return {}


def _self_assignments(klass: type) -> set[str]:
    """Names assigned as ``self.<name>`` anywhere in ``klass``'s own body (its file parsed once)."""
    try:
        filename = inspect.getsourcefile(klass)
    except TypeError:
        return set()
    if not filename:
        return set()
    return _self_assignments_in_file(filename).get(klass.__qualname__, set())


@functools.cache
def _self_assignments_in_file(filename: str) -> dict[str, set[str]]:
    """By class qualname, the ``self.<name>`` targets of every class defined in ``filename``."""
    try:
        with open(filename, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, set[str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                qualname = f"{prefix}{child.name}"
                found[qualname] = {
                    n.attr
                    for n in ast.walk(child)
                    if isinstance(n, ast.Attribute)
                    and isinstance(n.ctx, ast.Store)
                    and isinstance(n.value, ast.Name)
                    and n.value.id == "self"
                }
                visit(child, qualname + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif not isinstance(child, ast.expr):
                visit(child, prefix)

    visit(tree, "")
    return found


def _init_assignments(klass: type) -> dict[str, str | None]:
    """Public ``self.<name> = ...`` targets of ``klass.__init__`` (with their annotation, if written)."""
    init = klass.__dict__.get("__init__")
    if not inspect.isfunction(init):
        return {}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return {}
    found: dict[str, str | None] = {}
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                annotation = ast.unparse(node.annotation) if isinstance(node, ast.AnnAssign) else None
                found.setdefault(target.attr, annotation)
    return found


def describe_signature(func: object, *, drop_first: bool = False) -> dict:
    """Parameters and return annotation of ``func`` (``inspect.signature`` follows ``__wrapped__``)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        return {"parameters": None, "returns": None, "signature_error": f"{type(exc).__name__}: {exc}"}
    params = list(signature.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if drop_first and params and params[0].kind in positional:
        params = params[1:]
    return {
        "parameters": [
            {
                "name": p.name,
                "kind": p.kind.name.lower(),
                "default": None if p.default is inspect.Parameter.empty else safe_repr(p.default),
                "annotation": format_annotation(p.annotation),
            }
            for p in params
        ],
        "returns": format_annotation(signature.return_annotation),
        "asynchronous": (
            "coroutine"
            if inspect.iscoroutinefunction(func)
            else "asyncgen"
            if inspect.isasyncgenfunction(func)
            else None
        ),
    }


class Walker:
    """Collects the description of every public object of one package."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.modules: list[dict] = []
        self.module_names: set[str] = set()
        self.objects: dict[str, dict] = {}
        self.errors: list[dict] = []
        self._keep_alive: list[object] = []  # ids are only unique among live objects

    # -- what belongs to the package -------------------------------------------------------------

    def in_package(self, obj: object) -> bool:
        """True when ``obj`` was defined in the package (any of its modules, public or private)."""
        module = getattr(obj, "__module__", None)
        return isinstance(module, str) and (module == self.package or module.startswith(self.package + "."))

    def dotted(self, cls: type) -> str:
        """``module.qualname`` of a class (``builtins.`` left out)."""
        module = getattr(cls, "__module__", None)
        qualname = getattr(cls, "__qualname__", getattr(cls, "__name__", "?"))
        return qualname if module in (None, "builtins") else f"{module}.{qualname}"

    # -- modules ----------------------------------------------------------------------------------

    def walk(self) -> None:
        """Import the package and every public submodule, then describe what they export."""
        root = importlib.import_module(self.package)
        found = [root]
        self._collect_submodules(root, found)
        found.sort(key=lambda m: m.__name__)
        self.module_names = {m.__name__ for m in found}
        for module in found:
            self._describe_module(module)

    def _collect_submodules(self, package: object, found: list) -> None:
        path = getattr(package, "__path__", None)
        if path is None:
            return
        for info in sorted(pkgutil.iter_modules(path, package.__name__ + "."), key=lambda i: i.name):
            if info.name.rsplit(".", 1)[-1].startswith("_"):
                continue
            try:
                module = importlib.import_module(info.name)
            except BaseException as exc:  # a broken submodule is a finding, not a crash
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self.errors.append(
                    {
                        "module": info.name,
                        "error": _format_exception(exc),
                        "import_failed": True,
                        "missing": missing_module(exc),
                    }
                )
                continue
            found.append(module)
            if info.ispkg:
                self._collect_submodules(module, found)

    def public_names(self, module: object) -> tuple[list[str], bool]:
        """``__all__`` when defined, else the public names defined (or re-exported from the package) here."""
        declared = getattr(module, "__all__", None)
        if declared is not None:
            return [str(n) for n in declared], True
        bound = _top_level_bindings(module, self.package)
        names = []
        for name, value in sorted(vars(module).items()):
            if name.startswith("_") or inspect.ismodule(value):
                continue
            if type(value).__module__ in _TYPING_MODULES:
                continue
            routine_or_class = inspect.isclass(value) or inspect.isroutine(value)
            if name in bound or (routine_or_class and self.in_package(value)):
                names.append(name)
        return names, False

    def _describe_module(self, module: object) -> None:
        names, has_all = self.public_names(module)
        exports: dict[str, str] = {}
        for name in names:
            try:
                value = getattr(module, name)
            except AttributeError:
                self.errors.append(
                    {
                        "module": module.__name__,
                        "error": f"__all__ lists {name!r} but the module has no attribute of that name",
                    }
                )
                continue
            except Exception as exc:
                self.errors.append({"module": module.__name__, "error": _format_exception(exc)})
                continue
            if inspect.ismodule(value):
                continue
            exports[name] = self._object_id(module, name, value)
        self.modules.append(
            {
                "name": module.__name__,
                "summary": first_line(getattr(module, "__doc__", None)),
                "has_all": has_all,
                "getattr_hook": callable(vars(module).get("__getattr__")),
                # Every public attribute, exported or not (star imports included): what a reader can use.
                "names": sorted(n for n in dir(module) if not n.startswith("_")),
                "file": getattr(module, "__file__", None),
                "exports": exports,
            }
        )

    # -- objects ----------------------------------------------------------------------------------

    def _object_id(self, module: object, name: str, value: object) -> str:
        kind = module_level_kind(value)
        if kind == "attribute" and isinstance(value, _SCALARS):
            key = f"{module.__name__}:{name}"
        else:
            key = f"id:{id(value)}"
            self._keep_alive.append(value)
        if key not in self.objects:
            self.objects[key] = self._describe_top_level(module, name, value, kind)
        return key

    def _describe_top_level(self, module: object, name: str, value: object, kind: str) -> dict:
        if kind == "attribute":
            declared = _annotations_of(module).get(name, inspect.Parameter.empty)
            return {
                "kind": "attribute",
                "module": None,
                "qualname": None,
                "at_definition": False,
                "summary": None,
                "returns": attribute_type(declared, value),
            }
        defining = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or name
        record = {
            "kind": kind,
            "module": defining,
            "qualname": qualname,
            "at_definition": self._is_at_definition(defining, qualname, value),
        }
        if kind in ("class", "exception"):
            record.update(self.describe_class(value))
        else:
            record.update(summary=first_line(getattr(value, "__doc__", None)))
            record.update(describe_signature(value))
            record["raises"] = parse_raises(getattr(value, "__doc__", None))
        return record

    def _is_at_definition(self, defining: object, qualname: str, value: object) -> bool:
        # A functools.wraps alias carries the qualname of what it wraps: it is not "defined" there.
        if not isinstance(defining, str) or defining not in self.module_names:
            return False
        target: object = sys.modules.get(defining)
        for part in qualname.split("."):
            target = getattr(target, part, None)
        return target is value

    def describe_class(self, cls: type) -> dict:
        """Kind-specific facts of a class: constructor parameters, bases, members."""
        own_doc = cls.__dict__.get("__doc__")
        summary = first_line(own_doc)
        if summary and summary.startswith(cls.__name__ + "(") and hasattr(cls, "__dataclass_fields__"):
            summary = None  # the signature dataclasses put in place of a missing docstring
        record = {
            "summary": summary,
            "bases": self.public_bases(cls),
            "raises": [],
            "returns": None,
            "members": self.describe_members(cls),
            "abstract": inspect.isabstract(cls),
            # Looked up on the MRO, not with hasattr: the metaclass (type, EnumMeta) is not the instances'.
            "protocols": [name for name in _PROTOCOLS if any(name in k.__dict__ for k in cls.__mro__)],
            "names": self.attribute_names(cls),
        }
        record.update(self._constructor(cls))
        return record

    def attribute_names(self, cls: type) -> list[str]:
        """Every public name an instance can have: the class's ``dir()``, and ``self.<name> =`` targets
        in any method of the package's classes on its MRO (``fit()`` setting ``self.coef_``, say)."""
        names = {n for n in dir(cls) if not n.startswith("_")}
        for klass in cls.__mro__:
            if self.in_package(klass):
                names.update(n for n in _self_assignments(klass) if not n.startswith("_"))
        return sorted(names)

    def public_bases(self, cls: type) -> list[str]:
        """Dotted names of the bases a user can see: ``_Private`` ones are replaced by their own bases.

        A private mixin is an implementation detail; its members are contracted on the class itself.
        """
        bases: list[str] = []
        for base in cls.__bases__:
            if base is object:
                continue
            name = self.dotted(base)
            if any(part.startswith("_") for part in base.__qualname__.split(".")):
                bases.extend(b for b in self.public_bases(base) if b not in bases)
            elif name not in bases:
                bases.append(name)
        return bases

    def _constructor(self, cls: type) -> dict:
        if issubclass(cls, enum.Enum):
            return {"parameters": None}  # members are looked up, not constructed
        owner = next((k for k in cls.__mro__ if "__init__" in k.__dict__ or "__new__" in k.__dict__), object)
        if not self.in_package(owner):
            # The constructor is Exception's or object's: not part of this package's contract.
            return {"parameters": None}
        described = describe_signature(cls)
        described.pop("returns", None)
        return described

    def describe_members(self, cls: type) -> list[dict]:
        """Public methods, properties and attributes defined on ``cls`` or inherited from the package."""
        names: set[str] = set()
        for klass in cls.__mro__:
            if self.in_package(klass):
                names.update(klass.__dict__)
        members = []
        for name in sorted(names):
            if name.startswith("_") and name != "__call__":
                continue
            owner = next(k for k in cls.__mro__ if name in k.__dict__)
            if not self.in_package(owner):
                continue  # overridden by a base from outside the package, e.g. a mixin of a dependency
            member = self.describe_member(cls, owner, name, owner.__dict__[name])
            if member is not None:
                members.append(member)
        members.extend(self.instance_attributes(cls, names))
        members.sort(key=lambda member: member["name"])
        return members

    def instance_attributes(self, cls: type, seen: set[str]) -> list[dict]:
        """Instance attributes: annotated fields (dataclasses) and ``self.x =`` targets of ``__init__``."""
        found: dict[str, str | None] = {}
        for klass in reversed(cls.__mro__):
            if not self.in_package(klass):
                continue
            for name, annotation in _annotations_of(klass).items():
                found[name] = format_annotation(annotation)
            for name, annotation in _init_assignments(klass).items():
                found.setdefault(name, annotation)
        return [
            {"name": name, "kind": "attribute", "summary": None, "parameters": None, "returns": annotation}
            for name, annotation in sorted(found.items())
            if not name.startswith("_") and name not in seen
        ]

    def describe_member(self, cls: type, owner: type, name: str, raw: object) -> dict | None:
        """One class member, from the raw object in the defining class's ``__dict__``."""
        record: dict = {"name": name}
        if isinstance(raw, staticmethod):
            record.update(kind="staticmethod", summary=first_line(raw.__func__.__doc__))
            record.update(describe_signature(raw.__func__))
            record["raises"] = parse_raises(raw.__func__.__doc__)
        elif isinstance(raw, classmethod):
            record.update(kind="classmethod", summary=first_line(raw.__func__.__doc__))
            record.update(describe_signature(raw.__func__, drop_first=True))
            record["raises"] = parse_raises(raw.__func__.__doc__)
        elif isinstance(raw, (property, functools.cached_property)):
            getter = raw.fget if isinstance(raw, property) else raw.func
            doc = raw.__doc__ or getattr(getter, "__doc__", None)
            record.update(kind="property", summary=first_line(doc), parameters=None, raises=parse_raises(doc))
            record["returns"] = describe_signature(getter)["returns"] if getter is not None else None
        elif inspect.isclass(raw) and raw.__qualname__ == f"{owner.__qualname__}.{name}":
            record.update(kind="exception" if issubclass(raw, BaseException) else "class")
            record.update(self.describe_class(raw))
        elif inspect.isfunction(raw) or (
            callable(raw) and hasattr(raw, "__get__") and not inspect.isclass(raw)
        ):
            record.update(kind="method", summary=first_line(getattr(raw, "__doc__", None)))
            record.update(describe_signature(raw, drop_first=True))
            record["raises"] = parse_raises(getattr(raw, "__doc__", None))
        else:
            annotation = _annotations_of(owner).get(name, inspect.Parameter.empty)
            record.update(kind="attribute", summary=None, parameters=None)
            record["returns"] = None if isinstance(raw, enum.Enum) else attribute_type(annotation, raw)
        return record

    def payload(self) -> dict:
        """The JSON document this script prints."""
        return {
            "format": FORMAT,
            "package": self.package,
            "version": package_version(self.package),
            "package_file": getattr(sys.modules.get(self.package), "__file__", None),
            "python": ".".join(str(v) for v in sys.version_info[:3]),
            "modules": self.modules,
            "objects": self.objects,
            "errors": self.errors,
        }


def module_level_kind(value: object) -> str:
    """The kind of a module-level public name."""
    if inspect.isclass(value):
        return "exception" if issubclass(value, BaseException) else "class"
    if inspect.isroutine(value) or isinstance(value, functools.partial):
        return "function"
    return "attribute"


def _top_level_bindings(module: object, package: str) -> set[str]:
    """Names a module's source binds itself: defs, assignments and imports from within the package."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except Exception:
        return set()
    bound: set[str] = set()

    def visit(statements: list) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    bound.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                bound.add(node.target.id)
            elif isinstance(node, ast.ImportFrom):
                own = node.level > 0 or (node.module or "").split(".")[0] == package
                if own:
                    bound.update(a.asname or a.name for a in node.names if a.name != "*")
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return bound


def package_version(package: str) -> str | None:
    """``__version__`` of the package, else the version of the distribution that installed it."""
    version = getattr(sys.modules.get(package), "__version__", None)
    if isinstance(version, str):
        return version
    try:
        from importlib import metadata
    except ImportError:
        return None
    candidates = [package]
    mapping = getattr(metadata, "packages_distributions", None)
    if mapping is not None:
        with contextlib.suppress(Exception):
            candidates = list(mapping().get(package, [])) + candidates
    for name in candidates:
        try:
            return metadata.version(name)
        except Exception:
            continue
    return None


def missing_module(exc: BaseException) -> str | None:
    """The module an ImportError could not find or import a name from (its ``name``), else None."""
    if isinstance(exc, ImportError) and isinstance(getattr(exc, "name", None), str):
        return exc.name
    return None


def _format_exception(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()


def describe(package: str) -> dict:
    """The payload for ``package``; when the package itself does not import, one with ``fatal``."""
    walker = Walker(package)
    try:
        walker.walk()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {
            "format": FORMAT,
            "package": package,
            "fatal": _format_exception(exc),
            "missing": missing_module(exc),
            "traceback": traceback.format_exc(),
            "python": ".".join(str(v) for v in sys.version_info[:3]),
            "sys_path": sys.path,
        }
    return walker.payload()


def handle(request: dict) -> dict:
    """The worker protocol's entry (``base/worker_entry.py``): ``{"package": name}`` -> the payload."""
    return describe(request["package"])


def main(argv: list[str] | None = None) -> int:
    """Describe ``--package`` and print the JSON document (for a person at a terminal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="hokusai")
    args = parser.parse_args(argv)
    _drop_own_directory()
    out = sys.stdout
    # Whatever the package prints while importing must not corrupt the JSON on stdout.
    sys.stdout = sys.stderr
    try:
        payload = describe(args.package)
    finally:
        sys.stdout = out
    out.write(json.dumps(payload, sort_keys=True))
    out.flush()
    return 3 if "fatal" in payload else 0


if __name__ == "__main__":
    sys.exit(main())
