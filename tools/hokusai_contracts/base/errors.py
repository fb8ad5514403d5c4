"""The harness's own errors: each one says what went wrong and what to do, never a raw traceback."""

from __future__ import annotations


class HarnessError(Exception):
    """Base class of every error the harness raises on purpose."""


class HarnessUsageError(HarnessError):
    """The harness was asked for something impossible (a missing interpreter, a bad option)."""


class InfrastructureError(HarnessError):
    """The environment failed: the target SDK does not import, the worker crashed or timed out."""


class ContractError(HarnessError):
    """A contract file is malformed; the message names FILE:LINE and what was expected there."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        more: tuple[str, ...] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.detail = message
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        # Further problems of the same run, already formatted as FILE:LINE: message.
        self.more = more
        super().__init__("\n".join((f"{where}{message}", *more)))
