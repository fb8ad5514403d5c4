"""Turn a parsed page into runnable block specs, and run a whole page in the interpreter under test.

The pytest plugin runs specs in-process (a :class:`~execute.PageSession` per page); the check family and
``docs-update`` run each page in a worker process of the target interpreter (``--python``), so any
installed SDK can be checked and pages never share process state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.checks.snippets import execute
from hokusai_contracts.checks.snippets.execute import (
    BLOCK_FAILED,
    FAILED,
    SKIPPED,
    BlockOutcome,
    BlockSpec,
    Checkpoint,
    SetupSpec,
)
from hokusai_contracts.checks.snippets.model import Block, Page
from hokusai_contracts.checks.snippets.names import name_mapping, reverse, run_suffix, substitute_code

SERVER_FIXTURES = {"mlflow": "mlflow_server", "basic-auth": "basic_auth_server"}
DEFAULT_PAGE_TIMEOUT_S = 600.0

# server kind ("mlflow" / "basic-auth") -> a running server (``.url``, ``.users``).
ServerFor = Callable[[str], Any]


def block_environment(block: Block, server: Any | None) -> dict[str, str | None]:
    """The environment variables a block runs with, from its ``server`` and ``role`` attributes."""
    if not block.needs_server:
        return {}
    env: dict[str, str | None] = {"MLFLOW_TRACKING_URI": server.url}
    if block.server == "basic-auth":
        role = block.role or "admin"
        username, password = (None, None) if role == "anonymous" else getattr(server.users, role)
        env["MLFLOW_TRACKING_USERNAME"] = username
        env["MLFLOW_TRACKING_PASSWORD"] = password
    return env


def server_secrets(server: Any | None) -> tuple[str, ...]:
    """Passwords of ``server``'s users, to mask in anything shown."""
    users = getattr(server, "users", None)
    return (users.admin_password, users.reader_password) if users else ()


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

    def spec(self, block: Block, server: Any | None = None) -> BlockSpec:
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


class ServerPool(AbstractContextManager):
    """Servers by kind, started on first request (thread-safe) and stopped on exit.

    ``given`` are servers someone else owns (e.g. the one ``verify`` started for the family).
    """

    def __init__(
        self, given: Mapping[str, Any] | None = None, start: Callable[[str, Path], Any] | None = None
    ):
        self._servers = dict(given or {})
        self._owned: list[Any] = []
        self._start = start or _start_server
        self._lock = threading.Lock()
        self._workdir: str | None = None

    def __call__(self, kind: str) -> Any:
        with self._lock:
            if kind not in self._servers:
                self._workdir = self._workdir or tempfile.mkdtemp(prefix="hokusai-snippets-servers-")
                server = self._start(kind, Path(self._workdir) / kind)
                self._owned.append(server)
                self._servers[kind] = server
            return self._servers[kind]

    @property
    def secrets(self) -> tuple[str, ...]:
        """Passwords of every server started so far."""
        return tuple(s for server in self._servers.values() for s in server_secrets(server))

    def __exit__(self, *exc_info) -> None:
        for server in self._owned:
            server.stop()
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)


def _start_server(kind: str, workdir: Path) -> Any:
    from hokusai_contracts.base.errors import InfrastructureError
    from hokusai_contracts.servers import ServerStartError, start_mlflow_process

    try:
        return start_mlflow_process(workdir, basic_auth=kind == "basic-auth")
    except ServerStartError as exc:
        raise InfrastructureError(
            f"could not start the {kind} MLflow server for the snippets:\n{exc}"
        ) from exc


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
    from hokusai_contracts.introspection.runner import resolve_python, worker_environment

    interpreter = resolve_python(python)
    with tempfile.TemporaryDirectory(prefix="hokusai-snippets-") as scratch:
        workdir = Path(scratch) / "page"
        workdir.mkdir()
        request, result = Path(scratch) / "request.json", Path(scratch) / "result.jsonl"
        payload = {"filename": run.filename, "workdir": str(workdir), "blocks": [asdict(s) for s in specs]}
        request.write_text(json.dumps(payload), encoding="utf-8")
        command = [interpreter, execute.__file__, str(request), str(result)]
        stopped = None
        try:
            completed = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=worker_environment(extra_paths),
                cwd=workdir,
                check=False,
            )
            if completed.returncode != 0:
                status = completed.returncode
                stopped = f"the page's process exited with status {status}:\n{_tail(completed.stderr)}"
        except subprocess.TimeoutExpired:
            stopped = f"the page did not finish within {timeout:.0f} s"
        lines = result.read_text(encoding="utf-8").splitlines() if result.exists() else []
    outcomes = [BlockOutcome(**json.loads(line)) for line in lines]
    return outcomes + _not_run(specs[len(outcomes) :], stopped or "the page's process stopped early")


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


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
