"""The data of behavioural compatibility: a side (an SDK to run OLD's examples with) and one case's result.

A *case* is one executable documentation block or one auth scenario of OLD; it is run once per side and
the two results are compared by its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.diff.rules.bc101_documented_example_regressed import RULE as EXAMPLE_RULE
from hokusai_contracts.diff.rules.bc102_auth_scenario_regressed import RULE as SCENARIO_RULE
from hokusai_contracts.findings import Location

CHECK = "diff"  # the check family of every diff finding
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

EXAMPLE_REGRESSED = EXAMPLE_RULE.id  # BC101
SCENARIO_REGRESSED = SCENARIO_RULE.id  # BC102


@dataclass(frozen=True)
class BehaviourSide:
    """A release to run OLD's executable contracts with: its interpreter and where its SDK comes from."""

    label: str  # e.g. "git:v1.0.0", "1.1.0"
    python: str | None  # interpreter that has this side's SDK (None: the current one)
    contracts_dir: Path | None  # this side's contracts root (docs/, auth/); needed on OLD
    extra_paths: tuple[str, ...] = ()  # PYTHONPATH entries to import the SDK from
    package: str = "hokusai"


@dataclass(frozen=True)
class CaseResult:
    """What one case of OLD did on one side.

    ``message`` and ``details`` are raw (masked only when they become findings); ``obj`` is the SDK object
    a failure points at, when it can be named.
    """

    key: str
    subject: str
    location: Location
    status: str
    message: str = ""
    details: str = ""
    obj: str | None = None

    @property
    def passed(self) -> bool:
        """True when the case did what OLD's contract says."""
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        """True when the case ran and did not do what OLD's contract says."""
        return self.status == FAILED
