"""Run a page's snippets in one namespace and judge each against its expected output and exception.

Standard library only, on purpose: the same module runs in-process (the pytest plugin) and as a worker
script in the interpreter under test (:func:`handle`, through ``base/worker_entry.py``; used by the
``snippets`` check family), which may be another virtual environment without the harness installed.

Each block is compiled with the Markdown file as its filename and its own line offset, so tracebacks
and :mod:`linecache` show the ``.md`` file and line the reader sees.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import os
import re
import sys
import time
import traceback
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
BLOCK_FAILED, NOT_RAISED = "DOC001", "DOC002"

WILDCARD_LINE = "..."
ANY_TOKEN = "<ANY>"

# Variables that would point a snippet somewhere other than where its page says: the page starts from a
# clean slate, like a reader's fresh machine, and each block adds only what its attributes ask for.
_CLEARED_PREFIXES = ("MLFLOW_", "HOKUSAI_", "DATABRICKS_")


@dataclass(frozen=True)
class Checkpoint:
    """A ``#>`` group: the lines printed since the previous group, expected at Markdown ``line``."""

    line: int
    expected: tuple[str, ...]


@dataclass(frozen=True)
class SetupSpec:
    """Hidden setup code run before a block; ``start_line`` is its first line in the Markdown file."""

    code: str
    start_line: int


@dataclass(frozen=True)
class BlockSpec:
    """One block, ready to run: code (unique names already substituted) and what it must do."""

    index: int
    code: str
    start_line: int
    name: str = ""
    raises: str | None = None
    checkpoints: tuple[Checkpoint, ...] = ()
    output: tuple[str, ...] | None = None
    output_line: int | None = None
    env: Mapping[str, str | None] = field(default_factory=dict)
    setup: tuple[SetupSpec, ...] = ()
    skip: str | None = None
    # suffixed name -> name as written: applied to what the block prints before it is compared.
    restore: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping) -> BlockSpec:
        """The inverse of :func:`dataclasses.asdict` (for the worker's JSON request)."""
        data = dict(data)
        data["checkpoints"] = tuple(
            Checkpoint(c["line"], tuple(c["expected"])) for c in data.get("checkpoints", ())
        )
        data["setup"] = tuple(SetupSpec(**s) for s in data.get("setup", ()))
        if data.get("output") is not None:
            data["output"] = tuple(data["output"])
        return cls(**data)


@dataclass
class BlockOutcome:
    """What running one block gave: a verdict, where to look, and what it printed (names restored).

    ``segments`` holds the output printed before each ``#>`` group (None for a group never reached).
    """

    index: int
    status: str
    rule: str | None = None
    message: str = ""
    line: int | None = None
    traceback: str = ""
    stdout: str = ""
    segments: list[str | None] = field(default_factory=list)
    exception: str | None = None
    unexpected: bool = False  # it raised an exception its page does not document, or never ran
    output_only: bool = False  # failed only on wrong output: docs-update can fix it
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        """True when the block did not do what its page says."""
        return self.status == FAILED


# -- expected output ----------------------------------------------------------------------------------


def output_lines(text: str) -> list[str]:
    """``text`` as lines without trailing whitespace, trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = expected.split(ANY_TOKEN)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


def output_matches(expected: list[str] | tuple[str, ...], actual: list[str]) -> bool:
    """True when ``actual`` fits ``expected``: ``...`` lines match one or more lines, ``<ANY>`` any text."""
    expected = output_lines("\n".join(expected))
    patterns = [None if line.strip() == WILDCARD_LINE else _line_pattern(line) for line in expected]
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(patterns):
            found = j == len(actual)
        elif patterns[i] is None:
            found = any(match(i + 1, k) for k in range(j + 1, len(actual) + 1))
        else:
            found = j < len(actual) and patterns[i].fullmatch(actual[j]) is not None and match(i + 1, j + 1)
        memo[(i, j)] = found
        return found

    return match(0, 0)


def output_diff(expected: list[str] | tuple[str, ...], actual: list[str]) -> str:
    """A unified diff from the expected to the actual lines."""
    diff = difflib.unified_diff(
        output_lines("\n".join(expected)), actual, "expected", "actual", lineterm="", n=2
    )
    return "\n".join(diff)


def restore_names(text: str, restore: Mapping[str, str]) -> str:
    """``text`` with every suffixed unique name put back as the page writes it."""
    for suffixed in sorted(restore, key=len, reverse=True):
        text = text.replace(suffixed, restore[suffixed])
    return text


# -- environment --------------------------------------------------------------------------------------


def page_environment(workdir: str, environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The changes that give a page a fresh embedded store in ``workdir`` and no inherited target."""
    environ = os.environ if environ is None else environ
    changes: dict[str, str | None] = {name: None for name in environ if name.startswith(_CLEARED_PREFIXES)}
    changes["HOKUSAI_HOME"] = os.path.join(workdir, "hokusai-home")
    return changes


@contextlib.contextmanager
def applied(changes: Mapping[str, str | None], cwd: str | None = None) -> Iterator[None]:
    """Apply environment ``changes`` (None unsets) and ``cwd``; restore both afterwards."""
    saved = {name: os.environ.get(name) for name in changes}
    old_cwd = os.getcwd()
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if cwd:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(old_cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- running ------------------------------------------------------------------------------------------


class _Raised(Exception):
    """Carries a snippet's exception (any BaseException, SystemExit included) out of the segment loop."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def exception_matches(error: BaseException, name: str) -> bool:
    """True when ``error`` is a ``name`` (by class name along its MRO)."""
    return any(cls.__name__ == name for cls in type(error).__mro__)


def snippet_traceback(error: BaseException, filename: str) -> str:
    """The traceback of ``error`` from the first frame in ``filename`` on: no runner frames."""
    frames = traceback.extract_tb(error.__traceback__)
    first = next((i for i, frame in enumerate(frames) if frame.filename == filename), len(frames))
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[first:])]
    if first == len(frames):
        lines = []  # a SyntaxError: the exception lines below name the file and line themselves
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines).rstrip()


def _error_line(error: BaseException, filename: str) -> int | None:
    if isinstance(error, SyntaxError) and error.filename == filename:
        return error.lineno
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    return frames[-1].lineno if frames else None


def _segments(module: ast.Module, checkpoints: tuple[Checkpoint, ...]) -> list[list[ast.stmt]]:
    """The block's statements split before each ``#>`` group (one more segment than groups)."""
    segments: list[list[ast.stmt]] = [[] for _ in range(len(checkpoints) + 1)]
    bounds = [c.line for c in checkpoints]
    for statement in module.body:
        end = statement.end_lineno or statement.lineno
        segments[sum(1 for line in bounds if line < end)].append(statement)
    return segments


class PageSession:
    """The namespace and working directory one page's blocks share, run in order."""

    def __init__(self, filename: str, workdir: str, base_env: Mapping[str, str | None] | None = None):
        self.filename = filename
        self.workdir = workdir
        self.base_env = dict(page_environment(workdir) if base_env is None else base_env)
        self.module = types.ModuleType("__main__")
        self.module.__file__ = filename
        self.namespace = self.module.__dict__
        self.namespace["__builtins__"] = __builtins__

    def _exec(self, code: types.CodeType) -> None:
        # The page is the program being run: classes it defines belong to __main__ (pickling relies on it).
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = self.module
        try:
            exec(code, self.namespace)
        finally:
            if saved is not None:
                sys.modules["__main__"] = saved

    def _compile(self, code: str, start_line: int) -> ast.Module:
        return ast.parse("\n" * (start_line - 1) + code, self.filename, "exec")

    def run(self, spec: BlockSpec) -> BlockOutcome:
        """Run one block (after its hidden setup) and judge it."""
        if spec.skip is not None:
            return BlockOutcome(spec.index, SKIPPED, message=spec.skip, line=spec.start_line)
        started = time.perf_counter()
        with applied({**self.base_env, **spec.env}, cwd=self.workdir):
            outcome = self._setup(spec)
            if outcome is None:
                outcome = self._block(spec)
        outcome.duration_s = time.perf_counter() - started
        return outcome

    def _setup(self, spec: BlockSpec) -> BlockOutcome | None:
        for setup in spec.setup:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    self._exec(compile(self._compile(setup.code, setup.start_line), self.filename, "exec"))
            except KeyboardInterrupt:
                raise
            except BaseException as error:
                return BlockOutcome(
                    spec.index,
                    FAILED,
                    BLOCK_FAILED,
                    f"the hidden setup before this block raised {type(error).__name__}: {error}",
                    line=_error_line(error, self.filename) or setup.start_line,
                    traceback=snippet_traceback(error, self.filename),
                    exception=f"{type(error).__name__}: {error}",
                    unexpected=True,
                )
        return None

    def _block(self, spec: BlockSpec) -> BlockOutcome:
        outputs: list[str] = []
        raised: _Raised | None = None
        try:
            module = self._compile(spec.code, spec.start_line)
            for statements in _segments(module, spec.checkpoints):
                buffer = io.StringIO()
                try:
                    with contextlib.redirect_stdout(buffer):
                        code = compile(ast.Module(statements, type_ignores=[]), self.filename, "exec")
                        self._exec(code)
                except KeyboardInterrupt:
                    raise
                except BaseException as error:
                    raise _Raised(error) from None
                finally:
                    outputs.append(restore_names(buffer.getvalue(), spec.restore))
        except _Raised as caught:
            raised = caught
        except SyntaxError as error:
            raised = _Raised(error)
            outputs.append("")
        return judge(spec, outputs, raised.error if raised else None, self.filename)


def judge(spec: BlockSpec, outputs: list[str], error: BaseException | None, filename: str) -> BlockOutcome:
    """The verdict on one block from what each segment printed and what it raised."""
    stdout = "".join(outputs)
    # Output of the segment that raised still counts: it was printed before the exception.
    reached = len(outputs) - 1 if error is not None else len(outputs)
    segments: list[str | None] = [outputs[i] if i < reached else None for i in range(len(spec.checkpoints))]
    outcome = BlockOutcome(spec.index, PASSED, stdout=stdout, segments=segments)
    problems: list[tuple[str, int | None, str]] = []
    if error is not None:
        outcome.exception = f"{type(error).__name__}: {error}"
    if error is not None and (spec.raises is None or not exception_matches(error, spec.raises)):
        # Unexpected: the traceback is the story; the `#>` groups after it were never reached anyway.
        expected = f" (expected {spec.raises})" if spec.raises else ""
        problems.append((BLOCK_FAILED, _error_line(error, filename), f"raised {outcome.exception}{expected}"))
        outcome.traceback = snippet_traceback(error, filename)
        outcome.unexpected = True
    else:
        if error is None and spec.raises is not None:
            problems.append(
                (NOT_RAISED, spec.start_line, f"expected {spec.raises} to be raised; nothing was")
            )
        problems.extend(_output_problems(spec, segments, stdout))
    if problems:
        rule, line, _ = problems[0]
        outcome.status, outcome.rule, outcome.line = FAILED, rule, line
        outcome.message = "\n".join(message for _, _, message in problems)
        outcome.output_only = all(message.startswith("wrong output") for _, _, message in problems)
    return outcome


def _output_problems(
    spec: BlockSpec, segments: list[str | None], stdout: str
) -> list[tuple[str, int | None, str]]:
    problems = []
    for checkpoint, printed in zip(spec.checkpoints, segments, strict=True):
        if printed is None:
            problems.append(
                (
                    BLOCK_FAILED,
                    checkpoint.line,
                    f"the `#>` output at line {checkpoint.line} was never reached",
                )
            )
            continue
        actual = output_lines(printed)
        if not output_matches(checkpoint.expected, actual):
            problems.append(
                (
                    BLOCK_FAILED,
                    checkpoint.line,
                    f"wrong output before line {checkpoint.line}:\n"
                    f"{output_diff(checkpoint.expected, actual)}",
                )
            )
    if spec.output is not None:
        actual = output_lines(stdout)
        if not output_matches(spec.output, actual):
            problems.append(
                (
                    BLOCK_FAILED,
                    spec.output_line,
                    f"wrong output (the `output` block at line {spec.output_line}):\n"
                    f"{output_diff(spec.output, actual)}",
                )
            )
    return problems


def run_blocks(
    session: PageSession, specs: list[BlockSpec], on_outcome=lambda outcome: None
) -> list[BlockOutcome]:
    """Run ``specs`` in order in ``session``; ``on_outcome`` hears each outcome as soon as it is known."""
    outcomes = []
    for spec in specs:
        outcome = session.run(spec)
        on_outcome(outcome)
        outcomes.append(outcome)
    return outcomes


# -- worker -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """The worker's request: the page's file (for tracebacks), its working directory and its blocks."""

    filename: str
    workdir: str
    blocks: tuple[BlockSpec, ...]
    # A migrated, empty MLflow tracking DB of this interpreter's MLflow version (None: none at hand).
    store_template: str | None = None
    # The socket of the harness's relay for MLflow's requirement inference (None: MLflow runs it itself).
    capture_relay: str | None = None


STORE_MODULE = "mlflow.store.db.utils"  # where MLflow creates a new store's tables (_initialize_tables)


def use_store_template(template: str) -> None:
    """Have MLflow create a new, empty SQLite store by copying ``template`` (that MLflow version's own
    migrated schema) instead of running every migration, seconds per page. The store still appears
    when and where MLflow creates it; MLflow then adds its Default experiment itself, as always."""

    def patch(module: types.ModuleType) -> None:
        original = getattr(module, "_initialize_tables", None)
        if original is None or getattr(original, "from_template", False):
            return  # another MLflow layout: it migrates as usual

        def initialize_tables(engine):
            path = engine.url.database if engine.dialect.name == "sqlite" else None
            if not path or path == ":memory:" or not _copy_schema(template, path):
                original(engine)

        initialize_tables.from_template = True  # type: ignore[attr-defined]
        module._initialize_tables = initialize_tables

    _when_imported(STORE_MODULE, patch)


INFERENCE_MODULE = "mlflow.utils.requirements_utils"  # where MLflow runs its inference script (_run_command)
INFERENCE_SCRIPT = "_capture_modules.py"


def use_capture_relay(address: str) -> None:
    """Have MLflow's pip-requirement inference, a fresh ``python .../_capture_modules.py ARGS`` per model
    logged, run as a fork of the harness's capture launcher (``address``: its relay's socket), a process
    that made that script's own imports already: the same script, arguments, directory and environment,
    about 1.5 s of CPU less per model. Only a clean exit is taken from it: anything else (another command,
    a failure, a timeout, no answer) runs as MLflow runs it, so its errors are MLflow's own."""

    def patch(module: types.ModuleType) -> None:
        original = getattr(module, "_run_command", None)
        if original is None or getattr(original, "relayed", False):
            return  # another MLflow layout: it runs the script itself

        def run_command(cmd, timeout_seconds, env=None):
            if not _relayed(address, cmd, timeout_seconds, env):
                return original(cmd, timeout_seconds, env=env)
            return None

        run_command.relayed = True  # type: ignore[attr-defined]
        module._run_command = run_command

    _when_imported(INFERENCE_MODULE, patch)


def _relayed(address: str, cmd, timeout: float, env) -> bool:
    """True when the relay ran ``cmd`` (MLflow's inference script) and it exited 0."""
    import json
    import socket

    command = [str(part) for part in cmd]
    if len(command) < 2 or os.path.basename(command[1]) != INFERENCE_SCRIPT:
        return False
    request = {"command": command, "env": dict(os.environ if env is None else env), "cwd": os.getcwd()}
    request["timeout"] = float(timeout)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(float(timeout) + 30.0)
            connection.connect(address)
            connection.sendall(json.dumps(request).encode("utf-8") + b"\n")
            with connection.makefile("rb") as answers:
                answer = json.loads(answers.readline() or b"{}")
    except (OSError, ValueError):
        return False
    return answer.get("returncode") == 0


def _copy_schema(template: str, path: str) -> bool:
    """Copy ``template`` into the empty SQLite file ``path``, without its experiments; False if not done."""
    import sqlite3

    if not os.path.isfile(template):
        return False
    with contextlib.closing(sqlite3.connect(path)) as target:
        if target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False  # not a new store: MLflow knows what to do with it
        with contextlib.closing(sqlite3.connect(template)) as source:
            source.backup(target)
        with target:
            target.execute("DELETE FROM experiments")
    return True


def _when_imported(name: str, then) -> None:
    """Call ``then(module)`` on module ``name``: now when it is imported already (a fork server's
    preloading), else once it has been executed."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        then(loaded)
    else:
        sys.meta_path.insert(0, _AfterImport(name, then))


class _AfterImport:
    """A meta path finder that calls ``then(module)`` once module ``name`` has been executed."""

    def __init__(self, name: str, then) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != self.name:
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            execute(module)
            self.then(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def handle(request: dict) -> Iterator[BlockOutcome]:
    """The worker protocol's entry (``base/worker_entry.py``): run the page, one outcome per block.

    Each outcome is written as soon as its block ends: a page that hangs still reports the blocks before.
    """
    session = PageSession(request["filename"], request["workdir"])
    if request.get("store_template"):
        use_store_template(request["store_template"])
    if request.get("capture_relay"):
        use_capture_relay(request["capture_relay"])
    for block in request["blocks"]:
        yield session.run(BlockSpec.from_dict(block))
