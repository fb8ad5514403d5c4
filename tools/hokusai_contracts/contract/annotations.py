"""Compare annotations by meaning of spelling: ``Optional[str]`` and ``str | None`` are the same type."""

from __future__ import annotations

import ast
import functools

# typing's capitalised aliases of builtin generics (PEP 585).
_BUILTIN_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
}


class _Normalizer(ast.NodeTransformer):
    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # typing.Optional, mlflow.entities.Run: the module a type is spelled from does not matter here.
        return ast.copy_location(
            ast.Name(id=_BUILTIN_ALIASES.get(node.attr, node.attr), ctx=ast.Load()), node
        )

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "NoneType":  # an evaluated Optional spells None as its type
            return ast.copy_location(ast.Constant(value=None), node)
        return ast.copy_location(ast.Name(id=_BUILTIN_ALIASES.get(node.id, node.id), ctx=ast.Load()), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # typing's evaluated forward reference, ForwardRef('URL'), spells the type URL.
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name == "ForwardRef" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return self.visit_Constant(node.args[0])
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):  # a forward reference: "ModelRegistry"
            try:
                return self.visit(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return node
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node = self.generic_visit(node)
        name = node.value.id if isinstance(node.value, ast.Name) else None
        if name == "Optional":
            return ast.BinOp(left=node.slice, op=ast.BitOr(), right=ast.Constant(value=None))
        if name == "Union":
            members = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return functools.reduce(lambda a, b: ast.BinOp(left=a, op=ast.BitOr(), right=b), members)
        return node


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _sort_unions(node: ast.AST) -> ast.AST:
    for name, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            setattr(node, name, _sort_unions(value))
        elif isinstance(value, list):
            setattr(node, name, [_sort_unions(v) if isinstance(v, ast.AST) else v for v in value])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        members = {ast.unparse(m): m for m in _union_members(node)}
        ordered = [members[key] for key in sorted(members, key=lambda k: (k == "None", k))]
        return functools.reduce(lambda a, b: ast.BinOp(left=a, op=ast.BitOr(), right=b), ordered)
    return node


@functools.lru_cache(maxsize=4096)
def normalize_annotation(text: str) -> str:
    """A canonical spelling of an annotation, for comparison only (never written to a contract)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return " ".join(text.split())
    return ast.unparse(_sort_unions(_Normalizer().visit(tree.body)))


def same_annotation(a: str | None, b: str | None) -> bool:
    """True when both annotations spell the same type (None means unannotated)."""
    if a is None or b is None:
        return a is b
    return normalize_annotation(a) == normalize_annotation(b)
