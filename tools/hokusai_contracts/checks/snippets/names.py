"""Unique model and experiment names per page run, so snippets on a shared server never collide.

A page declares literal names (``unique_names: [lead-scoring]``); the code that runs gets
``lead-scoring-<suffix>`` in every string constant *equal* to a declared name (other strings are left
alone), and what the code prints is compared after the suffixed names are put back.
"""

from __future__ import annotations

import ast
import os
import uuid
from collections.abc import Iterable, Mapping


def run_suffix(worker: str | None = None) -> str:
    """A suffix unique to one page run: the xdist worker id (or ``main``) and random hex."""
    worker = worker or os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{worker}-{uuid.uuid4().hex[:8]}"


def name_mapping(names: Iterable[str], suffix: str) -> dict[str, str]:
    """Declared name -> the name the run uses."""
    return {name: f"{name}-{suffix}" for name in names}


def reverse(mapping: Mapping[str, str]) -> dict[str, str]:
    """Suffixed name -> declared name."""
    return {suffixed: name for name, suffixed in mapping.items()}


def _fstring_parts(tree: ast.AST) -> set[int]:
    # Constants inside f-strings carry unreliable column offsets before Python 3.12: never touched.
    return {
        id(node)
        for joined in ast.walk(tree)
        if isinstance(joined, ast.JoinedStr)
        for node in ast.walk(joined)
    }


def _byte_offset_edit(line: str, start: int, end: int, replacement: str) -> str:
    # ast column offsets count UTF-8 bytes, not characters.
    raw = line.encode("utf-8")
    return (raw[:start] + replacement.encode("utf-8") + raw[end:]).decode("utf-8")


def substitute_code(code: str, mapping: Mapping[str, str]) -> str:
    """``code`` with every one-line string constant equal to a key of ``mapping`` replaced by its value.

    Positions come from :mod:`ast`, so line numbers do not move; code that does not parse is returned
    unchanged (running it reports the syntax error at its line).
    """
    if not mapping:
        return code
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    skipped = _fstring_parts(tree)
    edits: list[tuple[int, int, int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in mapping
            and id(node) not in skipped
            and node.lineno == node.end_lineno
        ):
            edits.append((node.lineno, node.col_offset, node.end_col_offset, mapping[node.value]))
    lines = code.splitlines(keepends=True)
    for lineno, start, end, value in sorted(edits, reverse=True):
        line = lines[lineno - 1]
        segment = line.encode("utf-8")[start:end].decode("utf-8")
        if _literal(segment) is None:
            continue
        lines[lineno - 1] = _byte_offset_edit(line, start, end, _quoted(segment, value))
    return "".join(lines)


def _literal(segment: str) -> str | None:
    try:
        value = ast.literal_eval(segment)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _quoted(segment: str, value: str) -> str:
    """``value`` as a literal in the quote style of ``segment`` (declared names need no escaping)."""
    quote = next((char for char in segment if char in "'\""), '"')
    return f"{quote}{value}{quote}"
