"""Backoff schedule, transient-error classification and the circuit breaker state machine."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hokusai.exceptions import (
    AuthenticationError,
    AuthorizationError,
    CircuitOpenError,
    InvalidParameterError,
    MLflowConnectionError,
    MLflowError,
    ModelNotFoundError,
    RateLimitError,
)
from hokusai.resilience import (
    CircuitBreaker,
    CircuitState,
    RetryPolicy,
    call_with_resilience,
    configure_resilience,
    get_circuit_breaker,
    is_transient,
    with_retry,
)

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 10),
    initial_delay=st.floats(0, 5),
    multiplier=st.floats(1, 4),
    max_delay=st.floats(0, 60),
    jitter=st.floats(0, 1),
)


@given(policies)
def test_schedule_is_non_decreasing_and_capped(policy):
    schedule = policy.schedule()
    assert len(schedule) == policy.max_attempts - 1
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(schedule))
    assert all(0 <= d <= policy.max_delay for d in schedule)


@given(policies, st.integers(1, 12), st.floats(0, 1, exclude_max=True))
def test_jitter_stays_within_its_band(policy, retry_number, draw):
    base = policy.base_delay(retry_number)
    delay = policy.delay(retry_number, rng=lambda: draw)
    assert base * (1 - policy.jitter) - 1e-9 <= delay <= base * (1 + policy.jitter) + 1e-9


def test_exponential_schedule_doubles_until_the_cap():
    policy = RetryPolicy(max_attempts=6, initial_delay=0.5, multiplier=2, max_delay=4, jitter=0)
    assert policy.schedule() == [0.5, 1.0, 2.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"initial_delay": -1}, {"multiplier": 0.5}, {"jitter": 2}]
)
def test_invalid_policies_are_rejected(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (MLflowConnectionError(tracking_uri="http://x"), True),
        (MLflowConnectionError("HTTP 503", status_code=503), True),
        (RateLimitError(retry_after=1), True),
        (ConnectionError("reset"), True),
        (TimeoutError(), True),
        (AuthenticationError(), False),
        (AuthorizationError(), False),
        (ModelNotFoundError(model_name="m"), False),
        (CircuitOpenError(), False),
        (ValueError("bad"), False),
    ],
)
def test_only_transient_failures_are_retried(exc, transient):
    assert is_transient(exc) is transient


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def failing(exc, times):
    calls = {"n": 0}

    def fn():
        calls["n"] += 1
        if calls["n"] <= times:
            raise exc
        return "ok"

    return fn, calls


def test_transient_failure_is_retried_then_succeeds():
    fn, calls = failing(MLflowConnectionError("down"), times=2)
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, initial_delay=1, jitter=0)
    assert call_with_resilience(fn, policy=policy, sleep=sleeps.append) == "ok"
    assert calls["n"] == 3
    assert sleeps == [1.0, 2.0]


def test_permanent_failure_is_raised_at_once():
    fn, calls = failing(AuthorizationError(), times=5)
    with pytest.raises(AuthorizationError):
        call_with_resilience(fn, policy=RetryPolicy(max_attempts=5), sleep=lambda _: None)
    assert calls["n"] == 1


def test_retries_give_up_after_max_attempts():
    fn, calls = failing(MLflowConnectionError("down"), times=10)
    with pytest.raises(MLflowConnectionError):
        call_with_resilience(fn, policy=RetryPolicy(max_attempts=4, jitter=0), sleep=lambda _: None)
    assert calls["n"] == 4


def test_rate_limit_waits_for_retry_after():
    fn, _ = failing(RateLimitError(retry_after=3), times=1)
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=2, initial_delay=0.1, max_delay=10, jitter=0)
    call_with_resilience(fn, policy=policy, sleep=sleeps.append)
    assert sleeps == [3]


def test_breaker_opens_fails_fast_and_recovers_after_timeout():
    clock = FakeClock()
    breaker = CircuitBreaker(name="http://x", failure_threshold=2, recovery_timeout=10, clock=clock)
    fn, calls = failing(MLflowConnectionError("down"), times=2)
    policy = RetryPolicy(max_attempts=1)
    for _ in range(2):
        with pytest.raises(MLflowConnectionError):
            call_with_resilience(fn, breaker=breaker, policy=policy)
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as info:
        call_with_resilience(fn, breaker=breaker, policy=policy)
    assert calls["n"] == 2, "an open breaker must not call through"
    assert info.value.retry_after == pytest.approx(10)
    clock.now = 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert call_with_resilience(fn, breaker=breaker, policy=policy) == "ok"
    assert breaker.state is CircuitState.CLOSED


def test_failed_trial_reopens_the_breaker():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    breaker.record_failure()
    clock.now = 5
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


@pytest.mark.parametrize(
    "answer",
    [
        MLflowError("RESOURCE_DOES_NOT_EXIST", status_code=404),
        AuthenticationError(),
        AuthorizationError(),
        MLflowError("conflict", status_code=409),
    ],
    ids=["404", "401", "403", "409"],
)
def test_an_answer_from_the_server_closes_the_breaker(answer):
    breaker = CircuitBreaker(failure_threshold=3)
    breaker.record_failure()
    breaker.record_failure()
    with pytest.raises(type(answer)):
        call_with_resilience(failing(answer, 1)[0], breaker=breaker, policy=RetryPolicy(1))
    assert breaker.failure_count == 0


def test_a_translated_400_is_an_answer_from_the_server():
    from mlflow.exceptions import RestException

    from hokusai._mlflow.errors import translate
    from hokusai._mlflow.target import MLflowTarget

    raw = RestException({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad filter"})
    rejected = translate(raw, MLflowTarget(tracking_uri="http://x", source="argument"))
    assert isinstance(rejected, InvalidParameterError)
    breaker = CircuitBreaker(failure_threshold=3)
    breaker.record_failure()
    with pytest.raises(InvalidParameterError):
        call_with_resilience(failing(rejected, 1)[0], breaker=breaker, policy=RetryPolicy(1))
    assert breaker.failure_count == 0


@pytest.mark.parametrize(
    "callers_error",
    [
        TypeError("unsupported operand"),
        KeyError("missing"),
        ValueError("bad"),
        InvalidParameterError("model_name", "checked before any request"),
        ModelNotFoundError(model_name="m"),  # the SDK's conclusion, not an HTTP answer
        MLflowError("no status"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_a_callers_own_error_is_neither_a_success_nor_a_failure(callers_error):
    breaker = CircuitBreaker(failure_threshold=3)
    breaker.record_failure()
    breaker.record_failure()
    fn, calls = failing(callers_error, times=5)
    with pytest.raises(type(callers_error)):
        call_with_resilience(fn, breaker=breaker, policy=RetryPolicy(max_attempts=3), sleep=lambda _: None)
    assert calls["n"] == 1, "not transient: not retried"
    assert breaker.failure_count == 2, "the failures before it are not forgotten"
    assert breaker.state is CircuitState.CLOSED
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN, "one more real failure still opens the breaker"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_base_exceptions_propagate_untouched_and_record_nothing(interrupt):
    breaker = CircuitBreaker(failure_threshold=3)
    breaker.record_failure()
    raised = interrupt()
    fn, calls = failing(raised, times=5)
    sleeps: list[float] = []
    with pytest.raises(interrupt) as info:
        call_with_resilience(fn, breaker=breaker, policy=RetryPolicy(max_attempts=3), sleep=sleeps.append)
    assert info.value is raised
    assert calls["n"] == 1 and sleeps == [], "never retried"
    assert breaker.failure_count == 1 and breaker.state is CircuitState.CLOSED


def test_base_exception_without_a_breaker_propagates():
    with pytest.raises(KeyboardInterrupt):
        call_with_resilience(failing(KeyboardInterrupt(), 1)[0], policy=RetryPolicy(max_attempts=3))


@pytest.mark.parametrize("outcome", [TypeError("caller"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_a_half_open_trial_without_an_answer_gives_its_slot_back(outcome):
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    breaker.record_failure()
    clock.now = 5
    assert breaker.state is CircuitState.HALF_OPEN
    with pytest.raises(type(outcome)):
        call_with_resilience(failing(outcome, 1)[0], breaker=breaker, policy=RetryPolicy(1))
    assert breaker.state is CircuitState.HALF_OPEN, "neither closed nor re-opened"
    # The next call is the trial now (it would be refused if the slot had stayed taken).
    assert call_with_resilience(lambda: "ok", breaker=breaker, policy=RetryPolicy(1)) == "ok"
    assert breaker.state is CircuitState.CLOSED


def test_another_threads_trial_slot_is_not_released():
    import threading

    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    breaker.record_failure()
    clock.now = 5
    trial_taken = threading.Event()
    finish = threading.Event()

    def trial():
        def slow():
            trial_taken.set()
            finish.wait(5)
            return "ok"

        call_with_resilience(slow, breaker=breaker, policy=RetryPolicy(1))

    worker = threading.Thread(target=trial)
    worker.start()
    assert trial_taken.wait(5)
    breaker._release_trial()  # this thread holds no trial: a no-op
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    finish.set()
    worker.join(5)
    assert breaker.state is CircuitState.CLOSED


def test_breakers_are_shared_per_tracking_uri():
    configure_resilience(failure_threshold=7)
    assert get_circuit_breaker("http://a") is get_circuit_breaker("http://a")
    assert get_circuit_breaker("http://a") is not get_circuit_breaker("http://b")
    assert get_circuit_breaker("http://a").failure_threshold == 7


def test_with_retry_decorator_keeps_the_function_signature():
    @with_retry(RetryPolicy(max_attempts=2, initial_delay=0))
    def fetch(name, *, version=1):
        """Docstring."""
        return name, version

    assert fetch("m", version=2) == ("m", 2)
    assert fetch.__doc__ == "Docstring."
    assert fetch.__wrapped__.__name__ == "fetch"


class BreakerMachine(RuleBasedStateMachine):
    """The breaker never lets a call through while open, and closes only after a success."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=10, clock=self.clock)
        self.consecutive_failures = 0

    @rule()
    def success(self):
        try:
            self.breaker.before_call()
        except CircuitOpenError:
            return
        self.breaker.record_success()
        self.consecutive_failures = 0

    @rule()
    def failure(self):
        try:
            self.breaker.before_call()
        except CircuitOpenError:
            return
        self.breaker.record_failure()
        self.consecutive_failures += 1

    @rule(seconds=st.floats(0, 20))
    def wait(self, seconds):
        self.clock.now += seconds

    @precondition(lambda self: self.breaker.state is CircuitState.OPEN)
    @rule()
    def open_breaker_rejects(self):
        with pytest.raises(CircuitOpenError):
            self.breaker.before_call()

    @invariant()
    def closed_means_below_threshold(self):
        if self.breaker.state is CircuitState.CLOSED:
            assert self.consecutive_failures < 3


TestBreakerMachine = BreakerMachine.TestCase
TestBreakerMachine.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)


def test_rate_limits_are_retried_but_never_open_the_breaker():
    breaker = CircuitBreaker(failure_threshold=2)
    fn, calls = failing(RateLimitError(retry_after=0), times=10)
    for _ in range(3):
        with pytest.raises(RateLimitError):
            call_with_resilience(
                fn, breaker=breaker, policy=RetryPolicy(max_attempts=2), sleep=lambda _: None
            )
    assert calls["n"] == 6, "a 429 is retried"
    assert breaker.state is CircuitState.CLOSED, "a 429 is an answer from a live server, not an outage"
