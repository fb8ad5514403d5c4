"""Console scripts of one side, probed in its own interpreter (standard library only: the side's venv
has no harness). Run through ``base/worker_entry.py`` (``handle``), sandboxed by ``diff/package_probe.py``.

For each console script (``name = module:attr``): its command tree, read from the objects themselves
(a click command / typer app described directly; an argparse CLI by running the script with ``--help``
and capturing the parser at ``parse_known_args`` before it parses), the exit status of ``--help`` for
the script and each subcommand, and of runs without arguments of each subcommand that needs none and
whose name does not say it acts (deletes, serves, ...). Each run is a forked child of this process (the
entry module is imported once), with stdin closed, output captured, outbound network refused and a time
limit; each is run twice (a difference between them marks it nondeterministic). Also, on request: the
installed distribution's metadata text, and which distributions provide given top-level modules.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import importlib
import importlib.metadata
import json
import os
import re
import runpy
import signal
import socket
import sys
import tempfile
import time
import traceback

_LOOPBACK = ("127.", "::1", "localhost", "0.0.0.0")
RUN_TIMEOUT_S = 10.0
ZERO_TIMEOUT_S = 5.0
BUDGET_S = 60.0
MAX_HELP = 40
MAX_ZERO = 20
PARALLEL = 3
OUTPUT_CHARS = 300


def refuse_network() -> None:
    """Refuse outbound connections except to the loopback interface (children inherit it)."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(address):
        host = address[0] if isinstance(address, tuple) and address else str(address)
        if not str(host).startswith(_LOOPBACK):
            raise ConnectionRefusedError(f"the CLI probe's sandbox refuses connections to {host}")

    def guarded_connect(sock, address):
        check(address)
        return connect(sock, address)

    def guarded_connect_ex(sock, address):
        check(address)
        return connect_ex(sock, address)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex


def resolve_entry(entry: str):
    """The object an entry point (``module:attr.sub [extra]``) names; for ``-m pkg.mod`` (a module run
    as ``python -m``), a function running it as ``__main__`` (its package imported first)."""
    if entry.startswith("-m "):
        module = entry[3:].strip()
        importlib.import_module(module)

        def run_module():
            runpy.run_module(module, run_name="__main__", alter_sys=True)

        return run_module
    target = entry.split("[", 1)[0].strip()
    module_name, _, attrs = target.partition(":")
    value = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        value = getattr(value, attr)
    return value


def value_repr(value) -> str | None:
    """A stable text of a default (None for objects whose repr is an address)."""
    if isinstance(value, (int, float, str, bytes, bool, type(None), tuple, frozenset, list)):
        return repr(value)
    text = repr(value)
    return None if " at 0x" in text else text


# --- click / typer -------------------------------------------------------------------------------


def as_click_command(value):
    """``value`` as a click command (a typer app through typer's own conversion), else None."""
    if type(value).__name__ == "Typer" and type(value).__module__.startswith("typer"):
        try:
            return importlib.import_module("typer.main").get_command(value)
        except Exception:
            return None
    if all(hasattr(value, name) for name in ("params", "make_context", "invoke", "name")):
        return value
    return None


def _click_param(param) -> dict:
    default = getattr(param, "default", None)
    return {
        "name": getattr(param, "name", None),
        "kind": type(param).__name__.lower(),
        "opts": sorted(getattr(param, "opts", []) or []) + sorted(getattr(param, "secondary_opts", []) or []),
        "required": bool(getattr(param, "required", False)),
        "default": None if callable(default) else value_repr(default),
        "flag": bool(getattr(param, "is_flag", False)),
    }


def describe_click(command, prefix: str) -> dict:
    """Every command of a click tree: its parameters, by command path (``tool sub``)."""
    found = {prefix: {"params": [_click_param(p) for p in getattr(command, "params", [])]}}
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        found.update(describe_click(sub, f"{prefix} {name}"))
    return found


# --- argparse ------------------------------------------------------------------------------------


def _argparse_param(action) -> dict:
    positional = not action.option_strings
    default = action.default
    return {
        "name": action.dest,
        "kind": "argument" if positional else "option",
        "opts": sorted(action.option_strings),
        "required": bool(action.required)
        if not positional
        else action.nargs not in ("?", "*", argparse.REMAINDER),
        "default": None if default is argparse.SUPPRESS or callable(default) else value_repr(default),
        "flag": action.nargs == 0,
        # What the option does (store, store_true, count, version, ...): defaults of different kinds
        # of action do not compare (a store_true --version's False against a version action's None).
        "action": type(action).__name__.strip("_").removesuffix("Action").lower(),
    }


# A script's own help flag (tox 3 declares --help as a plain flag): never part of the compared surface.
_HELP_FLAGS = frozenset({"-h", "--help"})


def describe_argparse(parser, prefix: str) -> dict:
    """Every command of an argparse parser (subparsers included): its parameters, by command path.

    An alias (``c`` for ``config``: the same parser under another name) is listed with its parameters
    and ``same_as`` naming the longest name of that parser: removing it breaks command lines, but it
    is run and compared once, under that name. A subparsers action with a default names it in
    ``default_command``.
    """
    params, found, entry = [], {}, {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or (
            action.nargs == 0 and action.option_strings and set(action.option_strings) <= _HELP_FLAGS
        ):
            continue
        if isinstance(action, argparse._SubParsersAction):
            if action.default in action.choices:
                # A default command (tox 4 runs ``legacy`` when none is named): its options and
                # arguments are accepted without naming it.
                entry["default_command"] = f"{prefix} {action.default}"
            names: dict[int, list[str]] = {}
            for name, sub in action.choices.items():
                names.setdefault(id(sub), []).append(name)
            for name, sub in sorted(action.choices.items()):
                primary = max(names[id(sub)], key=lambda n: (len(n), n))
                described = describe_argparse(sub, f"{prefix} {name}")
                if name != primary:
                    described = {
                        f"{prefix} {name}": {
                            **described[f"{prefix} {name}"],
                            "same_as": f"{prefix} {primary}",
                        }
                    }
                found.update(described)
            continue
        params.append(_argparse_param(action))
    return {prefix: {"params": params, **entry}, **found}


class _Captured(BaseException):
    """Raised in place of parsing: the parser (or click command) the script built."""


def _capture_tree(name: str, target) -> dict | None:
    """Run ``target`` with ``--help`` until it parses: the tree of the argparse parser or click command
    it built, and which (``{"tree", "kind"}``), or None."""
    seen: dict = {}
    original = argparse.ArgumentParser.parse_known_args

    def parse_known_args(parser, *args, **kwargs):
        # A parser without --help is a preliminary one (flake8 reads --config first): let it parse and
        # wait for the parser that answers --help, the one users see.
        seen["last"] = describe_argparse(parser, name)
        if not any(isinstance(a, argparse._HelpAction) for a in parser._actions):
            return original(parser, *args, **kwargs)
        seen.setdefault("tree", seen["last"])
        seen.setdefault("kind", "argparse")
        raise _Captured()

    argparse.ArgumentParser.parse_known_args = parse_known_args
    if "click" in sys.modules:
        core = sys.modules.get("click.core")
        for class_name in ("BaseCommand", "Command"):
            cls = getattr(core, class_name, None)
            if cls is not None and "main" in cls.__dict__:

                def main(command, *args, **kwargs):
                    seen.setdefault("tree", describe_click(command, name))
                    seen.setdefault("kind", "click")
                    raise _Captured()

                cls.main = main
    sys.argv = [name, "--help"]
    status = 1
    try:
        status = _exit_status(target())
    except _Captured:
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:
        status = 1
    if "tree" in seen:
        return {"tree": seen["tree"], "kind": seen["kind"], "complete": True}
    if "last" in seen:
        # No parser answered --help: the last one parsed is the whole surface only when the script then
        # printed its help and exited 0 (tox 3 declares its own --help flag); after a failure it may be
        # a preliminary parser only (flake8 5 crashing on plugins of another version).
        return {"tree": seen["last"], "kind": "argparse", "complete": status == 0}
    return None


# --- runs ----------------------------------------------------------------------------------------


def _exit_status(code) -> int:
    """The process exit status ``sys.exit(code)`` gives."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _child(target, argv: list[str], out_fd: int, action: str, result_path: str) -> None:
    """In the forked child: run, report, leave without running the parent's exit handlers."""
    status = 1
    try:
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - the child leaves through os._exit
        if action == "describe":
            tree = _capture_tree(argv[0], target)
            with open(result_path, "w", encoding="utf-8") as handle:
                json.dump(tree, handle)
            status = 0
        else:
            sys.argv = list(argv)
            try:
                status = _exit_status(target())
            except SystemExit as exc:
                status = _exit_status(exc.code)
            except BaseException:
                traceback.print_exc()
                status = 1
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


class _Run:
    """One forked child running the script: its pid, output file, result file and start time."""

    def __init__(self, target, argv: list[str], action: str) -> None:
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        self.result = tempfile.NamedTemporaryFile(suffix=".json")  # noqa: SIM115 - closed by finish()
        self.action, self.started = action, time.monotonic()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            _child(target, argv, self.output.fileno(), action, self.result.name)

    def poll(self, timeout: float) -> dict | None:
        """The answer when the child ended (or was stopped at ``timeout``), else None."""
        done, raw = os.waitpid(self.pid, os.WNOHANG)
        if done:
            return self.finish(os.waitstatus_to_exitcode(raw))
        if time.monotonic() - self.started < timeout:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return self.finish(None)

    def finish(self, status: int | None) -> dict:
        self.output.seek(0)
        text = self.output.read().decode("utf-8", errors="replace").strip()
        answer: dict = {"exit": status, "output": text[-OUTPUT_CHARS:]}
        if self.action == "describe" and status == 0:
            with contextlib.suppress(ValueError, OSError), open(self.result.name, encoding="utf-8") as handle:
                answer["tree"] = json.load(handle)
        self.output.close()
        self.result.close()
        return answer


def run_batch(target, jobs: list[tuple[str, list[str]]], timeout: float, deadline: float) -> dict:
    """Run each ``(key, argv)`` in a forked child, ``PARALLEL`` at a time; answers by key (jobs not
    started before ``deadline`` are left out)."""
    answers: dict = {}
    pending, running = list(jobs), []
    while pending or running:
        while pending and len(running) < PARALLEL and time.monotonic() < deadline:
            key, argv = pending.pop(0)
            running.append((key, _Run(target, argv, "run")))
        if not running:
            break
        for item in list(running):
            answer = item[1].poll(timeout)
            if answer is not None:
                answers[item[0]] = answer
                running.remove(item)
        time.sleep(0.01)
    return answers


def run_forked(target, argv: list[str], timeout: float, action: str = "run") -> dict:
    """One run of ``target`` as ``argv`` in a forked child: exit status and the tail of its output."""
    run = _Run(target, argv, action)
    while True:
        answer = run.poll(timeout)
        if answer is not None:
            return answer
        time.sleep(0.01)


def _needs_nothing(params: list[dict]) -> bool:
    return not any(p.get("required") for p in params)


def command_argv(name: str, path: str) -> list[str]:
    """``sys.argv`` for the command at ``path`` of script ``name`` (``python -m x`` holds spaces)."""
    return [name, *path[len(name) :].split()]


def zero_argument_commands(tree: dict, acting: str, name: str = "") -> list[str]:
    """Subcommands that run without arguments and whose names do not say they act."""
    pattern = re.compile(acting, re.IGNORECASE) if acting else None
    found = []
    for command, described in sorted(tree.items()):
        words = command_argv(name, command)[1:] if name else command.split(" ")[1:]
        if not words or any(w.startswith("-") for w in words):
            continue
        if pattern is not None and any(pattern.search(w.replace("-", "_")) for w in words):
            continue
        if described.get("same_as"):
            continue  # run once, under its longest name
        groups = [c for c in tree if c.startswith(command + " ")]
        if groups or not _needs_nothing(described.get("params") or []):
            continue  # a group without a subcommand prints usage; one needing arguments fails by design
        found.append(command)
    return found[:MAX_ZERO]


def probe_script(name: str, entry: str, acting: str, timeout: float, deadline: float) -> dict:
    """The tree and exit statuses of one console script."""
    try:
        target = resolve_entry(entry)
    except BaseException as exc:
        return {"entry": entry, "error": f"{type(exc).__name__}: {exc}"[:OUTPUT_CHARS]}
    command = as_click_command(target)
    if command is not None:
        tree, how, complete = describe_click(command, name), "click", True
    else:
        described = run_forked(target, [name, "--help"], timeout, action="describe")
        captured = described.get("tree") or {}
        tree, how, complete = captured.get("tree"), captured.get("kind"), captured.get("complete", True)
    answer: dict = {"entry": entry, "error": None, "kind": how, "tree": tree, "help": {}, "zero": {}}
    # False: the tree may be a preliminary parser only (the script failed before its real one).
    answer["complete"] = complete
    distinct = sorted(path for path, d in (tree or {name: {}}).items() if not d.get("same_as"))[:MAX_HELP]
    # --help once per command, again only where it failed (a failure counts when it repeats);
    # argument-free runs twice, one round after the other.
    first = run_batch(target, [(p, [*command_argv(name, p), "--help"]) for p in distinct], timeout, deadline)
    again = run_batch(
        target,
        [(p, [*command_argv(name, p), "--help"]) for p, r in first.items() if r["exit"] != 0],
        timeout,
        deadline,
    )
    answer["help"] = {p: [r] + ([again[p]] if p in again else []) for p, r in sorted(first.items())}
    # A run stopped at the time limit (a command waiting for a server) is never compared: it is not
    # run again, and its limit is shorter than --help's.
    zero = zero_argument_commands(tree or {}, acting, name)
    once = run_batch(
        target, [(p, command_argv(name, p)) for p in zero], min(timeout, ZERO_TIMEOUT_S), deadline
    )
    finished = [p for p in zero if p in once and once[p]["exit"] is not None]
    twice = run_batch(
        target, [(p, command_argv(name, p)) for p in finished], min(timeout, ZERO_TIMEOUT_S), deadline
    )
    answer["zero"] = {p: [once[p]] + ([twice[p]] if p in twice else []) for p in zero if p in once}
    return answer


# --- metadata ------------------------------------------------------------------------------------


def _installed_metadata(package: str) -> dict | None:
    """METADATA and entry_points.txt of the installed distribution that ships ``package``."""
    metadata = importlib.metadata
    names = (getattr(metadata, "packages_distributions", dict)() or {}).get(package) or []
    for name in names:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        return {
            "name": name,
            "text": dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "",
            "entry_points": dist.read_text("entry_points.txt") or "",
        }
    return None


def _distributions(names: list[str]) -> dict[str, list[str]]:
    metadata = importlib.metadata
    mapping = getattr(metadata, "packages_distributions", dict)() or {}
    return {n: sorted(set(mapping[n])) for n in names if n in mapping}


def handle(request: dict) -> dict:
    """The worker protocol's entry: the answers to ``request``."""
    metadata = _installed_metadata(request["package"]) if request.get("metadata") else None
    scripts = dict(request.get("scripts") or {})
    if metadata is not None and not scripts:
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str
        with contextlib.suppress(configparser.Error):
            parser.read_string(metadata["entry_points"])
        if parser.has_section("console_scripts"):
            scripts = {k.strip(): v.strip() for k, v in parser.items("console_scripts")}
    scripts.update({f"python -m {m}": f"-m {m}" for m in request.get("main_modules") or []})
    answer: dict = {"metadata": metadata, "distributions": _distributions(list(request.get("names") or []))}
    refuse_network()
    timeout = float(request.get("timeout") or RUN_TIMEOUT_S)
    deadline = time.monotonic() + float(request.get("budget") or BUDGET_S)
    answer["scripts"] = {
        name: probe_script(name, entry, request.get("acting") or "", timeout, deadline)
        for name, entry in sorted(scripts.items())
        if hasattr(os, "fork")
    }
    return answer
