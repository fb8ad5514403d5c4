"""Documentation pages as pytest tests: one item per ``python`` block, a page's items in one namespace.

The page (a :class:`pytest.File`) owns the run state: the namespace, a temporary working directory and
the unique-name suffix. Items are :class:`pytest.Function` objects so they can ask for fixtures: the
MLflow servers come from the session fixtures ``mlflow_server`` / ``basic_auth_server`` through
``request.getfixturevalue``, only when a block needs one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.checks.snippets.crosscheck import ApiIndex
from hokusai_contracts.checks.snippets.execute import SKIPPED, BlockOutcome, PageSession
from hokusai_contracts.checks.snippets.family import count_finding, outcome_finding, static_findings_by_block
from hokusai_contracts.checks.snippets.model import Block, Page, slug
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import SERVER_FIXTURES, PageRun
from hokusai_contracts.findings import Finding
from hokusai_contracts.pytest_plugin.contract_run import contract_run_of
from hokusai_contracts.reports.text import finding_text
from hokusai_contracts.servers.server import Server


class SnippetFailure(Exception):
    """Raised by a block item; carries the findings that :meth:`BlockItem.repr_failure` shows."""

    def __init__(self, findings: list[Finding], notes: list[str] | None = None):
        super().__init__(f"{len(findings)} snippet finding(s)")
        self.findings = findings
        self.notes = notes or []


class _PageState:
    """One run of a page in this process: its namespace, working directory, and what has run."""

    def __init__(self, page: Page, index_loader: Callable[[], ApiIndex | None]):
        self.run = PageRun(page)
        self.workdir = tempfile.mkdtemp(prefix=f"hokusai-doc-{slug(Path(page.path).stem)}-")
        self.session = PageSession(self.run.filename, self.workdir)
        self.outcomes: dict[int, BlockOutcome] = {}
        self.secrets: tuple[str, ...] = ()
        self._index_loader = index_loader
        self._static: dict[int, list[Finding]] | None = None

    def static(self, block: Block) -> list[Finding]:
        """DOC003 / DOC004 findings of ``block`` (the page is read once)."""
        if self._static is None:
            self._static = static_findings_by_block(self.run.page, self._index_loader())
        return self._static.get(block.index, [])

    def execute(self, block: Block, request: pytest.FixtureRequest) -> BlockOutcome:
        """Run ``block``, with its server from the session fixtures when it needs one."""
        server = None
        if block.needs_server and block.executable:
            server = request.getfixturevalue(SERVER_FIXTURES[block.server])
            # A user's own fixture may hand out something simpler than a Server: nothing to mask then.
            known = server.secrets() if isinstance(server, Server) else ()
            self.secrets = tuple({*self.secrets, *known})
        outcome = self.session.run(self.run.spec(block, server))
        self.outcomes[block.index] = outcome
        return outcome

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


class DocPage(pytest.File):
    """A documentation page: one item per python block, grouped by heading, run in page order."""

    page: Page | None = None
    _state: _PageState | None = None

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        """A failing ``executable_blocks`` item when the count dropped, then the blocks by heading."""
        try:
            self.page = parse_page(self.path)
        except ContractError as exc:
            raise self.CollectError(
                f"DOC006 {exc}\nfix: see contracts/docs/README.md for the syntax"
            ) from None
        count = count_finding(self.page)
        if count.failed:
            yield CountItem.from_parent(self, name="executable_blocks", finding=count)
        sections: list[tuple[str, list[Block]]] = []
        for block in self.page.blocks:
            if sections and sections[-1][1][-1].heading == block.heading:
                sections[-1][1].append(block)
            else:
                sections.append((block.heading, [block]))
        used: dict[str, int] = {}
        for heading, blocks in sections:
            name = slug(heading)
            used[name] = used.get(name, 0) + 1
            if used[name] > 1:
                name = f"{name}-{used[name]}"
            yield DocSection.from_parent(self, name=name, blocks=blocks)

    def state(self) -> _PageState:
        """The page's run state, created on first use."""
        if self._state is None:
            self._state = _PageState(self.page, self._index)
        return self._state

    def _index(self) -> ApiIndex | None:
        run = contract_run_of(self.config)
        try:
            return ApiIndex.from_api(run.context.contract_api()) if run else None
        except ContractError:
            return None  # the contract items report the malformed contract file

    def run_block(self, block: Block, request: pytest.FixtureRequest) -> None:
        """Run ``block`` (after any earlier block not yet run here) and fail with its findings."""
        state = self.state()
        notes = []
        for earlier in self.page.blocks[: block.index]:
            # Deselected (-k) or run on another xdist worker: the namespace still needs what it defines.
            if earlier.index not in state.outcomes and state.execute(earlier, request).failed:
                notes.append(f"earlier block at line {earlier.fence_line} (run first here) failed")
        outcome = state.execute(block, request)
        findings = [f for f in state.static(block) if f.failed]
        if outcome.failed:
            findings.insert(0, outcome_finding(self.page, block, outcome, state.secrets))
        if findings:
            raise SnippetFailure(findings, notes)
        if outcome.status == SKIPPED:
            pytest.skip(outcome.message)

    def teardown(self) -> None:
        """Forget the namespace and remove the working directory."""
        if self._state is not None:
            self._state.close()
            self._state = None


class DocSection(pytest.Collector):
    """The blocks under one heading."""

    def __init__(self, *, blocks: list[Block], **kwargs):
        super().__init__(**kwargs)
        self.blocks = blocks

    def collect(self) -> Iterator[pytest.Item]:
        """One item per block."""
        # --dist loadgroup keeps a page on one worker (the mark exists only where xdist is loaded).
        xdist = self.config.pluginmanager.hasplugin("xdist")
        for block in self.blocks:
            item = BlockItem.from_parent(self, name=f"L{block.fence_line}", callobj=_run_block, block=block)
            if xdist:
                item.add_marker(pytest.mark.xdist_group(name=self.parent.nodeid))
            yield item


def _run_block(request: pytest.FixtureRequest) -> None:
    item = request.node
    item.page_node.run_block(item.block, request)


class BlockItem(pytest.Function):
    """One ``python`` block: passes when it runs as its page says."""

    def __init__(self, *, block: Block, **kwargs):
        self.block = block
        super().__init__(**kwargs)

    @property
    def page_node(self) -> DocPage:
        """The page this block belongs to."""
        return self.getparent(DocPage)

    def repr_failure(self, excinfo, style=None):
        """The findings: rule, block, Markdown file:line, message, fix, traceback in the page's lines."""
        if isinstance(excinfo.value, SnippetFailure):
            state = self.page_node._state
            secrets = state.secrets if state else ()
            known = (*known_secrets(), *secrets)
            texts = [finding_text(f, self.config.rootpath, known) for f in excinfo.value.findings]
            return "\n\n".join([*texts, *excinfo.value.notes])
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        """The page and the block's fence line."""
        return self.path, self.block.fence_line - 1, f"snippet {self.path.name}::{self.block.node_name}"


class CountItem(pytest.Item):
    """Fails when the page runs fewer blocks than its front matter records (DOC005)."""

    def __init__(self, *, finding: Finding, **kwargs):
        super().__init__(**kwargs)
        self.finding = finding

    def runtest(self) -> None:
        """Fail with the count finding."""
        raise SnippetFailure([self.finding])

    def repr_failure(self, excinfo, style=None):
        """The finding as text."""
        if isinstance(excinfo.value, SnippetFailure):
            return finding_text(self.finding, self.config.rootpath)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        """The page and the line of its recorded count."""
        line = self.finding.location.line if self.finding.location else None
        return self.path, (line - 1) if line else None, f"snippets {self.path.name}::executable_blocks"
