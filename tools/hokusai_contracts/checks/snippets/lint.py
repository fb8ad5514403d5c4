"""Lint each block with ruff and the project's configuration; findings point at the Markdown line.

Ruff sees one block at a time, so what only makes sense on a whole page is ignored: names defined in an
earlier block (F821), imports used in a later one (F401) and imports after code (E402).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.checks.snippets.model import Page

PAGE_LEVEL_RULES = ("F821", "F401", "E402")


@dataclass(frozen=True)
class LintIssue:
    """One ruff diagnostic of a block, at its Markdown line."""

    block: int
    line: int
    column: int
    code: str
    message: str


def ruff_executable() -> str:
    """The ruff next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.is_file() else shutil.which("ruff")
    if not found:
        raise InfrastructureError(
            "ruff is not installed: the snippets check lints every block with it; install it with "
            "`pip install ruff` (it is a dependency of hokusai-contracts)"
        )
    return found


def ruff_check(code: str, stdin_filename: Path, ruff: str, config: Path | None = None) -> list[dict]:
    """Ruff's JSON diagnostics of ``code``, configured as if it were the file ``stdin_filename``.

    ``config`` forces a configuration file; by default ruff finds the project's above the page.
    """
    command = [
        ruff,
        "check",
        *(["--config", str(config)] if config else []),
        "--output-format",
        "json",
        "--no-fix",
        "--ignore",
        ",".join(PAGE_LEVEL_RULES),
        "--stdin-filename",
        str(stdin_filename),
        "-",
    ]
    # Run from the page's directory so ruff finds the project's configuration above it.
    completed = subprocess.run(
        command, input=code, capture_output=True, text=True, cwd=stdin_filename.parent, check=False
    )
    if completed.returncode not in (0, 1):
        raise InfrastructureError(f"ruff failed on {stdin_filename}: {completed.stderr.strip()}")
    return json.loads(completed.stdout or "[]")


def lint_page(page: Page, ruff: str | None = None, config: Path | None = None) -> list[LintIssue]:
    """Ruff's diagnostics for every block of ``page`` (skipped ones too: readers copy them as well)."""
    ruff = ruff or ruff_executable()
    stdin_filename = Path(page.path).resolve().with_suffix(".py")
    issues = []
    for block in page.blocks:
        for item in ruff_check(block.code, stdin_filename, ruff, config):
            issues.append(
                LintIssue(
                    block=block.index,
                    line=block.start_line + item["location"]["row"] - 1,
                    column=item["location"]["column"],
                    code=item.get("code") or "syntax",
                    message=item["message"],
                )
            )
    return issues
