"""Differential probes: sandboxed calls (zero-argument, synthesised arguments, methods, docstring examples)
and submodule binding, read in a side's interpreter."""

from __future__ import annotations

import time
from pathlib import Path

from hokusai_contracts.contract.model import Parameter, ParameterKind
from hokusai_contracts.diff.call_synthesis import (
    MAX_PER_OBJECT,
    argument_sets,
    argument_values,
    call_probes,
    examples_in,
    guessed,
    package_sources,
    safe_example,
)
from hokusai_contracts.diff.probe import CallProbe, ProbeRequest, Structure, run_probe
from hokusai_contracts.diff.rules.bc023_call_outcome_changed import (
    differences,
    stable,
    synthesised_differences,
)
from hokusai_contracts.introspection import introspect

PACKAGE = '''
"""Probe target."""
import os
import socket

from probepkg import declared

__version__ = "1.0.0"


def secret():
    if os.environ.get("HOKUSAI_API_KEY") or os.environ.get("MLFLOW_TRACKING_URI"):
        raise RuntimeError("the sandbox let a HOKUSAI_/MLFLOW_ variable through")


def home():
    if "hokusai-probe-home-" not in os.environ["HOME"] or "hokusai-probe-home-" not in os.getcwd():
        raise RuntimeError("not in a fresh HOME and working directory")
    return (os.environ["HOME"], os.getcwd())


def remote():
    socket.create_connection(("203.0.113.7", 80), timeout=2)


def local():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()
    return "ok"


def mutate():
    os.environ["PROBEPKG_MODE"] = "fast"


def seed():
    if os.environ.get("PYTHONHASHSEED") != "0":
        raise RuntimeError("set order would differ between the sides' interpreters")
'''


def _package(root: Path) -> Path:
    package = root / "probepkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PACKAGE)
    (package / "declared.py").write_text('"""Bound on import."""\n')
    (package / "incidental.py").write_text('"""Not imported by the package."""\n')
    return root


def test_calls_run_sandboxed_and_record_what_they_did(tmp_path, monkeypatch):
    monkeypatch.setenv("HOKUSAI_API_KEY", "hk_live_secret_do_not_leak")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://prod.example:5000")
    root = _package(tmp_path / "side")
    calls = tuple(f"probepkg.{name}" for name in ("secret", "home", "remote", "local", "mutate", "seed"))
    request = ProbeRequest(
        structure=Structure("probepkg", ("probepkg.declared", "probepkg.incidental")), calls=calls
    )
    answer = run_probe(request, extra_paths=[str(root)])
    outcomes = {path.split(".")[1]: stable(runs) for path, runs in answer.calls.items()}
    assert outcomes["secret"]["outcome"] == "returned"  # the variables were removed
    assert outcomes["home"]["outcome"] == "returned" and outcomes["home"]["type"] == "tuple"
    assert outcomes["remote"]["outcome"] == "raised" and outcomes["remote"]["network"] == ["203.0.113.7:80"]
    assert outcomes["local"]["outcome"] == "returned" and outcomes["local"]["network"] == []
    assert outcomes["mutate"]["env_changed"] == ["PROBEPKG_MODE"]
    assert outcomes["seed"]["outcome"] == "returned"  # one hash seed for both sides
    assert answer.bound == {
        "probepkg.declared": {"bound": True, "declared": True},
        "probepkg.incidental": {"bound": False, "declared": False},
    }


def test_outcome_comparison():
    returned = {"outcome": "returned", "type": "dict", "shape": "mapping"}
    lookup = {"outcome": "raised", "type": "builtins.LookupError", "mro": ["builtins.LookupError"]}
    key_error = {
        "outcome": "raised",
        "type": "builtins.KeyError",
        "mro": ["builtins.KeyError", "builtins.LookupError"],
    }
    assert differences(returned, {**returned, "type": "OrderedDict"}) == []
    assert differences(returned, {"outcome": "returned", "type": "list", "shape": "sequence"}) == [
        "it returns a sequence instead of a mapping"
    ]
    assert differences(lookup, key_error) == []  # a subclass still satisfies `except LookupError`
    number, generator = {**returned, "shape": "number"}, {**returned, "shape": "iterator"}
    assert differences(number, {**returned, "shape": "bool"}) == []  # a bool is an int
    assert differences(generator, {**returned, "shape": "sequence"}) == []  # a list iterates alike
    assert differences({**returned, "shape": "sequence"}, generator) == [
        "it returns an iterator instead of a sequence"
    ]
    assert differences(key_error, lookup) == [
        "it raises builtins.LookupError, not a subclass of builtins.KeyError"
    ]
    assert differences(returned, {**returned, "network": ["203.0.113.7:80"]}) == [
        "it newly tries to connect to 203.0.113.7:80"
    ]
    assert stable([returned, {"outcome": "returned", "type": "list", "shape": "sequence"}]) is None


# -- calls with arguments, methods, docstring examples (diff/call_synthesis.py) ------------------------

ARGUMENT_PACKAGE = '''
"""Probe target with arguments.

>>> from argpkg import Box
>>> Box("a").size()
1
"""
import os

__version__ = "1.0.0"


class InvalidName(ValueError):
    """A name the package rejects."""


def check(name: str) -> str:
    """``name`` when it has no slash.

    ```python
    check("ok")
    check("a/b")
    ```
    """
    if "/" in name:
        raise InvalidName(name)
    return name


def spin(text: str):
    while True:
        pass


def lazy(name: str):
    from argpkg import slow  # loads for 1.5 s: longer than a call's time limit

    return slow.VALUE


def ask(question: str):
    return input(question)


def shell(command: str):
    import subprocess

    return subprocess.run(["echo", command], check=True)


def delete_everything(path: str):
    os.environ["ARGPKG_DELETED"] = path


class Box:
    """Holds a label."""

    def __init__(self, label: str = "x"):
        self.label = label

    @property
    def upper(self):
        return self.label.upper()

    def size(self):
        return len(self.label)

    def pick(self, key: str, count: int):
        return {key: count}

    def remove(self, key: str):
        os.environ["ARGPKG_REMOVED"] = key
'''


def _argument_package(root: Path) -> Path:
    package = root / "argpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(ARGUMENT_PACKAGE)
    (package / "slow.py").write_text("import time\n\ntime.sleep(1.5)\nVALUE = 1\n")
    return root


def test_argument_values_follow_simple_annotations_and_string_names():
    assert argument_values(Parameter("version", annotation="str"))[:2] == ("'x'", "''")
    assert "'invalid'" in argument_values(Parameter("version", annotation="str"))
    assert argument_values(Parameter("count", annotation="Optional[int]")) == ("1", "0", "-1", "None")
    assert argument_values(Parameter("flag", annotation="bool | None")) == ("True", "False", "None")
    assert argument_values(Parameter("item", annotation="Union[packaging.version.Version, str]"))[0] == "'x'"
    assert argument_values(Parameter("key", annotation="str | int"))[:4] == (
        "'x'",
        "1",
        "''",
        "0",
    )  # both kept
    assert argument_values(Parameter("model_uri")) == argument_values(Parameter("path"))  # a string by name
    assert argument_values(Parameter("model")) == ()  # unannotated, not named like a string
    assert guessed([Parameter("model_uri")]) and not guessed([Parameter("name", annotation="str")])
    assert argument_values(Parameter("frame", annotation="pandas.DataFrame")) == ()
    assert argument_values(Parameter("x", annotation="Optional[pandas.DataFrame]")) == ()


def test_argument_sets_are_bounded_and_vary_one_parameter_at_a_time():
    params = [Parameter("name", annotation="str"), Parameter("count", annotation="int")]
    sets = argument_sets(params)
    assert sets[0] == ("'x'", "1") and len(sets) == MAX_PER_OBJECT == len(set(sets))
    assert all(s[1] == "1" for s in sets[:5])  # the first parameter varies first, the second held
    kw_only = [
        Parameter("name", annotation="str"),
        Parameter("key", ParameterKind.KEYWORD_ONLY, annotation="str"),
    ]
    assert argument_sets(kw_only) == []  # a required keyword-only parameter: no positional call fits
    assert argument_sets([Parameter("name", annotation="str", default="'a'")]) == []  # zero-argument probe's


def test_docstring_examples_are_read_from_doctest_fenced_rst_and_example_sections():
    doc = (
        "Summary.\n\n>>> a = f(1)\n>>> a\n2\n\n```python\nb = f(2)\nprint(b)\n```\n\n"
        ".. code-block:: python\n\n    c = f(3)\n\nExample:\n    d = f(4)\n    d + 1\n\nNot code:\n    f(5\n"
    )
    assert examples_in(doc) == [
        ("a = f(1)", "a"),
        ("b = f(2)", "print(b)"),
        ("c = f(3)",),
        ("d = f(4)", "d + 1"),
    ]
    assert safe_example(("from corpkg import Client", "Client('x').fetch(1)"))
    assert not safe_example(("import os", "os.remove('x')"))
    assert not safe_example(("client.delete_model('x')",))  # a name that acts on the world
    assert not safe_example(("x = 1",))  # nothing called: nothing to compare
    assert not safe_example(("open('f').read()",))


def test_calls_with_arguments_methods_and_examples_run_in_the_side(tmp_path):
    root = _argument_package(tmp_path / "side")
    api = introspect("argpkg", extra_paths=[root])
    probes = call_probes(api, package_sources(api))
    ids = [p if isinstance(p, str) else p.id for p in probes]
    assert "argpkg.check('a/b')" in ids and "argpkg.Box(...).pick('x', 1)" in ids
    assert "argpkg.Box(...).upper" in ids and "argpkg docstring example 1" in ids
    assert "argpkg.check docstring example 1" in ids
    # Names that act on the world are never called, with or without arguments.
    assert not [i for i in ids if "delete_everything" in i or ".remove(" in i]
    spin = next(p for p in probes if not isinstance(p, str) and p.id == "argpkg.spin('x')")
    unbound = CallProbe("argpkg.check('a', 'b')", "argpkg.check", "argpkg.check", ("'a'", "'b'"))
    wanted = [p for p in probes if isinstance(p, str) or not p.id.startswith("argpkg.spin(")]
    late = CallProbe("argpkg.check('late')", "argpkg.check", "argpkg.check", ("'late'",))
    start = time.monotonic()
    answer = run_probe(ProbeRequest(calls=(*wanted, unbound, spin, late)), extra_paths=[str(root)])
    assert time.monotonic() - start < 20  # spin's two runs stop at the per-call time limit
    outcome = {key: stable(runs) for key, runs in answer.calls.items()}
    assert outcome["argpkg.check('x')"]["outcome"] == "returned"
    bad = outcome["argpkg.check('a/b')"]
    assert bad["type"] == "argpkg.InvalidName" and "builtins.ValueError" in bad["mro"]
    assert bad["subject"] == "argpkg.check"
    assert outcome["argpkg.Box(...).pick('x', 1)"]["shape"] == "mapping"
    assert outcome["argpkg.Box(...).pick('x', 1)"]["receiver"] == "argpkg.Box()"
    assert outcome["argpkg.Box(...).upper"]["type"] == "str"
    module_example = outcome["argpkg docstring example 1"]
    assert [s["outcome"] for s in module_example["steps"]] == ["returned", "returned"]
    assert module_example["steps"][1]["shape"] == "number"
    fenced = outcome["argpkg.check docstring example 1"]["steps"]
    assert [s["outcome"] for s in fenced] == ["returned", "raised"]  # stops at the first raise
    assert answer.calls["argpkg.spin('x')"][0]["outcome"] == "timeout"
    assert stable(answer.calls["argpkg.spin('x')"]) is None
    assert "argpkg.check('late')" not in answer.calls  # after a call cut off mid-way, nothing is compared
    # An import in progress is never cut off (half-initialised modules would fail later calls on one
    # side only): the first call loading a slow module is not held to the time limit for it.
    assert outcome["argpkg.lazy('x')"]["outcome"] == "returned"
    assert outcome["argpkg.check('a', 'b')"]["outcome"] == "unbound"
    # A prompt gets end-of-file at once (never the worker's own input); starting a process is refused.
    assert outcome["argpkg.ask('x')"]["type"] == "builtins.EOFError"
    assert outcome["argpkg.shell('x')"]["type"] == "builtins.PermissionError"


def test_synthesised_calls_are_held_to_less():
    text = {"outcome": "returned", "type": "str", "shape": "text", "subject": "p.f"}
    none = {"outcome": "returned", "type": "NoneType", "shape": "None", "subject": "p.f"}
    type_error = {"outcome": "raised", "type": "builtins.TypeError", "mro": ["builtins.TypeError"]}
    value_error = {"outcome": "raised", "type": "builtins.ValueError", "mro": ["builtins.ValueError"]}
    invalid = {**value_error, "type": "p.Invalid", "mro": ["p.Invalid", "builtins.ValueError"]}
    assert synthesised_differences(text, value_error) == ["it now raises builtins.ValueError"]
    assert synthesised_differences(value_error, text) == []  # accepts more input: compatible
    assert synthesised_differences(value_error, invalid) == []  # a subclass
    assert synthesised_differences(invalid, value_error) == [
        "it raises builtins.ValueError, not a subclass of p.Invalid"
    ]
    assert synthesised_differences(type_error, value_error) == []  # OLD rejected the input as misuse
    assert synthesised_differences(none, text) == []  # a value where there was None
    # An argument typed by its parameter's name only (a guess) that NEW now refuses as misuse.
    assert synthesised_differences({**text, "guessed": True}, type_error) == []
    assert synthesised_differences(text, type_error) == ["it now raises builtins.TypeError"]
    assert synthesised_differences(text, {"outcome": "unbound"}) == []  # the signature rules' business
    on_other = {**text, "receiver": "p.Box('x')"}
    assert synthesised_differences({**text, "receiver": "p.Box()"}, {**value_error, **on_other}) == []
    step = {"source": "f(1)"}
    old = {"outcome": "example", "steps": [{**step, **text}]}
    name_error = {**step, "outcome": "raised", "type": "builtins.NameError", "mro": ["builtins.NameError"]}
    assert synthesised_differences(old, {"outcome": "example", "steps": [name_error]}) == []
    assert synthesised_differences(old, {"outcome": "example", "steps": [{**step, **value_error}]}) == [
        "`f(1)`: it now raises builtins.ValueError"
    ]
    # A repr or message that changed is no difference; two runs that disagree are not compared.
    repr_changed = {"outcome": "example", "steps": [{**step, **text, "message": "other"}]}
    assert synthesised_differences(old, repr_changed) == []
    assert stable([old, {"outcome": "example", "steps": [{**step, **none}]}]) is None
