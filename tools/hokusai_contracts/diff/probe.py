"""Run ``probe_worker.py`` in one side's interpreter: attribute values, import checks, call bindings."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import resolve_python, run_worker

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
class CallProbe:
    """One differential call with arguments (``diff/call_synthesis.py``), asked of both sides.

    ``target`` (a dotted path) is called with ``args`` (literal source), or read when ``read``; with a
    ``receiver`` (a class path) it is a method or property of a fresh instance built with the first of
    ``receiver_args`` that constructs. An ``example`` is statements run in order in a copy of
    ``namespace``'s globals. ``id`` is the call as text; findings are reported under ``subject``.
    ``guessed``: an argument's type was guessed from its parameter's name (no annotation).
    """

    id: str
    subject: str
    target: str
    args: tuple[str, ...] = ()
    receiver: str = ""
    receiver_args: tuple[tuple[str, ...], ...] = ()
    read: bool = False
    example: tuple[str, ...] = ()
    namespace: str = ""
    guessed: bool = False


@dataclass(frozen=True)
class Structure:
    """Which of ``submodules`` does ``import <package>`` alone make reachable as attributes?"""

    package: str
    submodules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeRequest:
    """What to ask one side: values of attribute paths, whether paths import, whether calls bind;
    differential probes: submodules bound on import, outcomes of calls (a path: called with no
    arguments; a :class:`CallProbe`: with arguments, a method, a docstring example)."""

    values: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    binds: tuple[BindRequest, ...] = ()
    structure: Structure | None = None
    calls: tuple[str | CallProbe, ...] = ()
    cli: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when there is nothing to ask."""
        return not (self.values or self.imports or self.binds or self.structure or self.calls or self.cli)


@dataclass
class ProbeAnswer:
    """The side's answers: ``repr`` by path, import error (None: imports) by path, bind verdict by id;
    ``bound`` (reachable, declared) by submodule, two outcomes (``probe_worker.call_once``) by call
    (path or :attr:`CallProbe.id`)."""

    values: dict[str, str] = field(default_factory=dict)
    imports: dict[str, str | None] = field(default_factory=dict)
    binds: dict[str, dict[str, str]] = field(default_factory=dict)
    bound: dict[str, dict[str, bool]] = field(default_factory=dict)
    calls: dict[str, list[dict]] = field(default_factory=dict)
    cli: dict[str, dict[str, dict]] = field(default_factory=dict)


PROBE_HASH_SEED = "0"  # both sides' interpreters hash strings alike

# Variables that would point a probed call at a real server or account.
SANDBOX_PREFIXES = ("HOKUSAI_", "MLFLOW_")


def sandbox_environment(home: Path) -> dict[str, str]:
    """Our environment without HOKUSAI_*/MLFLOW_* variables, with ``home`` as HOME and a fixed hash
    seed (both sides iterate sets and hash strings alike: an outcome that depends on set order is the
    same in OLD's interpreter and NEW's, not a difference between them)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(SANDBOX_PREFIXES)}
    environment.update(HOME=str(home), USERPROFILE=str(home), PYTHONHASHSEED=PROBE_HASH_SEED)
    return environment


def run_probe(
    request: ProbeRequest,
    python: str | None = None,
    extra_paths: Sequence[str] = (),
    timeout: float = TIMEOUT_S,
) -> ProbeAnswer:
    """The worker's answer to ``request``, asked in ``python`` with ``extra_paths`` first on its path."""
    if request.empty:
        return ProbeAnswer()
    # A fresh HOME and working directory: calls probed with no arguments must not read or write the
    # user's configuration, nor reach a server named in the environment.
    with tempfile.TemporaryDirectory(prefix="hokusai-probe-home-") as home:
        run = run_worker(
            WORKER,
            request,
            what="the diff probe",
            # Absolute (not resolved: a venv's python is a symlink), since the worker runs elsewhere.
            python=os.path.abspath(resolve_python(python)),
            extra_paths=extra_paths,
            timeout=timeout,
            env=sandbox_environment(Path(home)),
            cwd=Path(home),
        )
    if run.timed_out:
        raise InfrastructureError(
            f"the diff probe under {run.interpreter} did not finish within {timeout:.0f} s "
            "(does importing the SDK wait for a server?)"
        )
    answer = run.answer()
    return ProbeAnswer(
        answer["values"],
        answer["imports"],
        answer["binds"],
        answer.get("bound", {}),
        answer.get("calls", {}),
        answer.get("cli", {}),
    )
