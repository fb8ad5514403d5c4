"""Behavioural compatibility: OLD's executable documentation and auth scenarios, run with OLD's SDK and NEW's.

An example (BC101) or auth scenario (BC102) that passes with OLD's SDK and fails with NEW's is a breaking
change even when no signature changed: a constructor that newly needs a credential, a default that newly
points at a remote server, a method that newly rejects input, a submodule no longer bound on import.
Cases failing with OLD too are no regression and are listed as skipped, with the reason.

NEW runs first; OLD's SDK runs only the pages and scenarios that failed with NEW: a case that passes
with NEW cannot have regressed, whatever OLD did, so a release without regressions runs OLD's SDK not
at all (and, under ``verify``, OLD's unchanged pages are the docs family's own runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from hokusai_contracts.base.errors import ContractError, HarnessUsageError
from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.base.timing import carried, phase
from hokusai_contracts.checks.auth.model import Scenario
from hokusai_contracts.checks.snippets.family import DOCS_DIR
from hokusai_contracts.checks.snippets.model import Page
from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.release.behaviour_auth import (
    AuthRuns,
    load_scenarios,
    not_compared,
    run_auth_sides,
    scenario_key,
    why_not_runnable,
)
from hokusai_contracts.release.behaviour_docs import load_pages, run_page
from hokusai_contracts.release.behaviour_model import (
    CHECK,
    EXAMPLE_REGRESSED,
    FAILED,
    PASSED,
    SCENARIO_REGRESSED,
    BehaviourSide,
    CaseResult,
)
from hokusai_contracts.servers.pool import ServerPool, shared_or_own
from hokusai_contracts.servers.server import MlflowServer

__all__ = ["BehaviourSide", "behaviour_findings", "compare"]

T = TypeVar("T")

DOCS_JOBS = 2  # OLD's pages run at once (each a process; the docs family runs its own beside them)
_WHAT = {EXAMPLE_REGRESSED: "example", SCENARIO_REGRESSED: "auth scenario"}
FIX = (
    "NEW breaks code written against OLD: restore OLD's behaviour, or release NEW as a major version and "
    "list the break in contracts/accepted-breaks.yaml"
)


def behaviour_findings(
    old: BehaviourSide, new: BehaviourSide, server: MlflowServer | None = None
) -> list[Finding]:
    """BC101/BC102 findings: OLD's examples and auth scenarios that pass on OLD and fail on NEW."""
    if old.contracts_dir is None:
        raise HarnessUsageError(
            f"the OLD side {old.label} has no contracts directory: behavioural compatibility runs OLD's "
            "docs/*.md and auth/*.yaml, so give OLD as a contracts directory or a git ref that has one"
        )
    pages, page_errors = load_pages(old.contracts_dir)
    loaded = load_scenarios(old.contracts_dir)
    findings = [_unreadable(error, EXAMPLE_REGRESSED, old.label) for error in page_errors]
    findings += [_unreadable(error, SCENARIO_REGRESSED, old.label) for error in loaded.errors]
    scenarios = loaded.scenarios
    reason = (why_not_runnable(old) or why_not_runnable(new)) if scenarios else None
    if reason:
        findings += not_compared(scenarios, reason)
        scenarios = []
    # One pool for both families: the docs' mlflow/basic-auth servers are the auth scenarios' too; under
    # verify, the run's shared pool (OLD's and NEW's pages and scenarios keep apart by unique names).
    with shared_or_own(server, purpose="the behaviour comparison") as pool:
        pool.prestart({kind for page in pages for kind in page.needs_server} | {s.server for s in scenarios})
        with ThreadPoolExecutor(max_workers=2) as executor:
            docs = executor.submit(
                carried(_timed(_docs_new_first, "release: behaviour docs")), pages, old, new, pool
            )
            auth = (
                executor.submit(
                    carried(_timed(_auth_new_first, "release: behaviour auth")), scenarios, old, new, pool
                )
                if scenarios
                else None
            )
            old_docs, new_docs = docs.result()
            auth_runs = auth.result() if auth else AuthRuns()
        secrets = pool.secrets()
    findings += compare(old_docs, new_docs, EXAMPLE_REGRESSED, old.label, new.label, secrets)
    findings += auth_runs.not_run
    if auth_runs.results:
        old_auth, new_auth = auth_runs.results
        findings += compare(old_auth, new_auth, SCENARIO_REGRESSED, old.label, new.label, secrets)
    return findings


def _timed(function: Callable[..., T], name: str) -> Callable[..., T]:
    def run(*args: Any) -> T:
        with phase(name):
            return function(*args)

    return run


def _docs_new_first(
    pages: list[Page], old: BehaviourSide, new: BehaviourSide, pool: ServerPool
) -> tuple[dict[str, CaseResult], dict[str, CaseResult]]:
    """OLD's results (only for pages that failed with NEW) and NEW's, for every block of ``pages``."""
    # OLD's pages that NEW's docs have word for word are the docs family's runs too (one run per pool):
    # the changed ones, which only this comparison runs, go first.
    pages = sorted(pages, key=lambda page: _unchanged_in(new, page))

    def one(page: Page) -> tuple[list[CaseResult], list[CaseResult]]:
        # OLD's run of a page follows NEW's failing run at once, not after every page ran with NEW.
        name = Path(page.path).name
        with phase(f"{name} with {new.label}"):
            new_cases = run_page(page, new, pool)
        if not any(case.failed for case in new_cases):
            return [], new_cases
        with phase(f"{name} with {old.label}"):
            return run_page(page, old, pool), new_cases

    old_docs: dict[str, CaseResult] = {}
    new_docs: dict[str, CaseResult] = {}
    with ThreadPoolExecutor(max_workers=DOCS_JOBS) as executor:
        for old_cases, new_cases in executor.map(carried(one), pages):
            old_docs.update((case.key, case) for case in old_cases)
            new_docs.update((case.key, case) for case in new_cases)
    return old_docs, new_docs


def _unchanged_in(side: BehaviourSide, page: Page) -> bool:
    """True when ``side``'s docs have ``page`` (by name) with the same text."""
    if side.contracts_dir is None:
        return False
    try:
        theirs = side.contracts_dir / DOCS_DIR / Path(page.path).name
        return theirs.read_bytes() == Path(page.path).read_bytes()
    except OSError:
        return False


def _auth_new_first(
    scenarios: list[Scenario], old: BehaviourSide, new: BehaviourSide, pool: ServerPool
) -> AuthRuns:
    """NEW's verdict on every scenario, OLD's on those that failed with NEW."""
    runs = run_auth_sides(scenarios, (new,), pool)
    if not runs.results:
        return runs
    (new_results,) = runs.results
    failed = {key for key, case in new_results.items() if case.failed}
    rerun = [s for s in scenarios if scenario_key(s) in failed]
    old_runs = run_auth_sides(rerun, (old,), pool) if rerun else AuthRuns(results=[{}])
    return AuthRuns(
        results=[old_runs.results[0] if old_runs.results else {}, new_results],
        not_run=runs.not_run + old_runs.not_run,
    )


def compare(
    old: Mapping[str, CaseResult],
    new: Mapping[str, CaseResult],
    rule: str,
    old_label: str,
    new_label: str,
    secrets: Iterable[str] = (),
) -> list[Finding]:
    """One finding per case: a ``rule`` failure for each that passes on OLD and fails on NEW.

    A case NEW ran and OLD did not (OLD runs only what failed with NEW) is compared with NEW alone.

    A later regression in the same page follows the page's first one (its namespace is already broken),
    so it is a warning that names the first.
    """
    secrets = (*secrets, *known_secrets())
    first_regression: dict[str, CaseResult] = {}
    findings = []
    for key in [*old, *(key for key in new if key not in old)]:
        before, after = old.get(key), new.get(key)
        if before is None:  # a key only NEW has
            findings.append(_not_run_with_old(rule, new[key], old_label, new_label, secrets))
        elif before.passed and after is not None and after.failed:
            group = key.rpartition("#")[0] or key
            earlier = first_regression.setdefault(group, before)
            findings.append(_regression(rule, before, after, old_label, new_label, secrets, earlier))
        else:
            findings.append(_unchanged(rule, before, after, old_label, new_label, secrets))
    return findings


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "failed"


def _regression(
    rule: str,
    before: CaseResult,
    after: CaseResult,
    old_label: str,
    new_label: str,
    secrets: tuple[str, ...],
    earlier: CaseResult,
) -> Finding:
    what = _WHAT.get(rule, "case")
    message = f"{what} {before.subject} passes with {old_label} and fails with {new_label}: "
    message += _first_line(after.message)
    severity = Severity.ERROR
    if earlier is not before:
        severity = Severity.WARNING
        message += f" (after the regression of {earlier.subject}, which it may follow from)"
    lines = [f"{what}: {before.subject} ({after.location})"]
    if after.obj:
        lines.append(f"object: {after.obj}")
    lines += [f"OLD ({old_label}): passed", f"NEW ({new_label}): failed: {after.message.strip()}"]
    if after.details.strip():
        lines += ["", after.details.strip()]
    return Finding(
        CHECK,
        rule,
        after.obj or before.subject,
        mask_secrets(message, secrets),
        severity=severity,
        location=after.location,
        fix=FIX,
        details=mask_secrets("\n".join(lines), secrets),
    )


def _unchanged(
    rule: str,
    before: CaseResult,
    after: CaseResult | None,
    old_label: str,
    new_label: str,
    secrets: tuple[str, ...],
) -> Finding:
    what = _WHAT.get(rule, "case")
    if before.passed and after is not None and after.passed:
        outcome, message = Outcome.PASSED, f"{what} passes with {old_label} and {new_label}"
    elif before.status == FAILED:
        now = f"fails with {new_label} too" if after is None or after.failed else f"passes with {new_label}"
        outcome = Outcome.SKIPPED
        message = (
            f"not a regression: the {what} already fails with {old_label} "
            f"({_first_line(before.message)}); {now}"
        )
    elif before.status == PASSED:
        status = after.status if after is not None else "not run"
        outcome, message = Outcome.SKIPPED, f"not compared: the {what} was {status} with {new_label}"
    else:
        outcome, message = Outcome.SKIPPED, f"not run with {old_label}: {before.message or 'skipped'}"
    return _verdict(rule, before, outcome, message, secrets)


def _not_run_with_old(
    rule: str, after: CaseResult, old_label: str, new_label: str, secrets: tuple[str, ...]
) -> Finding:
    """A case only NEW ran: it passed (or was skipped), so it cannot be a regression."""
    what = _WHAT.get(rule, "case")
    if after.passed:
        outcome = Outcome.PASSED
        message = f"{what} passes with {new_label} (not run with {old_label}: it cannot have regressed)"
    elif after.status == FAILED:
        outcome = Outcome.SKIPPED
        message = f"not compared: the {what} fails with {new_label} and was not run with {old_label}"
    else:
        outcome, message = Outcome.SKIPPED, f"not run with {new_label}: {after.message or 'skipped'}"
    return _verdict(rule, after, outcome, message, secrets)


def _verdict(
    rule: str, case: CaseResult, outcome: Outcome, message: str, secrets: tuple[str, ...]
) -> Finding:
    """An informational finding on ``case`` (no regression): passed, or skipped with the reason."""
    return Finding(
        CHECK,
        rule,
        case.subject,
        mask_secrets(message, secrets),
        outcome=outcome,
        severity=Severity.INFO,
        location=case.location,
    )


def _unreadable(error: ContractError, rule: str, old_label: str) -> Finding:
    """A contract file of OLD that does not parse: nothing in it can be compared."""
    return Finding(
        CHECK,
        rule,
        error.file or "contracts",
        f"not compared: a contract file of {old_label} could not be read: {error}",
        outcome=Outcome.SKIPPED,
        severity=Severity.INFO,
        location=Location(error.file, error.line) if error.file else None,
    )
