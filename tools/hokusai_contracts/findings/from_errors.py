"""Expected errors as findings: a malformed contract fails (exit 1), a check that cannot run errs (2)."""

from __future__ import annotations

import errno
import traceback

from hokusai_contracts.base.errors import ContractError, InfrastructureError
from hokusai_contracts.findings import Finding, Location, Outcome

CONTRACT_INVALID = "contract-invalid"
INFRASTRUCTURE = "infrastructure"
INTERNAL_ERROR = "harness-internal-error"


def contract_error_finding(family: str, exc: ContractError) -> Finding:
    """A malformed contract as a failed finding at the file and line the error names."""
    return Finding(
        check=family,
        rule=CONTRACT_INVALID,
        subject=exc.file or "contracts",
        message=str(exc),
        location=Location(exc.file, exc.line) if exc.file else None,
        fix="correct the contract file at the place named, or regenerate it with `hokusai-contracts extract`",
    )


def infrastructure_finding(finding: Finding, cause: str) -> Finding:
    """``finding`` (a failure an unhealthy server caused) as an infrastructure error at the same place.

    The cause (which server, what is wrong, its log tail) is the message; what the check saw (its message,
    not the traceback of a call that hit a dead server) goes to the details.
    """
    seen = f"what the check saw ({finding.rule}): {finding.message}"
    return Finding(
        check=finding.check,
        rule=INFRASTRUCTURE,
        subject=finding.subject,
        message=cause,
        outcome=Outcome.ERROR,
        location=finding.location,
        fix="the server failed, not the contract: see its log tail above, fix the environment and run again",
        details=seen,
    )


# What the environment did, for the OSErrors that are its fault and not the harness's.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def environment_cause(exc: BaseException) -> str | None:
    """``disk full: <path>`` (read-only, permission denied...) when ``exc`` or an exception it came from is
    such an OSError; None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in ENVIRONMENT_ERRNOS:
            # For a copy, filename2 is the destination: the place that is full.
            path = current.filename2 or current.filename
            return (
                f"{ENVIRONMENT_ERRNOS[current.errno]}: {path}" if path else ENVIRONMENT_ERRNOS[current.errno]
            )
        current = current.__cause__ or current.__context__
    return None


def error_finding(family: str, exc: BaseException) -> Finding:
    """A check that could not run as an error finding (exit code 2)."""
    cause = environment_cause(exc)
    if cause is not None and not isinstance(exc, InfrastructureError):
        exc = InfrastructureError(f"{cause} ({type(exc).__name__}: {exc})")
    if isinstance(exc, InfrastructureError):
        return Finding(
            check=family,
            rule=INFRASTRUCTURE,
            subject=family,
            message=str(exc),
            outcome=Outcome.ERROR,
            fix="fix the environment named in the message, then run verify again",
        )
    return Finding(
        check=family,
        rule=INTERNAL_ERROR,
        subject=family,
        message=f"the {family!r} check crashed: {type(exc).__name__}: {exc}",
        outcome=Outcome.ERROR,
        fix="this is a bug in the harness; report it with the details below",
        details="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    )
