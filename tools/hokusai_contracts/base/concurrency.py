"""What threads of one process must not do at once, made safe for the families ``verify`` runs in parallel.

CPython before 3.13 keeps the recursion depth of the AST converter in interpreter-wide state: two threads
in ``ast.parse`` at once can fail with ``SystemError: AST constructor recursion depth mismatch``
(python/cpython#106905; seen when the release diff and the snippets family parsed together).
:func:`serialize_ast_parse` makes ``ast.parse`` take one process-wide lock; parsing is milliseconds, so
nothing measurable is lost.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading

_LOCK = threading.RLock()
_GUARDED = "__hokusai_serialized__"
AFFECTED = sys.version_info < (3, 13)


def serialize_ast_parse() -> bool:
    """Make ``ast.parse`` process-wide serialized where CPython needs it (idempotent); True when it does."""
    if not AFFECTED:
        return False
    with _LOCK:
        if getattr(ast.parse, _GUARDED, False):
            return True
        original = ast.parse

        @functools.wraps(original)
        def parse(*args, **kwargs):  # type: ignore[no-untyped-def]
            with _LOCK:
                return original(*args, **kwargs)

        setattr(parse, _GUARDED, True)
        ast.parse = parse  # type: ignore[assignment]
    return True
