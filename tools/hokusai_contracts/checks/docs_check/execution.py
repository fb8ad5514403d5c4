"""``--run``: execute a page's blocks in order, in one namespace, in a worker of the target interpreter
(the snippet runner's :mod:`~hokusai_contracts.checks.snippets.execute`), with a page timeout, only the
environment variables passed by name, and, where the platform allows it, no network but loopback.

A later block that fails only because an earlier one failed (it uses a name that block should have
bound) is "not run", not a failure of its own: the first failure is reported once.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.base.workers import resolve_python, run_worker, tail
from hokusai_contracts.checks.docs_check import report
from hokusai_contracts.checks.docs_check.blocks import CodeBlock, DocPage, parse_block
from hokusai_contracts.checks.snippets import execute
from hokusai_contracts.checks.snippets.execute import FAILED, BlockOutcome, BlockSpec, PageRequest
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.findings.catalogue import docs_check as rules
from hokusai_contracts.reports.common import mask_finding

DEFAULT_PAGE_TIMEOUT_S = 120.0
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH", re.IGNORECASE)


@dataclass(frozen=True)
class RunOptions:
    """How pages run: variables passed through by name (values read here), page timeout, network sandbox."""

    env: tuple[tuple[str, str], ...] = ()
    page_timeout: float = DEFAULT_PAGE_TIMEOUT_S
    sandbox: bool = True

    def secrets(self) -> tuple[str, ...]:
        """Values never to print: the environment's known secrets, and passed variables named like one."""
        return (*known_secrets(), *(value for name, value in self.env if _SECRET_NAME.search(name)))


@functools.cache
def sandbox_available() -> bool:
    """True when ``unshare -n`` works here (root, or user namespaces) and ``ip`` can bring loopback up."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        return False
    try:
        done = subprocess.run(
            ["unshare", "-n", "--", "ip", "link", "set", "lo", "up"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def sandboxed_interpreter(python: str, directory: Path) -> Path:
    """A launcher running ``python`` in a new network namespace with only loopback up."""
    launcher = directory / "python-loopback-only"
    inner = 'ip link set lo up 2>/dev/null; exec "$0" "$@"'
    launcher.write_text(
        f'#!/bin/sh\nexec unshare -n -- sh -c {shlex.quote(inner)} {shlex.quote(python)} "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    return launcher


def _skip_reason(block: CodeBlock) -> str | None:
    """Why a block is not run: marked so, or not Python (the static check already reported it)."""
    if block.skip:
        return "docs-check: skip"
    try:
        parse_block(block)
    except (SyntaxError, ValueError):
        return "not Python (DOCX007)"
    return None


def _stored(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _loaded(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def run_page(
    page: DocPage,
    options: RunOptions,
    *,
    python: str | None = None,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
) -> list[Finding]:
    """Run ``page`` (each block on its own when the page is isolated) and judge what happened."""
    groups = [[block] for block in page.blocks] if page.isolated else [list(page.blocks)]
    findings: list[Finding] = []
    for blocks in groups:
        outcomes = _run_blocks(page, blocks, options, python, extra_paths)
        findings.extend(_judge(page, blocks, outcomes, options))
    if not any(f.failed for f in findings):
        findings.append(report.page_passed(page.path, sum(not b.skip for b in page.blocks), "ran"))
    secrets = options.secrets()
    return [mask_finding(f, secrets) for f in findings]


@dataclass
class _Ran:
    outcomes: list[BlockOutcome]
    stopped: str | None
    timed_out: bool


def _run_blocks(
    page: DocPage,
    blocks: list[CodeBlock],
    options: RunOptions,
    python: str | None,
    extra_paths: Sequence[str | os.PathLike[str]],
) -> _Ran:
    env = dict(options.env)
    specs = [BlockSpec(b.index, b.code, b.line, env=env, skip=_skip_reason(b)) for b in blocks]
    interpreter = resolve_python(python)
    with processes.temp_dir("docs-check") as scratch:
        if options.sandbox and sandbox_available():
            interpreter = str(sandboxed_interpreter(interpreter, scratch))
        workdir = scratch / "work"
        workdir.mkdir()
        done = run_worker(
            execute.__file__,
            PageRequest(str(page.path.resolve()), str(workdir), tuple(specs)),
            what=f"the page {page.path}",
            python=interpreter,
            timeout=options.page_timeout,
            extra_paths=extra_paths,
            cwd=workdir,
        )
    done.raise_if_killed()
    outcomes = [BlockOutcome(**record) for record in done.records]
    stopped = None
    if done.timed_out:
        stopped = f"the page did not finish within --page-timeout {options.page_timeout:g} s"
    elif done.returncode != 0 or len(outcomes) < len(specs):
        stopped = f"the page's process exited with status {done.returncode}: {tail(done.stderr, 5)}"
    return _Ran(outcomes, stopped, done.timed_out)


def _judge(page: DocPage, blocks: list[CodeBlock], ran: _Ran, options: RunOptions) -> list[Finding]:
    findings: list[Finding] = []
    broken: dict[str, int] = {}  # name -> the failed block (1-based) that should have bound it
    by_index = {b.index: b for b in blocks}
    for outcome in ran.outcomes:
        block = by_index[outcome.index]
        if outcome.status != FAILED:
            continue
        needs = sorted(_loaded(block.code) & set(broken))
        if needs:
            first = broken[needs[0]]
            findings.append(
                report.finding(
                    rules.NOT_RUN,
                    page.path,
                    f"block {block.index + 1}",
                    f"not run: it uses `{needs[0]}`, which block {first} should have defined (it failed)",
                    line=block.line,
                    outcome=Outcome.SKIPPED,
                )
            )
        else:
            findings.append(
                report.finding(
                    rules.BLOCK_FAILED,
                    page.path,
                    f"block {block.index + 1}",
                    outcome.message or f"raised {outcome.exception}",
                    line=outcome.line or block.line,
                    details=outcome.traceback or None,
                )
            )
        for name in _stored(block.code):
            broken.setdefault(name, block.index + 1)
    rest = blocks[len(ran.outcomes) :]
    for position, block in enumerate(rest):
        if position == 0 and ran.stopped:
            rule = rules.PAGE_TIMEOUT if ran.timed_out else rules.BLOCK_FAILED
            message = f"{ran.stopped} (block {block.index + 1} was running)"
            findings.append(
                report.finding(rule, page.path, f"block {block.index + 1}", message, line=block.line)
            )
            continue
        findings.append(
            report.finding(
                rules.NOT_RUN,
                page.path,
                f"block {block.index + 1}",
                "not run: the page stopped at an earlier block",
                line=block.line,
                outcome=Outcome.SKIPPED,
            )
        )
    return findings
