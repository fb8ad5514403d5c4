"""Run selected check families into one :class:`RunResult`, turning expected errors into findings.

A family that raises does not stop the others: a malformed contract becomes a failed finding (exit 1),
an infrastructure problem or a crash of the check itself an error finding (exit 2). Only a usage error
(:class:`HarnessUsageError`) aborts the run, since nothing useful can follow it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from hokusai_contracts.base.errors import ContractError, HarnessUsageError
from hokusai_contracts.base.timing import phase
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.findings import Finding, RunResult
from hokusai_contracts.findings.from_errors import contract_error_finding, error_finding


class Progress(Protocol):
    """Told when each family starts and finishes (e.g. :class:`reports.terminal.CheckProgress`)."""

    def start(self, family: str) -> None: ...

    def finish(self, family: str, findings: Sequence[Finding]) -> None: ...


class _NoProgress:
    def start(self, family: str) -> None:
        pass

    def finish(self, family: str, findings: Sequence[Finding]) -> None:
        pass


def unknown_families(names: Sequence[str], known: Sequence[str]) -> list[str]:
    """The names among ``names`` that are not family names."""
    return [name for name in names if name not in known]


def select(
    checks: dict[str, CheckFamily], only: Sequence[str] = (), skip: Sequence[str] = ()
) -> list[CheckFamily]:
    """The families to run, in registry order; raises :class:`HarnessUsageError` for an unknown name."""
    bad = unknown_families([*only, *skip], list(checks))
    if bad:
        raise HarnessUsageError(
            f"unknown check famil{'y' if len(bad) == 1 else 'ies'} {', '.join(map(repr, bad))}; "
            f"valid names: {', '.join(checks) or '(none registered)'}"
        )
    chosen = [family for name, family in checks.items() if (not only or name in only) and name not in skip]
    if not chosen:
        raise HarnessUsageError("--only/--skip leave no check family to run")
    return chosen


def run_family(family: CheckFamily, context: VerifyContext) -> list[Finding]:
    """The findings of one family; expected errors become findings, usage errors propagate."""
    try:
        with phase(f"family: {family.name}"):
            return list(family.run(context))
    except HarnessUsageError:
        raise
    except ContractError as exc:
        return [contract_error_finding(family.name, exc)]
    except Exception as exc:
        return [error_finding(family.name, exc)]


def run_checks(
    families: Sequence[CheckFamily],
    context: VerifyContext,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Run ``families`` in order against ``context`` and collect everything they find."""
    progress = progress or _NoProgress()
    result = RunResult()
    started = clock()
    for family in families:
        progress.start(family.name)
        findings = run_family(family, context)
        progress.finish(family.name, findings)
        result.extend(findings)
    result.duration_s = clock() - started
    result.sdk_version = context.sdk_version
    if context.server is not None:
        result.server = getattr(context.server, "url", str(context.server))
    return result
