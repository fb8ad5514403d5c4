"""Running metric statistics of an A/B test variant and the two-sample test that compares them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class RunningStats:
    """Count, mean and variance of a stream of values (Welford's algorithm: no samples are kept)."""

    count: int = 0
    mean: float = 0.0
    _m2: float = 0.0

    def add(self, value: float) -> None:
        """Include one value."""
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (value - self.mean)

    @property
    def variance(self) -> float | None:
        """The sample variance (n - 1 denominator); None with fewer than two values."""
        return self._m2 / (self.count - 1) if self.count > 1 else None

    @property
    def std(self) -> float | None:
        """The sample standard deviation; None with fewer than two values."""
        variance = self.variance
        return math.sqrt(variance) if variance is not None else None


def welch_p_value(a: RunningStats, b: RunningStats) -> float | None:
    """Two-sided p-value of Welch's t-test that ``a`` and ``b`` have the same mean.

    None when it cannot be computed honestly: fewer than two values on a side, no variance on
    either side, or SciPy (a dependency of MLflow) missing.
    """
    if a.count < 2 or b.count < 2:
        return None
    assert a.variance is not None and b.variance is not None
    if a.variance == 0 and b.variance == 0:
        return None
    try:
        from scipy import stats
    except ImportError:  # pragma: no cover - mlflow depends on scipy
        return None
    result = stats.ttest_ind_from_stats(
        a.mean, a.std, a.count, b.mean, b.std, b.count, equal_var=False, alternative="two-sided"
    )
    p_value = float(result.pvalue)
    return p_value if math.isfinite(p_value) else None
