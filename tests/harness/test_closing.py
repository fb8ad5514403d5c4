"""ClosedTogether: independent context managers exited side by side, every one even when one fails."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from hokusai_contracts.base.closing import ClosedTogether


def test_managers_are_exited_side_by_side():
    # Each exit waits for the other's: one after the other, the first would wait in vain.
    first_exiting, second_exiting = threading.Event(), threading.Event()
    exited: list[str] = []

    @contextlib.contextmanager
    def waiting(name: str, mine: threading.Event, other: threading.Event) -> Iterator[str]:
        yield name
        mine.set()
        if not other.wait(5):
            raise AssertionError(f"{name} exited while the other manager was not exiting")
        exited.append(name)

    with ClosedTogether() as together:
        assert together.enter(waiting("a", first_exiting, second_exiting)) == "a"
        together.enter(waiting("b", second_exiting, first_exiting))
    assert sorted(exited) == ["a", "b"]


def test_every_manager_is_exited_and_the_first_error_is_raised():
    exited: list[str] = []

    @contextlib.contextmanager
    def failing() -> Iterator[None]:
        yield
        raise RuntimeError("could not stop")

    together = ClosedTogether()
    together.enter(failing())
    together.enter(contextlib.closing(type("C", (), {"close": lambda self: exited.append("closed")})()))
    with pytest.raises(RuntimeError, match="could not stop"):
        together.close()
    assert exited == ["closed"]
    together.close()  # nothing left: a second close does nothing
