"""Run OLD's executable documentation pages with one side's SDK: one :class:`CaseResult` per block.

The snippets machinery does the work: each page runs whole in a fresh worker process of the side's
interpreter with the side's SDK first on ``PYTHONPATH``, servers come from the caller's pool (shared by
both sides, by the auth scenarios and, under ``verify``, by the docs family: a page it ran with the same
text and interpreter is not run again).
"""

from __future__ import annotations

from pathlib import Path

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.snippets.execute import BlockOutcome
from hokusai_contracts.checks.snippets.family import DOCS_DIR, discover, subject
from hokusai_contracts.checks.snippets.model import Page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import shared_page_run
from hokusai_contracts.findings import Location
from hokusai_contracts.release.behaviour_model import FAILED, PASSED, SKIPPED, BehaviourSide, CaseResult
from hokusai_contracts.release.behaviour_objects import failing_object
from hokusai_contracts.servers.pool import ServerPool

_STATUS = {"passed": PASSED, "failed": FAILED, "skipped": SKIPPED}


def display_path(path: Path) -> Path:
    """``path`` relative to the working directory when under it (as reports print contract files)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def load_pages(contracts_dir: Path) -> tuple[list[Page], list[ContractError]]:
    """OLD's pages that parse, and the errors of those that do not."""
    pages, errors = [], []
    for path in discover(Path(contracts_dir) / DOCS_DIR):
        try:
            pages.append(parse_page(display_path(path)))
        except ContractError as exc:
            errors.append(exc)
    return pages, errors


def block_key(page: Page, index: int) -> str:
    """A block's identity on both sides: its page and position."""
    return f"docs:{Path(page.path).name}#{index}"


def case_result(page: Page, outcome: BlockOutcome, package: str) -> CaseResult:
    """One block's outcome on one side as a case (the object named only for failures)."""
    block = page.blocks[outcome.index]
    status = _STATUS[outcome.status]
    line = outcome.line or block.start_line
    absolute = str(Path(page.path).resolve())
    details = outcome.traceback.replace(absolute, str(page.path))
    obj = None
    if status == FAILED:
        obj = failing_object(page.blocks, block, outcome.line, outcome.traceback, package)
    return CaseResult(
        key=block_key(page, outcome.index),
        subject=subject(page, block),
        location=Location(str(page.path), line if status == FAILED else block.fence_line),
        status=status,
        message=outcome.message,
        details=details,
        obj=obj,
    )


def run_page(page: Page, side: BehaviourSide, servers: ServerPool) -> list[CaseResult]:
    """Every block of ``page`` run with ``side``'s SDK, in order."""
    outcomes = shared_page_run(page, servers, python=side.python, extra_paths=side.extra_paths)
    return [case_result(page, outcome, side.package) for outcome in outcomes]
