"""Where a run's time goes: named phases (start, duration, parent) recorded into the run's :class:`Timeline`.

The recorder lives this low so every layer can record (a server start in ``servers/``, a family in
``verify/``); ``verify/timing.py`` renders the table and the ``--profile`` JSON. The timeline of the run
is a context variable, so concurrent runs (matrix cells) keep theirs apart and code outside a timed run
records nothing. Worker threads see it when their function is wrapped with :func:`carried`.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Phase:
    """One timed phase: seconds from the start of the run, its duration, the phase it ran within."""

    name: str
    start: float
    duration: float
    parent: str | None = None


@dataclass
class Timeline:
    """The phases of one run, in the order they finished (thread-safe)."""

    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    phases: list[Phase] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.started:
            self.started = self.clock()

    def add(self, name: str, start: float, duration: float, parent: str | None = None) -> Phase:
        """Record a phase that started at ``start`` (the clock's value) and lasted ``duration`` s."""
        recorded = Phase(name, max(0.0, start - self.started), duration, parent)
        with self._lock:
            self.phases.append(recorded)
        return recorded

    def total(self) -> float:
        """Seconds since the timeline started."""
        return self.clock() - self.started


_TIMELINE: contextvars.ContextVar[Timeline | None] = contextvars.ContextVar("hokusai_timeline", default=None)
_PARENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("hokusai_phase", default=None)


def current() -> Timeline | None:
    """The timeline being recorded into here, None outside a timed run."""
    return _TIMELINE.get()


@contextlib.contextmanager
def recording(timeline: Timeline) -> Iterator[Timeline]:
    """Record the phases of the code within into ``timeline``."""
    token = _TIMELINE.set(timeline)
    try:
        yield timeline
    finally:
        _TIMELINE.reset(token)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the code within as the phase ``name`` (a child of the phase it runs in); free when untimed."""
    timeline = _TIMELINE.get()
    if timeline is None:
        yield
        return
    parent = _PARENT.get()
    token = _PARENT.set(name)
    start = timeline.clock()
    try:
        yield
    finally:
        _PARENT.reset(token)
        timeline.add(name, start, timeline.clock() - start, parent)


def carried(function: Callable[P, R]) -> Callable[P, R]:
    """``function``, run in a copy of the caller's context: phases in a worker thread join the timeline."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # One copy per call: a context cannot be entered by two threads at once.
        return context.copy().run(function, *args, **kwargs)

    return run
