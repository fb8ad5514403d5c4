"""The HTTP contracts' rules (``http``): the MLflow consumer subset and the gateway's OpenAPI document."""

from __future__ import annotations

from hokusai_contracts.findings import Severity
from hokusai_contracts.findings.rules import Rule

FAMILY = "http"

CONFORMS = Rule(
    "HTTP000",
    FAMILY,
    "operation conforms",
    "An operation (or a recorded exchange) answered as its contract says. Reported as a pass.",
    Severity.INFO,
)
SERVER_ERROR = Rule(
    "HTTP001",
    FAMILY,
    "server error",
    "The server answered a generated request with a 5xx status: bad input crashes it instead of being "
    "rejected.",
    fix="make the server answer bad input with a 4xx error, or narrow the contract to what clients "
    "send (with a comment saying why)",
)
UNDOCUMENTED_STATUS = Rule(
    "HTTP002",
    FAMILY,
    "status code not in the contract",
    "The server answered with a status code the operation's `responses` do not document: clients "
    "cannot rely on it.",
    fix="document the status code in the contract's `responses`, or make the server answer "
    "with a documented one",
)
SCHEMA_VIOLATION = Rule(
    "HTTP003",
    FAMILY,
    "response violates the schema",
    "A response body does not match the contract's schema (a wrong type, a value outside its enum).",
    fix="make the response match the contract's schema, or correct the schema",
)
AUTH_IGNORED = Rule(
    "HTTP004",
    FAMILY,
    "credentials not enforced",
    "A request without valid credentials was served: the operation does not enforce its security "
    "requirement.",
    fix="reject requests without valid credentials with 401 before doing anything else",
)
MALFORMED_CONTRACT = Rule(
    "HTTP005",
    FAMILY,
    "malformed contract",
    "The OpenAPI document cannot be used: invalid YAML, an invalid document, a broken reference.",
    fix="correct the OpenAPI document at the place named",
)
CONSUMER_FIELD_MISSING = Rule(
    "HTTP006",
    FAMILY,
    "field or endpoint the SDK relies on is missing",
    "A request the SDK really sends hits no operation of the consumer contract, or a response lacks a "
    "field the contract requires because the SDK reads it.",
    fix="the SDK depends on this: restore the endpoint/field on the server (or pin the "
    "server version), or change the SDK and then the contract",
)

RULES = (
    CONFORMS,
    SERVER_ERROR,
    UNDOCUMENTED_STATUS,
    SCHEMA_VIOLATION,
    AUTH_IGNORED,
    MALFORMED_CONTRACT,
    CONSUMER_FIELD_MISSING,
)
