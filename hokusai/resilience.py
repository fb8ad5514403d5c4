"""Retry with exponential backoff and a circuit breaker per tracking URI.

Every MLflow call of the SDK goes through :func:`call_with_resilience`. Only transient failures
(connection errors, timeouts, HTTP 429 and 5xx) are retried; all but 429 are counted by the breaker.
A 401, 403 or 404 is an answer, not an outage, and is raised at once; a 429 is an answer too (the
server is up, the caller must slow down), so it never opens the breaker. Only such answers (an
exception carrying the HTTP status) count as a success; any other error of the call (the caller's
own ``TypeError``, a check failing before a request was made) counts neither way, and a
``BaseException`` (``KeyboardInterrupt``...) is not handled at all.
"""

from __future__ import annotations

import enum
import functools
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from hokusai.exceptions import CircuitOpenError, ConfigurationError, MLflowConnectionError, RateLimitError

__all__ = [
    "CircuitBreaker",
    "CircuitState",
    "ResilienceConfig",
    "RetryPolicy",
    "call_with_resilience",
    "configure_resilience",
    "get_circuit_breaker",
    "get_resilience_config",
    "is_transient",
    "reset_circuit_breakers",
    "with_retry",
]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried."""

    max_attempts: int = 3
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 8.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must not be negative")
        if self.multiplier < 1:
            raise ValueError("RetryPolicy.multiplier must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")

    def base_delay(self, retry_number: int) -> float:
        """Delay before retry ``retry_number`` (1-based), without jitter."""
        return min(self.max_delay, self.initial_delay * self.multiplier ** (retry_number - 1))

    def delay(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """Delay before retry ``retry_number`` with up to ``jitter`` of it added or removed at random."""
        base = self.base_delay(retry_number)
        return max(0.0, base * (1 + self.jitter * (2 * rng() - 1)))

    def schedule(self) -> list[float]:
        """The jitter-free delays between all attempts of one call."""
        return [self.base_delay(n) for n in range(1, self.max_attempts)]


class CircuitState(str, enum.Enum):
    """States of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Closed / open / half-open breaker that fails fast after repeated transient failures."""

    name: str = "mlflow"
    failure_threshold: int = 5
    recovery_timeout: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _state: CircuitState = field(default=CircuitState.CLOSED, init=False)
    _failures: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False)
    _trial_in_flight: bool = field(default=False, init=False)
    _trial_thread: int | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def state(self) -> CircuitState:
        """The current state; an open breaker turns half-open once its timeout has passed."""
        with self._lock:
            return self._current_state()

    @property
    def failure_count(self) -> int:
        """Consecutive transient failures seen since the last success."""
        return self._failures

    def _current_state(self) -> CircuitState:
        if self._state is CircuitState.OPEN and self.clock() - self._opened_at >= self.recovery_timeout:
            self._state = CircuitState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    def before_call(self) -> None:
        """Raise :class:`CircuitOpenError` unless a call may go through now."""
        with self._lock:
            state = self._current_state()
            if state is CircuitState.OPEN:
                wait = self.recovery_timeout - (self.clock() - self._opened_at)
                raise CircuitOpenError(tracking_uri=self.name, retry_after=max(0.0, wait))
            if state is CircuitState.HALF_OPEN:
                if self._trial_in_flight:
                    raise CircuitOpenError(tracking_uri=self.name, retry_after=0.0)
                self._trial_in_flight = True
                self._trial_thread = threading.get_ident()

    def record_success(self) -> None:
        """Close the breaker and forget past failures."""
        with self._lock:
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._trial_in_flight = False
            self._trial_thread = None

    def record_failure(self) -> None:
        """Count a transient failure; open the breaker at the threshold or after a failed trial."""
        with self._lock:
            self._failures += 1
            self._trial_in_flight = False
            if self._state is CircuitState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = CircuitState.OPEN
                self._opened_at = self.clock()

    def reset(self) -> None:
        """Return to the closed state (for tests and manual recovery)."""
        self.record_success()

    def _release_trial(self) -> None:
        # A half-open trial call that ended with neither a success nor a failure (the caller's own
        # error, an interrupt) gives its slot back, or every later call would be refused.
        with self._lock:
            if self._trial_in_flight and self._trial_thread == threading.get_ident():
                self._trial_in_flight = False


@dataclass(frozen=True)
class ResilienceConfig:
    """Process-wide settings for retries, breakers and MLflow request timeouts."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    failure_threshold: int = 5
    recovery_timeout: float = 30.0
    request_timeout: float = 30.0

    @classmethod
    def from_env(cls) -> ResilienceConfig:
        """Defaults overridden by ``HOKUSAI_RETRY_*`` / ``HOKUSAI_CIRCUIT_*`` environment variables."""

        def number(name: str, default: float) -> float:
            raw = os.environ.get(name)
            if raw in (None, ""):
                return default
            try:
                return float(raw)
            except ValueError:
                raise ConfigurationError(
                    f"{name}={raw!r} is not a number", missing_key=name, fix=f"set {name} to a number"
                ) from None

        base = cls()
        retry = RetryPolicy(
            max_attempts=int(number("HOKUSAI_RETRY_MAX_ATTEMPTS", base.retry.max_attempts)),
            initial_delay=number("HOKUSAI_RETRY_INITIAL_DELAY", base.retry.initial_delay),
            max_delay=number("HOKUSAI_RETRY_MAX_DELAY", base.retry.max_delay),
        )
        return cls(
            retry=retry,
            failure_threshold=int(number("HOKUSAI_CIRCUIT_FAILURE_THRESHOLD", base.failure_threshold)),
            recovery_timeout=number("HOKUSAI_CIRCUIT_RECOVERY_TIMEOUT", base.recovery_timeout),
            request_timeout=number("HOKUSAI_REQUEST_TIMEOUT", base.request_timeout),
        )


_config: ResilienceConfig | None = None
_breakers: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def get_resilience_config() -> ResilienceConfig:
    """The settings in force (from the environment until :func:`configure_resilience` is called)."""
    global _config
    if _config is None:
        _config = ResilienceConfig.from_env()
    return _config


def configure_resilience(
    retry: RetryPolicy | None = None,
    *,
    failure_threshold: int | None = None,
    recovery_timeout: float | None = None,
    request_timeout: float | None = None,
) -> ResilienceConfig:
    """Change the process-wide retry policy, breaker thresholds or request timeout."""
    global _config
    current = get_resilience_config()
    changes = {
        key: value
        for key, value in {
            "retry": retry,
            "failure_threshold": failure_threshold,
            "recovery_timeout": recovery_timeout,
            "request_timeout": request_timeout,
        }.items()
        if value is not None
    }
    _config = replace(current, **changes)
    reset_circuit_breakers()
    return _config


def get_circuit_breaker(tracking_uri: str) -> CircuitBreaker:
    """The breaker shared by every call to ``tracking_uri`` in this process."""
    with _registry_lock:
        breaker = _breakers.get(tracking_uri)
        if breaker is None:
            config = get_resilience_config()
            breaker = CircuitBreaker(
                name=tracking_uri,
                failure_threshold=config.failure_threshold,
                recovery_timeout=config.recovery_timeout,
            )
            _breakers[tracking_uri] = breaker
        return breaker


def reset_circuit_breakers() -> None:
    """Forget every breaker (they are created again, closed, on next use)."""
    with _registry_lock:
        _breakers.clear()


def _reset_state() -> None:
    # For hokusai.testing.reset(): settings read from the environment again, no breaker kept.
    global _config
    _config = None
    reset_circuit_breakers()


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: connection errors, timeouts, 429 and 5xx."""
    if isinstance(exc, CircuitOpenError):
        return False
    return isinstance(exc, MLflowConnectionError | ConnectionError | TimeoutError)


def _is_server_answer(exc: BaseException) -> bool:
    """True when ``exc`` stands for an HTTP answer of the server (it carries the status code).

    A 401, 403, 404 or 429 proves the server is up; an exception without a status (a ``TypeError``
    in the caller's code, a validation error raised before any request) proves nothing.
    """
    if isinstance(exc, CircuitOpenError):
        return False
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599


def _record_outcome(breaker: CircuitBreaker, exc: Exception, transient: bool) -> None:
    if transient and not isinstance(exc, RateLimitError):
        breaker.record_failure()
    elif _is_server_answer(exc):
        # An answer from the server (401, 404, 429...) shows it is up.
        breaker.record_success()
    else:
        # The caller's own error, or one raised before the server was reached: no evidence either way.
        breaker._release_trial()


def call_with_resilience(
    fn: Callable[[], T],
    *,
    breaker: CircuitBreaker | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` through ``breaker``, retrying transient failures according to ``policy``.

    Only ``Exception`` is handled: ``KeyboardInterrupt``, ``SystemExit`` and other ``BaseException``
    propagate at once and are not counted by the breaker.
    """
    policy = policy or get_resilience_config().retry
    for attempt in range(1, policy.max_attempts + 1):
        if breaker is not None:
            breaker.before_call()
        settled = False
        try:
            result = fn()
            settled = True
        except Exception as exc:
            settled = True
            transient = is_transient(exc)
            if breaker is not None:
                _record_outcome(breaker, exc, transient)
            if not transient or attempt == policy.max_attempts:
                raise
            delay = policy.delay(attempt)
            if isinstance(exc, RateLimitError) and exc.retry_after is not None:
                delay = min(max(delay, exc.retry_after), policy.max_delay)
            sleep(delay)
        else:
            if breaker is not None:
                breaker.record_success()
            return result
        finally:
            if not settled and breaker is not None:
                # A BaseException: nothing is recorded, only a half-open trial slot is given back.
                breaker._release_trial()
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def with_retry(policy: RetryPolicy | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: retry the wrapped function's transient failures (no breaker)."""

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args, **kwargs) -> T:
            return call_with_resilience(lambda: func(*args, **kwargs), policy=policy)

        return wrapper

    return decorate
