"""The ``snippets`` check family: every page of ``<contracts>/docs`` parsed, counted, cross-checked,
linted and run; the result as findings with stable rule ids.

DOC001 block failed (exception, wrong output) · DOC002 expected exception not raised · DOC003 name not in
the API contract · DOC004 lint · DOC005 executable block count dropped (or not recorded) · DOC006 malformed
snippet attributes or front matter.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import list_files
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.base.timing import carried, phase
from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.snippets.crosscheck import ApiIndex, Reference, uncontracted_names
from hokusai_contracts.checks.snippets.execute import PASSED, SKIPPED, BlockOutcome
from hokusai_contracts.checks.snippets.lint import LintIssue, lint_page
from hokusai_contracts.checks.snippets.model import Block, Page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import DEFAULT_PAGE_TIMEOUT_S, shared_page_run_timed
from hokusai_contracts.findings import Finding, Location, Outcome
from hokusai_contracts.findings.catalogue import snippets as doc_rules
from hokusai_contracts.findings.from_errors import contract_error_finding
from hokusai_contracts.servers.health import blame_infrastructure
from hokusai_contracts.servers.pool import ServerPool, shared_or_own

CHECK = "snippets"
DOCS_DIR = "docs"
GUIDE = "README.md"  # the authoring guide, not a page
# Rule ids, from the one rule catalogue (its entries hold titles, explanations and fixes).
BLOCK_FAILED = doc_rules.BLOCK_FAILED.id
NOT_RAISED = doc_rules.NOT_RAISED.id
UNCONTRACTED = doc_rules.UNCONTRACTED.id
LINT = doc_rules.LINT.id
COUNT_DROPPED = doc_rules.COUNT_DROPPED.id
MALFORMED = doc_rules.MALFORMED.id
UPDATE_HINT = doc_rules.UPDATE_HINT

# Options read from VerifyContext.options.
OPTION_EXTRA_PATHS = "snippets_extra_paths"  # put first on the worker's PYTHONPATH (an SDK checkout)
OPTION_TIMEOUT = "snippets_timeout"  # seconds per page
OPTION_JOBS = "snippets_jobs"  # pages run at once
OPTION_RUFF_CONFIG = "snippets_ruff_config"  # a ruff configuration file (default: found above each page)
# Remembered results (verify/result_cache.py sets it): an object with key(family, unit) / get / put.
OPTION_RESULT_CACHE = "result_cache"


def discover(docs_dir: Path) -> list[Path]:
    """The pages of ``docs_dir``: every ``*.md`` but the authoring guide, sorted.

    A directory or broken link named ``*.md`` is listed too: parsing it reports it (DOC006).
    """
    return list_files(docs_dir, (".md",), exclude=(GUIDE,))


def subject(page: Page, block: Block | None = None) -> str:
    """``<page>::<heading>::L<line>`` for a block, ``<page>`` for the page."""
    return f"{Path(page.path).name}::{block.node_name}" if block else Path(page.path).name


# -- findings from each step ----------------------------------------------------------------------------


def malformed_finding(path: Path, error: ContractError) -> Finding:
    """A page that cannot be parsed."""
    return Finding(
        CHECK,
        MALFORMED,
        path.name,
        str(error),
        location=Location(str(path), error.line),
        fix="correct the snippet attributes or front matter as described in contracts/docs/README.md",
    )


def count_finding(page: Page) -> Finding:
    """DOC005 when the page runs fewer blocks than its front matter records (or records none)."""
    actual, recorded = len(page.executable), page.executable_blocks
    location = Location(str(page.path), page.executable_blocks_line or 1)
    if recorded is None:
        return Finding(
            CHECK,
            COUNT_DROPPED,
            subject(page),
            f"the page does not record how many blocks it runs ({actual} now)",
            location=location,
            fix=f"add `executable_blocks: {actual}` to its front matter (or run `{UPDATE_HINT}`)",
        )
    if actual < recorded:
        return Finding(
            CHECK,
            COUNT_DROPPED,
            subject(page),
            f"{actual} executable python block(s), the page records {recorded}: "
            f"{recorded - actual} no longer run (a broken fence, a changed language, a new skip?)",
            location=location,
            fix="restore the blocks, or lower executable_blocks by hand if they were removed on purpose",
        )
    note = f" (records {recorded}: run `{UPDATE_HINT}` to raise it)" if actual > recorded else ""
    return Finding(
        CHECK, COUNT_DROPPED, subject(page), f"{actual} executable block(s){note}", outcome=Outcome.PASSED,
        location=location,
    )  # fmt: skip


def reference_finding(page: Page, reference: Reference) -> Finding:
    """DOC003: a ``hokusai`` name the contract does not have."""
    hint = f"; did you mean {reference.suggestion!r}?" if reference.suggestion else ""
    what = {
        "keyword": f"the example calls {reference.name}: the contracted signature has no such keyword",
        "positional": f"the example calls {reference.name}: more than the contracted signature takes",
    }.get(reference.kind, f"the example uses {reference.name}, which is not in the API contract")
    return Finding(
        CHECK,
        UNCONTRACTED,
        reference.name,
        f"{what}{hint}",
        location=Location(str(page.path), reference.line),
        fix="use a contracted name; if the SDK gained it, run `hokusai-contracts extract` and commit the "
        "contract",
    )


def lint_finding(page: Page, issue: LintIssue) -> Finding:
    """DOC004: a ruff diagnostic in a block."""
    block = page.blocks[issue.block]
    return Finding(
        CHECK,
        LINT,
        subject(page, block),
        f"{issue.code} {issue.message}",
        location=Location(str(page.path), issue.line),
        fix="fix the example code (readers copy it), or add `# noqa: <code>` when it is deliberate",
    )


def outcome_finding(page: Page, block: Block, outcome: BlockOutcome, secrets: Iterable[str] = ()) -> Finding:
    """The verdict on one block as a finding (DOC001 / DOC002 when it failed)."""
    name = subject(page, block)
    secrets = tuple(secrets)
    if outcome.status == SKIPPED:
        return Finding(
            CHECK, "DOC000", name, f"skipped: {outcome.message}", outcome=Outcome.SKIPPED,
            location=Location(str(page.path), block.fence_line),
        )  # fmt: skip
    if outcome.status == PASSED:
        return Finding(
            CHECK, "DOC000", name, "ran as documented", outcome=Outcome.PASSED,
            location=Location(str(page.path), block.fence_line),
        )  # fmt: skip
    fix = (
        "make the block raise the documented exception, or change its raises= attribute"
        if outcome.rule == NOT_RAISED
        else f"fix the example (or the SDK); if the output changed on purpose, run `{UPDATE_HINT}`"
    )
    # Blocks run under the page's absolute path; findings name it as the page is named everywhere else.
    details = outcome.traceback.replace(str(Path(page.path).resolve()), str(page.path))
    return Finding(
        CHECK,
        outcome.rule or BLOCK_FAILED,
        name,
        mask_secrets(outcome.message, secrets),
        location=Location(str(page.path), outcome.line or block.start_line),
        fix=fix,
        details=mask_secrets(details, secrets) or None,
    )


def static_findings_by_block(
    page: Page, index: ApiIndex | None, config: Path | None = None
) -> dict[int, list[Finding]]:
    """DOC003 and DOC004 for ``page`` (what reading its code finds), by block index."""
    by_block: dict[int, list[Finding]] = {}
    if index is not None:
        for reference in uncontracted_names(page, index):
            by_block.setdefault(reference.block, []).append(reference_finding(page, reference))
    for issue in lint_page(page, config=config):
        by_block.setdefault(issue.block, []).append(lint_finding(page, issue))
    return by_block


def static_findings(page: Page, index: ApiIndex | None, config: Path | None = None) -> list[Finding]:
    """DOC003 and DOC004 for ``page``, in block order (``config``: a ruff configuration to force)."""
    by_block = static_findings_by_block(page, index, config)
    return [finding for block in sorted(by_block) for finding in by_block[block]]


# -- the family -----------------------------------------------------------------------------------------


def _display(path: Path) -> Path:
    """``path`` relative to the working directory when under it (as reports print contract files)."""
    # Made absolute without resolving symlinks: a page that is a broken link keeps its own name.
    try:
        return Path(os.path.abspath(path)).relative_to(Path.cwd())
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _api_index(context: VerifyContext) -> tuple[ApiIndex | None, list[Finding]]:
    try:
        return ApiIndex.from_api(context.contract_api()), []
    except ContractError as exc:
        return None, [contract_error_finding(CHECK, exc)]


def check_page(
    path: Path, context: VerifyContext, index: ApiIndex | None, servers: ServerPool
) -> list[Finding]:
    """Every finding about one page."""
    with phase(f"page: {path.name}"):
        return _check_page(path, context, index, servers)


def _check_page(
    path: Path, context: VerifyContext, index: ApiIndex | None, servers: ServerPool
) -> list[Finding]:
    try:
        page = parse_page(path)
    except ContractError as exc:
        return [malformed_finding(path, exc)]
    config = context.options.get(OPTION_RUFF_CONFIG)
    findings = [count_finding(page), *static_findings(page, index, Path(config) if config else None)]
    # Shared with the release diff's behaviour comparison, which runs OLD's copy of an unchanged page.
    outcomes, seconds = shared_page_run_timed(
        page,
        servers,
        python=context.python,
        extra_paths=context.options.get(OPTION_EXTRA_PATHS, ()),
        timeout=float(context.options.get(OPTION_TIMEOUT, DEFAULT_PAGE_TIMEOUT_S)),
    )
    cache = context.options.get(OPTION_RESULT_CACHE)
    if cache is not None:  # the run's own time (the next run's order), even when the behaviour check ran it
        cache.took(CHECK, str(path), seconds)
    ran = [outcome_finding(page, page.blocks[o.index], o, servers.secrets()) for o in outcomes]
    # A block that failed because its server died or answers garbage is the server's fault (exit 2).
    used = [servers.mlflow(b.server) for b in page.blocks if b.needs_server and b.executable]
    findings.extend(blame_infrastructure(ran, used))
    return findings


def run_snippets(context: VerifyContext) -> list[Finding]:
    """The ``snippets`` family: run every documentation page as a contract."""
    pages = [_display(p) for p in discover(context.contracts_dir / DOCS_DIR)]
    if not pages:
        where = context.contracts_dir / DOCS_DIR
        return [
            Finding(
                CHECK, "DOC000", str(where), f"no documentation pages in {where}", outcome=Outcome.SKIPPED
            )
        ]
    index, findings = _api_index(context)
    # Result cache hook: a page whose key is remembered does not run (nor needs a server); the findings
    # keep page order either way. Orchestration: keep this filter before the pool, `pages` = to run.
    cache = context.options.get(OPTION_RESULT_CACHE)
    keys = {page: cache.key(CHECK, str(page)) for page in pages} if cache is not None else {}
    by_page = {page: cache.get(key) for page, key in keys.items()}
    every_page, pages = pages, [page for page in pages if by_page.get(page) is None]
    jobs = int(context.options.get(OPTION_JOBS, min(2, os.cpu_count() or 1)))
    # "server_start" (set by server_run): start other kinds (basic-auth) with the run's provider/version.
    start = context.options.get("server_start")
    # Under verify: the run's shared servers, started on first use (pages keep apart by unique names).
    servers = shared_or_own(context.server, start_mlflow=start, purpose="the snippets")

    def check_one(page: Path) -> list[Finding]:
        return check_page(page, context, index, shared)

    with servers as shared, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        # The longest pages (as last run here) start first: a long page started last was the tail.
        order = longest_first(pages, cache)
        done = dict(zip(order, pool.map(carried(check_one), order), strict=True))
        fresh = [done[page] for page in pages]
    for page, page_findings in zip(pages, fresh, strict=True):
        by_page[page] = page_findings
        if cache is not None:
            cache.put(keys[page], page_findings)
    return findings + [finding for page in every_page for finding in by_page[page] or ()]


def longest_first(pages: list[Path], cache: object | None) -> list[Path]:
    """``pages`` by the time they took when last run here, longest first; unknown ones first, in order."""
    if cache is None:
        return list(pages)
    expected = {page: cache.expected_seconds(CHECK, str(page)) for page in pages}  # type: ignore[attr-defined]
    return sorted(pages, key=lambda page: -(expected[page] if expected[page] is not None else float("inf")))


def server_kinds(context: VerifyContext) -> set[str]:
    """The server kinds the pages will ask for (a page that does not parse, or whose results are
    remembered, asks for none)."""
    cache = context.options.get(OPTION_RESULT_CACHE)
    kinds: set[str] = set()
    for path in discover(context.contracts_dir / DOCS_DIR):
        if cache is not None and cache.remembered(cache.key(CHECK, str(_display(path)))):
            continue
        try:
            kinds |= parse_page(path).needs_server
        except (ContractError, OSError):
            continue
    return kinds
