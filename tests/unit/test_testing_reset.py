"""hokusai.testing.reset(): every piece of process-wide SDK state back to that of a fresh process."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import hokusai.testing
from hokusai import resilience
from hokusai._mlflow import transport
from hokusai._mlflow.target import MLflowTarget
from hokusai.auth import configure, get_global_auth
from hokusai.config import get_current_mlflow_auth, setup_mlflow_auth
from hokusai.core import _model_logging
from hokusai.resilience import (
    CircuitState,
    ResilienceConfig,
    RetryPolicy,
    configure_resilience,
    get_circuit_breaker,
    get_resilience_config,
)

SDK = Path(hokusai.testing.__file__).parent

# Module-level state of the SDK (found by test_every_piece_of_module_state_is_known) -> reset by reset().
KNOWN_STATE = {
    "hokusai/resilience.py": {"_config", "_breakers"},
    "hokusai/config/mlflow_auth.py": {"_current"},
    "hokusai/auth/client.py": {"_global_auth"},
    "hokusai/core/_model_logging.py": {"_SERVERS_WITHOUT_LOGGED_MODELS"},
    "hokusai/_mlflow/transport.py": {"_fluent_route"},
}


def _dirty_everything(tmp_path: Path) -> None:
    configure_resilience(RetryPolicy(max_attempts=9), failure_threshold=1, request_timeout=1.0)
    get_circuit_breaker("http://down.example").record_failure()
    setup_mlflow_auth(tracking_uri=f"sqlite:///{tmp_path / 'auth.db'}", validate=False)
    configure("hk_test_abcdefghijk", save=False)
    _model_logging._SERVERS_WITHOUT_LOGGED_MODELS.add("http://old.example")
    transport._fluent_route = transport.Route(MLflowTarget("http://x.example", "argument"), 1.0)


def test_reset_returns_every_piece_of_state_to_a_fresh_process(tmp_path):
    _dirty_everything(tmp_path)
    assert get_circuit_breaker("http://down.example").state is CircuitState.OPEN
    assert get_current_mlflow_auth() is not None and get_global_auth() is not None

    hokusai.testing.reset()

    assert get_resilience_config() == ResilienceConfig.from_env()
    assert get_circuit_breaker("http://down.example").state is CircuitState.CLOSED
    assert get_circuit_breaker("http://down.example").failure_count == 0
    assert get_current_mlflow_auth() is None
    assert get_global_auth() is None
    assert not _model_logging._SERVERS_WITHOUT_LOGGED_MODELS
    assert transport.current_route() is None


def test_reset_reads_the_settings_from_the_environment_again(monkeypatch):
    configure_resilience(RetryPolicy(max_attempts=9))
    monkeypatch.setenv("HOKUSAI_RETRY_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("HOKUSAI_CIRCUIT_FAILURE_THRESHOLD", "2")
    hokusai.testing.reset()
    assert get_resilience_config().retry.max_attempts == 4
    assert get_circuit_breaker("http://new.example").failure_threshold == 2


def test_reset_leaves_the_environment_and_the_config_file_alone(tmp_path):
    configure("hk_test_abcdefghijk", save=True)
    stored = (Path(os.environ["HOKUSAI_HOME"]) / "config").read_text()
    before = dict(os.environ)
    hokusai.testing.reset()
    assert dict(os.environ) == before
    assert (Path(os.environ["HOKUSAI_HOME"]) / "config").read_text() == stored


def test_reset_is_idempotent_on_a_fresh_process():
    hokusai.testing.reset()
    hokusai.testing.reset()
    assert resilience._config is None and not resilience._breakers


def _module_state(path: Path) -> set[str]:
    """Names a module rebinds with ``global`` or binds at module level to an empty mutable container."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
    for node in tree.body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        empty_literal = isinstance(value, ast.Dict | ast.Set | ast.List) and not (
            getattr(value, "keys", None) or getattr(value, "elts", None)
        )
        empty_call = (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("dict", "set", "list", "OrderedDict", "defaultdict")
            and not value.args
        )
        if isinstance(target, ast.Name) and (empty_literal or empty_call):
            names.add(target.id)
    return names


def test_every_piece_of_module_state_is_known():
    found = {}
    for path in sorted(SDK.rglob("*.py")):
        state = _module_state(path)
        if state:
            found[path.relative_to(SDK.parent).as_posix()] = state
    assert found == KNOWN_STATE, (
        "module-level SDK state changed: make hokusai.testing.reset() reset the new state, "
        "then update KNOWN_STATE and the reset test"
    )


def test_the_module_is_documented():
    assert hokusai.testing.__doc__ and "reset()" in hokusai.testing.__doc__
    assert hokusai.testing.reset.__doc__
    assert hokusai.testing.__all__ == ["reset"]
