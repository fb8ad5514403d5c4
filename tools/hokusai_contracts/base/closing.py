"""Context managers entered one by one and exited side by side.

A run ends by stopping what it started: server pools (each server waits for its graceful exit), fork
servers, relays. None of them waits for another, so one after the other only added their waits up (0.9 s
at the end of every cold gate); :class:`ClosedTogether` exits them each in a thread of its own.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import TypeVar

T = TypeVar("T")


class ClosedTogether:
    """Holds independent context managers; :meth:`close` (or leaving the block) exits all at once and
    raises the first error any of them raised, after every one was exited."""

    def __init__(self) -> None:
        self._stacks: list[contextlib.ExitStack] = []

    def enter(self, manager: AbstractContextManager[T]) -> T:
        """Enter ``manager`` now; it is exited by :meth:`close`, beside the others."""
        stack = contextlib.ExitStack()
        value = stack.enter_context(manager)
        self._stacks.append(stack)
        return value

    def close(self) -> None:
        """Exit every manager entered so far, side by side."""
        stacks, self._stacks = self._stacks, []
        if not stacks:
            return
        with ThreadPoolExecutor(max_workers=len(stacks), thread_name_prefix="close") as pool:
            closing = [pool.submit(stack.close) for stack in stacks]
        errors = [error for error in (done.exception() for done in closing) if error is not None]
        if errors:
            raise errors[0]

    def __enter__(self) -> ClosedTogether:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
