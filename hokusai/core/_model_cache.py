"""Loaded models kept in memory, least recently used evicted first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from hokusai.exceptions import InvalidParameterError


class ModelLRU:
    """At most ``capacity`` loaded models; thread-safe, and each model is loaded once at a time."""

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise InvalidParameterError(
                "max_models_in_memory",
                f"max_models_in_memory must be a positive int, got {capacity!r}",
                fix="pass e.g. max_models_in_memory=10",
            )
        self.capacity = capacity
        self._models: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> Any | None:
        """The model loaded under ``key`` (now the most recently used), or None."""
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
            return model

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The model under ``key``, calling ``load()`` if it is not in memory (a failure is not kept)."""
        model = self.get(key)
        if model is not None:
            return model
        with self._lock:
            key_lock = self._loading.setdefault(key, threading.Lock())
        # Concurrent requests for one model wait for a single load instead of downloading it twice.
        with key_lock:
            model = self.get(key)
            if model is not None:
                return model
            model = load()
            with self._lock:
                self._models[key] = model
                self._models.move_to_end(key)
                while len(self._models) > self.capacity:
                    self._models.popitem(last=False)
                self._loading.pop(key, None)
            return model

    def loaded_keys(self) -> list[Hashable]:
        """The keys of the loaded models, least recently used first."""
        with self._lock:
            return list(self._models)

    def clear(self) -> None:
        """Forget every loaded model."""
        with self._lock:
            self._models.clear()
