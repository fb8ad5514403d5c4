"""Metric comparison: deltas, direction of each metric, and the overall improvement flag."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._compare import compare_metrics, higher_is_better


@pytest.mark.parametrize("name", ["accuracy", "f1", "auroc", "r2", "precision", "throughput"])
def test_higher_is_better_metrics(name):
    assert higher_is_better(name)


@pytest.mark.parametrize(
    "name", ["loss", "val_loss", "rmse", "MAE", "latency_ms", "error_rate", "train.time"]
)
def test_lower_is_better_metrics(name):
    assert not higher_is_better(name)


def test_explicit_lower_is_better_overrides_the_heuristic():
    assert not higher_is_better("score", lower_is_better=["score"])


def test_deltas_and_improvement_flag():
    result = compare_metrics({"accuracy": 0.8, "loss": 0.5}, {"accuracy": 0.9, "loss": 0.4})
    as_dict = result.as_dict()
    assert as_dict["metrics"]["accuracy"]["delta"] == pytest.approx(0.1)
    assert as_dict["metrics"]["accuracy"]["relative_delta"] == pytest.approx(0.125)
    assert as_dict["metrics"]["loss"]["delta"] == pytest.approx(-0.1)
    assert as_dict["metrics"]["loss"]["improved"] is True
    assert as_dict["improvement"] is True
    assert as_dict["improved_metrics"] == ["accuracy", "loss"]
    assert as_dict["regressed_metrics"] == []


def test_one_regression_means_no_improvement():
    result = compare_metrics({"accuracy": 0.8, "loss": 0.5}, {"accuracy": 0.9, "loss": 0.6})
    assert result.improvement is False
    assert result.regressed_metrics == ["loss"]


def test_no_change_is_not_an_improvement():
    assert compare_metrics({"accuracy": 0.8}, {"accuracy": 0.8}).improvement is False


def test_default_names_are_the_shared_metrics():
    result = compare_metrics({"a": 1, "b": 2}, {"b": 3, "c": 4})
    assert [m.name for m in result.metrics] == ["b"]


def test_no_shared_metric_names_both_sides():
    with pytest.raises(InvalidParameterError, match=r"share no metric.*\['a'\].*\['c'\]"):
        compare_metrics({"a": 1}, {"c": 2})


def test_missing_requested_metric_names_the_side_and_what_it_has():
    with pytest.raises(InvalidParameterError, match=r"candidate has no metric 'f1' \(it has: accuracy\)"):
        compare_metrics({"accuracy": 1, "f1": 1}, {"accuracy": 1}, ["accuracy", "f1"])


def test_single_metric_name_string_is_accepted():
    assert [m.name for m in compare_metrics({"a": 1}, {"a": 2}, "a").metrics] == ["a"]


@pytest.mark.parametrize("bad", ["0.9", None, float("nan"), True])
def test_non_numeric_values_are_rejected(bad):
    with pytest.raises(InvalidParameterError, match="non-numeric or non-finite"):
        compare_metrics({"accuracy": bad}, {"accuracy": 0.9})


def test_zero_baseline_has_no_relative_delta():
    assert compare_metrics({"a": 0}, {"a": 1}).metrics[0].relative_delta is None


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)


@given(
    st.dictionaries(
        st.sampled_from(["accuracy", "loss", "f1", "rmse"]), st.tuples(finite, finite), min_size=1
    )
)
def test_comparison_properties(pairs):
    baseline = {k: v[0] for k, v in pairs.items()}
    candidate = {k: v[1] for k, v in pairs.items()}
    result = compare_metrics(baseline, candidate)
    for metric in result.metrics:
        assert math.isclose(metric.delta, candidate[metric.name] - baseline[metric.name])
        assert not (metric.improved and metric.regressed)
    assert result.improvement == (bool(result.improved_metrics) and not result.regressed_metrics)
