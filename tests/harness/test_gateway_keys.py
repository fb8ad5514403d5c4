"""The gateway's key store: keys are stored hashed, compared in constant time, and expire and revoke."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import timedelta

import pytest

from hokusai_contracts.gateway import keys as keys_module
from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE, KeyStore, expired_at, has_scope, utcnow

KEY_FORMAT = re.compile(r"hk_test_[A-Za-z0-9_\-]{32}")


@pytest.fixture
def store(tmp_path) -> KeyStore:
    return KeyStore(tmp_path / "keys.db")


def _store_bytes(store: KeyStore) -> bytes:
    # Every file SQLite may have written (journal and WAL included).
    return b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.name.startswith(store.path.name))


def test_issue_returns_a_key_of_the_documented_format(store):
    key = store.issue([READ])
    assert KEY_FORMAT.fullmatch(key)
    assert store.issue([READ], live=True).startswith("hk_live_")


def test_the_plain_key_is_not_in_the_store_file(store):
    key = store.issue([READ, WRITE])
    body = key.removeprefix("hk_test_")
    data = _store_bytes(store)
    # Booleans, not the key, in the assertions: pytest would print the operands of a failing `in`.
    stored_key = key.encode() in data
    stored_body = body.encode() in data
    stored_unsalted = hashlib.sha256(key.encode()).hexdigest().encode() in data
    assert not stored_key, "the plain key is stored"
    assert not stored_body, "the key's secret part is stored"
    assert not stored_unsalted, "an unsalted hash of the key is stored"


def test_the_stored_hash_is_salted_per_store(tmp_path):
    first, second = KeyStore(tmp_path / "a.db"), KeyStore(tmp_path / "b.db")
    key = first.issue([READ])
    assert first._hash(key) != second._hash(key)
    with sqlite3.connect(first.path) as db:
        (stored,) = db.execute("SELECT key_hash FROM api_keys").fetchone()
    assert stored == first._hash(key)
    assert second.validate(key) is None


def test_validate_returns_the_record_without_the_key(store):
    key = store.issue([READ, WRITE])
    record = store.validate(key)
    assert record is not None
    assert record.scopes == (READ, WRITE)
    assert record.last4 == key[-4:]
    assert record.display == f"hk_test_...{key[-4:]}"
    assert record.key_id.startswith("key_")
    assert record.expires_at is None and not record.is_revoked


@pytest.mark.parametrize("mutate", [lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), lambda k: k + "x"])
def test_unknown_and_tampered_keys_are_not_valid(store, mutate):
    key = store.issue([READ])
    assert store.validate(mutate(key)) is None
    assert store.validate("hk_test_" + "a" * 32) is None


@pytest.mark.parametrize(
    "text", ["", "hk_test_short", "Bearer hk_test_x", "hk_prod_" + "a" * 32, "hk_test_" + "é" * 32]
)
def test_malformed_keys_are_not_valid(store, text):
    assert store.lookup(text) is None


def test_the_full_hash_is_compared_in_constant_time(store, monkeypatch):
    key = store.issue([READ])
    calls = []
    real = keys_module.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(keys_module.hmac, "compare_digest", spy)
    assert store.validate(key) is not None
    assert calls == [(64, 64)]


def test_expired_keys_are_known_but_not_valid(store):
    expired = store.issue([READ], expires_at=expired_at())
    assert store.validate(expired) is None
    record = store.lookup(expired)
    assert record is not None and record.is_expired()


def test_a_key_is_valid_until_its_expiry(store):
    expiry = utcnow() + timedelta(hours=1)
    key = store.issue([READ], expires_at=expiry)
    assert store.validate(key) is not None
    assert store.validate(key, now=expiry + timedelta(seconds=1)) is None


def test_naive_expiry_is_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.issue([READ], expires_at=utcnow().replace(tzinfo=None))


def test_revoked_keys_are_not_valid(store):
    key = store.issue([READ])
    key_id = store.validate(key).key_id
    assert store.revoke(key_id) is True
    assert store.validate(key) is None
    assert store.lookup(key).is_revoked
    assert store.revoke(key_id) is False
    assert store.revoke("key_unknown") is False


def test_scopes(store):
    read = store.validate(store.issue([READ]))
    admin = store.validate(store.issue([ADMIN]))
    assert read.allows(READ) and not read.allows(WRITE)
    assert admin.allows(READ) and admin.allows(WRITE) and admin.allows(ADMIN)
    assert has_scope([WRITE], WRITE) and not has_scope([WRITE], READ)


@pytest.mark.parametrize("scopes", [[], ["mlflow:delete"], [READ, "everything"]])
def test_unknown_or_no_scopes_are_refused(store, scopes):
    with pytest.raises(ValueError, match="scopes"):
        store.issue(scopes)


def test_records_list_every_key_without_secrets(store):
    store.issue([READ])
    store.issue([ADMIN], expires_at=expired_at())
    records = store.records()
    assert [r.scopes for r in records] == [(READ,), (ADMIN,)]
    assert all(len(r.last4) == 4 for r in records)


def test_two_store_objects_share_one_file(tmp_path):
    # The gateway process and the test process open the same file: the salt must not be re-created.
    key = KeyStore(tmp_path / "keys.db").issue([READ])
    assert KeyStore(tmp_path / "keys.db").validate(key) is not None
