"""Work done once per key and shared by every thread that asks for it while a run lasts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class RunMemo:
    """Results by key: the first caller of a key computes it, callers meanwhile wait for that result.

    A computation that raised is forgotten (its waiters get the exception), so a later caller retries.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[Any]] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The result for ``key``: computed now by ``compute``, or the one another caller computed."""
        future, owner = self.claim(key)
        if not owner:
            return future.result()
        try:
            result = compute()
        except BaseException as exc:
            self.fail(key, future, exc)
            raise
        future.set_result(result)
        return result

    def claim(self, key: Hashable) -> tuple[Future[Any], bool]:
        """The future of ``key``'s result and whether this caller owns it: an owner sets its result
        (``future.set_result``) or calls :meth:`fail`; the others wait on ``future.result()``."""
        with self._lock:
            future = self._futures.get(key)
            if future is not None:
                return future, False
            future = self._futures[key] = Future()
            return future, True

    def fail(self, key: Hashable, future: Future[Any], error: BaseException) -> None:
        """An owner's computation of ``key`` raised: its waiters get ``error``, a later caller retries."""
        with self._lock:
            if self._futures.get(key) is future:
                self._futures.pop(key)
        future.set_exception(error)

    def clear(self) -> None:
        """Forget every result (callers waiting on one still get it)."""
        with self._lock:
            self._futures.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._futures)
