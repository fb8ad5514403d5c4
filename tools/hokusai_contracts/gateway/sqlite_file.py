"""The gateway's SQLite files (keys, registration events): one short-lived connection per operation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to ``path`` whose work is committed on exit (rolled back on error), then closed.

    Short-lived on purpose: the gateway process and the test process share the file.
    """
    db = sqlite3.connect(path, timeout=10)
    try:
        with db:
            yield db
    finally:
        db.close()


def create(path: Path | str, schema: str) -> Path:
    """``path`` with its folder made and ``schema`` applied (idempotent: the schema uses IF NOT EXISTS)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with transaction(path) as db:
        db.executescript(schema)
    return path
