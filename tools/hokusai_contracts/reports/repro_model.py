"""A bug-report replay as the repro report handlers see it: one finding per claim (its verdict), and the
facts behind the verdicts (environments, each claim's runs, checks, HTTP calls and output) as plain data.

:mod:`hokusai_contracts.repro.findings` builds it from a replay; :mod:`.repro_markdown` and
:mod:`.repro_json` render it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.findings import Finding, RunResult
from hokusai_contracts.reports.common import mask_finding


@dataclass(frozen=True)
class SdkFacts:
    """Where an environment's SDK came from and what it turned out to be."""

    kind: str
    source: str
    label: str
    version: str | None = None
    described_as: str | None = None
    cache_key: str = ""


@dataclass(frozen=True)
class EnvironmentFacts:
    """One environment the claims ran in (the reporter's, the current one, ``--against``)."""

    role: str
    title: str
    sdk: SdkFacts
    mlflow_client: str
    python: str
    server: Mapping[str, Any] | None = None  # the server's specification, field by field
    server_label: str | None = None
    server_version: str | None = None
    server_seconds: float = 0.0
    environment_seconds: float = 0.0
    claims_run: tuple[str, ...] = ()
    reused_from: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """One HTTP call the SDK made (credential headers masked when recorded)."""

    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExceptionRecord:
    """The exception a run raised: qualified type, its classes (most derived first), message, status."""

    type: str
    bases: tuple[str, ...]
    message: str
    status: int | None = None


@dataclass(frozen=True)
class CheckRecord:
    """One observed field against what the run showed."""

    field: str
    expected: str
    actual: str
    matched: bool


@dataclass(frozen=True)
class ClaimRun:
    """One run of one claim in one environment: its verdict, the checks behind it and what it produced."""

    role: str
    title: str
    verdict: str
    evidence: str
    checks: tuple[CheckRecord, ...] = ()
    exception: ExceptionRecord | None = None
    output: str = ""
    traceback: str = ""
    calls: tuple[CallRecord, ...] = ()
    seconds: float = 0.0
    timed_out: bool = False
    problem: str | None = None


@dataclass(frozen=True)
class ClaimFacts:
    """One claim: its verdict as a finding (rule, claim id, evidence, report file and line), what the
    reporter wrote, and every run of it."""

    finding: Finding
    verdict: str
    title: str
    code: str
    observed: Mapping[str, Any] = field(default_factory=dict)  # the observed fields that were given
    observed_text: str = ""
    reported_as: str | None = None
    against: str | None = None  # with --against: fixed, still reproduced, or that run's verdict
    runs: tuple[ClaimRun, ...] = ()

    @property
    def id(self) -> str:
        """The claim's id (its finding's subject)."""
        return self.finding.subject


@dataclass(frozen=True)
class ReproReport:
    """A whole replay: the report's identity, the environments, one :class:`ClaimFacts` per claim."""

    report: str
    title: str
    file: str
    started_at: str
    seconds: float
    reporter_python: str
    reporter_mlflow_client: str
    environments: tuple[EnvironmentFacts, ...]
    claims: tuple[ClaimFacts, ...]
    source: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        """One finding per claim, in the report's order."""
        return [claim.finding for claim in self.claims]

    def run_result(self) -> RunResult:
        """The findings as a run: what the run-level handlers render and the exit code comes from."""
        reporter = self.environments[0] if self.environments else None
        return RunResult(
            findings=self.findings,
            sdk_version=reporter.sdk.version if reporter else None,
            server=reporter.server_label if reporter else None,
            duration_s=self.seconds,
        )

    def masked(self, known: Iterable[str] = ()) -> ReproReport:
        """A copy whose findings (claim ids, evidence, details) are masked as every handler masks them."""
        known = tuple(known)
        claims = tuple(dataclasses.replace(c, finding=mask_finding(c.finding, known)) for c in self.claims)
        # Environments list the claims they ran by id, the findings' subject.
        environments = tuple(
            dataclasses.replace(e, claims_run=tuple(mask_secrets(i, known) for i in e.claims_run))
            for e in self.environments
        )
        return dataclasses.replace(self, claims=claims, environments=environments)

    def summary(self) -> str:
        """E.g. ``1 reproduced, 3 not reproduced`` (verdicts in rule order), then the --against tally."""
        counts = Counter((claim.finding.rule, claim.verdict) for claim in self.claims)
        text = ", ".join(f"{n} {verdict}" for (_, verdict), n in sorted(counts.items()))
        against = Counter(claim.against for claim in self.claims if claim.against)
        if against:
            text += "; with --against: " + ", ".join(f"{n} {what}" for what, n in sorted(against.items()))
        return text
