"""Validate one inference measurement and keep a running in-memory summary of them."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._values import MAX_TAG_VALUE, is_number, mlflow_key, truncate

REQUIRED_KEYS = ("model_id", "model_version", "latency_ms")
_EXAMPLE = "{'model_id': 'my-model', 'model_version': '3', 'latency_ms': 12.5}"


@dataclass(frozen=True)
class InferenceRecord:
    """A validated inference measurement: identity, numeric metrics, and string tags."""

    model_id: str
    model_version: str
    metrics: dict[str, float]
    tags: dict[str, str] = field(default_factory=dict)
    user_id: str | None = None

    @property
    def latency_ms(self) -> float:
        """The measured latency in milliseconds."""
        return self.metrics["latency_ms"]

    @property
    def model_key(self) -> str:
        """``model_id/model_version``, the key of the per-model summary."""
        return f"{self.model_id}/{self.model_version}"


def _identifier(metrics: Mapping[str, Any], key: str) -> str:
    value = metrics[key]
    if isinstance(value, bool) or value is None or not isinstance(value, str | int) or not str(value).strip():
        raise InvalidParameterError(
            key,
            f"{key} must be a non-empty string (or an int version), got {value!r}",
            fix=f"pass e.g. {_EXAMPLE}",
        )
    return str(value).strip()


def _number(metrics: Mapping[str, Any], key: str, *, minimum: float | None = None) -> float:
    value = metrics[key]
    if not is_number(value):
        raise InvalidParameterError(
            key,
            f"{key} must be a finite number, got {value!r} ({type(value).__name__})",
            fix=f"pass {key} as an int or float, e.g. {_EXAMPLE}",
        )
    number = float(value)
    if minimum is not None and number < minimum:
        raise InvalidParameterError(key, f"{key} must be at least {minimum:g}, got {number:g}")
    return number


def validate_inference(metrics: Any) -> InferenceRecord:
    """Check an inference measurement and split it into metrics (numbers) and tags (text)."""
    if not isinstance(metrics, Mapping):
        raise InvalidParameterError(
            "metrics",
            f"track_inference() takes a dict of measurements, got {type(metrics).__name__}",
            fix=f"pass e.g. {_EXAMPLE}",
        )
    missing = [key for key in REQUIRED_KEYS if metrics.get(key) is None]
    if missing:
        raise InvalidParameterError(
            missing[0],
            f"track_inference() is missing required key(s): {', '.join(missing)}",
            fix=f"include {', '.join(REQUIRED_KEYS)}, e.g. {_EXAMPLE}",
        )
    model_id = _identifier(metrics, "model_id")
    model_version = _identifier(metrics, "model_version")
    numbers = {"latency_ms": _number(metrics, "latency_ms", minimum=0)}
    if metrics.get("confidence") is not None:
        numbers["confidence"] = _number(metrics, "confidence")
    if metrics.get("batch_size") is not None:
        numbers["batch_size"] = _number(metrics, "batch_size", minimum=1)
    user_id = None if metrics.get("user_id") is None else str(metrics["user_id"])
    tags: dict[str, str] = {}
    handled = {*REQUIRED_KEYS, "confidence", "batch_size", "user_id"}
    for key, value in metrics.items():
        if key in handled or value is None:
            continue
        if is_number(value):
            numbers[mlflow_key(key)] = float(value)
        else:
            # Non-numeric extras are kept as tags rather than dropped.
            tags[mlflow_key(key)] = truncate(value, MAX_TAG_VALUE)
    return InferenceRecord(model_id, model_version, numbers, tags, user_id)


@dataclass
class _Aggregate:
    count: int = 0
    total_latency: float = 0.0
    min_latency: float = float("inf")
    max_latency: float = 0.0

    def add(self, latency: float) -> None:
        self.count += 1
        self.total_latency += latency
        self.min_latency = min(self.min_latency, latency)
        self.max_latency = max(self.max_latency, latency)

    def as_dict(self) -> dict[str, Any]:
        if not self.count:
            return {"count": 0, "mean_latency_ms": None, "min_latency_ms": None, "max_latency_ms": None}
        return {
            "count": self.count,
            "mean_latency_ms": self.total_latency / self.count,
            "min_latency_ms": self.min_latency,
            "max_latency_ms": self.max_latency,
        }


class InferenceStats:
    """Thread-safe running counts and latency statistics, overall and per model version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._overall = _Aggregate()
        self._models: dict[str, _Aggregate] = {}
        self.improvements = 0

    def add(self, record: InferenceRecord) -> None:
        """Count one tracked inference."""
        with self._lock:
            self._overall.add(record.latency_ms)
            self._models.setdefault(record.model_key, _Aggregate()).add(record.latency_ms)

    def add_improvement(self) -> None:
        """Count one tracked improvement."""
        with self._lock:
            self.improvements += 1

    def summary(self) -> dict[str, Any]:
        """Counts and latency stats: ``inference_count``, ``mean_latency_ms``..., ``models``."""
        with self._lock:
            overall = self._overall.as_dict()
            return {
                "inference_count": overall.pop("count"),
                **overall,
                "improvement_count": self.improvements,
                "models": {key: agg.as_dict() for key, agg in sorted(self._models.items())},
            }
