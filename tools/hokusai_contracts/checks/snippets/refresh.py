"""Run pages and rewrite their stale expected output: what ``hokusai-contracts docs-update`` does."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.snippets.family import DOCS_DIR, discover, malformed_finding, outcome_finding
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import DEFAULT_PAGE_TIMEOUT_S, PageRun, run_page_process
from hokusai_contracts.checks.snippets.update import Edit, update_page
from hokusai_contracts.findings import Finding
from hokusai_contracts.servers.pool import ServerPool


@dataclass
class PageUpdate:
    """What updating one page did, and the failures an update cannot fix (exceptions, DOC002)."""

    path: Path
    edits: list[Edit] = field(default_factory=list)
    failures: list[Finding] = field(default_factory=list)


def update_docs(
    contracts_dir: Path,
    pages: Sequence[Path] = (),
    *,
    python: str | None = None,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    timeout: float = DEFAULT_PAGE_TIMEOUT_S,
) -> list[PageUpdate]:
    """Run ``pages`` (default: every page of ``contracts_dir/docs``) and rewrite their expected output."""
    paths = list(pages) or discover(Path(contracts_dir) / DOCS_DIR)
    updates = []
    with ServerPool(purpose="the documentation pages") as servers:
        for path in paths:
            update = PageUpdate(Path(path))
            try:
                page = parse_page(path)
            except ContractError as exc:
                update.failures.append(malformed_finding(Path(path), exc))
                updates.append(update)
                continue
            run = PageRun(page)
            outcomes = run_page_process(
                run, run.specs(servers.mlflow), python=python, extra_paths=extra_paths, timeout=timeout
            )
            update.edits = update_page(page, outcomes)
            update.failures = [
                outcome_finding(page, page.blocks[o.index], o, servers.secrets())
                for o in outcomes
                if o.failed and not o.output_only
            ]
            updates.append(update)
    return updates
