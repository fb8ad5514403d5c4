"""Turn a parsed page into runnable block specs, and run a whole page in the interpreter under test.

The pytest plugin runs specs in-process (a :class:`~execute.PageSession` per page); the check family and
``docs-update`` run each page in a worker process of the target interpreter (``--python``), so any
installed SDK can be checked and pages never share process state.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import resolve_python, run_worker, tail
from hokusai_contracts.checks.snippets import execute
from hokusai_contracts.checks.snippets.capture_relay import active_address
from hokusai_contracts.checks.snippets.execute import (
    BLOCK_FAILED,
    FAILED,
    SKIPPED,
    BlockOutcome,
    BlockSpec,
    Checkpoint,
    PageRequest,
    SetupSpec,
)
from hokusai_contracts.checks.snippets.model import Block, Page
from hokusai_contracts.checks.snippets.names import name_mapping, reverse, run_suffix, substitute_code
from hokusai_contracts.servers.pool import ServerPool
from hokusai_contracts.servers.server import MlflowServer
from hokusai_contracts.servers.templates import ensure_templates
from hokusai_contracts.servers.venvs import mlflow_version_of

SERVER_FIXTURES = {"mlflow": "mlflow_server", "basic-auth": "basic_auth_server"}
DEFAULT_PAGE_TIMEOUT_S = 600.0
_LOOKS_AT_IMPORTS = "sys.modules"

# server kind ("mlflow" / "basic-auth") -> a running server, e.g. ``ServerPool.mlflow``.
ServerFor = Callable[[str], MlflowServer]


def block_environment(block: Block, server: MlflowServer | None) -> dict[str, str | None]:
    """The environment variables a block runs with, from its ``server`` and ``role`` attributes."""
    if not block.needs_server or server is None:
        return {}
    env: dict[str, str | None] = {"MLFLOW_TRACKING_URI": server.url}
    if block.server == "basic-auth" and server.users is not None:
        role = block.role or "admin"
        username, password = (None, None) if role == "anonymous" else getattr(server.users, role)
        env["MLFLOW_TRACKING_USERNAME"] = username
        env["MLFLOW_TRACKING_PASSWORD"] = password
    return env


@dataclass
class PageRun:
    """One run of one page: its unique-name suffix and how its blocks become specs."""

    page: Page
    suffix: str = field(default_factory=run_suffix)

    @property
    def mapping(self) -> dict[str, str]:
        """Declared name -> name used in this run."""
        return name_mapping(self.page.unique_names, self.suffix)

    @property
    def filename(self) -> str:
        """The filename blocks are compiled with: the page, absolute, so tracebacks open it."""
        return str(Path(self.page.path).resolve())

    def spec(self, block: Block, server: MlflowServer | None = None) -> BlockSpec:
        """``block`` ready to run against ``server`` (None for the embedded store)."""
        mapping = self.mapping
        return BlockSpec(
            index=block.index,
            code=substitute_code(block.code, mapping),
            start_line=block.start_line,
            name=block.node_name,
            raises=block.raises,
            checkpoints=tuple(Checkpoint(c.first_line, c.expected) for c in block.checkpoints),
            output=block.output.expected if block.output else None,
            output_line=block.output.open_line if block.output else None,
            env=block_environment(block, server),
            setup=tuple(SetupSpec(substitute_code(s.code, mapping), s.start_line) for s in block.setup),
            skip=block.skip,
            restore=reverse(mapping),
        )

    def specs(self, server_for: ServerFor) -> list[BlockSpec]:
        """Every block as a spec, servers obtained from ``server_for`` only for blocks that need one."""
        return [
            self.spec(b, server_for(b.server) if b.needs_server and b.executable else None)
            for b in self.page.blocks
        ]


# -- running a page in a worker process ----------------------------------------------------------------


def run_page_process(
    run: PageRun,
    specs: Sequence[BlockSpec],
    *,
    python: str | None = None,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    timeout: float = DEFAULT_PAGE_TIMEOUT_S,
) -> list[BlockOutcome]:
    """Run ``specs`` in a fresh worker process of ``python``; one outcome per spec, in order."""
    with processes.temp_dir("snippets") as scratch:
        request = PageRequest(
            run.filename, str(scratch), tuple(specs), embedded_store_template(python), active_address()
        )
        done = run_worker(
            execute.__file__,
            request,
            what=f"the page {run.page.path}",
            python=python,
            timeout=timeout,
            extra_paths=extra_paths,
            cwd=scratch,
            # A page that looks at sys.modules would see what a fork server preloaded.
            fresh=any(
                _LOOKS_AT_IMPORTS in code
                for spec in specs
                for code in (spec.code, *(s.code for s in spec.setup))
            ),
        )
    done.raise_if_killed()
    outcomes = [BlockOutcome(**record) for record in done.records]
    stopped = None
    if done.timed_out:
        stopped = f"the page did not finish within {timeout:.0f} s"
    elif done.returncode != 0:
        stopped = f"the page's process exited with status {done.returncode}:\n{tail(done.stderr)}"
    return outcomes + _not_run(specs[len(outcomes) :], stopped or "the page's process stopped early")


@functools.lru_cache(maxsize=16)
def embedded_store_template(python: str | None) -> str | None:
    """The migrated, empty tracking DB of ``python``'s MLflow version (shared with that version's
    servers), for pages to start their embedded store from; None when MLflow is missing or the
    template cannot be made (the SDK then creates its store itself, as it would anyway)."""
    interpreter = resolve_python(python)
    version = mlflow_version_of(interpreter)
    if version is None:
        return None
    try:
        return str(ensure_templates(version, interpreter).tracking)
    except (InfrastructureError, OSError):
        return None


def shared_page_run(
    page: Page,
    pool: ServerPool,
    *,
    python: str | None = None,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    timeout: float = DEFAULT_PAGE_TIMEOUT_S,
) -> list[BlockOutcome]:
    """``page`` run as :func:`run_page_process` runs it, once per pool for the same text and interpreter.

    The docs family runs a release's unchanged page with the SDK under test, and so does the release
    diff's behaviour comparison (OLD's copy of the page): one run answers both. Another copy's outcomes
    name the file it ran under, rewritten to this page's.
    """
    return shared_page_run_timed(page, pool, python=python, extra_paths=extra_paths, timeout=timeout)[0]


def shared_page_run_timed(
    page: Page,
    pool: ServerPool,
    *,
    python: str | None = None,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    timeout: float = DEFAULT_PAGE_TIMEOUT_S,
) -> tuple[list[BlockOutcome], float]:
    """:func:`shared_page_run`, and how long the page's run took (whoever ran it; not the wait for it)."""
    key = (
        "snippets page",
        hashlib.sha256(Path(page.path).read_bytes()).hexdigest(),
        os.path.abspath(python or sys.executable),  # not resolved: two venvs share one binary
        tuple(os.fspath(path) for path in extra_paths),
        timeout,
    )

    def run_once() -> tuple[str, list[BlockOutcome], float]:
        started = time.monotonic()
        run = PageRun(page)
        specs = run.specs(pool.mlflow)
        outcomes = run_page_process(run, specs, python=python, extra_paths=extra_paths, timeout=timeout)
        return run.filename, outcomes, time.monotonic() - started

    ran_as, outcomes, seconds = pool.results.get_or_compute(key, run_once)
    filename = str(Path(page.path).resolve())
    if ran_as == filename:
        return list(outcomes), seconds
    return [
        dataclasses.replace(
            outcome,
            message=outcome.message.replace(ran_as, filename),
            traceback=outcome.traceback.replace(ran_as, filename),
        )
        for outcome in outcomes
    ], seconds


def _not_run(specs: Sequence[BlockSpec], reason: str) -> list[BlockOutcome]:
    outcomes = []
    for position, spec in enumerate(specs):
        if spec.skip is not None:
            outcomes.append(BlockOutcome(spec.index, SKIPPED, message=spec.skip, line=spec.start_line))
            continue
        message = (
            reason
            if position == 0
            else f"not run: the page stopped at an earlier block ({reason.splitlines()[0]})"
        )
        outcomes.append(
            BlockOutcome(spec.index, FAILED, BLOCK_FAILED, message, line=spec.start_line, unexpected=True)
        )
    return outcomes
