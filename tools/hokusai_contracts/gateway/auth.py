"""Decide on a request's credentials: which key it carries, whether that key may be used, and for what."""

from __future__ import annotations

from datetime import datetime

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.keys import KeyRecord, KeyStore, looks_like_key
from hokusai_contracts.gateway.policy import scope_purpose


def bearer_key(authorization: str | None) -> str:
    """The API key in an ``Authorization: Bearer <key>`` header; GatewayError (401) when there is none."""
    if not authorization or not authorization.strip():
        raise errors.missing_key()
    scheme, _, value = authorization.strip().partition(" ")
    key = value.strip()
    if scheme.lower() != "bearer" or not looks_like_key(key):
        raise errors.malformed_key()
    return key


def authenticate(store: KeyStore, authorization: str | None, now: datetime | None = None) -> KeyRecord:
    """The record of the usable key in ``authorization``; GatewayError (401) otherwise."""
    key = bearer_key(authorization)
    record = store.lookup(key)
    if record is None:
        raise errors.unknown_key(_display(key))
    if record.is_revoked:
        raise errors.revoked_key(record.display)
    if record.is_expired(now):
        raise errors.expired_key(record.display, record.expires_at.isoformat())
    return record


def authorize(record: KeyRecord, scope: str) -> None:
    """Return when ``record`` carries ``scope``; GatewayError (403) naming the scope otherwise."""
    if not record.allows(scope):
        raise errors.insufficient_scope(record.display, scope, scope_purpose(scope))


def _display(key: str) -> str:
    # An unknown key is shown like a known one: kind and last four characters, never more.
    prefix, body = key[:8], key[8:]
    return f"{prefix}...{body[-4:]}"
