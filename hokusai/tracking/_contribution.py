"""Summarize contributed data (hash, size, contributor) for logging next to an experiment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._values import is_scalar

_HASH_KEYS = ("data_hash", "dataset_hash", "hash")
_ROW_KEYS = ("rows", "row_count", "num_rows", "n_rows", "data_size", "num_samples", "size")
_COLUMN_KEYS = ("columns", "num_columns", "n_columns", "num_features", "n_features")
_CONTRIBUTOR_KEYS = ("contributor_id", "contributor")
_RECORD_KEYS = ("features", "data", "records")
_RESERVED = {*_HASH_KEYS, *_ROW_KEYS, *_COLUMN_KEYS, *_CONTRIBUTOR_KEYS, *_RECORD_KEYS, "metadata"}


@dataclass(frozen=True)
class ContributionSummary:
    """What is logged about a data contribution: its hash, size, contributor and scalar metadata."""

    data_hash: str
    hash_source: str
    rows: int | None = None
    columns: int | None = None
    contributor_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (``None`` fields left out), metadata merged in."""
        base = {
            "data_hash": self.data_hash,
            "hash_source": self.hash_source,
            "rows": self.rows,
            "columns": self.columns,
            "contributor_id": self.contributor_id,
        }
        merged = {**self.metadata, **base}
        return {key: value for key, value in merged.items() if value is not None}


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    return repr(value)


def content_hash(data: Any) -> str:
    """A stable ``sha256:`` digest of JSON-like data (dict order does not matter)."""
    payload = json.dumps(data, sort_keys=True, default=_json_default, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def _is_frame(data: Any) -> bool:
    return hasattr(data, "shape") and hasattr(data, "columns") and hasattr(data, "to_numpy")


def _frame_hash(frame: Any) -> str:
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def _first(mapping: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)


def _width(records: Any) -> int | None:
    if isinstance(records, Sequence) and records and not isinstance(records, str):
        first = records[0]
        if isinstance(first, Mapping | Sequence) and not isinstance(first, str):
            return len(first)
    shape = getattr(records, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    return None


def _length(records: Any) -> int | None:
    try:
        return len(records)
    except TypeError:
        return None


def _as_int(value: Any, key: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            key, f"contributed data field '{key}' must be a whole number, got {value!r}"
        ) from None


def _summarize_mapping(data: Mapping[str, Any]) -> ContributionSummary:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), Mapping) else {}
    merged = {**metadata, **{k: v for k, v in data.items() if k != "metadata"}}
    records = _first(data, _RECORD_KEYS)
    given_hash = _first(merged, _HASH_KEYS)
    rows = _as_int(_first(merged, _ROW_KEYS), "rows")
    columns = _as_int(_first(merged, _COLUMN_KEYS), "columns")
    if records is not None:
        rows = rows if rows is not None else _length(records)
        columns = columns if columns is not None else _width(records)
    if given_hash is not None:
        data_hash, source = str(given_hash), "provided"
    elif records is not None and _is_frame(records):
        data_hash, source = _frame_hash(records), "computed"
    else:
        data_hash, source = content_hash(records if records is not None else dict(data)), "computed"
    contributor = _first(merged, _CONTRIBUTOR_KEYS)
    extra = {
        str(key): value
        for key, value in merged.items()
        if key not in _RESERVED and is_scalar(value) and value is not None
    }
    return ContributionSummary(
        data_hash=data_hash,
        hash_source=source,
        rows=rows,
        columns=columns,
        contributor_id=None if contributor is None else str(contributor),
        metadata=extra,
    )


def summarize_contribution(data: Any) -> ContributionSummary:
    """Summarize a dict (with ``data_hash``/``rows``/``features``/``metadata``...), a DataFrame or rows."""
    if data is None:
        raise InvalidParameterError(
            "contributed_data",
            "contributed_data is required",
            fix="pass a dict such as {'data_hash': ..., 'rows': ...}, a DataFrame or a list of records",
        )
    if isinstance(data, Mapping):
        return _summarize_mapping(data)
    if _is_frame(data):
        rows, columns = (int(n) for n in data.shape[:2])
        return ContributionSummary(
            data_hash=_frame_hash(data), hash_source="computed", rows=rows, columns=columns
        )
    if (isinstance(data, Sequence) and not isinstance(data, str | bytes)) or hasattr(data, "tolist"):
        return ContributionSummary(
            data_hash=content_hash(data), hash_source="computed", rows=_length(data), columns=_width(data)
        )
    raise InvalidParameterError(
        "contributed_data",
        f"contributed_data must be a dict, a DataFrame or a list of records, got {type(data).__name__}",
        fix="pass e.g. {'data_hash': 'sha256:...', 'rows': 1000, 'contributor_id': '...'}",
    )
