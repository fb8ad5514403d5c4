"""HTTP contracts (OpenAPI documents in ``<contracts>/http``) checked against live servers.

``check_http`` fuzzes a server with Schemathesis against a contract; ``check_recorded`` runs the SDK's
real calls through a recording proxy and checks what went over the wire; ``load_document`` reads and
checks an OpenAPI document with FILE:LINE errors. Schemathesis is imported only when fuzzing.
"""

from hokusai_contracts.checks.http.document import OpenApiDocument, Operation, load_document
from hokusai_contracts.checks.http.fuzz import DEFAULT_MAX_EXAMPLES, check_http
from hokusai_contracts.checks.http.recorded import check_recorded, record_sdk_flow

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "OpenApiDocument",
    "Operation",
    "check_http",
    "check_recorded",
    "load_document",
    "record_sdk_flow",
]
