"""ModelTrafficRouter, TrafficSplit and ABTestConfig: pure logic with an injected clock."""

from __future__ import annotations

import random
import statistics

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hokusai.core._ab_stats import RunningStats, welch_p_value
from hokusai.core.ab_testing import (
    ABTestConfig,
    ABTestResult,
    ABTestStatus,
    ModelTrafficRouter,
    TrafficSplit,
    bucket,
)
from hokusai.exceptions import InvalidParameterError, MethodNotImplementedError

HOUR = 3600.0


class FakeClock:
    """A clock the test moves by hand (epoch seconds)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, hours: float) -> None:
        self.now += hours * HOUR


def ab_config(test_id: str = "t1", split=None, **kwargs) -> ABTestConfig:
    kwargs.setdefault("model_a", "churn/1")
    kwargs.setdefault("model_b", "churn/2")
    return ABTestConfig(test_id, split or {"model_a": 0.5, "model_b": 0.5}, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def router(clock) -> ModelTrafficRouter:
    return ModelTrafficRouter(clock=clock)


# -- TrafficSplit ---------------------------------------------------------------------------------


def test_split_accepts_weights_summing_to_one_within_tolerance():
    split = TrafficSplit.from_dict({"b": 0.7, "a": 0.3 + 5e-7})
    assert split.variants == ("a", "b")  # sorted: the walk does not depend on dict order
    assert split.to_dict() == pytest.approx({"a": 0.3, "b": 0.7}, abs=1e-6)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"a": 0.5, "b": 0.6}, "must sum to 1.0, got 1.1"),
        ({"a": 0.5, "b": 0.5 - 2e-6}, "must sum to 1.0"),
        ({"a": 1.0}, "at least two variants"),
        ({"a": -0.5, "b": 1.5}, "finite number >= 0"),
        ({"a": float("nan"), "b": 1.0}, "finite number >= 0"),
        ({"a": True, "b": 0.0}, "finite number >= 0"),
        ({"": 0.5, "b": 0.5}, "non-empty strings"),
        ({"a": 0.0, "b": 0.0}, "must sum to 1.0, got 0"),
    ],
)
def test_split_rejects_invalid_weights_with_a_fix(weights, message):
    with pytest.raises(InvalidParameterError, match=message) as info:
        TrafficSplit.from_dict(weights)
    assert info.value.parameter_name == "traffic_split"


def test_split_that_does_not_sum_to_one_suggests_scaled_weights():
    with pytest.raises(InvalidParameterError) as info:
        TrafficSplit.from_dict({"a": 1, "b": 3})
    assert info.value.fix == "divide each weight by 4: {'a': 0.25, 'b': 0.75}"


def test_split_never_chooses_a_zero_weight_variant():
    split = TrafficSplit.from_dict({"a": 0.0, "b": 1.0, "c": 0.0})
    assert {split.choose(p) for p in (0.0, 0.25, 0.5, 0.999999999)} == {"b"}


# -- ABTestConfig ----------------------------------------------------------------------------------


def test_config_shorthand_fills_models_and_normalizes_the_split():
    config = ab_config(split={"model_a": 0.9, "model_b": 0.1})
    assert config.models == {"model_a": "churn/1", "model_b": "churn/2"}
    assert isinstance(config.traffic_split, TrafficSplit)
    assert config.model_names == frozenset({"churn"})


def test_config_with_models_mapping_and_latest_reference():
    config = ABTestConfig(
        "t", {"control": 0.5, "treatment": 0.5}, models={"control": "churn/03", "treatment": "uplift"}
    )
    assert config.models == {"control": "churn/3", "treatment": "uplift"}
    assert config.model_names == frozenset({"churn", "uplift"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_b": None}, "model_b of the traffic split have no model"),
        ({"models": {"model_c": "x/1"}}, "model_c have no weight"),
        ({"models": {"model_a": "other/1"}}, "contradicts"),
        ({"model_a": ""}, "must be a reference like"),
        ({"duration_hours": 0}, "duration_hours must be a positive number"),
        ({"significance_level": 1.5}, "between 0 and 1"),
    ],
)
def test_config_rejects_inconsistent_variants(kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        ab_config(**kwargs)


def test_router_does_not_pretend_to_share_state_through_redis():
    with pytest.raises(MethodNotImplementedError, match="not implemented") as info:
        ModelTrafficRouter(redis_client=object())
    assert "omit redis_client" in info.value.fix


# -- routing ---------------------------------------------------------------------------------------


def test_routing_is_deterministic_across_router_instances(router, clock):
    other = ModelTrafficRouter(clock=clock)
    for r in (router, other):
        r.create_ab_test(ab_config("exp-42", {"model_a": 0.3, "model_b": 0.7}))
    users = [f"user-{i}" for i in range(300)]
    first = [router.route_request("exp-42", u) for u in users]
    assert [router.route_request("exp-42", u) for u in users] == first
    assert [other.route_request("exp-42", u) for u in users] == first
    assert set(first) == {"churn/1", "churn/2"}
    assert [router.variant_for("exp-42", u) for u in users] == [
        "model_a" if ref == "churn/1" else "model_b" for ref in first
    ]


def test_bucket_is_a_fixed_sha256_point_independent_of_python_hash_seed():
    # A constant: Python's salted hash() would change it between processes.
    assert bucket("exp", "user-1") == 0.701630861886608
    assert 0 <= bucket("", "") < 1


def test_route_counts_requests_per_variant(router):
    router.create_ab_test(ab_config())
    decisions = [router.route("t1", f"u{i}") for i in range(50)]
    result = router.get_ab_test_results("t1")
    assert result.request_counts == {
        v: sum(d.variant == v for d in decisions) for v in ("model_a", "model_b")
    }
    assert result.total_requests == 50


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=5).filter(
        lambda w: sum(w) > 0
    ),
    test_id=st.text(min_size=1, max_size=12).filter(str.strip),
)
def test_distribution_of_10000_users_follows_the_split(raw, test_id):
    total = sum(raw)
    weights = {f"v{i}": w / total for i, w in enumerate(raw)}
    weights[f"v{len(raw) - 1}"] = 1.0 - sum(list(weights.values())[:-1])
    router = ModelTrafficRouter(clock=FakeClock())
    router.create_ab_test(
        ABTestConfig(test_id, weights, models={v: f"m/{i + 1}" for i, v in enumerate(weights)})
    )
    for i in range(10_000):
        router.route(test_id, f"user-{i}")
    counts = router.get_ab_test_results(test_id).request_counts
    for variant, weight in weights.items():
        # 3 percentage points is > 6 standard deviations of a binomial share over 10,000 users.
        assert abs(counts[variant] / 10_000 - weight) < 0.03, (variant, weight, counts)
        if weight == 0:
            assert counts[variant] == 0


def test_user_id_must_be_given(router):
    router.create_ab_test(ab_config())
    for bad in (None, "", True, 1.5):
        with pytest.raises(InvalidParameterError, match="user_id"):
            router.route_request("t1", bad)
    assert router.route_request("t1", 7) == router.route_request("t1", "7")


def test_unknown_test_is_a_clear_error(router):
    with pytest.raises(InvalidParameterError, match="no A/B test with id 'nope'") as info:
        router.route_request("nope", "u1")
    assert "create_ab_test" in info.value.fix
    with pytest.raises(InvalidParameterError):
        router.get_ab_test_results("nope")


def test_duplicate_test_id_is_rejected(router):
    assert router.create_ab_test(ab_config("dup")) == "dup"
    router.stop_ab_test("dup")
    with pytest.raises(InvalidParameterError, match="already exists"):
        router.create_ab_test(ab_config("dup"))


def test_create_requires_a_config(router):
    with pytest.raises(InvalidParameterError, match="takes an ABTestConfig"):
        router.create_ab_test({"test_id": "t"})


def test_router_keeps_its_own_copy_of_the_config(router):
    config = ab_config()
    router.create_ab_test(config)
    config.models["model_b"] = "hijacked/9"
    listed = router.list_active_tests()[0]
    listed.models["model_a"] = "hijacked/8"
    assert router.list_active_tests()[0].models == {"model_a": "churn/1", "model_b": "churn/2"}


# -- lifecycle -------------------------------------------------------------------------------------


def test_test_expires_after_its_duration(router, clock):
    router.create_ab_test(ab_config("short", duration_hours=2))
    router.create_ab_test(ab_config("long", duration_hours=48))
    clock.advance(1.99)
    assert router.route_request("short", "u1") in ("churn/1", "churn/2")
    assert [c.test_id for c in router.list_active_tests()] == ["short", "long"]
    clock.advance(0.01)
    with pytest.raises(InvalidParameterError, match="expired") as info:
        router.route_request("short", "u1")
    assert "duration_hours" in info.value.fix
    assert [c.test_id for c in router.list_active_tests()] == ["long"]
    assert router.get_ab_test_results("short").status is ABTestStatus.EXPIRED
    assert router.active_test_for("churn") == "long"


def test_stop_freezes_results_and_routing(router, clock):
    router.create_ab_test(ab_config())
    router.route_request("t1", "u1")
    router.record_metric("t1", "model_a", "accuracy", 0.8)
    clock.advance(1)
    final = router.stop_ab_test("t1")
    assert isinstance(final, ABTestResult)
    assert final.status is ABTestStatus.STOPPED
    assert final.stopped_at is not None and final.stopped_at > final.started_at
    assert final.total_requests == 1
    assert router.stop_ab_test("t1") == final  # idempotent
    with pytest.raises(InvalidParameterError, match="was stopped"):
        router.route_request("t1", "u1")
    with pytest.raises(InvalidParameterError, match="is stopped"):
        router.record_metric("t1", "model_a", "accuracy", 0.9)
    assert router.list_active_tests() == []
    assert router.active_test_for("churn") is None


def test_active_test_for_picks_the_earliest_active_test_of_a_model(router, clock):
    assert router.active_test_for("churn") is None
    router.create_ab_test(ab_config("first"))
    clock.advance(0.5)
    router.create_ab_test(ab_config("second"))
    router.create_ab_test(ab_config("other", model_a="fraud/1", model_b="fraud/2"))
    assert router.active_test_for("churn") == "first"
    assert router.active_test_for("fraud") == "other"
    assert router.active_test_for("unknown") is None
    router.stop_ab_test("first")
    assert router.active_test_for("churn") == "second"


# -- metrics and results ---------------------------------------------------------------------------


def test_record_metric_by_variant_or_model_reference(router):
    router.create_ab_test(ab_config())
    router.record_metric("t1", "model_a", "latency_ms", 10)
    router.record_metric("t1", "churn/1", "latency_ms", 20)
    router.record_metric("t1", "churn/2", "latency_ms", 5)
    result = router.get_ab_test_results("t1")
    assert result.metric_means == {"model_a": {"latency_ms": 15.0}, "model_b": {"latency_ms": 5.0}}
    assert result.metric_counts == {"model_a": {"latency_ms": 2}, "model_b": {"latency_ms": 1}}
    assert result.models == {"model_a": "churn/1", "model_b": "churn/2"}


def test_record_metric_rejects_unknown_or_ambiguous_variants_and_bad_values(router):
    router.create_ab_test(ab_config())
    router.create_ab_test(ab_config("aa", model_a="churn/1", model_b="churn/1"))
    with pytest.raises(InvalidParameterError, match="neither a variant nor a model"):
        router.record_metric("t1", "churn/9", "m", 1.0)
    with pytest.raises(InvalidParameterError, match="several variants"):
        router.record_metric("aa", "churn/1", "m", 1.0)
    with pytest.raises(InvalidParameterError, match="finite number"):
        router.record_metric("t1", "model_a", "m", float("inf"))


def test_no_winner_without_a_primary_metric_or_enough_data(router):
    router.create_ab_test(ab_config("plain"))
    router.create_ab_test(ab_config("thin", primary_metric="conversion"))
    for test_id in ("plain", "thin"):
        router.record_metric(test_id, "model_a", "conversion", 1.0)
        router.record_metric(test_id, "model_b", "conversion", 0.0)
        result = router.get_ab_test_results(test_id)
        assert (result.winner, result.p_value) == (None, None)


def test_winner_needs_a_significant_difference_in_the_right_direction(router):
    rng = random.Random(3)
    router.create_ab_test(ab_config("lat", primary_metric="latency_ms", higher_is_better=False))
    router.create_ab_test(ab_config("same", primary_metric="latency_ms"))
    for _ in range(200):
        router.record_metric("lat", "model_a", "latency_ms", rng.gauss(50, 5))
        router.record_metric("lat", "model_b", "latency_ms", rng.gauss(40, 5))
        router.record_metric("same", "model_a", "latency_ms", rng.gauss(50, 5))
        router.record_metric("same", "model_b", "latency_ms", rng.gauss(50, 5))
    significant = router.get_ab_test_results("lat")
    assert significant.winner == "model_b"  # lower latency is better here
    assert significant.p_value is not None and significant.p_value < 1e-6
    assert router.get_ab_test_results("same").winner is None


def test_welch_p_value_matches_scipy_on_raw_samples():
    from scipy import stats

    rng = random.Random(11)
    a = [rng.gauss(0, 1) for _ in range(30)]
    b = [rng.gauss(0.6, 2) for _ in range(45)]
    ra, rb = RunningStats(), RunningStats()
    for value in a:
        ra.add(value)
    for value in b:
        rb.add(value)
    assert ra.mean == pytest.approx(statistics.fmean(a))
    assert ra.std == pytest.approx(statistics.stdev(a))
    expected = stats.ttest_ind(a, b, equal_var=False).pvalue
    assert welch_p_value(ra, rb) == pytest.approx(expected, rel=1e-9)


def test_welch_p_value_is_none_without_variance():
    a, b = RunningStats(), RunningStats()
    for _ in range(5):
        a.add(1.0)
        b.add(2.0)
    assert welch_p_value(a, b) is None


def test_registry_check_needs_a_real_registry():
    # With a registry, create_ab_test checks references through ModelVersionManager(registry).
    router = ModelTrafficRouter(registry=object())
    with pytest.raises(InvalidParameterError, match="needs a ModelRegistry"):
        router.create_ab_test(ab_config())
