"""Run ``probe_worker.py`` in one side's interpreter: attribute values, import checks, call bindings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import run_worker

WORKER = Path(__file__).with_name("probe_worker.py")
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class BindRequest:
    """One call to bind: ``path`` called (as a method when ``self``) with placeholder args and keywords."""

    id: str
    path: str
    self: bool
    args: tuple[str, ...] = ()
    kwargs: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class ProbeRequest:
    """What to ask one side: values of attribute paths, whether paths import, whether calls bind."""

    values: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    binds: tuple[BindRequest, ...] = ()

    @property
    def empty(self) -> bool:
        """True when there is nothing to ask."""
        return not (self.values or self.imports or self.binds)


@dataclass
class ProbeAnswer:
    """The side's answers: ``repr`` by path, import error (None: imports) by path, bind verdict by id."""

    values: dict[str, str] = field(default_factory=dict)
    imports: dict[str, str | None] = field(default_factory=dict)
    binds: dict[str, dict[str, str]] = field(default_factory=dict)


def run_probe(
    request: ProbeRequest,
    python: str | None = None,
    extra_paths: Sequence[str] = (),
    timeout: float = TIMEOUT_S,
) -> ProbeAnswer:
    """The worker's answer to ``request``, asked in ``python`` with ``extra_paths`` first on its path."""
    if request.empty:
        return ProbeAnswer()
    run = run_worker(
        WORKER, request, what="the diff probe", python=python, extra_paths=extra_paths, timeout=timeout
    )
    if run.timed_out:
        raise InfrastructureError(
            f"the diff probe under {run.interpreter} did not finish within {timeout:.0f} s "
            "(does importing the SDK wait for a server?)"
        )
    answer = run.answer()
    return ProbeAnswer(answer["values"], answer["imports"], answer["binds"])
