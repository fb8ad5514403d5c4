"""What static analysis reports: problem kinds (the catalogue maps them to rule ids), the
:class:`Problem` record, and signatures written as a reader writes them."""

from __future__ import annotations

from dataclasses import dataclass

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
