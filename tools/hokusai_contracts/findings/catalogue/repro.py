"""The bug-report replay's rules (``repro``): one finding per claim, its rule the claim's verdict."""

from __future__ import annotations

from hokusai_contracts.findings import Severity
from hokusai_contracts.findings.rules import Rule

FAMILY = "repro"

REPRODUCED = Rule(
    "REPRO001",
    FAMILY,
    "reproduced",
    "Every field the reporter observed (exception, message, status, output) shows up when the claim "
    "runs in the reporter's environment: the bug is real. A warning (repro exits 0 whatever the "
    "verdicts); an error when `--against` names an SDK source that does not fix it.",
    Severity.WARNING,
    fix="fix the SDK or its documentation, then confirm with `repro REPORT --against SDK_SOURCE`",
)
NOT_REPRODUCED = Rule(
    "REPRO002",
    FAMILY,
    "not reproduced",
    "The claim's code ran to its end without an exception in the reporter's environment: what the "
    "reporter observed does not happen there.",
    Severity.INFO,
)
DIFFERENT_FAILURE = Rule(
    "REPRO003",
    FAMILY,
    "different failure",
    "The claim's code failed in the reporter's environment, but not as reported (another exception, "
    "message, status or output).",
    Severity.WARNING,
    fix="compare the runs' exceptions and output (details) with what the reporter observed",
)
ENVIRONMENT_SPECIFIC = Rule(
    "REPRO004",
    FAMILY,
    "environment-specific",
    "The claim reproduces in the reporter's environment but not on the current SDK and server: it "
    "depends on the reporter's versions (Python, SDK, MLflow client or server, auth mode).",
    Severity.WARNING,
    fix="the current SDK and server do not show it: the reporter's versions do",
)

RULES = (REPRODUCED, NOT_REPRODUCED, DIFFERENT_FAILURE, ENVIRONMENT_SPECIFIC)
# The verdict strings of hokusai_contracts.repro.verdict and the rule each becomes.
BY_VERDICT = {
    "reproduced": REPRODUCED,
    "not reproduced": NOT_REPRODUCED,
    "different failure": DIFFERENT_FAILURE,
    "environment-specific": ENVIRONMENT_SPECIFIC,
}
