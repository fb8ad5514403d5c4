"""What static analysis reports: problem kinds (the catalogue maps them to rule ids), the
:class:`Problem` record, and signatures written as a reader writes them."""

from __future__ import annotations

from dataclasses import dataclass

from hokusai_contracts.contract.model import Parameter, ParameterKind

# Problem kinds (the catalogue maps them to rule ids).
MISSING_NAME = "missing-name"
UNKNOWN_KEYWORD = "unknown-keyword"
MISSING_ARGUMENT = "missing-argument"
TOO_MANY_POSITIONAL = "too-many-positional"
ABSTRACT = "abstract-instantiated"
PROTOCOL = "protocol"
NOT_PYTHON = "not-python"
UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a block: where (file line, 0-based column), what API, what to do."""

    kind: str
    line: int
    column: int
    subject: str
    message: str
    fix: str | None = None
    block: int = 0


def signature_text(parameters: list[Parameter]) -> str:
    """``(model, name, *, tags=...)``: a signature as a reader writes it."""
    parts: list[str] = []
    star_done = False
    for position, parameter in enumerate(parameters):
        if parameter.kind is ParameterKind.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        if parameter.kind is ParameterKind.VAR_POSITIONAL:
            parts.append(f"*{parameter.name}")
            star_done = True
        elif parameter.kind is ParameterKind.VAR_KEYWORD:
            parts.append(f"**{parameter.name}")
        else:
            parts.append(parameter.name if parameter.default is None else f"{parameter.name}=...")
        following = parameters[position + 1] if position + 1 < len(parameters) else None
        if parameter.kind is ParameterKind.POSITIONAL_ONLY and (
            following is None or following.kind is not ParameterKind.POSITIONAL_ONLY
        ):
            parts.append("/")
    return f"({', '.join(parts)})"
