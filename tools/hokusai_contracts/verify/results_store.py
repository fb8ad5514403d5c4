"""The results store: every matrix cell ever run, in SQLite, and the can-i-deploy verdict read from it.

One row per (run, cell, family) with the outcome counts, the SDK version, the commit and the date.
Stores merge (shards of one run, runs of several machines): a row is identified by its run id, cell
and family, so merging the same file twice adds nothing. can-i-deploy takes, for every matching cell,
its latest run: yes when there is at least one and all of them are green, no when one is not, unknown
(never yes) when nothing matching was recorded.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError

STORE_NAME = "compatibility-results.sqlite"
YES, NO, UNKNOWN = "yes", "no", "unknown"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    sdk_version TEXT NOT NULL,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    python TEXT NOT NULL,
    family TEXT NOT NULL,
    passed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    known INTEGER NOT NULL,
    exit_code INTEGER NOT NULL,
    PRIMARY KEY (run_id, client, server, python, family)
)
"""


@dataclass(frozen=True)
class StoredResult:
    """One family's outcome in one cell of one run; ``exit_code`` is the cell's (0 green)."""

    run_id: str
    recorded_at: str
    commit_sha: str
    sdk_version: str
    client: str
    server: str
    python: str
    family: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    known: int = 0  # known differences that occurred as declared (counted, not failures)
    exit_code: int = 0


_COLUMNS = tuple(f.name for f in fields(StoredResult))


@dataclass(frozen=True)
class Verdict:
    """can-i-deploy's answer (yes / no / unknown), its exit code, and the rows it rests on."""

    answer: str
    evidence: tuple[StoredResult, ...]

    @property
    def exit_code(self) -> int:
        """0 yes, 1 no, 2 unknown."""
        return {YES: 0, NO: 1}.get(self.answer, 2)


@contextlib.contextmanager
def open_store(path: Path) -> Iterator[sqlite3.Connection]:
    """The store at ``path`` (created with its table when missing), committed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=30)
        connection.execute(_SCHEMA)
    except sqlite3.DatabaseError as exc:
        raise HarnessUsageError(f"{path}: not a results store ({exc})") from exc
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def append(path: Path, results: Sequence[StoredResult]) -> int:
    """Add ``results`` to the store at ``path``; how many rows were new."""
    placeholders = ", ".join("?" for _ in _COLUMNS)
    with open_store(path) as connection:
        before = connection.total_changes
        connection.executemany(
            f"INSERT OR IGNORE INTO results ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
            [tuple(getattr(r, c) for c in _COLUMNS) for r in results],
        )
        return connection.total_changes - before


def read_all(path: Path) -> list[StoredResult]:
    """Every row of the store at ``path``, oldest first; HarnessUsageError when it does not exist."""
    if not path.is_file():
        raise HarnessUsageError(
            f"no results store at {path}: run `hokusai-contracts verify --matrix ...` first"
        )
    with open_store(path) as connection:
        rows = connection.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM results "
            "ORDER BY recorded_at, run_id, client, server, python, family"
        ).fetchall()
    return [StoredResult(*row) for row in rows]


def merge(target: Path, sources: Sequence[Path]) -> int:
    """Add every row of ``sources`` to ``target``; how many rows were new."""
    added = 0
    for source in sources:
        added += append(target, read_all(source))
    return added


def _matches(row: StoredResult, sdk: str, server: str, client: str | None, python: str | None) -> bool:
    return (
        row.sdk_version == sdk
        and row.server == server
        and (client is None or row.client == client)
        and (python is None or row.python == python)
    )


def can_i_deploy(
    rows: Sequence[StoredResult], sdk: str, server: str, client: str | None = None, python: str | None = None
) -> Verdict:
    """May SDK ``sdk`` meet an MLflow ``server`` (with ``client`` / on ``python`` when given)? Judged on
    the latest recorded run of each matching cell and family (a run with ``--only`` records some)."""
    latest: dict[tuple[str, str, str], str] = {}
    for row in rows:
        if _matches(row, sdk, server, client, python):
            key = (row.client, row.python, row.family)
            stamp = f"{row.recorded_at}\0{row.run_id}"
            if stamp > latest.get(key, ""):
                latest[key] = stamp
    evidence = tuple(
        row
        for row in rows
        if _matches(row, sdk, server, client, python)
        and latest.get((row.client, row.python, row.family)) == f"{row.recorded_at}\0{row.run_id}"
    )
    if not evidence:
        return Verdict(UNKNOWN, ())
    green = all(r.failed == 0 and r.errors == 0 for r in evidence)
    return Verdict(YES if green else NO, evidence)
