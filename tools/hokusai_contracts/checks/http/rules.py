"""The ``http`` family's rule ids and how each problem becomes a :class:`Finding`."""

from __future__ import annotations

from collections.abc import Iterable

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Location, Outcome, Severity

CHECK = "http"
CONFORMS = "HTTP000"
SERVER_ERROR = "HTTP001"
UNDOCUMENTED_STATUS = "HTTP002"
SCHEMA_VIOLATION = "HTTP003"
AUTH_IGNORED = "HTTP004"
MALFORMED_CONTRACT = "HTTP005"
CONSUMER_FIELD_MISSING = "HTTP006"
INFRASTRUCTURE = "infrastructure"  # as hokusai_contracts.verify.runner names it: the server did not answer

FIXES = {
    SERVER_ERROR: "make the server answer bad input with a 4xx error, or narrow the contract to what clients "
    "send (with a comment saying why)",
    UNDOCUMENTED_STATUS: "document the status code in the contract's `responses`, or make the server answer "
    "with a documented one",
    SCHEMA_VIOLATION: "make the response match the contract's schema, or correct the schema",
    AUTH_IGNORED: "reject requests without valid credentials with 401 before doing anything else",
    MALFORMED_CONTRACT: "correct the OpenAPI document at the place named",
    CONSUMER_FIELD_MISSING: "the SDK depends on this: restore the endpoint/field on the server (or pin the "
    "server version), or change the SDK and then the contract",
}


def finding(
    rule: str,
    subject: str,
    message: str,
    location: Location | None,
    *,
    details: str | None = None,
    secrets: Iterable[str] = (),
    outcome: Outcome = Outcome.FAILED,
) -> Finding:
    """A finding of the ``http`` family, its message and details masked."""
    secrets = tuple(secrets)
    return Finding(
        check=CHECK,
        rule=rule,
        subject=subject,
        message=mask_secrets(message, secrets),
        outcome=outcome,
        severity=Severity.ERROR,
        location=location,
        fix=FIXES.get(rule),
        details=mask_secrets(details, secrets) if details else None,
    )


def passed(subject: str, message: str, location: Location | None) -> Finding:
    """An operation (or exchange) that conformed."""
    return finding(CONFORMS, subject, message, location, outcome=Outcome.PASSED)


def malformed(error: ContractError, subject: str | None = None) -> Finding:
    """A contract that cannot be used, at the FILE:LINE the error names."""
    location = Location(error.file, error.line) if error.file else None
    return finding(MALFORMED_CONTRACT, subject or error.file or "contract", str(error), location)
