"""Differential probes: sandboxed zero-argument calls and submodule binding, read in a side's interpreter."""

from __future__ import annotations

from pathlib import Path

from hokusai_contracts.diff.probe import ProbeRequest, Structure, run_probe
from hokusai_contracts.diff.rules.bc023_call_outcome_changed import differences, stable

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
    calls = tuple(f"probepkg.{name}" for name in ("secret", "home", "remote", "local", "mutate"))
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
    assert differences(key_error, lookup) == [
        "it raises builtins.LookupError, not a subclass of builtins.KeyError"
    ]
    assert differences(returned, {**returned, "network": ["203.0.113.7:80"]}) == [
        "it newly tries to connect to 203.0.113.7:80"
    ]
    assert stable([returned, {"outcome": "returned", "type": "list", "shape": "sequence"}]) is None
