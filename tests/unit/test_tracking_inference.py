"""Validation of inference measurements and the in-memory summary (no MLflow needed)."""

from __future__ import annotations

import threading

import pytest

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking import PerformanceTracker
from hokusai.tracking._inference import InferenceStats, validate_inference

VALID = {"model_id": "churn", "model_version": 3, "latency_ms": 12.5}


def test_valid_measurement_is_split_into_metrics_and_tags():
    record = validate_inference(
        {**VALID, "confidence": 0.93, "batch_size": 8, "user_id": "u-1", "gpu_ms": 4, "region": "eu"}
    )
    assert (record.model_id, record.model_version, record.user_id) == ("churn", "3", "u-1")
    assert record.metrics == {"latency_ms": 12.5, "confidence": 0.93, "batch_size": 8.0, "gpu_ms": 4.0}
    assert record.tags == {"region": "eu"}
    assert record.model_key == "churn/3"


@pytest.mark.parametrize(
    ("metrics", "missing"),
    [
        ({}, "model_id, model_version, latency_ms"),
        ({"model_id": "m", "model_version": "1"}, "latency_ms"),
        ({"latency_ms": 3}, "model_id, model_version"),
        ({**VALID, "model_id": None}, "model_id"),
    ],
)
def test_missing_keys_are_named_with_the_fix(metrics, missing):
    with pytest.raises(InvalidParameterError) as info:
        validate_inference(metrics)
    text = str(info.value)
    assert f"missing required key(s): {missing}" in text
    assert "How to fix: include model_id, model_version, latency_ms" in text


@pytest.mark.parametrize("latency", ["12ms", None, float("nan"), float("inf"), True, [1]])
def test_non_numeric_latency_is_rejected(latency):
    metrics = {**VALID, "latency_ms": latency}
    with pytest.raises(InvalidParameterError, match="latency_ms"):
        validate_inference(metrics)


def test_negative_latency_is_rejected():
    with pytest.raises(InvalidParameterError, match="at least 0"):
        validate_inference({**VALID, "latency_ms": -1})


@pytest.mark.parametrize(("key", "value"), [("confidence", "high"), ("batch_size", 0), ("model_id", "  ")])
def test_invalid_optional_and_identity_fields(key, value):
    with pytest.raises(InvalidParameterError, match=key):
        validate_inference({**VALID, key: value})


def test_non_mapping_is_rejected():
    with pytest.raises(InvalidParameterError, match="takes a dict"):
        validate_inference([("model_id", "m")])


def test_tracker_validates_before_any_network_call():
    # Port 9 (discard) on loopback: any MLflow call would fail; validation must come first.
    tracker = PerformanceTracker("http://127.0.0.1:9")
    with pytest.raises(InvalidParameterError, match="latency_ms"):
        tracker.track_inference({"model_id": "m", "model_version": "1"})
    with pytest.raises(InvalidParameterError, match="must be a finite number"):
        tracker.track_inference(model_id="m", model_version="1", latency_ms="fast")
    with pytest.raises(InvalidParameterError, match=r"missing required key\(s\): model_version, latency_ms"):
        tracker.track_inference(metrics={"model_id": "m"})
    assert tracker.get_summary()["inference_count"] == 0


def test_summary_counts_and_latency_statistics():
    stats = InferenceStats()
    for version, latency in (("1", 10), ("1", 20), ("2", 30)):
        stats.add(validate_inference({"model_id": "m", "model_version": version, "latency_ms": latency}))
    stats.add_improvement()
    summary = stats.summary()
    assert summary["inference_count"] == 3
    assert summary["mean_latency_ms"] == pytest.approx(20)
    assert (summary["min_latency_ms"], summary["max_latency_ms"]) == (10, 30)
    assert summary["improvement_count"] == 1
    assert summary["models"]["m/1"] == {
        "count": 2,
        "mean_latency_ms": 15,
        "min_latency_ms": 10,
        "max_latency_ms": 20,
    }


def test_empty_summary():
    assert InferenceStats().summary()["mean_latency_ms"] is None


def test_summary_is_thread_safe():
    stats = InferenceStats()
    record = validate_inference(VALID)

    def add_many():
        for _ in range(500):
            stats.add(record)

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats.summary()["inference_count"] == 2000
