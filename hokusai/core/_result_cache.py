"""Prediction results cached for a while: in memory by default, in Redis when configured."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hokusai.exceptions import ConfigurationError

REDIS_PREFIX = "hokusai:inference:"
_IMMUTABLE = frozenset({int, float, str, bool, bytes, type(None)})


def copied(predictions: list) -> list:
    """A copy the caller may modify: shallow when every item is immutable (the usual case, 4x faster)."""
    if all(type(item) in _IMMUTABLE for item in predictions):
        return list(predictions)
    return copy.deepcopy(predictions)


@dataclass
class CacheCounters:
    """Hits and misses of a result cache."""

    hits: int = 0
    misses: int = 0


class ResultCache(Protocol):
    """What the inference pipeline needs from a result cache."""

    backend: str
    counters: CacheCounters

    def get(self, key: str) -> list | None:
        """The cached predictions under ``key``, or None (expired entries are misses)."""

    def set(self, key: str, predictions: list) -> None:
        """Cache ``predictions`` under ``key`` for the configured time."""

    def __len__(self) -> int: ...


class MemoryResultCache:
    """A thread-safe TTL cache of at most ``max_entries`` results, least recently used evicted first."""

    backend = "memory"

    def __init__(
        self, ttl_seconds: float, max_entries: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.counters = CacheCounters()
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, list]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> list | None:
        """The cached predictions (a copy) under ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] <= self._clock():
                del self._entries[key]
                entry = None
            if entry is None:
                self.counters.misses += 1
                return None
            self._entries.move_to_end(key)
            self.counters.hits += 1
            predictions = entry[1]
        # A copy: the caller may modify what it gets without changing what later callers get.
        return copied(predictions)

    def set(self, key: str, predictions: list) -> None:
        """Cache a copy of ``predictions`` under ``key`` for ``ttl_seconds``."""
        stored = copied(predictions)
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl_seconds, stored)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class RedisResultCache:
    """Results as JSON in Redis (shared by processes), expiring after ``ttl_seconds``."""

    backend = "redis"

    def __init__(self, redis_url: str, ttl_seconds: float) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigurationError(
                f"CacheConfig(redis_url={redis_url!r}) needs the 'redis' package, which is not installed",
                missing_key="redis_url",
                fix="pip install redis, or leave CacheConfig.redis_url unset to cache results in memory",
            ) from None
        self.ttl_seconds = ttl_seconds
        self.counters = CacheCounters()
        self._client = redis.Redis.from_url(redis_url)
        self._lock = threading.Lock()

    def get(self, key: str) -> list | None:
        """The predictions stored under ``key``, or None."""
        raw = self._client.get(REDIS_PREFIX + key)
        with self._lock:
            if raw is None:
                self.counters.misses += 1
                return None
            self.counters.hits += 1
        return json.loads(raw)

    def set(self, key: str, predictions: list) -> None:
        """Store ``predictions`` as JSON under ``key``; values JSON cannot hold are not cached."""
        try:
            payload = json.dumps(predictions)
        except TypeError:
            return
        self._client.set(REDIS_PREFIX + key, payload, ex=max(1, round(self.ttl_seconds)))

    def __len__(self) -> int:
        return sum(1 for _ in self._client.scan_iter(match=REDIS_PREFIX + "*"))


class DisabledResultCache:
    """No caching: every lookup is a miss and nothing is stored."""

    backend = "disabled"

    def __init__(self) -> None:
        self.counters = CacheCounters()

    def get(self, key: str) -> list | None:
        """Always None."""
        return None

    def set(self, key: str, predictions: list) -> None:
        """Store nothing."""

    def __len__(self) -> int:
        return 0
