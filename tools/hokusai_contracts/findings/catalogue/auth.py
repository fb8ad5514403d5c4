"""The auth scenarios' rules (``auth``): ``contracts/auth/*.yaml`` run against live servers."""

from __future__ import annotations

from hokusai_contracts.findings.rules import Rule

FAMILY = "auth"

UNEXPECTED_OUTCOME = Rule(
    "AUTH001",
    FAMILY,
    "unexpected outcome",
    "The call succeeded where the scenario expects an exception (or the reverse), or its retries, "
    "request count, circuit state or notification differ from the scenario. Also names a scenario that "
    "was skipped.",
    fix="the SDK no longer behaves as the scenario says: fix the SDK, or update the scenario's expect if "
    "the change is intended",
)
WRONG_ERROR = Rule(
    "AUTH002",
    FAMILY,
    "wrong exception, status or error code",
    "The call raised, but not the documented exception type, or with another status code, error code, "
    "required scope or registration flag than the scenario expects.",
    fix="raise the documented exception with the server's status and error code (see "
    "hokusai/_mlflow/errors.py), or update the scenario's expect if the change is intended",
)
MISSING_FIX = Rule(
    "AUTH003",
    FAMILY,
    "message lacks the fix",
    "The exception's message does not contain the fix phrases the scenario expects "
    "(message_contains): the user is not told what to do.",
    fix="the message must tell the user what to do: restore the fix text, or update message_contains if "
    "the new wording says the same",
)
SECRET_LEAKED = Rule(
    "AUTH004",
    FAMILY,
    "secret leaked",
    "A key, token or password of the scenario appears unmasked in the exception, its repr or "
    "traceback, the logs, the output, warnings, the call's result or a report format.",
    fix="never put a key, token or password in a message, log line or output: show it masked "
    "(hokusai._mlflow.target.mask_secret gives hk_live_...QtN)",
)
MALFORMED = Rule(
    "AUTH005",
    FAMILY,
    "malformed scenario",
    "A scenario file cannot be read: invalid YAML, an unknown key or server, a literal secret where a "
    "${NAME} reference belongs.",
    fix="correct the scenario file at the place named (contracts/auth/README.md lists the keys and "
    "variables)",
)

RULES = (UNEXPECTED_OUTCOME, WRONG_ERROR, MISSING_FIX, SECRET_LEAKED, MALFORMED)
