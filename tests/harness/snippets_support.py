"""Shared by the snippet tests: write a page, run it in-process, and look at the outcomes."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from hokusai_contracts.checks.snippets.execute import BlockOutcome, PageSession, run_blocks
from hokusai_contracts.checks.snippets.model import Page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import PageRun


def write_page(directory: Path, text: str, name: str = "page.md") -> Path:
    """Write a page (dedented) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_in_process(page: Page, workdir: Path, servers: dict[str, Any] | None = None) -> list[BlockOutcome]:
    """Run every block of ``page`` in one in-process session (servers by kind, when blocks need them)."""
    run = PageRun(page)
    workdir.mkdir(parents=True, exist_ok=True)
    session = PageSession(run.filename, str(workdir))
    return run_blocks(session, run.specs(lambda kind: (servers or {})[kind]))


def run_text(directory: Path, text: str, **kwargs) -> tuple[Page, list[BlockOutcome]]:
    """Write, parse and run a page; (page, outcomes)."""
    page = parse_page(write_page(directory, text))
    return page, run_in_process(page, directory / "work", **kwargs)
