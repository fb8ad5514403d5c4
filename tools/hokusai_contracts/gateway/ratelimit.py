"""Token-bucket rate limiting, one bucket per API key."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """``per_second`` requests on average, up to ``burst`` at once."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs per_second > 0 and burst >= 1")


@dataclass
class TokenBucket:
    """``capacity`` tokens refilled at ``rate`` per second; a request takes one."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token; 0.0 when granted, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """A bucket per key; thread-safe (the gateway checks keys in a thread pool)."""

    limit: RateLimit
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, key_id: str) -> int:
        """0 when ``key_id`` may make a request now, else the whole seconds to wait (for Retry-After)."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                capacity = float(self.limit.burst)
                bucket = TokenBucket(self.limit.per_second, capacity, capacity, now)
                self._buckets[key_id] = bucket
            wait = bucket.take(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))
