"""Retry with exponential backoff and a circuit breaker per tracking URI.

Every MLflow call of the SDK goes through :func:`call_with_resilience`. Only transient failures
(connection errors, timeouts, HTTP 429 and 5xx) are retried. The breaker counts *calls*, not
attempts: a call that failed after all its retries is one failure, and a failure a retry absorbed
counts for nothing (behind a load balancer one dead instance among healthy ones must not open the
breaker of the balancer's URL). A 401, 403 or 404 is an answer, not an outage, and is raised at once;
a 429 is an answer too (the server is up, the caller must slow down), so it never opens the breaker,
and its ``Retry-After`` replaces the backoff delay (capped by :attr:`RetryPolicy.max_wait`). Only
such answers (an exception carrying the HTTP status) count as a success; any other error of the call
(the caller's own ``TypeError``, a check failing before a request was made) counts neither way, and a
``BaseException`` (``KeyboardInterrupt``...) is not handled at all.

An open breaker with a ``probe`` (the SDK gives every HTTP server's breaker a ``GET /health`` with a
short timeout) checks the server when a call arrives and a probe is due: 0.5 s after opening, then
at doubling intervals up to ``probe_max_interval``. As soon as the server answers, the breaker is
half-open and that call is its trial, so calls recover seconds after the server does rather than
after ``recovery_timeout`` (which still lets a trial through when no probe answered).
"""

from __future__ import annotations

import enum
import functools
import os
import random
import re
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
    max_wait: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must not be negative")
        if self.multiplier < 1:
            raise ValueError("RetryPolicy.multiplier must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")
        if self.max_wait is not None and self.max_wait < 0:
            raise ValueError("RetryPolicy.max_wait must not be negative")

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

    def wait_for(self, retry_number: int, retry_after: float | None = None) -> float:
        """Delay before retry ``retry_number``: a server's ``Retry-After`` (capped), else the backoff.

        The cap is ``max_wait``, or ``max_delay`` when ``max_wait`` is None.
        """
        if retry_after is None:
            return self.delay(retry_number)
        cap = self.max_delay if self.max_wait is None else self.max_wait
        return min(max(0.0, retry_after), cap)


class CircuitState(str, enum.Enum):
    """States of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_SECRET_IN_TEXT = (
    (re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^/:@\s]+:)[^/@\s]+@", re.IGNORECASE), r"\g<keep>***@"),
    (
        re.compile(r"(?P<keep>\b(?:bearer|basic|token|api[_-]?key|password)[\s=:]+)\S+", re.IGNORECASE),
        r"\g<keep>***",
    ),
)


def describe_failure(error: BaseException, limit: int = 240) -> str:
    """``Type: first line of the message`` of ``error``, with credentials in it masked."""
    text = str(getattr(error, "message", None) or error).strip()
    line = text.splitlines()[0] if text else ""
    for pattern, replacement in _SECRET_IN_TEXT:
        line = pattern.sub(replacement, line)
    if len(line) > limit:
        line = line[: limit - 3] + "..."
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


@dataclass
class CircuitBreaker:
    """Closed / open / half-open breaker that fails fast after repeated transient failures.

    ``probe`` (optional) checks the server while the breaker is open: True when it answers. It runs
    in a calling thread, one at a time, ``probe_interval`` seconds after the breaker opened and then
    at doubling intervals up to ``probe_max_interval``; an answer makes the breaker half-open at once.
    """

    name: str = "mlflow"
    failure_threshold: int = 5
    recovery_timeout: float = 30.0
    clock: Callable[[], float] = time.monotonic
    probe: Callable[[], bool] | None = None
    probe_interval: float = 0.5
    probe_max_interval: float = 4.0
    _state: CircuitState = field(default=CircuitState.CLOSED, init=False)
    _failures: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False)
    _probe_at: float = field(default=0.0, init=False)
    _probe_delay: float = field(default=0.0, init=False)
    _probing: bool = field(default=False, init=False)
    _last_failure: str | None = field(default=None, init=False)
    _trial_in_flight: bool = field(default=False, init=False)
    _trial_thread: int | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def state(self) -> CircuitState:
        """The current state; an open breaker turns half-open after its timeout (or a probe answering)."""
        with self._lock:
            return self._current_state()

    @property
    def failure_count(self) -> int:
        """Consecutive failed calls seen since the last success."""
        return self._failures

    @property
    def last_failure(self) -> str | None:
        """``Type: message`` of the last failure counted (credentials masked); None after a success."""
        return self._last_failure

    def _current_state(self) -> CircuitState:
        if self._state is CircuitState.OPEN and self.clock() - self._opened_at >= self.recovery_timeout:
            self._state = CircuitState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    def before_call(self) -> None:
        """Raise :class:`CircuitOpenError` unless a call may go through now (probing the server if due)."""
        with self._lock:
            probe_now = self._claim_probe()
            if not probe_now:
                self._admit()
                return
        answered = self._run_probe()
        with self._lock:
            self._probing = False
            if self._state is CircuitState.OPEN:  # not closed or reset by another thread meanwhile
                if answered:
                    self._state = CircuitState.HALF_OPEN
                    self._trial_in_flight = False
                else:
                    self._probe_delay = min(self.probe_max_interval, self._probe_delay * 2)
                    self._probe_at = self.clock() + self._probe_delay
            self._admit()

    def _claim_probe(self) -> bool:
        if self._current_state() is not CircuitState.OPEN or self.probe is None or self._probing:
            return False
        if self.clock() < self._probe_at:
            return False
        self._probing = True
        return True

    def _run_probe(self) -> bool:
        try:
            return bool(self.probe())  # type: ignore[misc]  # claimed only when a probe is set
        except Exception:
            return False  # a probe that fails to run proves nothing: the server is not known to be up

    def _admit(self) -> None:
        state = self._current_state()
        if state is CircuitState.OPEN:
            raise self._open_error()
        if state is CircuitState.HALF_OPEN:
            me = threading.get_ident()
            # The trial's own retries go through; any other call waits for the trial's outcome.
            if self._trial_in_flight and self._trial_thread != me:
                raise self._open_error(0.0)
            self._trial_in_flight = True
            self._trial_thread = me

    def _open_error(self, retry_after: float | None = None) -> CircuitOpenError:
        if retry_after is None:
            now = self.clock()
            next_chance = self._opened_at + self.recovery_timeout
            if self.probe is not None:
                next_chance = min(next_chance, self._probe_at)
            retry_after = max(0.0, next_chance - now)
        return CircuitOpenError(
            tracking_uri=self.name, retry_after=retry_after, last_failure=self._last_failure
        )

    def record_success(self) -> None:
        """Close the breaker and forget past failures."""
        with self._lock:
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._last_failure = None
            self._trial_in_flight = False
            self._trial_thread = None

    def record_failure(self, error: BaseException | None = None) -> None:
        """Count a failed call (``error``: why); open at the threshold or after a failed trial."""
        with self._lock:
            self._failures += 1
            self._trial_in_flight = False
            if error is not None:
                self._last_failure = describe_failure(error)
            if self._state is CircuitState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = CircuitState.OPEN
                self._opened_at = self.clock()
                self._probe_delay = self.probe_interval
                self._probe_at = self._opened_at + self.probe_interval

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
    probe_interval: float = 0.5
    probe_max_interval: float = 4.0

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

        def optional_number(name: str) -> float | None:
            return number(name, 0.0) if os.environ.get(name) not in (None, "") else None

        base = cls()
        retry = RetryPolicy(
            max_attempts=int(number("HOKUSAI_RETRY_MAX_ATTEMPTS", base.retry.max_attempts)),
            initial_delay=number("HOKUSAI_RETRY_INITIAL_DELAY", base.retry.initial_delay),
            max_delay=number("HOKUSAI_RETRY_MAX_DELAY", base.retry.max_delay),
            max_wait=optional_number("HOKUSAI_RETRY_MAX_WAIT"),
        )
        return cls(
            retry=retry,
            failure_threshold=int(number("HOKUSAI_CIRCUIT_FAILURE_THRESHOLD", base.failure_threshold)),
            recovery_timeout=number("HOKUSAI_CIRCUIT_RECOVERY_TIMEOUT", base.recovery_timeout),
            request_timeout=number("HOKUSAI_REQUEST_TIMEOUT", base.request_timeout),
            probe_interval=number("HOKUSAI_CIRCUIT_PROBE_INTERVAL", base.probe_interval),
            probe_max_interval=number("HOKUSAI_CIRCUIT_PROBE_MAX_INTERVAL", base.probe_max_interval),
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


def get_circuit_breaker(tracking_uri: str, probe: Callable[[], bool] | None = None) -> CircuitBreaker:
    """The breaker shared by every call to ``tracking_uri`` in this process (given ``probe`` if none)."""
    with _registry_lock:
        breaker = _breakers.get(tracking_uri)
        if breaker is None:
            config = get_resilience_config()
            breaker = CircuitBreaker(
                name=tracking_uri,
                failure_threshold=config.failure_threshold,
                recovery_timeout=config.recovery_timeout,
                probe_interval=config.probe_interval,
                probe_max_interval=config.probe_max_interval,
            )
            _breakers[tracking_uri] = breaker
        if breaker.probe is None and probe is not None:
            breaker.probe = probe
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
        breaker.record_failure(exc)
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

    The breaker sees the call's outcome once, after the last attempt: a failure that a retry absorbed
    is not counted. A 429's ``retry_after`` replaces the backoff delay (capped, see
    :meth:`RetryPolicy.wait_for`). Only ``Exception`` is handled: ``KeyboardInterrupt``,
    ``SystemExit`` and other ``BaseException`` propagate at once and are not counted by the breaker.
    """
    policy = policy or get_resilience_config().retry
    recorded = False
    try:
        for attempt in range(1, policy.max_attempts + 1):
            if breaker is not None:
                breaker.before_call()
            try:
                result = fn()
            except Exception as exc:
                transient = is_transient(exc)
                if not transient or attempt == policy.max_attempts:
                    if breaker is not None:
                        _record_outcome(breaker, exc, transient)
                        recorded = True
                    raise
                retry_after = exc.retry_after if isinstance(exc, RateLimitError) else None
                sleep(policy.wait_for(attempt, retry_after))
            else:
                if breaker is not None:
                    breaker.record_success()
                    recorded = True
                return result
    finally:
        if breaker is not None and not recorded:
            # Nothing recorded (an open breaker refused a retry, the caller's error, an interrupt):
            # a half-open trial slot this call holds is given back.
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
