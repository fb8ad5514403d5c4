"""A/B tests between registered models: deterministic traffic routing, metrics and results.

A test splits users between variants (e.g. ``model_a`` / ``model_b``), each served by a model
reference ``"name/version"`` (or ``"name"`` for its latest version). A user is assigned by hashing
``(test_id, user_id)`` with SHA-256 into [0, 1) and walking the cumulative split, so the same user
always gets the same variant, in every process, without shared state. Tests, request counts and
metrics are kept in memory by the router that created them.
"""

from __future__ import annotations

import copy
import enum
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from hokusai.core._ab_stats import RunningStats, welch_p_value
from hokusai.core._store import require_name
from hokusai.core.entries import parse_model_id
from hokusai.exceptions import InvalidParameterError, MethodNotImplementedError, ModelNotFoundError

__all__ = [
    "ABTestConfig",
    "ABTestResult",
    "ABTestStatus",
    "ModelTrafficRouter",
    "RoutingDecision",
    "TrafficSplit",
    "bucket",
]

SUM_TOLERANCE = 1e-6
_EXAMPLE_SPLIT = "{'model_a': 0.5, 'model_b': 0.5}"


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def bucket(test_id: str, user_id: str) -> float:
    """The user's fixed point in [0, 1) for this test: SHA-256 of both ids, stable across processes."""
    digest = hashlib.sha256(json.dumps([test_id, user_id]).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class TrafficSplit:
    """The share of users each variant gets; the weights are >= 0 and sum to 1.0."""

    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        weights = self.weights
        if not isinstance(weights, Mapping):
            raise InvalidParameterError(
                "traffic_split",
                f"traffic_split must map variant names to weights, got {type(weights).__name__}",
                fix=f"pass e.g. {_EXAMPLE_SPLIT}",
            )
        if len(weights) < 2:
            raise InvalidParameterError(
                "traffic_split",
                f"an A/B test needs at least two variants, got {len(weights)}: {dict(weights)}",
                fix=f"pass e.g. {_EXAMPLE_SPLIT}",
            )
        for variant, weight in weights.items():
            if not isinstance(variant, str) or not variant.strip():
                raise InvalidParameterError(
                    "traffic_split", f"variant names must be non-empty strings, got {variant!r}"
                )
            if not _is_number(weight) or weight < 0:
                raise InvalidParameterError(
                    "traffic_split",
                    f"the weight of variant {variant!r} must be a finite number >= 0, got {weight!r}",
                    fix=f"pass e.g. {_EXAMPLE_SPLIT}",
                )
        total = math.fsum(weights.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            scaled = {v: round(w / total, 6) for v, w in weights.items()} if total > 0 else None
            raise InvalidParameterError(
                "traffic_split",
                f"traffic split weights must sum to 1.0, got {total:g} for {dict(weights)}",
                fix=f"divide each weight by {total:g}: {scaled}"
                if scaled
                else f"give at least one variant a positive weight, e.g. {_EXAMPLE_SPLIT}",
            )
        object.__setattr__(self, "weights", {v: float(weights[v]) for v in sorted(weights)})

    @classmethod
    def from_dict(cls, weights: Mapping[str, float]) -> TrafficSplit:
        """A split from ``{variant: weight}``."""
        return cls(weights)

    @property
    def variants(self) -> tuple[str, ...]:
        """The variant names, sorted (the order of the cumulative walk)."""
        return tuple(self.weights)

    def choose(self, point: float) -> str:
        """The variant whose cumulative interval contains ``point`` (a number in [0, 1))."""
        cumulative = 0.0
        for variant, weight in self.weights.items():
            cumulative += weight
            if point < cumulative:
                return variant
        # Only reachable through rounding (weights summing to 1 - 1e-9): the last variant with traffic.
        return next(v for v in reversed(self.variants) if self.weights[v] > 0)

    def to_dict(self) -> dict[str, float]:
        """The weights as a plain dict."""
        return dict(self.weights)


@dataclass
class ABTestConfig:
    """What an A/B test compares: a split, the model reference of each variant, and its duration.

    ``models`` maps variant names to model references (``"name/version"``, or ``"name"`` for the
    latest version); ``model_a`` / ``model_b`` are shorthand for ``models={"model_a": ..., ...}``.
    ``primary_metric`` (optional) is the metric :class:`ABTestResult` picks a winner on.
    """

    test_id: str
    traffic_split: TrafficSplit | Mapping[str, float]
    duration_hours: float = 24
    model_a: str | None = None
    model_b: str | None = None
    models: dict[str, str] | None = None
    primary_metric: str | None = None
    higher_is_better: bool = True
    significance_level: float = 0.05

    def __post_init__(self) -> None:
        self.test_id = require_name(self.test_id, "test_id")
        if not isinstance(self.traffic_split, TrafficSplit):
            self.traffic_split = TrafficSplit.from_dict(self.traffic_split)
        if not _is_number(self.duration_hours) or self.duration_hours <= 0:
            raise InvalidParameterError(
                "duration_hours",
                f"duration_hours must be a positive number, got {self.duration_hours!r}",
                fix="pass e.g. duration_hours=24",
            )
        if not _is_number(self.significance_level) or not 0 < self.significance_level < 1:
            raise InvalidParameterError(
                "significance_level",
                f"significance_level must be between 0 and 1, got {self.significance_level!r}",
                fix="pass e.g. significance_level=0.05",
            )
        if self.primary_metric is not None:
            self.primary_metric = require_name(self.primary_metric, "primary_metric")
        self.models = _merged_models(self.models, self.model_a, self.model_b)
        _check_variants(self.traffic_split.variants, self.models)

    @property
    def model_names(self) -> frozenset[str]:
        """The registered model names this test involves."""
        return frozenset(parse_model_id(ref)[0] for ref in (self.models or {}).values())


def _merged_models(models: object, model_a: str | None, model_b: str | None) -> dict[str, str]:
    if models is not None and not isinstance(models, Mapping):
        raise InvalidParameterError(
            "models",
            f"models must map variant names to model references, got {type(models).__name__}",
            fix="pass e.g. models={'model_a': 'churn/1', 'model_b': 'churn/2'}",
        )
    merged = dict(models or {})
    for variant, reference in (("model_a", model_a), ("model_b", model_b)):
        if reference is None:
            continue
        if variant in merged and merged[variant] != reference:
            raise InvalidParameterError(
                variant,
                f"{variant}={reference!r} contradicts models[{variant!r}]={merged[variant]!r}",
                fix=f"give {variant} in one place only",
            )
        merged[variant] = reference
    checked = {}
    for variant, reference in merged.items():
        if not isinstance(reference, str) or not reference.strip():
            raise InvalidParameterError(
                "models",
                f"the model of variant {variant!r} must be a reference like 'churn/2', got {reference!r}",
                fix="use '<model name>/<version>' (or '<model name>' for its latest version)",
            )
        name, version = parse_model_id(reference, "models")
        checked[variant] = f"{name}/{version}" if version else name
    return checked


def _check_variants(variants: tuple[str, ...], models: dict[str, str]) -> None:
    without_model = [v for v in variants if v not in models]
    if without_model:
        raise InvalidParameterError(
            "models",
            f"variant(s) {', '.join(without_model)} of the traffic split have no model",
            fix="give each variant a model reference: models={'<variant>': '<name>/<version>', ...} "
            "(or model_a= / model_b=)",
        )
    without_weight = [v for v in models if v not in variants]
    if without_weight:
        raise InvalidParameterError(
            "traffic_split",
            f"model variant(s) {', '.join(without_weight)} have no weight in the traffic split "
            f"(its variants: {', '.join(variants)})",
            fix="use the same variant names in traffic_split and models",
        )


class ABTestStatus(str, enum.Enum):
    """Lifecycle of an A/B test."""

    ACTIVE = "active"
    STOPPED = "stopped"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RoutingDecision:
    """Where one user's request goes: the test, the variant, and the model reference serving it."""

    test_id: str
    variant: str
    model_reference: str


@dataclass(frozen=True)
class ABTestResult:
    """Request counts and metric means per variant, and the winner on the primary metric (if any).

    ``p_value`` is the two-sided Welch t-test on ``primary_metric`` between the two variants (None
    with more than two variants or fewer than two values per side); ``winner`` is the variant with the
    better mean when ``p_value`` is below the test's significance level. It is a fixed-horizon test:
    read it at the end, since checking repeatedly and stopping at the first low p-value inflates
    false positives.
    """

    test_id: str
    status: ABTestStatus
    models: dict[str, str]
    request_counts: dict[str, int]
    metric_means: dict[str, dict[str, float]]
    metric_counts: dict[str, dict[str, int]]
    started_at: datetime
    ends_at: datetime
    stopped_at: datetime | None = None
    primary_metric: str | None = None
    p_value: float | None = None
    winner: str | None = None

    @property
    def total_requests(self) -> int:
        """Requests routed over all variants."""
        return sum(self.request_counts.values())


@dataclass
class _TestState:
    config: ABTestConfig
    started_at: float
    stopped_at: float | None = None
    requests: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, dict[str, RunningStats]] = field(default_factory=dict)

    @property
    def ends_at(self) -> float:
        return self.started_at + self.config.duration_hours * 3600

    def status(self, now: float) -> ABTestStatus:
        if self.stopped_at is not None:
            return ABTestStatus.STOPPED
        return ABTestStatus.EXPIRED if now >= self.ends_at else ABTestStatus.ACTIVE

    def variant_of(self, model_reference_or_variant: str) -> str:
        models = self.config.models or {}
        if model_reference_or_variant in models:
            return model_reference_or_variant
        matches = [v for v, ref in models.items() if ref == model_reference_or_variant]
        if len(matches) == 1:
            return matches[0]
        what = "is served by several variants" if matches else "is neither a variant nor a model of"
        raise InvalidParameterError(
            "model_reference_or_variant",
            f"{model_reference_or_variant!r} {what} A/B test '{self.config.test_id}' (variants: {models})",
            fix="pass the variant name, e.g. 'model_a'",
        )


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _user_key(user_id: object) -> str:
    if isinstance(user_id, bool) or not isinstance(user_id, str | int) or str(user_id).strip() == "":
        raise InvalidParameterError(
            "user_id",
            f"user_id must be a non-empty string (or an int), got {user_id!r}",
            fix="pass a stable id of the user, e.g. user_id='user-42'",
        )
    return str(user_id)


class ModelTrafficRouter:
    """Create A/B tests between model references and route users to variants deterministically.

    ``registry`` (optional): when given, :meth:`create_ab_test` checks that every model reference
    exists. ``clock`` returns the current time in epoch seconds (inject one in tests).
    """

    def __init__(
        self, registry: Any = None, redis_client: Any = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        if redis_client is not None:
            raise MethodNotImplementedError(
                "ModelTrafficRouter keeps its tests in memory; sharing them through Redis is not implemented",
                fix="omit redis_client: routing is a pure hash of (test_id, user_id), so routers in "
                "different processes that create the same test route every user identically",
            )
        self.registry = registry
        self._clock = clock
        self._lock = threading.Lock()
        self._tests: dict[str, _TestState] = {}

    def create_ab_test(self, config: ABTestConfig) -> str:
        """Start the A/B test ``config`` now; return its id."""
        if not isinstance(config, ABTestConfig):
            raise InvalidParameterError(
                "config",
                f"create_ab_test() takes an ABTestConfig, got {type(config).__name__}",
                fix="pass ABTestConfig(test_id='t1', traffic_split={'model_a': 0.5, 'model_b': 0.5}, "
                "model_a='churn/1', model_b='churn/2')",
            )
        config = copy.deepcopy(config)
        if self.registry is not None:
            _check_references_exist(self.registry, (config.models or {}).values())
        with self._lock:
            if config.test_id in self._tests:
                raise InvalidParameterError(
                    "test_id",
                    f"an A/B test with id '{config.test_id}' already exists in this router",
                    fix="choose a new test_id (a stopped test keeps its id, so its results stay readable)",
                )
            self._tests[config.test_id] = _TestState(
                config=config,
                started_at=self._clock(),
                requests=dict.fromkeys(config.traffic_split.variants, 0),
                metrics={variant: {} for variant in config.traffic_split.variants},
            )
        return config.test_id

    def variant_for(self, test_id: str, user_id: str) -> str:
        """The variant ``user_id`` is assigned to in the active test ``test_id`` (nothing is counted)."""
        user = _user_key(user_id)
        with self._lock:
            state = self._active(test_id)
            return state.config.traffic_split.choose(bucket(state.config.test_id, user))

    def route(self, test_id: str, user_id: str) -> RoutingDecision:
        """Assign ``user_id`` to a variant of the active test ``test_id`` and count the request."""
        user = _user_key(user_id)
        with self._lock:
            state = self._active(test_id)
            variant = state.config.traffic_split.choose(bucket(state.config.test_id, user))
            state.requests[variant] += 1
            return RoutingDecision(state.config.test_id, variant, (state.config.models or {})[variant])

    def route_request(self, test_id: str, user_id: str) -> str:
        """The model reference that serves ``user_id`` in the active test ``test_id`` (counted)."""
        return self.route(test_id, user_id).model_reference

    def active_test_for(self, model_name: str) -> str | None:
        """The id of the earliest-started active test involving ``model_name``, or None."""
        name = require_name(model_name, "model_name")
        now = self._clock()
        with self._lock:
            candidates = [
                state
                for state in self._tests.values()
                if state.status(now) is ABTestStatus.ACTIVE and name in state.config.model_names
            ]
        return min(candidates, key=lambda s: s.started_at).config.test_id if candidates else None

    def record_metric(
        self, test_id: str, model_reference_or_variant: str, metric_name: str, value: float
    ) -> None:
        """Add one observation of ``metric_name`` to a variant (named, or by its model reference)."""
        metric = require_name(metric_name, "metric_name")
        if not _is_number(value):
            raise InvalidParameterError(
                "value", f"value must be a finite number, got {value!r}", fix="pass e.g. value=0.93"
            )
        with self._lock:
            state = self._get(test_id)
            if state.stopped_at is not None:
                raise InvalidParameterError(
                    "test_id",
                    f"A/B test '{state.config.test_id}' is stopped; its results are final",
                    fix="record metrics before stop_ab_test(), or create a new test",
                )
            variant = state.variant_of(model_reference_or_variant)
            state.metrics[variant].setdefault(metric, RunningStats()).add(float(value))

    def get_ab_test_results(self, test_id: str) -> ABTestResult:
        """Request counts, metric means and (on the primary metric) the winner of test ``test_id``."""
        now = self._clock()
        with self._lock:
            return _result(self._get(test_id), now)

    def stop_ab_test(self, test_id: str) -> ABTestResult:
        """Stop routing for ``test_id`` (idempotent) and return its final results."""
        now = self._clock()
        with self._lock:
            state = self._get(test_id)
            if state.stopped_at is None:
                state.stopped_at = now
            return _result(state, now)

    def list_active_tests(self) -> list[ABTestConfig]:
        """Copies of the configurations of the tests that route traffic now, earliest started first."""
        now = self._clock()
        with self._lock:
            active = [s for s in self._tests.values() if s.status(now) is ABTestStatus.ACTIVE]
            return [copy.deepcopy(s.config) for s in sorted(active, key=lambda s: s.started_at)]

    def _get(self, test_id: str) -> _TestState:
        # Ids are stored stripped (require_name), so look them up the same way.
        state = self._tests.get(test_id.strip()) if isinstance(test_id, str) else None
        if state is None:
            known = ", ".join(sorted(self._tests)) or "none"
            raise InvalidParameterError(
                "test_id",
                f"no A/B test with id {test_id!r} in this router (known: {known})",
                fix="create it with create_ab_test(ABTestConfig(...)) on this router first",
            )
        return state

    def _active(self, test_id: str) -> _TestState:
        state = self._get(test_id)
        status = state.status(self._clock())
        if status is ABTestStatus.STOPPED:
            raise InvalidParameterError(
                "test_id",
                f"A/B test '{test_id}' was stopped at {_utc(state.stopped_at or 0).isoformat()} "
                "and routes no more requests",
                fix="serve the winning model directly, or create a new test",
            )
        if status is ABTestStatus.EXPIRED:
            raise InvalidParameterError(
                "test_id",
                f"A/B test '{test_id}' expired at {_utc(state.ends_at).isoformat()} "
                f"(duration_hours={state.config.duration_hours:g}) and routes no more requests",
                fix="read get_ab_test_results(); create a new test with a longer duration_hours to continue",
            )
        return state


def _result(state: _TestState, now: float) -> ABTestResult:
    config = state.config
    metric = config.primary_metric
    p_value = winner = None
    variants = config.traffic_split.variants
    if metric is not None and len(variants) == 2:
        a, b = (state.metrics[v].get(metric, RunningStats()) for v in variants)
        p_value = welch_p_value(a, b)
        if p_value is not None and p_value < config.significance_level:
            a_better = (a.mean > b.mean) == config.higher_is_better
            winner = variants[0] if a_better else variants[1]
    return ABTestResult(
        test_id=config.test_id,
        status=state.status(now),
        models=dict(config.models or {}),
        request_counts=dict(state.requests),
        metric_means={v: {m: s.mean for m, s in state.metrics[v].items()} for v in variants},
        metric_counts={v: {m: s.count for m, s in state.metrics[v].items()} for v in variants},
        started_at=_utc(state.started_at),
        ends_at=_utc(state.ends_at),
        stopped_at=_utc(state.stopped_at) if state.stopped_at is not None else None,
        primary_metric=metric,
        p_value=p_value,
        winner=winner,
    )


def _check_references_exist(registry: Any, references: Any) -> None:
    """Raise :class:`ModelNotFoundError` for a reference to a model or version that is not registered."""
    from hokusai.core.versioning import ModelVersionManager

    manager = ModelVersionManager(registry)
    versions_by_name: dict[str, set[str]] = {}
    for reference in references:
        name, version = parse_model_id(reference)
        if name not in versions_by_name:
            history = manager.get_version_history(name)
            versions_by_name[name] = {entry["mlflow_version"] for entry in history}
        if version is not None and version not in versions_by_name[name]:
            raise ModelNotFoundError(model_name=name, version=version)
