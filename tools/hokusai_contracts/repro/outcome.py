"""What running one claim produced: the exception, the output and the HTTP calls the SDK made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpCall:
    """One request the SDK sent and the status it got; credential headers already masked."""

    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()

    def label(self) -> str:
        """``POST /api/2.0/mlflow/experiments/create -> 403``."""
        return f"{self.method} {self.path} -> {self.status}"


@dataclass(frozen=True)
class RaisedException:
    """The exception a claim's code raised: its qualified type, the qualified names of its classes
    (most derived first), its message and the HTTP status it carries, if any."""

    type: str
    bases: tuple[str, ...]
    message: str
    status: int | None = None

    @property
    def name(self) -> str:
        """The type's name without its module, e.g. ``AuthorizationError``."""
        return self.type.rsplit(".", 1)[-1]

    def is_a(self, type_name: str) -> bool:
        """True when this exception is (a subclass of) ``type_name``, given plainly or qualified."""
        return any(base == type_name or base.rsplit(".", 1)[-1] == type_name for base in self.bases)

    def first_line(self, limit: int = 400) -> str:
        """The message's first line, shortened to ``limit`` characters."""
        line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclass(frozen=True)
class Outcome:
    """The result of one run of a claim's code in a fresh interpreter."""

    exception: RaisedException | None = None
    output: str = ""
    transcript: tuple[HttpCall, ...] = ()
    seconds: float = 0.0
    timed_out: bool = False
    traceback: str = ""
    problem: str | None = None  # the run itself broke (the worker died without a result)

    @property
    def failed(self) -> bool:
        """True when the code did not run to its end."""
        return self.exception is not None or self.timed_out or self.problem is not None

    def statuses(self) -> tuple[int, ...]:
        """Every HTTP status seen: the exception's and the error answers in the transcript."""
        found = [call.status for call in self.transcript if call.status >= 400]
        if self.exception is not None and self.exception.status is not None:
            found.insert(0, self.exception.status)
        return tuple(dict.fromkeys(found))
