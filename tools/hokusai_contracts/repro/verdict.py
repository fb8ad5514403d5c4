"""Verdicts: does an outcome show what the reporter observed, and what do several runs say together.

Pure functions over :class:`Observed` and :class:`Outcome`; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from hokusai_contracts.repro.outcome import Outcome
from hokusai_contracts.repro.report import Observed

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
DIFFERENT_FAILURE = "different failure"
ENVIRONMENT_SPECIFIC = "environment-specific"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, DIFFERENT_FAILURE, ENVIRONMENT_SPECIFIC)

FIXED = "fixed"
STILL_REPRODUCED = "still reproduced"

_OUTPUT_SHOWN = 300


@dataclass(frozen=True)
class Check:
    """One observed field against what the run showed."""

    field: str
    expected: str
    actual: str
    matched: bool


@dataclass(frozen=True)
class Judgement:
    """The verdict of one run of one claim, the checks behind it and one sentence of evidence."""

    verdict: str
    checks: tuple[Check, ...]
    evidence: str


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _contains(text: str, fragment: str) -> bool:
    return _normal(fragment) in _normal(text)


def _shorten(text: str, limit: int = _OUTPUT_SHOWN) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _last_lines(text: str, count: int = 2, limit: int = _OUTPUT_SHOWN) -> str:
    """The last ``count`` non-empty lines of ``text``: what the code printed last, after library noise."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    shown = " / ".join(lines[-count:])
    return shown if len(shown) <= limit else "..." + shown[-(limit - 3) :]


def _actual_failure(outcome: Outcome) -> str:
    if outcome.exception is not None:
        return outcome.exception.name
    if outcome.timed_out:
        return "timed out"
    if outcome.problem:
        return "the run broke"
    return "no exception"


def checks_for(observed: Observed, outcome: Outcome) -> tuple[Check, ...]:
    """Each field the reporter observed, compared with ``outcome``."""
    checks = []
    raised = outcome.exception
    if observed.exception is not None:
        checks.append(
            Check(
                "exception",
                observed.exception,
                raised.type if raised else _actual_failure(outcome),
                raised is not None and raised.is_a(observed.exception),
            )
        )
    if observed.message is not None:
        message = raised.message if raised else ""
        checks.append(
            Check(
                "message",
                observed.message,
                raised.first_line() if raised else "(no exception message)",
                raised is not None and _contains(message, observed.message),
            )
        )
    if observed.status is not None:
        statuses = outcome.statuses()
        checks.append(
            Check(
                "status",
                str(observed.status),
                ", ".join(map(str, statuses)) or "no error status",
                observed.status in statuses,
            )
        )
    if observed.output is not None:
        checks.append(
            Check(
                "output",
                observed.output,
                _shorten(outcome.output) or "(nothing printed)",
                _contains(outcome.output, observed.output),
            )
        )
    return tuple(checks)


def judge(observed: Observed, outcome: Outcome) -> Judgement:
    """Reproduced when every observed field matches; else not reproduced (the code ran through) or a
    different failure (it failed, but not as reported)."""
    checks = checks_for(observed, outcome)
    if all(check.matched for check in checks):
        return Judgement(REPRODUCED, checks, _evidence_of_failure(outcome, "as reported"))
    if not outcome.failed:
        printed = f"; it printed: {_last_lines(outcome.output)}" if outcome.output.strip() else ""
        return Judgement(NOT_REPRODUCED, checks, f"The code ran to its end without an exception{printed}")
    return Judgement(DIFFERENT_FAILURE, checks, _evidence_of_failure(outcome, f"not {observed.describe()}"))


def _evidence_of_failure(outcome: Outcome, qualifier: str) -> str:
    if outcome.exception is not None:
        status = f" (HTTP {outcome.exception.status})" if outcome.exception.status else ""
        return f"Raised {outcome.exception.name}{status}, {qualifier}: {outcome.exception.first_line()}"
    if outcome.timed_out:
        return f"Timed out after {outcome.seconds:.0f} s, {qualifier}"
    if outcome.problem:
        return f"The run broke, {qualifier}: {outcome.problem}"
    statuses = ", ".join(map(str, outcome.statuses()))
    seen = f"; the server answered {statuses}" if statuses else ""
    return f"Ran to its end, {qualifier}{seen}; it printed: {_last_lines(outcome.output)}"


def final_verdict(reporter: Judgement, current: Judgement | None) -> str:
    """The claim's verdict: the reporter's environment's, unless it reproduced there but not in the
    current environment (current SDK and server), which makes it environment-specific."""
    if reporter.verdict == REPRODUCED and current is not None and current.verdict != REPRODUCED:
        return ENVIRONMENT_SPECIFIC
    return reporter.verdict


def against_result(reporter: Judgement, against: Judgement) -> str:
    """What a run on another SDK source (``--against``) says: fixed, still reproduced, or its verdict."""
    if against.verdict == REPRODUCED:
        return STILL_REPRODUCED
    if reporter.verdict == REPRODUCED and against.verdict == NOT_REPRODUCED:
        return FIXED
    return against.verdict


def not_fixed(reporter: Judgement, against: str | None) -> bool:
    """True when a claim reproduced in the reporter's environment and the ``--against`` run did not fix it."""
    return against is not None and reporter.verdict == REPRODUCED and against != FIXED
