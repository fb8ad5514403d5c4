"""Brute-force protection: a client address that presents too many invalid API keys is refused for a while.

Design (why it is this way):

- Keyed by the client's address (the TCP peer, never a client-sent header such as X-Forwarded-For: the
  attacker writes those). Nothing an attacker sends can lock out another address, and no API key is
  ever locked: a key-based lockout would let anyone who knows a key's prefix shut its owner out.
- Once an address is blocked, every request from it that needs a key is refused with 429, *valid keys
  included*, and the key is not even looked at. Letting a valid key through would make the block an
  oracle: the one answer that is not 429 would tell the attacker which guess was right, so guessing
  could go on at full speed. The cost is borne by whoever shares the attacker's address (same NAT);
  a client sharing nothing with it is never affected.
- A success does not clear an address's failures: otherwise a holder of one valid key could interleave
  it with guesses at other keys and never be blocked.
- A blocked address's further requests do not extend the block: ``Retry-After`` is the truth, and the
  attacker still gets at most ``failures`` guesses per ``window``.
- Memory is bounded: at most ``max_addresses`` addresses are tracked, each with at most ``failures``
  timestamps; the least recently seen address is forgotten first (a blocked address that keeps knocking
  stays recent). An attacker with more addresses than that is not stopped by any per-address limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FailureLimit:
    """``failures`` invalid keys within ``window`` seconds block an address for ``window`` seconds."""

    failures: int = 20
    window: float = 60.0
    max_addresses: int = 10_000

    def __post_init__(self) -> None:
        if self.failures < 1 or self.window <= 0 or self.max_addresses < 1:
            raise ValueError("a failure limit needs failures >= 1, window > 0 and max_addresses >= 1")


@dataclass
class _Address:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


@dataclass
class FailureLimiter:
    """Failed authentications per client address; thread-safe (the gateway admits in a thread pool)."""

    limit: FailureLimit
    clock: Callable[[], float] = time.monotonic
    _addresses: OrderedDict[str, _Address] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def blocked(self, address: str) -> int:
        """0 when ``address`` may authenticate now, else the whole seconds until it may (for Retry-After)."""
        now = self.clock()
        with self._lock:
            entry = self._addresses.get(address)
            if entry is None:
                return 0
            self._addresses.move_to_end(address)
            wait = entry.blocked_until - now
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def record_failure(self, address: str) -> None:
        """Count an invalid key from ``address``; the one that reaches the limit starts the block."""
        now = self.clock()
        with self._lock:
            entry = self._addresses.get(address)
            if entry is None:
                entry = self._addresses[address] = _Address()
                while len(self._addresses) > self.limit.max_addresses:
                    self._addresses.popitem(last=False)
            self._addresses.move_to_end(address)
            recent = entry.failures
            while recent and recent[0] <= now - self.limit.window:
                recent.popleft()
            recent.append(now)
            if len(recent) >= self.limit.failures:
                entry.blocked_until = now + self.limit.window
                recent.clear()

    def tracked(self) -> int:
        """How many addresses are remembered (for tests of the memory bound)."""
        with self._lock:
            return len(self._addresses)
