"""Scoring predictions against labels (used by compare_models with test_data)."""

from __future__ import annotations

import math

import pytest

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._evaluation import is_classification, score_predictions


def test_classification_defaults_to_accuracy_and_f1():
    scores = score_predictions([0, 1, 1, 0], [0, 1, 0, 0])
    assert scores["accuracy"] == pytest.approx(0.75)
    # class 0: p=2/3 r=1 f1=0.8; class 1: p=1 r=0.5 f1=2/3 -> macro 0.7333
    assert scores["f1"] == pytest.approx((0.8 + 2 / 3) / 2)


def test_regression_defaults():
    scores = score_predictions([1.5, 2.5, 3.5], [1.0, 2.5, 4.0])
    assert scores["mae"] == pytest.approx(1 / 3)
    assert scores["rmse"] == pytest.approx(math.sqrt(0.5 / 3))
    assert scores["r2"] == pytest.approx(1 - 0.5 / 2)


def test_numpy_and_column_vectors_are_flattened():
    np = pytest.importorskip("numpy")
    scores = score_predictions(np.array([0, 1]), np.array([[0], [1]]), ["accuracy"])
    assert scores == {"accuracy": 1.0}


def test_is_classification():
    assert is_classification([0, 1, 2.0, True, "cat"])
    assert not is_classification([0.5, 1])


def test_length_mismatch_is_explained():
    with pytest.raises(InvalidParameterError, match="2 labels and 3 predictions"):
        score_predictions([0, 1], [0, 1, 1])


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(InvalidParameterError, match="auroc") as info:
        score_predictions([0, 1], [0, 1], ["auroc"])
    assert "accuracy" in str(info.value)
