"""What importing a module of a package imports for sure, read from its source (ast, no import).

An import counts when it runs at import time and nothing catches its failure: a module-level
``import x`` / ``from x import y`` (also inside ``with``, or a ``try`` whose handlers do not catch
``ImportError``). Imports inside functions (lazy), inside ``if`` blocks (``TYPE_CHECKING``, version
switches) or guarded by ``except ImportError`` are left out: a missing dependency does not stop the
module. Imports of the package's own modules are followed (and every module's parent packages, which
Python imports first), so a dependency imported by ``pkg/__init__.py`` counts for every submodule.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

# Exceptions whose handler makes an import optional.
_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def module_file(package_dir: Path, module: str) -> Path | None:
    """The source file of ``module`` (``pkg.a.b``) under the package directory ``package_dir``."""
    parts = module.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py") if parts else None):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _guarded(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else "") in _GUARDS
        for n in names
    )


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements that run unguarded at import time."""
    for node in body:
        if isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            if not any(_guarded(h) for h in node.handlers):
                yield from _statements(node.body)
            yield from _statements(node.finalbody)
        elif isinstance(node, ast.With):
            yield from _statements(node.body)
        else:
            yield node


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def direct_imports(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names of the modules ``module``'s source imports unguarded at import time.

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule; callers keep the real ones).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, is_package, node)
            if target:
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


class ImportReader:
    """Reads and follows the imports of one package's modules (each file parsed once)."""

    def __init__(self, package_dir: Path, package: str) -> None:
        self.package_dir, self.package = package_dir, package
        self._direct: dict[str, set[str]] = {}

    def _own(self, name: str) -> bool:
        return name == self.package or name.startswith(self.package + ".")

    def direct(self, module: str) -> set[str]:
        """The unguarded imports of ``module``'s own file (empty when there is no file)."""
        if module not in self._direct:
            path = module_file(self.package_dir, module)
            text = path.read_text(encoding="utf-8", errors="replace") if path else ""
            self._direct[module] = direct_imports(text, module, bool(path and path.name == "__init__.py"))
        return self._direct[module]

    def modules(self) -> list[str]:
        """Every module of the package, as its files lay it out (``pkg``, ``pkg.sub``, ``pkg.sub.mod``)."""
        found = []
        for path in sorted(self.package_dir.rglob("*.py")):
            parts = path.relative_to(self.package_dir).with_suffix("").parts
            if any(not part.isidentifier() for part in parts):
                continue  # not importable by name (a folder like ``tests-data``)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append(".".join((self.package, *parts)))
        return found

    def external(self, module: str) -> set[str]:
        """Top-level names of the third-party modules that importing ``module`` imports for sure."""
        seen: set[str] = set()
        todo = [module, *_parents(module)]
        found: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for imported in self.direct(name):
                if self._own(imported):
                    if module_file(self.package_dir, imported) is not None:
                        todo += [imported, *_parents(imported)]
                    continue
                top = imported.split(".")[0]
                if top and top not in sys.stdlib_module_names and top != "__future__":
                    found.add(top)
        return found
