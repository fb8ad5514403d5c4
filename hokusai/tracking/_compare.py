"""Compare two sets of metrics: per-metric deltas and whether the candidate is an improvement."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._values import is_number

# A metric whose name contains one of these words gets better as it goes down.
LOWER_IS_BETTER_WORDS = frozenset(
    {
        "loss",
        "error",
        "errors",
        "mse",
        "mae",
        "rmse",
        "mape",
        "smape",
        "msle",
        "rmsle",
        "latency",
        "perplexity",
        "brier",
        "wer",
        "cer",
        "time",
        "duration",
        "seconds",
        "ms",
    }
)
_WORD = re.compile(r"[a-z0-9]+")


def higher_is_better(name: str, lower_is_better: Iterable[str] = ()) -> bool:
    """Direction of a metric: explicit ``lower_is_better`` names, else a name heuristic (loss, mae...)."""
    if name in set(lower_is_better):
        return False
    return not any(word in LOWER_IS_BETTER_WORDS for word in _WORD.findall(name.lower()))


@dataclass(frozen=True)
class MetricDelta:
    """One metric of a comparison."""

    name: str
    baseline: float
    candidate: float
    higher_is_better: bool

    @property
    def delta(self) -> float:
        """``candidate - baseline``."""
        return self.candidate - self.baseline

    @property
    def relative_delta(self) -> float | None:
        """``delta / |baseline|`` (``None`` when the baseline is 0)."""
        return None if self.baseline == 0 else self.delta / abs(self.baseline)

    @property
    def improved(self) -> bool:
        """True when the candidate is strictly better on this metric."""
        return self.delta > 0 if self.higher_is_better else self.delta < 0

    @property
    def regressed(self) -> bool:
        """True when the candidate is strictly worse on this metric."""
        return self.delta < 0 if self.higher_is_better else self.delta > 0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict: baseline, candidate, delta, relative_delta, higher_is_better, improved."""
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "delta": self.delta,
            "relative_delta": self.relative_delta,
            "higher_is_better": self.higher_is_better,
            "improved": self.improved,
        }


@dataclass(frozen=True)
class Comparison:
    """Per-metric deltas between a baseline and a candidate."""

    metrics: tuple[MetricDelta, ...]

    @property
    def improvement(self) -> bool:
        """True when at least one metric improved and none regressed."""
        return any(m.improved for m in self.metrics) and not any(m.regressed for m in self.metrics)

    @property
    def improved_metrics(self) -> list[str]:
        """Names of the metrics that got better."""
        return [m.name for m in self.metrics if m.improved]

    @property
    def regressed_metrics(self) -> list[str]:
        """Names of the metrics that got worse."""
        return [m.name for m in self.metrics if m.regressed]

    def deltas(self) -> dict[str, float]:
        """``{metric: candidate - baseline}``."""
        return {m.name: m.delta for m in self.metrics}

    def as_dict(self) -> dict[str, Any]:
        """Plain dict: ``metrics`` (per metric), ``improvement``, ``improved`` and ``regressed`` names."""
        return {
            "metrics": {m.name: m.as_dict() for m in self.metrics},
            "improvement": self.improvement,
            "improved_metrics": self.improved_metrics,
            "regressed_metrics": self.regressed_metrics,
        }


def _numeric(metrics: Mapping[str, Any], side: str) -> dict[str, float]:
    if not isinstance(metrics, Mapping):
        raise InvalidParameterError(
            side, f"{side} must be a dict of metric name -> number, got {type(metrics).__name__}"
        )
    bad = sorted(name for name, value in metrics.items() if not is_number(value))
    if bad:
        raise InvalidParameterError(
            side,
            f"{side} has non-numeric or non-finite values for: {', '.join(map(str, bad))}",
            fix="pass finite numbers (int or float) for every metric",
        )
    return {str(name): float(value) for name, value in metrics.items()}


def compare_metrics(
    baseline: Mapping[str, Any],
    candidate: Mapping[str, Any],
    metric_names: Iterable[str] | None = None,
    *,
    lower_is_better: Iterable[str] = (),
    baseline_label: str = "baseline",
    candidate_label: str = "candidate",
) -> Comparison:
    """Compare ``metric_names`` (default: the metrics both sides have) of baseline and candidate."""
    base = _numeric(baseline, baseline_label)
    cand = _numeric(candidate, candidate_label)
    lower = tuple(lower_is_better)
    if metric_names is None:
        names = sorted(set(base) & set(cand))
        if not names:
            raise InvalidParameterError(
                "metric_names",
                f"{baseline_label} and {candidate_label} share no metric "
                f"({baseline_label}: {sorted(base) or 'none'}; {candidate_label}: {sorted(cand) or 'none'})",
                fix="log the same metrics for both, or pass metric_names= explicitly",
            )
    else:
        names = [metric_names] if isinstance(metric_names, str) else list(metric_names)
        for label, values in ((baseline_label, base), (candidate_label, cand)):
            missing = [n for n in names if n not in values]
            if missing:
                raise InvalidParameterError(
                    "metric_names",
                    f"{label} has no metric {', '.join(map(repr, missing))} "
                    f"(it has: {', '.join(sorted(values)) or 'none'})",
                    fix="compare only metrics both sides have",
                )
    return Comparison(tuple(MetricDelta(n, base[n], cand[n], higher_is_better(n, lower)) for n in names))
