"""API keys of the reference gateway: issued once, stored hashed in SQLite, validated in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hokusai_contracts.gateway import sqlite_file

READ, WRITE, ADMIN = "mlflow:read", "mlflow:write", "admin"
SCOPES = frozenset({READ, WRITE, ADMIN})
LIVE_PREFIX, TEST_PREFIX = "hk_live_", "hk_test_"
_BODY_LENGTH = 32
# The hash prefix the row is found by; the full hash is then compared in constant time.
_LOOKUP_LENGTH = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    lookup TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    last4 TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_lookup ON api_keys (lookup);
"""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def has_scope(granted: Iterable[str], required: str) -> bool:
    """True when ``granted`` includes ``required``; ``admin`` includes every scope."""
    granted = set(granted)
    return ADMIN in granted or required in granted


def looks_like_key(text: str) -> bool:
    """True when ``text`` has the shape of a Hokusai API key (``hk_live_``/``hk_test_`` + 32 chars)."""
    prefix = text[: len(TEST_PREFIX)]
    body = text[len(TEST_PREFIX) :]
    return (
        prefix in (LIVE_PREFIX, TEST_PREFIX)
        and len(body) == _BODY_LENGTH
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
    )


@dataclass(frozen=True)
class KeyRecord:
    """What the store knows about one key: never the key itself."""

    key_id: str
    prefix: str
    last4: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def display(self) -> str:
        """The key as it may be shown: ``hk_test_...abcd``."""
        return f"{self.prefix}...{self.last4}"

    def is_expired(self, now: datetime | None = None) -> bool:
        """True when the key has an expiry and it has passed."""
        return self.expires_at is not None and self.expires_at <= (now or utcnow())

    @property
    def is_revoked(self) -> bool:
        """True once the key was revoked."""
        return self.revoked_at is not None

    def allows(self, scope: str) -> bool:
        """True when the key carries ``scope`` (or ``admin``)."""
        return has_scope(self.scopes, scope)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class KeyStore:
    """API keys in one SQLite file, hashed with HMAC-SHA256 under a salt of that store."""

    def __init__(self, path: Path | str):
        self.path = sqlite_file.create(path, _SCHEMA)
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('salt', ?)", (secrets.token_hex(32),)
            )
            self._salt = bytes.fromhex(db.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()[0])

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_file.transaction(self.path)

    def _hash(self, key: str) -> str:
        return hmac.new(self._salt, key.encode(), hashlib.sha256).hexdigest()

    def issue(self, scopes: Iterable[str], expires_at: datetime | None = None, live: bool = False) -> str:
        """Store a new key with ``scopes`` and return it in plain text: the only time it is available."""
        scopes = tuple(sorted(set(scopes)))
        unknown = set(scopes) - SCOPES
        if unknown or not scopes:
            raise ValueError(f"scopes must be a non-empty subset of {sorted(SCOPES)}; got {list(scopes)}")
        if expires_at is not None and expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        prefix = LIVE_PREFIX if live else TEST_PREFIX
        body = secrets.token_urlsafe(_BODY_LENGTH)[:_BODY_LENGTH]
        key = prefix + body
        digest = self._hash(key)
        with self._connect() as db:
            db.execute(
                "INSERT INTO api_keys"
                " (key_id, lookup, key_hash, prefix, last4, scopes, expires_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"key_{secrets.token_hex(6)}",
                    digest[:_LOOKUP_LENGTH],
                    digest,
                    prefix,
                    body[-4:],
                    " ".join(scopes),
                    _iso(expires_at),
                    _iso(utcnow()),
                ),
            )
        return key

    def lookup(self, key: str) -> KeyRecord | None:
        """The record of ``key`` whatever its state (expired, revoked), None when unknown."""
        if not looks_like_key(key):
            return None
        digest = self._hash(key)
        with self._connect() as db:
            rows = db.execute(
                "SELECT key_hash, key_id, prefix, last4, scopes, created_at, expires_at, revoked_at"
                " FROM api_keys WHERE lookup = ?",
                (digest[:_LOOKUP_LENGTH],),
            ).fetchall()
        for stored, *fields in rows:
            if hmac.compare_digest(stored, digest):
                return _record(*fields)
        return None

    def validate(self, key: str, now: datetime | None = None) -> KeyRecord | None:
        """The record of ``key`` when it may be used now: known, not revoked, not expired."""
        record = self.lookup(key)
        if record is None or record.is_revoked or record.is_expired(now):
            return None
        return record

    def revoke(self, key_id: str) -> bool:
        """Revoke the key ``key_id``; False when there is no such (unrevoked) key."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (_iso(utcnow()), key_id),
            )
        return cursor.rowcount == 1

    def records(self) -> list[KeyRecord]:
        """Every key's record, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT key_id, prefix, last4, scopes, created_at, expires_at, revoked_at"
                " FROM api_keys ORDER BY created_at, key_id"
            ).fetchall()
        return [_record(*row) for row in rows]


def _record(key_id, prefix, last4, scopes, created_at, expires_at, revoked_at) -> KeyRecord:
    return KeyRecord(
        key_id=key_id,
        prefix=prefix,
        last4=last4,
        scopes=tuple(scopes.split()),
        created_at=_parse(created_at),
        expires_at=_parse(expires_at),
        revoked_at=_parse(revoked_at),
    )


def expired_at(now: datetime | None = None) -> datetime:
    """An expiry already in the past (for issuing expired test keys)."""
    return (now or utcnow()) - timedelta(hours=1)
