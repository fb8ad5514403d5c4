"""What the code around a node says: guards (``hasattr`` tests, ``except AttributeError``) that make a
missing name valid dynamic code, and the names a statement binds."""

from __future__ import annotations

import ast
from collections.abc import Iterator


class Guards:
    """What the surrounding code guards against: AttributeError / TypeError handlers, hasattr() tests."""

    def __init__(self) -> None:
        self.errors: list[set[str]] = []
        self.attributes: list[set[str]] = []

    def catches(self, name: str) -> bool:
        """True inside a ``try`` whose handlers catch ``name`` (or any exception)."""
        return any(
            name in errors or "Exception" in errors or "BaseException" in errors for errors in self.errors
        )

    def guarded(self, attribute: str) -> bool:
        """True inside an ``if hasattr(x, "attribute")`` body."""
        return any(attribute in names for names in self.attributes)


def stored_names(node: ast.AST) -> Iterator[str]:
    """Every name a target (or a ``match`` pattern) binds."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id
        elif isinstance(child, ast.MatchAs | ast.MatchStar) and child.name:
            yield child.name


def is_hasattr(node: ast.Call) -> bool:
    """True for a call of the built-in ``hasattr``."""
    return isinstance(node.func, ast.Name) and node.func.id == "hasattr"


def hasattr_names(test: ast.expr) -> set[str]:
    """Attribute names a condition tests with ``hasattr(x, "name")`` (anywhere in it)."""
    return {
        node.args[1].value
        for node in ast.walk(test)
        if isinstance(node, ast.Call)
        and is_hasattr(node)
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    }


def exception_names(node: ast.expr | None) -> set[str]:
    """The exception class names an ``except`` clause names (a bare ``except``: BaseException)."""
    if node is None:
        return {"BaseException"}
    if isinstance(node, ast.Tuple):
        return set().union(*(exception_names(e) for e in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()
