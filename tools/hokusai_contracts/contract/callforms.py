"""Call forms: documented calls such as ``ExperimentManager(registry)``, parsed and bound to a signature."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Sequence

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.contract.model import CallForm, Parameter, ParameterKind

EXAMPLES = 'ExperimentManager(registry) or register_baseline(model=m, model_name="n")'


def parse_call_form(
    text: str, *, file: str | None = None, line: int | None = None, expected_name: str | None = None
) -> CallForm:
    """Parse ``text`` with :mod:`ast` into a :class:`CallForm`; anything else is a :class:`ContractError`."""

    def fail(problem: str) -> ContractError:
        return ContractError(
            f"call form {text!r} {problem}; expected a call like {EXAMPLES}", file=file, line=line
        )

    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise fail(f"is not a Python call ({exc.msg})") from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise fail("is not a call")
    callee = dotted_name(call.func)
    if callee is None:
        raise fail("does not call a name")
    if expected_name is not None and callee.rsplit(".", 1)[-1] != expected_name:
        raise fail(f"calls {callee!r} but is listed under {expected_name!r}")
    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(k.arg is None for k in call.keywords):
        raise fail("unpacks *args or **kwargs, which cannot be checked (write the arguments out)")
    return CallForm(
        text=text,
        args=tuple(ast.unparse(arg) for arg in call.args),
        kwargs=tuple(k.arg for k in call.keywords if k.arg is not None),
        line=line,
    )


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


_KIND_ORDER = {
    ParameterKind.POSITIONAL_ONLY: inspect.Parameter.POSITIONAL_ONLY,
    ParameterKind.POSITIONAL_OR_KEYWORD: inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ParameterKind.VAR_POSITIONAL: inspect.Parameter.VAR_POSITIONAL,
    ParameterKind.KEYWORD_ONLY: inspect.Parameter.KEYWORD_ONLY,
    ParameterKind.VAR_KEYWORD: inspect.Parameter.VAR_KEYWORD,
}
_HAS_DEFAULT = object()


def synthesize_signature(parameters: Sequence[Parameter]) -> inspect.Signature:
    """An :class:`inspect.Signature` built from model parameters (no import of the SDK needed).

    Raises ValueError when the parameters cannot form a Python signature (bad order, bad name).
    """
    return inspect.Signature(
        [
            inspect.Parameter(
                p.name,
                _KIND_ORDER[p.kind],
                default=inspect.Parameter.empty if p.default is None else _HAS_DEFAULT,
            )
            for p in parameters
        ]
    )


def bind_error(form: CallForm, parameters: Sequence[Parameter]) -> str | None:
    """Why ``form`` does not bind to ``parameters`` (placeholder values), or None when it binds."""
    try:
        signature = synthesize_signature(parameters)
    except ValueError as exc:
        return f"the parameters do not form a valid signature: {exc}"
    try:
        signature.bind(*form.args, **{name: name for name in form.kwargs})
    except TypeError as exc:
        return str(exc)
    return None


def render_signature(parameters: Sequence[Parameter], *, defaults: bool = True) -> str:
    """``(a, b=None, *, c)``: a readable signature for messages (``b=...`` without ``defaults``)."""
    parts: list[str] = []
    star_written = False
    for i, p in enumerate(parameters):
        if p.kind is ParameterKind.KEYWORD_ONLY and not star_written:
            parts.append("*")
            star_written = True
        if p.kind is ParameterKind.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
            star_written = True
        elif p.kind is ParameterKind.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        else:
            parts.append(p.name if p.default is None else f"{p.name}={p.default if defaults else '...'}")
        following = parameters[i + 1].kind if i + 1 < len(parameters) else None
        if p.kind is ParameterKind.POSITIONAL_ONLY and following is not ParameterKind.POSITIONAL_ONLY:
            parts.append("/")
    return f"({', '.join(parts)})"
