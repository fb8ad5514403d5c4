"""The ``http`` family's rule ids and how each problem becomes a :class:`Finding`."""

from __future__ import annotations

from collections.abc import Iterable

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.findings.catalogue import http as http_rules
from hokusai_contracts.findings.catalogue.harness import INFRASTRUCTURE as INFRASTRUCTURE_RULE

CHECK = "http"
# Rule ids, from the one rule catalogue (its entries hold titles, explanations and fixes).
CONFORMS = http_rules.CONFORMS.id
SERVER_ERROR = http_rules.SERVER_ERROR.id
UNDOCUMENTED_STATUS = http_rules.UNDOCUMENTED_STATUS.id
SCHEMA_VIOLATION = http_rules.SCHEMA_VIOLATION.id
AUTH_IGNORED = http_rules.AUTH_IGNORED.id
MALFORMED_CONTRACT = http_rules.MALFORMED_CONTRACT.id
CONSUMER_FIELD_MISSING = http_rules.CONSUMER_FIELD_MISSING.id
INFRASTRUCTURE = INFRASTRUCTURE_RULE.id  # as the verify runner names it: the server did not answer

FIXES = {rule.id: rule.fix for rule in http_rules.RULES if rule.fix}


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
