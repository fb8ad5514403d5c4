"""Tokenized registration events: the payload's schema (pydantic) and their SQLite store."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from hokusai_contracts.gateway import sqlite_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS registration_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    token_id TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    baseline_value REAL NOT NULL,
    mlflow_run_id TEXT NOT NULL,
    tags TEXT NOT NULL,
    key_id TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""


def _version_text(value: object) -> object:
    # MLflow versions are strings ("1"), but callers often send the number.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RegistrationEvent(BaseModel):
    """A model version registered with a Hokusai token, as the SDK reports it to the platform."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(min_length=1, max_length=256)
    model_version: Annotated[str, BeforeValidator(_version_text)] = Field(
        min_length=1, max_length=64, description="MLflow model version, e.g. '1'"
    )
    token_id: str = Field(min_length=1, max_length=64, description="The Hokusai token, e.g. 'XRAY'")
    metric_name: str = Field(min_length=1, max_length=256)
    baseline_value: float = Field(allow_inf_nan=False)
    mlflow_run_id: str = Field(min_length=1, max_length=64)
    tags: dict[str, str] | None = None


class StoredRegistrationEvent(RegistrationEvent):
    """A registration event as stored: with its id, the key that sent it and when it arrived."""

    id: int
    key_id: str
    received_at: datetime


class EventList(BaseModel):
    """The stored events, oldest first."""

    events: list[StoredRegistrationEvent]


class EventStore:
    """Registration events in one SQLite file."""

    def __init__(self, path: Path | str):
        self.path = sqlite_file.create(path, _SCHEMA)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_file.transaction(self.path)

    def add(self, event: RegistrationEvent, key_id: str) -> StoredRegistrationEvent:
        """Store ``event`` sent with the key ``key_id``."""
        received = datetime.now(timezone.utc)
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO registration_events (model_name, model_version, token_id, metric_name,"
                " baseline_value, mlflow_run_id, tags, key_id, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.model_name,
                    event.model_version,
                    event.token_id,
                    event.metric_name,
                    event.baseline_value,
                    event.mlflow_run_id,
                    json.dumps(event.tags or {}, sort_keys=True),
                    key_id,
                    received.isoformat(),
                ),
            )
        return StoredRegistrationEvent(
            **event.model_dump(), id=cursor.lastrowid, key_id=key_id, received_at=received
        )

    def events(
        self, model_name: str | None = None, token_id: str | None = None
    ) -> list[StoredRegistrationEvent]:
        """The stored events, oldest first, optionally only those of one model or token."""
        query = (
            "SELECT id, model_name, model_version, token_id, metric_name, baseline_value, mlflow_run_id,"
            " tags, key_id, received_at FROM registration_events"
        )
        clauses, values = [], []
        if model_name is not None:
            clauses.append("model_name = ?")
            values.append(model_name)
        if token_id is not None:
            clauses.append("token_id = ?")
            values.append(token_id)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", values).fetchall()
        return [_stored(*row) for row in rows]


def _stored(id_, model_name, version, token_id, metric, baseline, run_id, tags, key_id, received):
    return StoredRegistrationEvent(
        id=id_,
        model_name=model_name,
        model_version=version,
        token_id=token_id,
        metric_name=metric,
        baseline_value=baseline,
        mlflow_run_id=run_id,
        tags=json.loads(tags) or None,
        key_id=key_id,
        received_at=datetime.fromisoformat(received),
    )
