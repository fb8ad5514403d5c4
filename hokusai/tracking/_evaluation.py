"""Score predictions against labels (plain Python: no scikit-learn needed at runtime)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hokusai.exceptions import InvalidParameterError

CLASSIFICATION_DEFAULTS = ("accuracy", "f1")
REGRESSION_DEFAULTS = ("rmse", "mae", "r2")


def _flat(values: Any) -> list[Any]:
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    if hasattr(values, "tolist"):
        values = values.tolist()
    flat = list(values)
    # A single-column 2-D prediction ([[0.3], [0.9]]) is the 1-D column.
    return [v[0] if isinstance(v, list | tuple) and len(v) == 1 else v for v in flat]


def is_classification(labels: Sequence[Any]) -> bool:
    """True when every label is a bool, str, or whole number (then accuracy/f1 make sense)."""
    return all(
        isinstance(v, bool | str) or (isinstance(v, int | float) and float(v).is_integer()) for v in labels
    )


def _accuracy(y: list[Any], p: list[Any]) -> float:
    return sum(a == b for a, b in zip(y, p, strict=True)) / len(y)


def _per_class(y: list[Any], p: list[Any]) -> list[tuple[float, float, float]]:
    scores = []
    for cls in sorted(set(y) | set(p), key=repr):
        tp = sum(a == cls and b == cls for a, b in zip(y, p, strict=True))
        fp = sum(a != cls and b == cls for a, b in zip(y, p, strict=True))
        fn = sum(a == cls and b != cls for a, b in zip(y, p, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append((precision, recall, f1))
    return scores


def _macro(index: int) -> Callable[[list[Any], list[Any]], float]:
    def score(y: list[Any], p: list[Any]) -> float:
        per_class = _per_class(y, p)
        return sum(s[index] for s in per_class) / len(per_class)

    return score


def _mse(y: list[Any], p: list[Any]) -> float:
    return sum((float(a) - float(b)) ** 2 for a, b in zip(y, p, strict=True)) / len(y)


def _mae(y: list[Any], p: list[Any]) -> float:
    return sum(abs(float(a) - float(b)) for a, b in zip(y, p, strict=True)) / len(y)


def _r2(y: list[Any], p: list[Any]) -> float:
    mean = sum(float(a) for a in y) / len(y)
    total = sum((float(a) - mean) ** 2 for a in y)
    residual = sum((float(a) - float(b)) ** 2 for a, b in zip(y, p, strict=True))
    return 1.0 - residual / total if total else 0.0


METRICS: Mapping[str, Callable[[list[Any], list[Any]], float]] = {
    "accuracy": _accuracy,
    "precision": _macro(0),
    "recall": _macro(1),
    "f1": _macro(2),
    "f1_score": _macro(2),
    "mse": _mse,
    "rmse": lambda y, p: math.sqrt(_mse(y, p)),
    "mae": _mae,
    "r2": _r2,
}


def score_predictions(
    labels: Any, predictions: Any, metric_names: Sequence[str] | None = None
) -> dict[str, float]:
    """``{metric: value}`` for ``metric_names`` (default: accuracy/f1 or rmse/mae/r2 by label type)."""
    y, p = _flat(labels), _flat(predictions)
    if not y or len(y) != len(p):
        raise InvalidParameterError(
            "test_data",
            f"got {len(y)} labels and {len(p)} predictions",
            fix="pass test data with one label per row of features (and at least one row)",
        )
    names = list(metric_names) if metric_names else None
    if names is None:
        names = list(CLASSIFICATION_DEFAULTS if is_classification(y) else REGRESSION_DEFAULTS)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise InvalidParameterError(
            "metric_names",
            f"cannot compute {', '.join(map(repr, unknown))} from test data",
            fix=f"choose among {', '.join(METRICS)} (or compare logged metrics without test_data)",
        )
    return {name: float(METRICS[name](y, p)) for name in names}
