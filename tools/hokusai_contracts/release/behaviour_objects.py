"""Name the SDK object a failing documentation example points at, from the page's own code.

Static and pure: the page's blocks up to the failing one are read for the package's imports and for
names assigned from its calls (``client = Client()`` makes ``client.fetch`` mean ``pkg.Client.fetch``);
the failing statement's references are then ranked by what the failure says: the attribute an
``AttributeError`` names, else the SDK function the traceback entered first, else the first call.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Sequence

from hokusai_contracts.checks.snippets.model import Block

_MISSING_ATTRIBUTE = re.compile(r"AttributeError: .* has no attribute '([^']+)'")
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+, in (\S+)', re.MULTILINE)


class _Bindings(ast.NodeVisitor):
    """Names bound to dotted paths inside ``package`` while walking blocks in page order."""

    def __init__(self, package: str):
        self.package = package
        self.names: dict[str, str] = {}

    def _in_package(self, module: str) -> bool:
        return module == self.package or module.startswith(self.package + ".")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self._in_package(alias.name):
                continue
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                self.names[alias.name.split(".")[0]] = alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not self._in_package(node.module or ""):
            return
        for alias in node.names:
            self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        path = self.resolve(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if path:
                    self.names[target.id] = path
                else:
                    self.names.pop(target.id, None)

    def visit_withitem(self, node: ast.withitem) -> None:
        self.generic_visit(node)
        path = self.resolve(node.context_expr)
        if path and isinstance(node.optional_vars, ast.Name):
            self.names[node.optional_vars.id] = path

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted package path ``node`` stands for (a call stands for what it calls), if any."""
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.resolve(node.value)
            return f"{owner}.{node.attr}" if owner else None
        if isinstance(node, ast.Call):
            return self.resolve(node.func)
        return None


def _parse(block: Block) -> ast.Module | None:
    try:
        return ast.parse("\n" * (block.start_line - 1) + block.code)
    except SyntaxError:
        return None


def _statement_at(module: ast.Module, line: int) -> ast.stmt | None:
    """The innermost statement of ``module`` that spans ``line``."""
    found = None
    for node in ast.walk(module):
        spans = isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno)
        if spans and (found is None or node.lineno >= found.lineno):
            found = node
    return found


def _candidates(statement: ast.stmt, bindings: _Bindings) -> tuple[list[str], list[str]]:
    """(every package path the statement references, the paths it calls), longest chains only."""
    paths: list[str] = []
    calls: list[str] = []
    inner: set[int] = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Attribute | ast.Call):
            inner.add(id(node.func if isinstance(node, ast.Call) else node.value))
    for node in ast.walk(statement):
        if not isinstance(node, ast.Name | ast.Attribute | ast.Call):
            continue
        path = bindings.resolve(node)
        if path is None:
            continue
        if isinstance(node, ast.Call):
            calls.append(path)
        elif id(node) not in inner and path not in paths:
            paths.append(path)
    return paths + [c for c in calls if c not in paths], calls


def _entered_function(traceback: str) -> str | None:
    """The SDK function the snippet called last from its own code (the frame right after its last own)."""
    frames = _FRAME.findall(traceback)
    snippet = frames[0][0] if frames else None
    entered = None
    for (caller, _), (_, function) in itertools.pairwise(frames):
        if caller == snippet:
            entered = function
    return entered


def failing_object(
    blocks: Sequence[Block], failing: Block, line: int | None, traceback: str, package: str
) -> str | None:
    """The package object the failure of ``failing`` at Markdown ``line`` points at (None: cannot tell)."""
    bindings = _Bindings(package)
    target: ast.Module | None = None
    for block in blocks:
        module = _parse(block)
        if block.index == failing.index:
            target = module
            break
        if module is not None:
            bindings.visit(module)
    if target is None:
        return None
    statement = _statement_at(target, line or failing.start_line)
    if statement is None:
        return None
    # Names the block bound before the failing statement count too (``c = Client()`` on the line above).
    for earlier in target.body:
        if earlier.lineno >= statement.lineno:
            break
        bindings.visit(earlier)
    paths, calls = _candidates(statement, bindings)
    if not paths:
        return None
    missing = _MISSING_ATTRIBUTE.search(traceback)
    if missing:
        for path in paths:
            parts = path.split(".")
            if missing.group(1) in parts[1:]:
                return ".".join(parts[: parts.index(missing.group(1), 1) + 1])
    entered = _entered_function(traceback)
    if entered == "__init__":
        classes = [c for c in calls if c.rsplit(".", 1)[-1][:1].isupper()]
        if classes:
            return classes[0]
    if entered:
        named = [p for p in paths if p.rsplit(".", 1)[-1] == entered]
        if named:
            return named[0]
    return calls[0] if calls else paths[0]
