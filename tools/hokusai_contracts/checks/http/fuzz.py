"""Fuzz a live server against an OpenAPI contract with Schemathesis 4: each problem becomes a finding.

Per operation, Hypothesis generates ``max_examples`` requests per generation mode (positive: valid
by the contract; negative: invalid) and Schemathesis checks every answer: no 5xx
(``not_a_server_error``), a documented status (``status_code_conformance``), a body matching the
schema (``response_schema_conformance``) and, where the contract demands credentials, that they are
enforced (``ignored_auth``, plus one request without credentials per secured operation).

A contract narrows its own fuzzing with a top-level ``x-fuzz: {modes: [positive]}`` (a consumer
contract: only requests shaped like its client's are meaningful).

Under ``verify`` fuzzing runs within a :class:`FuzzBudget` (``--http-budget N[:S]``): N generated requests
for every operation and mode of every contract together (spread evenly: the same requests every run) and
a time limit S; operations the budget does not reach are listed as skipped, never silently dropped.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import ContractError, HarnessUsageError
from hokusai_contracts.checks.http.document import OpenApiDocument, Operation, load_document
from hokusai_contracts.checks.http.operation_run import OperationRun, Target, fuzz_operation
from hokusai_contracts.checks.http.rules import CONFORMS, INFRASTRUCTURE, finding, malformed, passed
from hokusai_contracts.findings import Finding, Location, Outcome

DEFAULT_MAX_EXAMPLES = 10
MODES = ("positive", "negative")
FUZZ_EXTENSION = "x-fuzz"

Auth = str | tuple[str, str]  # a bearer token, or (username, password) for basic auth


@dataclass(frozen=True)
class FuzzBudget:
    """How much fuzzing a run may do: generated requests (every operation and mode together), seconds."""

    requests: int = 300
    seconds: float = 60.0

    def describe(self) -> str:
        """``300 requests / 60 s``."""
        return f"{self.requests} requests / {self.seconds:g} s"


DEFAULT_BUDGET = FuzzBudget()


def parse_budget(text: str) -> FuzzBudget:
    """``N`` (requests; the default time limit) or ``N:S`` (requests, seconds); HarnessUsageError if bad."""
    requests, _, seconds = text.strip().partition(":")
    try:
        budget = FuzzBudget(int(requests), float(seconds) if seconds else DEFAULT_BUDGET.seconds)
    except ValueError:
        budget = None
    if budget is None or budget.requests < 1 or budget.seconds <= 0:
        raise HarnessUsageError(
            f"--http-budget {text!r}: expected N or N:S, N generated requests (>= 1) and S seconds (> 0), "
            "e.g. --http-budget 2000:300"
        )
    return budget


@dataclass
class BudgetMeter:
    """What is left of a :class:`FuzzBudget` while the contracts are fuzzed one operation after another."""

    budget: FuzzBudget
    units: int  # operations x generation modes, every contract together
    clock: Callable[[], float] = time.monotonic
    used: int = 0
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()

    def examples(self, cap: int) -> int:
        """Requests per operation and mode: the budget spread evenly, at least 1, at most ``cap``."""
        return max(1, min(cap, self.budget.requests // max(1, self.units)))

    def exhausted(self) -> str | None:
        """Why no further operation may be fuzzed (None: it may)."""
        if self.used >= self.budget.requests:
            return f"the fuzz budget of {self.budget.requests} requests was spent"
        if self.clock() - self.started >= self.budget.seconds:
            return f"the fuzz time limit of {self.budget.seconds:g} s ran out"
        return None


def fuzz_units(contract_path: Path | str, modes: Sequence[str] | None = None) -> int:
    """Operations x generation modes of a contract (0 when it cannot be read: fuzzing reports that)."""
    try:
        document = load_document(contract_path)
        return len(document.operations) * len(fuzz_modes(document, modes))
    except ContractError:
        return 0


def auth_headers(auth: Auth | None) -> dict[str, str]:
    """The ``Authorization`` header for ``auth`` (none without)."""
    if auth is None:
        return {}
    if isinstance(auth, tuple):
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {"Authorization": f"Bearer {auth}"}


def fuzz_modes(document: OpenApiDocument, modes: Sequence[str] | None = None) -> tuple[str, ...]:
    """The generation modes to run: ``modes``, else the contract's ``x-fuzz.modes``, else both."""
    declared = (document.data.get(FUZZ_EXTENSION) or {}).get("modes")
    chosen = tuple(modes or declared or MODES)
    unknown = [mode for mode in chosen if mode not in MODES]
    if unknown:
        line = document.yaml.line((FUZZ_EXTENSION, "modes"))
        raise ContractError(
            f"unknown fuzzing mode(s) {unknown}; expected some of {list(MODES)}",
            file=document.file,
            line=line,
        )
    return chosen


def load_schema(document: OpenApiDocument, base_url: str) -> Any:
    """The Schemathesis schema of ``document``, aimed at ``base_url``."""
    import schemathesis
    from schemathesis.core.errors import LoaderError

    try:
        schema = schemathesis.openapi.from_path(document.file)
    except LoaderError as exc:
        raise ContractError(f"Schemathesis cannot load the document: {exc}", file=document.file) from None
    schema.config.update(base_url=base_url)
    return schema


def _fuzz(
    operation: Any, op: Operation | None, modes: Sequence[str], target: Target, **options: Any
) -> OperationRun:
    from schemathesis.errors import SchemathesisError

    run = OperationRun(operation.label)
    try:
        for mode in modes:
            fuzz_operation(operation, run, mode, target, secured=bool(op and op.secured), **options)
    except SchemathesisError as exc:
        raise ContractError(f"Schemathesis cannot generate requests: {type(exc).__name__}: {exc}") from exc
    return run


def check_http(
    contract_path: Path | str,
    base_url: str,
    *,
    auth: Auth | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    modes: Sequence[str] | None = None,
    timeout: float = 10.0,
    seed: int | None = None,
    secrets: Iterable[str] = (),
    meter: BudgetMeter | None = None,
) -> list[Finding]:
    """Fuzz the live server at ``base_url`` against the contract at ``contract_path``; findings per operation.

    ``auth`` is sent with every generated request (a bearer token or a basic-auth pair); ``secrets`` are
    masked in the findings besides it. Requests are reproducible (derandomized) unless ``seed`` is given.
    ``meter``: the run's budget; ``max_examples`` then caps its share per operation and mode.
    """
    from schemathesis.core.result import Ok

    secret_values = (*secrets, *(auth if isinstance(auth, tuple) else (auth,) if auth else ()))
    try:
        document = load_document(contract_path)
        chosen = fuzz_modes(document, modes)
        schema = load_schema(document, base_url)
    except ContractError as exc:
        return [malformed(exc)]
    target = Target(base_url.rstrip("/"), auth_headers(auth), timeout)

    def one(result: Any) -> list[Finding]:
        if not isinstance(result, Ok):
            return [malformed(ContractError(str(result.err()), file=document.file))]
        operation = result.ok()
        op = document.operation(operation.label)
        location = Location(document.file, op.line if op else None)
        examples = max_examples if meter is None else meter.examples(max_examples)
        spent = meter.exhausted() if meter is not None else None
        if spent is not None:
            message = f"not fuzzed: {spent} (a deeper run: --http-budget N[:S])"
            return [finding(CONFORMS, operation.label, message, location, outcome=Outcome.SKIPPED)]
        try:
            run = _fuzz(operation, op, chosen, target, max_examples=examples, seed=seed)
        except ContractError as exc:
            error = ContractError(exc.detail, file=document.file, line=location.line)
            return [malformed(error, subject=operation.label)]
        if meter is not None:
            meter.used += run.requests
        return operation_findings(run, location, base_url, secret_values)

    # Sequential on purpose: Hypothesis' strategy caches are not safe to share between threads.
    return [f for result in schema.get_all_operations() for f in one(result)]


def operation_findings(
    run: OperationRun, location: Location, base_url: str, secrets: Sequence[str] = ()
) -> list[Finding]:
    """The findings of one fuzzed operation: its problems, else one pass."""
    if run.unreachable:
        message = f"the server at {base_url} did not answer: {run.unreachable}"
        return [finding(INFRASTRUCTURE, run.label, message, location, outcome=Outcome.ERROR, secrets=secrets)]
    if not run.problems:
        return [passed(run.label, f"{run.requests} generated request(s) conformed", location)]
    found = []
    for problem in run.problems.values():
        details = f"reproduce with:\n  {problem.curl}"
        if problem.status is not None:
            details += f"\nanswer: {problem.status} {problem.body}"
        found.append(
            finding(problem.rule, run.label, problem.message, location, details=details, secrets=secrets)
        )
    return found
