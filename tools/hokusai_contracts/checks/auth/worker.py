"""The auth scenario worker: runs in the interpreter under test and makes each scenario's SDK call there.

Standard library only (the target venv may hold nothing but ``hokusai`` and MLflow): the harness runs it
through ``base/worker_entry.py``, which loads it by path and writes each :class:`Reply` that
:func:`handle` yields as one JSON line. The harness keeps the servers, the recording proxy and the judge;
this side only sets the user's environment, calls the SDK and reports what the user would have seen.

Isolation: MLflow (slow to import, stateless until called) is imported once; every call then runs in a
fork of that process (a fresh interpreter where ``os.fork`` does not exist), which imports the SDK with
the scenario's environment already set. No state survives from one scenario to the next, and nothing
of the SDK is reset by hand.

Public API only: the SDK is touched through objects its API contract lists, each imported from the
home module the contract gives (``hokusai.core.registry.ModelRegistry``,
``hokusai.config.mlflow_auth.setup_mlflow_auth``, ``hokusai.tracking.experiments.ExperimentManager``: a
re-export such as ``hokusai.tracking.ExperimentManager`` is missing in older releases); resilience is set
through the ``HOKUSAI_RETRY_*`` / ``HOKUSAI_CIRCUIT_*`` variables and read back (or set, when the
variables are not honoured) through ``hokusai.resilience``; ``hokusai.testing.reset`` resets an SDK
already imported (:func:`sdk_state` in the harness's own tests), when the SDK has it. A scenario that
needs something this SDK lacks is answered ``unsupported`` with what is missing, never a crash.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import io
import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OBSERVED, UNSUPPORTED, ERROR = "observed", "unsupported", "error"
FORK, SPAWN = "fork", "spawn"
DEFAULT_CALL_TIMEOUT_S = 180.0
SDK = "hokusai"
PRELOAD = ("mlflow",)  # imported once before the forks: seconds a call no longer pays

# The SDK's documented resilience variables (README), by the field of the scenario's settings they set.
RESILIENCE_ENV = {
    "max_attempts": "HOKUSAI_RETRY_MAX_ATTEMPTS",
    "initial_delay": "HOKUSAI_RETRY_INITIAL_DELAY",
    "max_delay": "HOKUSAI_RETRY_MAX_DELAY",
    "failure_threshold": "HOKUSAI_CIRCUIT_FAILURE_THRESHOLD",
    "recovery_timeout": "HOKUSAI_CIRCUIT_RECOVERY_TIMEOUT",
    "request_timeout": "HOKUSAI_REQUEST_TIMEOUT",
}
# Variables that steer the SDK or MLflow's client: unset unless the scenario sets them. The harness's
# own (HOKUSAI_CONTRACTS_*: the run id its processes carry) stay.
_CLEARED_PREFIXES = ("MLFLOW_TRACKING_", "HOKUSAI_")
_KEPT_PREFIX = "HOKUSAI_CONTRACTS_"
_CLEARED_NAMES = ("MLFLOW_REGISTRY_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID")
# Loggers that may not propagate to the root logger; the collector listens to them directly.
_OWN_HANDLER_LOGGERS = ("mlflow", "hokusai", "urllib3")
_ATTRIBUTES = ("status_code", "error_code", "required_scope", "mlflow_registered", "retry_after")
TOKEN = "AUTH"


class Unsupported(Exception):
    """The SDK lacks something the scenario needs (the message says what)."""


# -- the protocol ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    """A deliberate regression for the harness's own tests: ``function(invoke, call, **arguments)``.

    ``file`` is loaded by path in the call's process; ``invoke`` makes the real call; the hook may wrap,
    alter or replace it.
    """

    file: str
    function: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One scenario's call, as the user makes it: environment, home, arguments and settings."""

    name: str
    operation: str
    workdir: str
    home: str
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    call_args: dict[str, Any] = field(default_factory=dict)
    unique: str = "auth-scenario"
    model_dir: str = "."
    resilience: dict[str, float] = field(default_factory=dict)  # RESILIENCE_ENV field -> value
    resilience_required: bool = False  # the outcome depends on these settings: unsupported if unsettable
    tracking_uri: str = ""
    circuit: str | None = None  # the expected breaker state: read it (and make a second call for "open")
    hook: Hook | None = None
    timeout_s: float = DEFAULT_CALL_TIMEOUT_S

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Call:
        """The call a request's JSON describes."""
        hook = data.get("hook")
        return cls(**{**data, "hook": Hook(**hook) if hook else None})


@dataclass(frozen=True)
class Request:
    """A batch of calls, run one after another; ``isolation`` is ``fork`` or ``spawn``."""

    calls: list[Call]
    isolation: str = FORK

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Request:
        """The request a JSON document describes."""
        return cls([Call.from_json(call) for call in data["calls"]], data.get("isolation", FORK))


@dataclass
class Seen:
    """What a call did, as the user would have seen it; every text is raw (it may hold a leaked secret)."""

    succeeded: bool = False
    exception_type: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    representation: str = ""
    traceback: str = ""
    result: Any = None  # JSON-safe: containers kept, anything else as its repr
    result_repr: str = ""
    circuit: str | None = None
    followup_exception: str | None = None
    followup_started: float | None = None  # time.time() when the second call began
    logs: str = ""
    output: str = ""
    warnings: str = ""
    duration_s: float = 0.0


@dataclass
class Reply:
    """The answer for one call: ``observed`` (with what was seen), ``unsupported`` or ``error`` (reason)."""

    name: str
    status: str
    reason: str = ""
    seen: Seen | None = None


# -- isolation and capture ---------------------------------------------------------------------------


@contextlib.contextmanager
def environment(home: Path, values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` without the SDK's variables, plus ``values``; ``HOME``/``HOKUSAI_HOME`` in ``home``."""
    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            cleared = name.startswith(_CLEARED_PREFIXES) and not name.startswith(_KEPT_PREFIX)
            if cleared or name in _CLEARED_NAMES:
                del os.environ[name]
        os.environ["HOME"] = str(home)
        os.environ["HOKUSAI_HOME"] = str(Path(home) / ".hokusai")
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a broken log call is itself worth seeing
            self.lines.append(f"<unformattable log record {record.msg!r}: {exc}>")


@dataclass
class Captured:
    """What a call printed, logged and warned (filled when the capture ends)."""

    logs: str = ""
    output: str = ""
    warnings: str = ""


@contextlib.contextmanager
def captured() -> Iterator[Captured]:
    """Collect logs (root logger at DEBUG, plus loggers that do not propagate), output and warnings."""
    result = Captured()
    collector = _Collector()
    root = logging.getLogger()
    saved_level = root.level
    own = [logging.getLogger(name) for name in _OWN_HANDLER_LOGGERS]
    own = [logger for logger in own if not logger.propagate]
    stream = io.StringIO()
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    for logger in own:
        logger.addHandler(collector)
    try:
        with (
            warnings.catch_warnings(record=True) as seen,
            contextlib.redirect_stdout(stream),
            contextlib.redirect_stderr(stream),
        ):
            warnings.simplefilter("always")
            try:
                yield result
            finally:
                result.warnings = "\n".join(f"{w.category.__name__}: {w.message}" for w in seen)
    finally:
        root.removeHandler(collector)
        root.setLevel(saved_level)
        for logger in own:
            logger.removeHandler(collector)
        result.logs = "\n".join(collector.lines)
        result.output = stream.getvalue()


# -- the SDK's public API ----------------------------------------------------------------------------


def public(module: str, name: str) -> Any:
    """``module.name`` of the SDK, or None when this SDK does not have it."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def settings_of(resilience: Any) -> dict[str, float]:
    """The resilience settings as field -> value (from a dataclass or a mapping)."""
    if dataclasses.is_dataclass(resilience):
        return dataclasses.asdict(resilience)
    return dict(resilience or {})


def resilience_environment(settings: Mapping[str, float]) -> dict[str, str]:
    """The ``HOKUSAI_RETRY_*`` / ``HOKUSAI_CIRCUIT_*`` variables that ask the SDK for ``settings``."""
    return {RESILIENCE_ENV[key]: _number(value) for key, value in settings.items() if key in RESILIENCE_ENV}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _in_force(config: Any) -> dict[str, float] | None:
    """The settings a ``hokusai.resilience.ResilienceConfig`` holds (None: not of that shape)."""
    try:
        return {
            "max_attempts": config.retry.max_attempts,
            "initial_delay": config.retry.initial_delay,
            "max_delay": config.retry.max_delay,
            "failure_threshold": config.failure_threshold,
            "recovery_timeout": config.recovery_timeout,
            "request_timeout": config.request_timeout,
        }
    except AttributeError:
        return None


def _differs(wanted: Mapping[str, float], config: Any) -> bool:
    held = _in_force(config)
    return held is None or any(float(held[key]) != float(value) for key, value in wanted.items())


def reset_sdk() -> None:
    """Forget the SDK's process-wide state: ``hokusai.testing.reset``, else the contracted resets it has."""
    reset = public("hokusai.testing", "reset")
    if callable(reset):
        reset()
        return
    pieces = (
        public("hokusai.config.mlflow_auth", "reset_mlflow_auth"),
        public("hokusai.resilience", "reset_circuit_breakers"),
    )
    for piece in pieces:
        if callable(piece):
            piece()


def _configure(settings: Mapping[str, float]) -> bool:
    """Set ``settings`` through ``hokusai.resilience.configure_resilience``; False when this SDK cannot."""
    configure = public("hokusai.resilience", "configure_resilience")
    policy = public("hokusai.resilience", "RetryPolicy")
    if not callable(configure) or policy is None:
        return False
    retry = {key: settings[key] for key in ("max_attempts", "initial_delay", "max_delay") if key in settings}
    if "max_attempts" in retry:
        retry["max_attempts"] = int(retry["max_attempts"])
    breaker = {key: settings[key] for key in ("recovery_timeout", "request_timeout") if key in settings}
    if "failure_threshold" in settings:
        breaker["failure_threshold"] = int(settings["failure_threshold"])
    try:
        configure(policy(**retry), **breaker)
    except (TypeError, ValueError):  # another SDK's signature: as good as not having it
        return False
    return True


@contextlib.contextmanager
def sdk_state(resilience: Any, required: bool = True) -> Iterator[None]:
    """The SDK with ``resilience``'s retry and breaker settings and nothing remembered; restored on exit.

    The settings go in as the SDK's environment variables; when ``hokusai.resilience`` does not show
    them in force they are set through its ``configure_resilience``. :class:`Unsupported` when neither
    works and ``required`` (the scenario's outcome depends on them). In a fresh process (the SDK not
    imported yet) there is nothing to reset or restore: the SDK reads the variables when it starts.
    """
    settings = settings_of(resilience)
    wanted = resilience_environment(settings)
    saved_env = {name: os.environ.get(name) for name in wanted}
    imported = SDK in sys.modules
    read = public("hokusai.resilience", "get_resilience_config") if imported else None
    saved = _in_force(read()) if callable(read) else None
    configured = False
    os.environ.update(wanted)
    try:
        if imported:
            reset_sdk()
        read = public("hokusai.resilience", "get_resilience_config")
        if not callable(read) or _differs(settings, read()):
            configured = _configure(settings)
            if required and (not callable(read) or _differs(settings, read())):
                raise Unsupported(
                    "retry and circuit-breaker settings (the HOKUSAI_RETRY_* / HOKUSAI_CIRCUIT_* variables "
                    "shown by hokusai.resilience.get_resilience_config, or "
                    "hokusai.resilience.configure_resilience)"
                )
        yield
    finally:
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if saved is not None and callable(read) and (configured or _differs(saved, read())):
            _configure(saved)


def breaker_reader(call: Call) -> Callable[[], str | None]:
    """How to read the circuit breaker's state after ``call`` (None: a local store, or not shown).

    :class:`Unsupported` when the scenario expects a state and this SDK cannot show it.
    """
    if not call.tracking_uri.startswith(("http://", "https://")):
        return lambda: None
    get_breaker = public("hokusai.resilience", "get_circuit_breaker")
    if not callable(get_breaker):
        if call.circuit is not None:
            raise Unsupported("reading the circuit breaker's state (hokusai.resilience.get_circuit_breaker)")
        return lambda: None

    def state() -> str:
        found = get_breaker(call.tracking_uri.rstrip("/")).state
        return str(getattr(found, "value", found))

    return state


# -- the operations a scenario can name ---------------------------------------------------------------
# The SDK is imported inside each operation: it must be imported after the scenario's environment is set.


def _registry(call: Call) -> Any:
    from hokusai.core.registry import ModelRegistry

    return ModelRegistry(**call.args)


def construct(call: Call) -> Any:
    """``ModelRegistry(**args)`` and nothing else (it must not need the network)."""
    return repr(_registry(call))


def register_tokenized_model(call: Call) -> Any:
    """Upload a tiny MLflow model folder and register it as a tokenized version of ``${UNIQUE}``."""
    arguments = {
        "model_name": call.unique,
        "token_id": TOKEN,
        "metric_name": "accuracy",
        "baseline_value": 0.9,
    }
    arguments.update(call.call_args)
    return _registry(call).register_tokenized_model(call.model_dir, **arguments)


def list_models_by_token(call: Call) -> Any:
    """A registry read: the versions linked to token ``AUTH``."""
    return _registry(call).list_models_by_token(call.call_args.get("token_id", TOKEN))


def get_tokenized_model(call: Call) -> Any:
    """A registry read of one model (``${UNIQUE}`` unless ``model_name`` is given)."""
    return _registry(call).get_tokenized_model(call.call_args.get("model_name", call.unique))


def setup_mlflow_auth(call: Call) -> Any:
    """``setup_mlflow_auth(validate=True, **args)``: check the credentials with one server call."""
    from hokusai.config.mlflow_auth import setup_mlflow_auth as setup

    return repr(setup(**{"validate": True, **call.args}))


def start_experiment(call: Call) -> Any:
    """Open a run in experiment ``${UNIQUE}`` (through a registry built from ``args``) and log a metric."""
    import mlflow

    from hokusai.tracking.experiments import ExperimentManager

    name = call.call_args.get("experiment_name", call.unique)
    manager = ExperimentManager(experiment_name=name, registry=_registry(call))
    with manager.start_experiment() as run:
        mlflow.log_metric("auth_check", 1.0)
        return run.info.run_id


OPERATIONS: dict[str, Callable[[Call], Any]] = {
    "registry.construct": construct,
    "registry.register_tokenized_model": register_tokenized_model,
    "registry.list_models_by_token": list_models_by_token,
    "registry.get_tokenized_model": get_tokenized_model,
    "setup_mlflow_auth": setup_mlflow_auth,
    "experiment.start": start_experiment,
}


# -- one call ---------------------------------------------------------------------------------------


def _hooked(call: Call) -> Callable[[], Any]:
    operation = OPERATIONS[call.operation]

    def invoke() -> Any:
        return operation(call)

    if call.hook is None:
        return invoke
    spec = importlib.util.spec_from_file_location("hokusai_contracts_auth_hook", call.hook.file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the hook file {call.hook.file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, call.hook.function)
    return lambda: function(invoke, call, **call.hook.arguments)


def _attempt(invoke: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return invoke(), None
    except Exception as exc:
        return None, exc


def _safe(render: Callable[[Any], str], value: Any) -> str:
    try:
        return render(value)
    except Exception as exc:  # a broken __str__ is an SDK bug the report should show, not a crash
        return f"<{render.__name__}() raised {type(exc).__name__}>"


def jsonable(value: Any) -> Any:
    """``value`` with containers kept and anything JSON cannot hold as its repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return _safe(repr, value)


def _outcome(seen: Seen, result: Any, error: BaseException | None) -> None:
    if error is None:
        seen.succeeded, seen.result, seen.result_repr = True, jsonable(result), _safe(repr, result)
        return
    seen.exception_type = type(error).__name__
    seen.attributes = {name: jsonable(getattr(error, name)) for name in _ATTRIBUTES if hasattr(error, name)}
    seen.text, seen.representation = _safe(str, error), _safe(repr, error)
    seen.traceback = "".join(traceback.format_exception(type(error), error, error.__traceback__))


def observe(call: Call) -> Seen:
    """Make the call (and, for ``circuit: open``, a second one) as the user would; what they saw.

    :class:`Unsupported` when the SDK lacks what the scenario needs.
    """
    seen = Seen()
    os.chdir(call.workdir)
    with (
        environment(Path(call.home), call.env),
        captured() as capture,
        sdk_state(call.resilience, call.resilience_required),
    ):
        read_breaker = breaker_reader(call)
        invoke = _hooked(call)
        started = time.monotonic()
        result, error = _attempt(invoke)
        seen.duration_s = time.monotonic() - started
        _outcome(seen, result, error)
        seen.circuit = read_breaker()
        if call.circuit == "open":
            seen.followup_started = time.time()
            _, followup = _attempt(invoke)
            seen.followup_exception = type(followup).__name__ if followup else "none"
    seen.logs, seen.output, seen.warnings = capture.logs, capture.output, capture.warnings
    return seen


def answer(call: Call) -> Reply:
    """The reply for ``call`` made in this process; never raises."""
    try:
        return Reply(call.name, OBSERVED, seen=observe(call))
    except Unsupported as exc:
        return Reply(call.name, UNSUPPORTED, reason=str(exc))
    except BaseException as exc:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return Reply(call.name, ERROR, reason=f"the worker failed around the call: {exc!r}\n{details}")


# -- a fresh process per call ------------------------------------------------------------------------


def _read_until(descriptor: int, deadline: float) -> bytes | None:
    """Everything written to ``descriptor`` until its end (None: ``deadline`` passed first)."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([descriptor], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(descriptor, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _decode(call: Call, data: bytes | None, how_it_ended: str) -> Reply:
    if data is None:
        return Reply(call.name, ERROR, reason=f"the call did not finish within {call.timeout_s:.0f} s")
    try:
        reply = json.loads(data)
    except ValueError:
        return Reply(call.name, ERROR, reason=f"the call's process ended without an answer ({how_it_ended})")
    seen = reply.get("seen")
    return Reply(reply["name"], reply["status"], reply.get("reason", ""), Seen(**seen) if seen else None)


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


def forked(call: Call) -> Reply:
    """:func:`answer` in a fork of this process (the SDK not yet imported here)."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(readable)
            data = json.dumps(dataclasses.asdict(answer(call)), default=_safe_default).encode()
            with os.fdopen(writable, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            status = 70
        finally:
            os._exit(status)  # no atexit handlers, no flushing of buffers the parent still owns
    os.close(writable)
    try:
        data = _read_until(readable, time.monotonic() + call.timeout_s)
    finally:
        os.close(readable)
    if data is None:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return _decode(call, data, _exit_text(status))


def spawned(call: Call) -> Reply:
    """:func:`answer` in a new interpreter (this file run as a script)."""
    with tempfile.TemporaryDirectory(prefix="hokusai-auth-call-") as scratch:
        request, reply = Path(scratch) / "call.json", Path(scratch) / "reply.json"
        request.write_text(json.dumps(dataclasses.asdict(call)), encoding="utf-8")
        request.chmod(0o600)  # it holds the scenario's credentials
        try:
            done = subprocess.run(
                [sys.executable, os.path.abspath(__file__), str(request), str(reply)],
                capture_output=True, timeout=call.timeout_s, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return _decode(call, None, "")
        data = reply.read_bytes() if reply.exists() else b""
        return _decode(call, data, f"exit status {done.returncode}")


def _safe_default(value: Any) -> Any:
    return _safe(repr, value)


def handle(request: Mapping[str, Any]) -> Iterator[Reply]:
    """The worker protocol's entry: one :class:`Reply` per call of the request, in order."""
    batch = Request.from_json(request)
    if importlib.util.find_spec(SDK) is None:
        reason = (
            f"no module named {SDK!r} under {sys.executable} (Python {sys.version.split()[0]}): install "
            "the SDK into that environment or point --python at the environment that has it"
        )
        for call in batch.calls:
            yield Reply(call.name, ERROR, reason=reason)
        return
    for module in PRELOAD:
        with contextlib.suppress(Exception):  # only a head start: the call imports what it needs itself
            importlib.import_module(module)
    isolate = forked if batch.isolation == FORK and hasattr(os, "fork") else spawned
    for call in batch.calls:
        yield isolate(call)


def main(argv: list[str]) -> int:
    """``python worker.py CALL.json REPLY.json``: one call in this fresh interpreter (:func:`spawned`)."""
    here = os.path.dirname(os.path.abspath(__file__))
    # Nothing beside this file (the harness's own modules) may shadow the SDK's imports.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    call_path, reply_path = argv
    call = Call.from_json(json.loads(Path(call_path).read_text(encoding="utf-8")))
    reply = answer(call)
    Path(reply_path).write_text(
        json.dumps(dataclasses.asdict(reply), default=_safe_default), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
