"""Answer questions about an installed SDK in its own interpreter (a worker: see ``base/worker_entry.py``).

Standard library only, like the introspection worker: it runs in the interpreter of one side of a
diff. Request (``diff.probe.ProbeRequest``)::

    {"values": [path, ...], "imports": [path, ...],
     "binds": [{"id", "path", "self": bool, "args": [placeholder, ...], "kwargs": [name, ...]}]}

Answer (``diff.probe.ProbeAnswer``): ``{"values": {path: repr}, "imports": {path: null | error},
"binds": {id: {"verdict": "works" | "fails" | "inconclusive", "reason": text}}}``.

Differential probes (``structure``, ``calls``; asked first, before anything else is imported):
``{"structure": {"package": name, "submodules": [name, ...]}}`` answers ``{"bound": {name: {"bound",
"declared"}}}``: which submodules ``import <package>`` alone makes reachable as attributes (module
``__getattr__`` answers too), and which the package binds on purpose.
``{"calls": [path | probe, ...]}`` calls each function or class (a path) with no arguments, or runs
each probe (``diff.probe.CallProbe``: a call with literal arguments, a method or property of a fresh
instance, a docstring example statement by statement), twice, and answers ``{"calls": {path | id:
[outcome, outcome]}}``: returned (type, shape) or raised (exception class and its MRO), for an
example each statement's outcome (``steps``), environment variables and MLflow's tracking URI it
changed, outbound connections it attempted (refused unless loopback; host names are refused before
any DNS look-up). The harness runs this worker in a sandbox (fresh HOME, no HOKUSAI_*/MLFLOW_*
variables). ``{"cli": [path, ...]}`` answers ``{"cli": {path: {command path:
{"params": [{name, kind, opts, required, default, flag}]}}}}`` for the click commands and typer apps
among those paths (the CLI surface, introspected without running it).

Binding follows what Python really calls: a plain callable is bound with ``inspect.signature``; a
decorated one (``__wrapped__``) is called through its decorators with the innermost function's code
swapped for a stub that records the arguments it receives, so a decorator that maps an old keyword
to a new one is seen doing so. Nothing else of the SDK runs.
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import contextlib
import enum
import importlib
import inspect
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings

_SCALARS = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)
_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")
_STUB_NAME = "__hokusai_contracts_captured__"


class Captured(BaseException):
    """Raised by the stub in place of the innermost function: carries the arguments it got."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.call_args = args
        self.call_kwargs = kwargs


def resolve(path: str) -> object:
    """The object at dotted ``path``: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)  # module __getattr__ (lazy exports) answers here
        return target
    raise ModuleNotFoundError(f"no module {parts[0]!r}")


def value_repr(value: object) -> str | None:
    """``repr`` of a plain constant or enum member, without memory addresses; None for anything else.

    Sets are spelled with sorted items: their iteration order changes with the hash seed.
    """
    if not isinstance(value, (enum.Enum, *_SCALARS)):
        return None
    try:
        if isinstance(value, frozenset):
            return "frozenset({" + ", ".join(sorted(value_repr(v) or repr(v) for v in value)) + "})"
        if isinstance(value, tuple):
            items = [value_repr(v) or repr(v) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return _ADDRESS.sub("", repr(value))
    except Exception:
        return None


def placeholder(name: str) -> str:
    """The value passed for parameter ``name`` (the harness uses the same spelling)."""
    return f"<{name}>"


def landing(signature: inspect.Signature, args: tuple, kwargs: dict) -> dict[str, str]:
    """Where each placeholder value lands: value -> parameter name (``*name`` / ``**name`` for variadics)."""
    bound = signature.bind(*args, **kwargs)
    landed: dict[str, str] = {}
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            landed.update({v: f"*{name}" for v in value if isinstance(v, str)})
        elif kind is inspect.Parameter.VAR_KEYWORD:
            landed.update({v: f"**{name}" for v in value.values() if isinstance(v, str)})
        elif isinstance(value, str):
            landed[value] = name
    return landed


def judge(landed: dict[str, str], args: list[str], kwargs: list[str]) -> tuple[str, str]:
    """``works`` when every positional value reached its namesake and every keyword arrived somewhere."""
    for value in args:
        name = value[1:-1]
        where = landed.get(value)
        if where is None:
            return "fails", f"positional argument for {name!r} is dropped"
        if not where.startswith("*") and where != name and not name.startswith(("self", "extra")):
            return "fails", f"positional argument for {name!r} lands in parameter {where!r}"
    for name in kwargs:
        if placeholder(name) not in landed:
            return "fails", f"keyword argument {name!r} is dropped"
    moved = [f"{k}= -> {landed[placeholder(k)]}" for k in kwargs if landed[placeholder(k)].lstrip("*") != k]
    return "works", "binds" + (f" ({', '.join(moved)})" if moved else "")


def _stub_code(freevars: int):
    # The stub must have as many free variables as the code it replaces (its closure is kept).
    names = [f"cell{i}" for i in range(freevars)]
    source = "def outer():\n"
    source += "".join(f"    {n} = None\n" for n in names)
    source += "    def stub(*args, **kwargs):\n"
    source += "".join(f"        {n}\n" for n in names)
    source += f"        raise {_STUB_NAME}(args, kwargs)\n    return stub\n"
    scope: dict = {}
    exec(source, scope)
    return scope["outer"]().__code__


def dry_run(outer: object, inner: object, args: tuple, kwargs: dict) -> tuple[tuple, dict] | str:
    """Call ``outer`` with ``inner``'s code replaced by a recorder: the arguments ``inner`` would get,
    or the reason the decorators rejected the call."""
    original = inner.__code__
    inner.__code__ = _stub_code(len(original.co_freevars))
    setattr(builtins, _STUB_NAME, Captured)
    try:
        result = outer(*args, **kwargs)
        if inspect.iscoroutine(result):
            result.send(None)
        return "the decorators returned without calling the function"
    except Captured as captured:
        return captured.call_args, captured.call_kwargs
    except TypeError as exc:
        return f"TypeError: {exc}"
    except Exception as exc:
        return f"inconclusive: the decorators raised {type(exc).__name__}: {exc}"
    finally:
        inner.__code__ = original
        delattr(builtins, _STUB_NAME)


def witness_bind(request: dict) -> dict:
    """Does the old-style call in ``request`` still work against the object now at its path?"""
    args = list(request.get("args") or [])
    kwargs_names = list(request.get("kwargs") or [])
    kwargs = {name: placeholder(name) for name in kwargs_names}
    try:
        target = resolve(request["path"])
    except Exception as exc:
        return {"verdict": "fails", "reason": f"{request['path']} does not resolve: {type(exc).__name__}"}
    callee = target
    if inspect.isclass(target):
        init = target.__dict__.get("__init__")
        if init is not None and inspect.unwrap(init) is not init:
            callee, args = init, [placeholder("self"), *args]
    elif request.get("self"):
        args = [placeholder("self"), *args]
    inner = inspect.unwrap(callee) if callable(callee) else callee
    try:
        if inner is not callee and inspect.isfunction(inner):
            ran = dry_run(callee, inner, tuple(args), kwargs)
            if isinstance(ran, str):
                verdict = "inconclusive" if ran.startswith("inconclusive") else "fails"
                return {"verdict": verdict, "reason": ran}
            landed = landing(inspect.signature(inner), *ran)
            verdict, reason = judge(landed, args, kwargs_names)
            return {"verdict": verdict, "reason": reason + " through the decorators"}
        landed = landing(inspect.signature(callee), tuple(args), kwargs)
    except TypeError as exc:
        return {"verdict": "fails", "reason": f"TypeError: {exc}"}
    except ValueError as exc:
        return {"verdict": "inconclusive", "reason": f"no signature: {exc}"}
    verdict, reason = judge(landed, args, kwargs_names)
    return {"verdict": verdict, "reason": reason}


CALL_TIMEOUT_S = 5
# Calls with arguments and docstring examples (each run): quick by nature; a slow one is left out.
ARGUMENT_TIMEOUT_S = 1.0
EXAMPLE_TIMEOUT_S = 2.0
CALLS_BUDGET_S = 10.0
_LOOPBACK = ("127.", "::1", "localhost", "0.0.0.0")


def declared_submodules(module: object) -> set[str]:
    """Submodule names a package binds on purpose: listed in ``__all__`` or imported as modules by its
    ``__init__`` (``from . import sub``, ``from pkg import sub``, ``import pkg.sub``). A submodule bound
    only as a side effect of ``from pkg.sub import name`` is no promise of the package."""
    names = {str(n) for n in getattr(module, "__all__", None) or ()}
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return names
    package = module.__name__
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            (node.level == 1 and not node.module) or node.module == package
        ):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + ".") and alias.asname is None:
                    names.add(alias.name[len(package) + 1 :].split(".")[0])
    return names


def bound_submodules(package: str, submodules: list[str]) -> dict[str, dict[str, bool]]:
    """For each submodule: is it reachable as an attribute right after ``import <package>``, and does
    the package declare it (see :func:`declared_submodules`)?"""
    try:
        root = importlib.import_module(package)
    except Exception:
        return {}
    declared = declared_submodules(root)
    answers: dict[str, dict[str, bool]] = {}
    for name in submodules:
        target: object = root
        try:
            for part in name.split(".")[1:]:
                target = getattr(target, part)
            bound = inspect.ismodule(target)
        except Exception:
            bound = False
        answers[name] = {"bound": bound, "declared": name.split(".")[1] in declared}
    return answers


class _Network:
    """Records outbound connection attempts; refuses those not to the loopback interface."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._connect = socket.socket.connect
        self._connect_ex = socket.socket.connect_ex
        self._getaddrinfo = socket.getaddrinfo

    def _check(self, address: object) -> None:
        host = address[0] if isinstance(address, tuple) and address else str(address)
        if not str(host).startswith(_LOOPBACK):
            self.attempts.append(
                f"{host}:{address[1]}" if isinstance(address, tuple) and len(address) > 1 else str(host)
            )
            raise ConnectionRefusedError(f"the diff probe's sandbox refuses connections to {host}")

    def install(self) -> None:
        network = self

        def connect(sock, address):
            network._check(address)
            return network._connect(sock, address)

        def connect_ex(sock, address):
            network._check(address)
            return network._connect_ex(sock, address)

        def getaddrinfo(host, port, *args, **kwargs):
            # A name is refused before it is looked up: no DNS query leaves the sandbox, and the
            # attempt is recorded by name (an address a resolver picks may differ between runs).
            if host not in (None, "") and not isinstance(host, bytes):
                network._check((str(host), port))
            return network._getaddrinfo(host, port, *args, **kwargs)

        socket.socket.connect = connect
        socket.socket.connect_ex = connect_ex
        socket.getaddrinfo = getaddrinfo


def shape(value: object) -> str:
    """A coarse shape of a returned value: what code using it relies on."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, complex)):
        return "number"
    if isinstance(value, (str, bytes)):
        return "text"
    if isinstance(value, collections.abc.Mapping):
        return "mapping"
    if isinstance(value, collections.abc.Sequence):
        return "sequence"
    if isinstance(value, collections.abc.Set):
        return "set"
    if isinstance(value, (collections.abc.Iterator, collections.abc.Generator)):
        return "iterator"
    return "object"


def _tracking_uri() -> str | None:
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return None
    try:
        return str(mlflow.get_tracking_uri())
    except Exception:
        return None


class _Timeout(BaseException):
    pass


# Longest a time limit waits for an import in progress to finish (then it strikes anyway).
IMPORT_GRACE_S = 2.0
_IMPORT_POLL_S = 0.1


def _importing() -> bool:
    # A module lock exists while some module is being loaded (CPython's importlib; False elsewhere).
    bootstrap = sys.modules.get("importlib._bootstrap")
    return bool(getattr(bootstrap, "_module_locks", None))


class _Alarm:
    """The time-limit handler: it never interrupts an import (that would leave half-initialised modules
    behind, and every later call would fail with ImportError on this side only). It waits for the
    import to finish (up to ``IMPORT_GRACE_S``), then gives the call its time limit once more: what a
    package loads lazily on first use is not held against the call."""

    seconds = 0.0
    deferred = 0.0
    extended = False

    @classmethod
    def arm(cls, seconds: float) -> None:
        cls.seconds, cls.deferred, cls.extended = seconds, 0.0, False
        signal.setitimer(signal.ITIMER_REAL, seconds)

    @classmethod
    def handle(cls, signum, frame):
        if _importing() and cls.deferred < IMPORT_GRACE_S:
            cls.deferred += _IMPORT_POLL_S
            signal.setitimer(signal.ITIMER_REAL, _IMPORT_POLL_S)
            return
        if cls.deferred and not cls.extended and not _importing():
            cls.extended = True
            signal.setitimer(signal.ITIMER_REAL, cls.seconds)
            return
        raise _Timeout()


def raised(exc: BaseException) -> dict:
    """A raised outcome: the exception's class, its MRO (``except Old`` holds for subclasses), message."""
    mro = [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__]
    return {"outcome": "raised", "type": mro[0], "mro": mro, "message": str(exc)[:300]}


def returned(value: object) -> dict:
    """A returned outcome: the value's type name and coarse shape."""
    return {"outcome": "returned", "type": type(value).__name__, "shape": shape(value)}


def attempt(thunk) -> dict:
    """Run ``thunk``: returned or raised (``SystemExit`` too: a probed call must not end the worker)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = thunk()
    except (_Timeout, KeyboardInterrupt):
        raise
    except BaseException as exc:
        return raised(exc)
    return returned(value)


# Ways to start another program: refused while a probe runs (an editor, a pager, a browser, a shell).
_PROCESS_STARTERS = (
    "system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp",
    "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
    "spawnl", "spawnle", "spawnlp", "spawnlpe",
)  # fmt: skip


def _refuse_process(*args, **kwargs):
    raise PermissionError("the diff probe's sandbox refuses to start processes")


@contextlib.contextmanager
def no_terminal_nor_processes():
    """While a probe runs: standard input is empty (a prompt gets end-of-file at once instead of
    waiting, and never reads the worker's own input) and starting a process is refused."""
    saved_stdin = sys.stdin
    saved = {name: getattr(os, name) for name in _PROCESS_STARTERS if hasattr(os, name)}
    saved_child = subprocess.Popen._execute_child
    with open(os.devnull, encoding="utf-8") as empty:
        sys.stdin = empty
        for name in saved:
            setattr(os, name, _refuse_process)
        subprocess.Popen._execute_child = _refuse_process
        try:
            yield
        finally:
            sys.stdin = saved_stdin
            for name, function in saved.items():
                setattr(os, name, function)
            subprocess.Popen._execute_child = saved_child


def watch(action, network: _Network, seconds: float) -> dict:
    """``action()``'s outcome under a time limit, with what it changed: environment variables (put
    back), MLflow's tracking URI (put back), outbound connections attempted."""
    environ, uri = dict(os.environ), _tracking_uri()
    network.attempts = []
    outcome: dict = {}
    previous = signal.signal(signal.SIGALRM, _Alarm.handle) if hasattr(signal, "SIGALRM") else None
    if previous is not None:
        _Alarm.arm(seconds)
    try:
        with no_terminal_nor_processes():
            outcome = action()
    except _Timeout:
        outcome = {"outcome": "timeout"}
    finally:
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    changed = sorted(k for k in set(environ) | set(os.environ) if environ.get(k) != os.environ.get(k))
    os.environ.clear()
    os.environ.update(environ)
    after = _tracking_uri()
    outcome["env_changed"] = changed
    outcome["tracking_uri_changed"] = bool(after is not None and uri is not None and after != uri)
    if outcome["tracking_uri_changed"]:
        with contextlib.suppress(Exception):
            sys.modules["mlflow"].set_tracking_uri(uri)
    outcome["network"] = sorted(set(network.attempts))
    return outcome


def call_once(path: str, network: _Network) -> dict:
    """Call the object at ``path`` with no arguments; what happened, and what it changed."""
    return watch(lambda: _call_path(path), network, CALL_TIMEOUT_S)


def _call_path(path: str) -> dict:
    # A path that no longer resolves is a removal (the structural rules' finding), not an outcome.
    try:
        target = resolve(path)
    except Exception as exc:
        return {"outcome": "unavailable", "reason": f"{path} does not resolve: {type(exc).__name__}"}
    return attempt(target)


def _literals(sources: list[str]) -> list:
    return [ast.literal_eval(source) for source in sources]


def run_call(probe: dict) -> dict:
    """A call with arguments (``diff.probe.CallProbe``), on a fresh instance for a method; the
    instance's constructor call is recorded as ``receiver`` (``unavailable`` when none constructs)."""
    args = _literals(probe.get("args") or [])
    receiver = probe.get("receiver")
    if not receiver:
        try:
            target = resolve(probe["target"])
        except Exception as exc:
            return {
                "outcome": "unavailable",
                "reason": f"{probe['target']} does not resolve: {type(exc).__name__}",
            }
        return attempt(lambda: target(*args)) if binds(target, args) else {"outcome": "unbound"}
    try:
        cls = resolve(receiver)
    except Exception as exc:
        return {"outcome": "unavailable", "reason": f"{receiver} does not resolve: {type(exc).__name__}"}
    instance, used = None, None
    for variant in probe.get("receiver_args") or [[]]:
        built: list = []
        if attempt(lambda v=variant, out=built: out.append(cls(*_literals(v))))["outcome"] == "returned":
            instance, used = built[0], variant
            break
    if used is None:
        return {"outcome": "unavailable", "reason": f"no constructor call of {receiver} returned"}
    name = probe["target"].rsplit(".", 1)[-1]
    if probe.get("read"):
        outcome = attempt(lambda: getattr(instance, name))
    else:
        method = getattr(instance, name, None)
        outcome = attempt(lambda: method(*args)) if binds(method, args) else {"outcome": "unbound"}
    outcome["receiver"] = f"{receiver}({', '.join(used)})"
    return outcome


def binds(function: object, args: list) -> bool:
    """False when ``args`` no longer bind to ``function``'s signature: a signature change, which the
    static rules report; the probe compares what calls that still bind do."""
    if function is None:
        return False
    try:
        inspect.signature(function).bind(*args)
    except TypeError:
        return False
    except ValueError:
        return True  # no signature to read (a builtin): the call decides
    return True


def run_statement(source: str, namespace: dict) -> object:
    """Run one statement of an example in ``namespace``: an expression's value, else None."""
    try:
        code = compile(source, "<docstring example>", "eval")
    except SyntaxError:
        exec(compile(source, "<docstring example>", "exec"), namespace)
        return None
    return eval(code, namespace)


def run_example(probe: dict) -> dict:
    """A docstring example, statement by statement in a copy of its module's globals (doctest's rule),
    up to the first statement that raises: each statement's outcome in ``steps``."""
    namespace: dict = {}
    with contextlib.suppress(Exception):
        namespace = dict(vars(importlib.import_module(probe["namespace"])))
    # Examples often name the package itself without importing it (a doctest namespace provides it).
    top = probe["namespace"].split(".")[0]
    with contextlib.suppress(Exception):
        namespace.setdefault(top, importlib.import_module(top))
    namespace["__name__"] = "__hokusai_example__"
    steps = []
    for source in probe["example"]:
        step = attempt(lambda source=source: run_statement(source, namespace))
        steps.append({**step, "source": source})
        if step["outcome"] == "raised":
            break
    return {"outcome": "example", "steps": steps}


def probe_once(item: str | dict, network: _Network) -> dict:
    """One run of one probe: a path called with no arguments, a call with arguments, an example."""
    if isinstance(item, str):
        outcome = call_once(item, network)
    elif item.get("example"):
        outcome = watch(lambda: run_example(item), network, EXAMPLE_TIMEOUT_S)
    else:
        outcome = watch(lambda: run_call(item), network, ARGUMENT_TIMEOUT_S)
    return outcome


def probe_calls(items: list) -> dict[str, list[dict]]:
    """Each probe twice (a difference between the runs marks it nondeterministic), by path or id; the
    probes left when ``CALLS_BUDGET_S`` is spent, or after a time limit struck (the call was cut off
    mid-way: a half-migrated database, a half-written file; what ran next could fail on one side
    only), go unanswered (not compared)."""
    network = _Network()
    network.install()
    # MLflow's global tracking URI is watched when the package imported MLflow (importing it here for
    # every package would cost seconds per side); ``structure`` imported the package already.
    deadline = time.monotonic() + CALLS_BUDGET_S
    answers: dict[str, list[dict]] = {}
    for item in items:
        if time.monotonic() > deadline:
            break
        key = item if isinstance(item, str) else item["id"]
        runs = [probe_once(item, network)]
        if runs[0].get("outcome") != "timeout":
            runs.append(probe_once(item, network))
        if not isinstance(item, str):
            for run in runs:
                run.update(subject=item["subject"], guessed=bool(item.get("guessed")))
        answers[key] = runs
        if any(run.get("outcome") == "timeout" for run in runs):
            break  # the call was cut off mid-way: what runs next may see what it left half done
    return answers


def as_click_command(value: object) -> object | None:
    """``value`` as a click command (a typer app through typer's own conversion), else None."""
    if type(value).__name__ == "Typer" and type(value).__module__.startswith("typer"):
        try:
            return importlib.import_module("typer.main").get_command(value)
        except Exception:
            return None
    if all(hasattr(value, name) for name in ("params", "make_context", "invoke", "name")):
        return value
    return None


def _param(param: object) -> dict:
    default = getattr(param, "default", None)
    shown = None if callable(default) else value_repr(default)
    return {
        "name": getattr(param, "name", None),
        "kind": type(param).__name__.lower(),
        "opts": sorted(getattr(param, "opts", []) or []) + sorted(getattr(param, "secondary_opts", []) or []),
        "required": bool(getattr(param, "required", False)),
        "default": shown,
        "flag": bool(getattr(param, "is_flag", False)),
    }


def describe_cli(command: object, prefix: str) -> dict[str, dict]:
    """Every command of a click command tree: its parameters, by command path (``main sub``)."""
    found = {prefix: {"params": [_param(p) for p in getattr(command, "params", [])]}}
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        found.update(describe_cli(sub, f"{prefix} {name}"))
    return found


def probe_cli(paths: list[str]) -> dict[str, dict]:
    """Command trees of the click/typer commands among ``paths``, by path."""
    trees: dict[str, dict] = {}
    for path in paths:
        try:
            command = as_click_command(resolve(path))
        except Exception:
            continue
        if command is not None:
            with contextlib.suppress(Exception):
                trees[path] = describe_cli(command, path.rsplit(".", 1)[-1])
    return trees


def answer(request: dict) -> dict:
    """The answers to every question of ``request``."""
    structure = request.get("structure") or {}
    bound = bound_submodules(structure["package"], structure.get("submodules") or []) if structure else {}
    calls = probe_calls(list(request.get("calls") or []))
    cli = probe_cli(list(request.get("cli") or []))
    values: dict[str, str] = {}
    for path in request.get("values", []):
        try:
            text = value_repr(resolve(path))
        except Exception:
            continue
        if text is not None:
            values[path] = text
    imports: dict[str, str | None] = {}
    for path in request.get("imports", []):
        try:
            resolve(path)
            imports[path] = None
        except Exception as exc:
            imports[path] = f"{type(exc).__name__}: {exc}"
    binds = {item["id"]: witness_bind(item) for item in request.get("binds", [])}
    return {"values": values, "imports": imports, "binds": binds, "bound": bound, "calls": calls, "cli": cli}


def handle(request: dict) -> dict:
    """The worker protocol's entry (``base/worker_entry.py``): the answers to ``request``."""
    return answer(request)
