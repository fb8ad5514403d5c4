"""The breaker's health probe, failure counting per call, the last failure it names; Retry-After parsing."""

from __future__ import annotations

import email.utils
import itertools
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai._mlflow.errors import request_may_have_arrived, translate
from hokusai._mlflow.target import MLflowTarget
from hokusai._mlflow.transport import WireNotes, retry_after_seconds
from hokusai.exceptions import CircuitOpenError, MLflowConnectionError, RateLimitError
from hokusai.resilience import (
    CircuitBreaker,
    CircuitState,
    ResilienceConfig,
    RetryPolicy,
    call_with_resilience,
    describe_failure,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """A health check whose answer the test sets; counts how often it ran."""

    def __init__(self, answers: bool = False) -> None:
        self.answers = answers
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.answers


def opened(probe: Probe | None = None, clock: FakeClock | None = None) -> CircuitBreaker:
    breaker = CircuitBreaker(
        name="http://lb", failure_threshold=1, recovery_timeout=30.0, clock=clock or FakeClock(), probe=probe
    )
    breaker.record_failure(MLflowConnectionError("Could not connect to http://lb: connection refused"))
    assert breaker.state is CircuitState.OPEN
    return breaker


# -- half-open through the health probe ----------------------------------------------------------


def test_no_probe_before_it_is_due_then_half_open_as_soon_as_the_server_answers():
    clock, probe = FakeClock(), Probe(answers=True)
    breaker = opened(probe, clock)
    clock.now = 0.4
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert probe.calls == 0, "not due yet: fail fast without touching the network"
    assert info.value.retry_after == pytest.approx(0.1), "the next chance is the next probe"
    clock.now = 0.5
    breaker.before_call()  # the probe answers: half-open, and this call is the trial
    assert probe.calls == 1
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED


def test_unanswered_probes_back_off_doubling_up_to_the_cap():
    clock, probe = FakeClock(), Probe(answers=False)
    breaker = opened(probe, clock)
    breaker.probe_max_interval = 4.0
    due_times = []
    while clock.now < 25:
        clock.now = round(clock.now + 0.05, 2)
        before = probe.calls
        with pytest.raises(CircuitOpenError):
            breaker.before_call()
        if probe.calls > before:
            due_times.append(clock.now)
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(due_times)]
    assert due_times[0] == 0.5
    assert gaps[:4] == [1.0, 2.0, 4.0, 4.0], gaps
    assert max(gaps) == 4.0


def test_recovery_timeout_still_lets_a_trial_through_when_no_probe_answers():
    clock, probe = FakeClock(), Probe(answers=False)
    breaker = opened(probe, clock)
    clock.now = 30.0
    breaker.before_call()
    assert breaker.state is CircuitState.HALF_OPEN


def test_one_probe_at_a_time_others_fail_fast_meanwhile():
    clock = FakeClock()
    entered, release = threading.Event(), threading.Event()

    def slow_probe() -> bool:
        entered.set()
        release.wait(5)
        return True

    breaker = CircuitBreaker(failure_threshold=1, clock=clock, probe=slow_probe)
    breaker.record_failure()
    clock.now = 1.0
    outcome: list[object] = []
    prober = threading.Thread(target=lambda: outcome.append(breaker.before_call()))
    prober.start()
    assert entered.wait(5)
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # the probe is in flight in the other thread
    release.set()
    prober.join(5)
    assert outcome == [None], "the probing call became the trial"
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()  # the trial is in flight: others wait for its outcome
    assert info.value.retry_after == 0.0


def test_a_probe_that_raises_is_an_unanswered_probe():
    clock = FakeClock()

    def broken() -> bool:
        raise RuntimeError("no network stack")

    breaker = CircuitBreaker(failure_threshold=1, clock=clock, probe=broken)
    breaker.record_failure()
    clock.now = 0.5
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    assert breaker.state is CircuitState.OPEN


def test_a_failed_trial_reopens_and_restarts_the_probe_schedule():
    clock, probe = FakeClock(), Probe(answers=True)
    breaker = opened(probe, clock)
    clock.now = 0.5
    breaker.before_call()
    breaker.record_failure(MLflowConnectionError("HTTP 503"))
    assert breaker.state is CircuitState.OPEN
    clock.now = 0.9
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    clock.now = 1.0
    breaker.before_call()
    assert breaker.state is CircuitState.HALF_OPEN and probe.calls == 2


# -- failures are counted per call, after its retries ---------------------------------------------


def flaky(outcomes: list[object]):
    """A function returning or raising the given outcomes in turn."""
    queue = list(outcomes)

    def fn():
        outcome = queue.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return fn


def test_a_failure_a_retry_absorbs_is_not_counted():
    # Behind a balancer: one instance is dead, the retry reaches a healthy one.
    breaker = CircuitBreaker(failure_threshold=2)
    policy = RetryPolicy(max_attempts=3, jitter=0)
    for _ in range(10):
        fn = flaky([MLflowConnectionError("instance down"), MLflowConnectionError("instance down"), "ok"])
        assert call_with_resilience(fn, breaker=breaker, policy=policy, sleep=lambda _: None) == "ok"
        assert breaker.failure_count == 0
    assert breaker.state is CircuitState.CLOSED


def test_a_call_that_fails_after_all_its_retries_counts_once():
    breaker = CircuitBreaker(failure_threshold=3)
    policy = RetryPolicy(max_attempts=4, jitter=0)
    fn = flaky([MLflowConnectionError(f"down {n}") for n in range(4)])
    with pytest.raises(MLflowConnectionError):
        call_with_resilience(fn, breaker=breaker, policy=policy, sleep=lambda _: None)
    assert breaker.failure_count == 1
    assert breaker.state is CircuitState.CLOSED
    assert breaker.last_failure == "MLflowConnectionError: down 3", "the last attempt's error"


def test_the_threshold_counts_failed_calls():
    breaker = CircuitBreaker(failure_threshold=2)
    policy = RetryPolicy(max_attempts=2, jitter=0)
    for expected in (CircuitState.CLOSED, CircuitState.OPEN):
        fn = flaky([MLflowConnectionError("down"), MLflowConnectionError("still down")])
        with pytest.raises(MLflowConnectionError):
            call_with_resilience(fn, breaker=breaker, policy=policy, sleep=lambda _: None)
        assert breaker.state is expected


def test_the_half_open_trial_keeps_its_retries():
    clock, probe = FakeClock(), Probe(answers=True)
    breaker = opened(probe, clock)
    clock.now = 0.5
    fn = flaky([MLflowConnectionError("first answer lost"), "ok"])
    policy = RetryPolicy(max_attempts=2, jitter=0)
    assert call_with_resilience(fn, breaker=breaker, policy=policy, sleep=lambda _: None) == "ok"
    assert breaker.state is CircuitState.CLOSED


def test_an_open_breaker_refusing_a_retry_gives_the_trial_slot_back():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    breaker.record_failure()
    clock.now = 5

    def trial_then_other_thread_fails():
        # While this trial call waits to retry, another caller's failed call re-opens the breaker.
        worker = threading.Thread(target=breaker.record_failure)
        worker.start()
        worker.join()
        raise MLflowConnectionError("lost")

    with pytest.raises(CircuitOpenError):
        call_with_resilience(
            trial_then_other_thread_fails, breaker=breaker, policy=RetryPolicy(2), sleep=lambda _: None
        )
    assert breaker.state is CircuitState.OPEN


# -- the error names the last underlying failure, masked ------------------------------------------


def test_the_circuit_open_error_names_the_last_failure():
    breaker = opened(Probe(), FakeClock())
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    error = info.value
    assert error.last_failure == "MLflowConnectionError: Could not connect to http://lb: connection refused"
    assert "last failure: MLflowConnectionError: Could not connect" in str(error)
    assert "/health" in error.fix


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("HTTP 503 from http://admin:s3cr3t-pw@mlflow.example.com/api", "s3cr3t-pw"),
        ("gateway said: Authorization: Bearer hk_live_0123456789abcdef", "hk_live_0123456789abcdef"),
        ("bad api_key=hk_live_0123456789abcdef", "hk_live_0123456789abcdef"),
    ],
)
def test_the_last_failure_is_masked(message, secret):
    described = describe_failure(MLflowConnectionError(message))
    assert secret not in described
    assert "***" in described
    breaker = CircuitBreaker(failure_threshold=1)
    breaker.record_failure(MLflowConnectionError(message))
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert secret not in str(info.value)


def test_a_success_forgets_the_last_failure():
    breaker = CircuitBreaker(failure_threshold=5)
    breaker.record_failure(ConnectionError("reset"))
    assert breaker.last_failure == "ConnectionError: reset"
    breaker.record_success()
    assert breaker.last_failure is None


# -- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), (" 120 ", 120.0), ("0", 0.0), ("1.5", 1.5), ("-4", 0.0), ("", None), (None, None),
     ("soon", None), ("nan", None), ("inf", None)],
)  # fmt: skip
def test_retry_after_in_seconds(value, seconds):
    assert retry_after_seconds(value) == seconds


def test_retry_after_as_an_http_date():
    now = 1_700_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 42, usegmt=True), now=now) == pytest.approx(42)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0, "a date in the past"
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00", now=now) is None, "no zone: not an HTTP date"


@given(st.text(max_size=40))
def test_retry_after_never_raises_and_is_never_negative(value):
    seconds = retry_after_seconds(value)
    assert seconds is None or seconds >= 0


def test_retry_after_replaces_the_backoff_and_is_capped():
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=0)
    assert policy.wait_for(1) == 0.5
    assert policy.wait_for(1, retry_after=3.0) == 3.0, "the server's wait, not the backoff"
    assert policy.wait_for(3, retry_after=0.0) == 0.0
    assert policy.wait_for(1, retry_after=60.0) == 8.0, "capped by max_delay without max_wait"
    assert RetryPolicy(max_delay=8.0, max_wait=30.0).wait_for(1, retry_after=60.0) == 30.0
    with pytest.raises(ValueError):
        RetryPolicy(max_wait=-1)


def test_max_wait_and_probe_intervals_from_the_environment(monkeypatch):
    monkeypatch.setenv("HOKUSAI_RETRY_MAX_WAIT", "45")
    monkeypatch.setenv("HOKUSAI_CIRCUIT_PROBE_INTERVAL", "0.25")
    monkeypatch.setenv("HOKUSAI_CIRCUIT_PROBE_MAX_INTERVAL", "2")
    config = ResilienceConfig.from_env()
    assert (config.retry.max_wait, config.probe_interval, config.probe_max_interval) == (45.0, 0.25, 2.0)
    monkeypatch.delenv("HOKUSAI_RETRY_MAX_WAIT")
    assert ResilienceConfig.from_env().retry.max_wait is None


def test_the_retry_uses_the_429s_retry_after():
    sleeps: list[float] = []
    fn = flaky([RateLimitError(retry_after=2.5), "ok"])
    policy = RetryPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.05, max_wait=10, jitter=0)
    assert call_with_resilience(fn, policy=policy, sleep=sleeps.append) == "ok"
    assert sleeps == [2.5]


class _Response:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code, self.headers = status, headers


def test_wire_notes_keep_the_last_responses_status_and_429_wait():
    notes = WireNotes()
    notes.saw(_Response(429, {"Retry-After": "7"}))
    assert notes.rate_limited and notes.retry_after == 7.0
    notes.saw(_Response(200, {"Retry-After": "7"}))
    assert not notes.rate_limited and notes.retry_after is None


def test_translate_turns_the_error_for_a_noted_429_into_rate_limit_error_with_retry_after():
    from mlflow.exceptions import MlflowException, RestException

    target = MLflowTarget(tracking_uri="http://gw/api/mlflow", source="argument")
    notes = WireNotes()
    notes.saw(_Response(429, {"Retry-After": "4"}))
    # A JSON body without an MLflow error code (a gateway's own) and a plain-text body.
    for raw in (
        RestException({"message": "budget spent", "hokusai_error": "rate_limited"}),
        MlflowException("API request to endpoint /api/2.0/mlflow/x failed with error code 429 != 200. "
                        "Response body: 'Too Many Requests'"),
    ):  # fmt: skip
        error = translate(raw, target, notes)
        assert isinstance(error, RateLimitError), type(error)
        assert (error.status_code, error.retry_after) == (429, 4.0)
    # Without a noted 429, a JSON body without an error code is not guessed to be a rate limit.
    assert not isinstance(translate(RestException({"message": "x"}), target, WireNotes()), RateLimitError)


@pytest.mark.parametrize(
    ("text", "arrived"),
    [
        ("API request to http://x failed with exception HTTPConnectionPool(host='x', port=1): Max retries "
         "exceeded (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] "
         "Connection refused'))", False),
        ("API request to http://x failed with exception HTTPConnectionPool(host='x', port=1): Max retries "
         "exceeded (Caused by ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed "
         "connection without response')))", True),
        ("API request to http://x failed with exception ... Read timed out. (read timeout=15)", True),
        ("API request to endpoint /api/2.0/mlflow/x failed with error code 503 != 200", True),
        ("API request to endpoint /api/2.0/mlflow/x failed with error code 409 != 200", False),
    ],
)  # fmt: skip
def test_whether_a_failed_request_may_have_reached_the_server(text, arrived):
    from mlflow.exceptions import MlflowException

    assert request_may_have_arrived(MlflowException(text)) is arrived


# -- finding a registration when the server refuses the tag filter ------------------------------


class _Page(list):
    token = None


class _Version:
    def __init__(self, name: str, version: str, tags: dict[str, str]) -> None:
        self.name, self.version, self.tags = name, version, tags


class _ServerWithoutTagFilters:
    """A registry answering name searches, and HTTP 400 to tag filters (what an older server may do)."""

    def __init__(self, versions: list[_Version]) -> None:
        self.versions, self.filters = versions, []

    def search_model_versions(self, filter_string=None, max_results=None, page_token=None):
        from mlflow.exceptions import RestException

        self.filters.append(filter_string)
        if "tags." in filter_string:
            raise RestException({"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid clause"})
        return _Page(v for v in self.versions if f"'{v.name}'" in filter_string)


def test_find_registration_falls_back_to_reading_the_tags_of_every_version():
    from hokusai.core._store import find_registration
    from hokusai.core.entries import TAG_REGISTRATION_ID

    server = _ServerWithoutTagFilters(
        [
            _Version("m", "1", {TAG_REGISTRATION_ID: "aaa"}),
            _Version("m", "2", {TAG_REGISTRATION_ID: "bbb"}),
            _Version("m", "3", {}),
        ]
    )
    assert find_registration(server, "m", "bbb").version == "2"
    assert find_registration(server, "m", "ccc") is None
    assert server.filters[0] == f"name = 'm' AND tags.`{TAG_REGISTRATION_ID}` = 'bbb'"
    assert server.filters[1] == "name = 'm'"
