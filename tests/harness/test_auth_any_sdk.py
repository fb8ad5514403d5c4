"""Auth scenarios (and the HTTP family's SDK flow) against another installed ``hokusai`` through ``--python``.

Each SDK copy lives in a venv of its own with no harness in it (MLflow and the other dependencies are
reachable, the harness is not): the pristine SDK, one whose 401 no longer becomes AuthenticationError,
one without the optional resilience API, and none at all. Venvs are built once per module.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness_support import REPO, SDK_SOURCE
from sdk_mutations import copy_sdk, sdk_venv
from typer.testing import CliRunner

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.auth import worker
from hokusai_contracts.checks.auth.family import NOT_SUPPORTED, run_scenarios
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.auth.model import SERVER_FIXTURES, Resilience, Scenario
from hokusai_contracts.checks.auth.servers import fixture_source
from hokusai_contracts.checks.http import family as http_family
from hokusai_contracts.checks.http import sdk_flow
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.cli.app import build_app
from hokusai_contracts.contract.store import load_contracts
from hokusai_contracts.findings import Outcome

CONTRACTS = REPO / "contracts"
SCENARIOS = load_dir(CONTRACTS / "auth").scenarios
AUTHENTICATION_BRANCH = "error = AuthenticationError if status == 401 else AuthorizationError"
OPTIONAL_RESILIENCE = ("get_resilience_config", "configure_resilience", "get_circuit_breaker")


def needs_resilience(scenario: Scenario) -> bool:
    """True when the scenario's outcome depends on retry/breaker settings or the breaker's state."""
    return scenario.resilience != Resilience() or scenario.expect.circuit is not None


def named(*names: str) -> list[Scenario]:
    return [s for s in SCENARIOS if s.name in names]


# -- SDK copies in venvs without the harness ------------------------------------------------------------


@pytest.fixture(scope="module")
def venvs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth-any-sdk")


@pytest.fixture(scope="module")
def pristine_venv(venvs_root: Path) -> Path:
    """The SDK as it is."""
    return sdk_venv(venvs_root / "pristine", copy_sdk(SDK_SOURCE, venvs_root / "pristine-sdk"))


@pytest.fixture(scope="module")
def regressed_venv(venvs_root: Path) -> Path:
    """An SDK whose HTTP 401 becomes AuthorizationError instead of AuthenticationError."""
    root = copy_sdk(SDK_SOURCE, venvs_root / "regressed-sdk")
    errors = root / "hokusai" / "_mlflow" / "errors.py"
    source = errors.read_text(encoding="utf-8")
    assert AUTHENTICATION_BRANCH in source, "the SDK's 401/403 translation moved: update this mutation"
    errors.write_text(source.replace(AUTHENTICATION_BRANCH, "error = AuthorizationError"), encoding="utf-8")
    return sdk_venv(venvs_root / "regressed", root)


@pytest.fixture(scope="module")
def bare_venv(venvs_root: Path) -> Path:
    """An SDK (an older release, a fork) without hokusai.testing and without the resilience settings API."""
    root = copy_sdk(SDK_SOURCE, venvs_root / "bare-sdk")
    shutil.rmtree(root / "hokusai" / "testing", ignore_errors=True)
    (root / "hokusai" / "testing.py").unlink(missing_ok=True)
    private = re.compile(r"\b(" + "|".join(OPTIONAL_RESILIENCE) + r")\b")
    for file in (root / "hokusai").rglob("*.py"):
        text = file.read_text(encoding="utf-8")
        file.write_text(private.sub(r"_\1", text), encoding="utf-8")
    return sdk_venv(venvs_root / "bare", root)


@pytest.fixture(scope="module")
def empty_venv(venvs_root: Path) -> Path:
    """MLflow, but no hokusai at all."""
    return sdk_venv(venvs_root / "empty", None)


@pytest.fixture
def servers(request: pytest.FixtureRequest):
    """The scenario servers, from the session fixtures."""
    return fixture_source(request.getfixturevalue, SERVER_FIXTURES)


# -- what the worker may touch (no server) -------------------------------------------------------------


def sdk_names(path: Path) -> set[str]:
    """Every SDK name ``path`` uses: ``from hokusai.x import Y`` and ``public("hokusai.x", "Y")``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "hokusai":
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "hokusai" for a in node.names), f"{path}: import hokusai"
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "public":
            module, name = (arg.value for arg in node.args)
            names.add(f"{module}.{name}")
    return names


def test_the_worker_and_the_sdk_flow_use_the_sdk_only_at_contracted_paths():
    contracted = set(load_contracts(CONTRACTS / "api").objects())
    used = sdk_names(Path(worker.__file__))
    assert {"hokusai.core.registry.ModelRegistry", "hokusai.resilience.get_circuit_breaker"} <= used
    # hokusai.testing.reset is optional: used when an SDK has it, not (yet) part of the contract.
    assert used - contracted <= {"hokusai.testing.reset"}
    flow = sdk_names(Path(sdk_flow.__file__))
    assert "hokusai.core.versioning.ModelVersionManager" in flow
    assert flow <= contracted, flow - contracted


def test_the_worker_imports_only_the_standard_library():
    tree = ast.parse(Path(worker.__file__).read_text(encoding="utf-8"))
    top_level = {
        alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert top_level - {"__future__"} <= set(sys.stdlib_module_names)


# -- auth scenarios in another interpreter --------------------------------------------------------------


@pytest.mark.server
def test_the_pristine_sdk_in_a_venv_without_the_harness_passes_every_scenario(pristine_venv, servers):
    probe = [str(pristine_venv / "bin" / "python"), "-c", "import hokusai_contracts"]
    assert subprocess.run(probe, capture_output=True, check=False).returncode != 0  # no harness there

    findings = run_scenarios(SCENARIOS, servers, python=str(pristine_venv))

    assert [f.subject for f in findings] == [s.name for s in SCENARIOS]
    assert {f.subject: f.outcome for f in findings if f.outcome is not Outcome.PASSED} == {}


@pytest.mark.server
def test_verify_python_venv_fails_exactly_the_scenarios_a_401_regression_touches(
    regressed_venv, mlflow_server, tmp_path
):
    report = tmp_path / "report.json"
    app = build_app(CHECKS, server_factory=lambda: contextlib.nullcontext(mlflow_server))
    arguments = ["verify", "--contracts", str(CONTRACTS), "--only", "auth", "--python", str(regressed_venv)]

    result = CliRunner().invoke(app, [*arguments, "--json", str(report)])

    assert result.exit_code == 1, result.output
    findings = json.loads(report.read_text())["findings"]
    failed = {f["subject"]: f for f in findings if f["outcome"] == "failed"}
    expected = {s.name for s in SCENARIOS if s.expect.exception == "AuthenticationError"}
    assert expected and set(failed) == expected
    for name, finding in failed.items():
        assert finding["rule"] == "AUTH002"
        assert "expected AuthenticationError, got AuthorizationError" in finding["message"]
        assert name in result.output
    assert {f["outcome"] for f in findings if f["subject"] not in expected} == {"passed"}


@pytest.mark.server
def test_an_sdk_without_the_optional_apis_skips_only_the_scenarios_that_need_them(bare_venv, servers):
    findings = {f.subject: f for f in run_scenarios(SCENARIOS, servers, python=str(bare_venv))}

    needing = {s.name for s in SCENARIOS if needs_resilience(s)}
    skipped = {name: f for name, f in findings.items() if f.outcome is Outcome.SKIPPED}
    assert needing and set(skipped) == needing
    for finding in skipped.values():
        assert finding.message.startswith(f"{NOT_SUPPORTED}: ")
        assert "hokusai.resilience" in finding.message
        assert finding.location.file.endswith("resilience.yaml") and finding.location.line
    assert {f.outcome for name, f in findings.items() if name not in needing} == {Outcome.PASSED}


@pytest.mark.server
def test_an_interpreter_without_the_sdk_is_an_error_per_scenario_not_a_crash(empty_venv, servers):
    chosen = named("registry-construction-sends-nothing", "gateway-unknown-key")

    findings = run_scenarios(chosen, servers, python=str(empty_venv))

    assert [f.outcome for f in findings] == [Outcome.ERROR, Outcome.ERROR]
    for finding in findings:
        assert "no module named 'hokusai'" in finding.message
        assert "point --python at the environment that has it" in finding.message


@pytest.mark.server
def test_without_fork_each_call_gets_a_fresh_interpreter(pristine_venv, servers):
    # The fallback where os.fork does not exist; the breaker scenario checks the settings arrive.
    chosen = named("gateway-upstream-down", "gateway-unknown-key")

    findings = run_scenarios(chosen, servers, python=str(pristine_venv), isolation=worker.SPAWN)

    assert [(f.subject, f.outcome) for f in findings] == [(s.name, Outcome.PASSED) for s in chosen]


# -- the HTTP family with --python as a venv directory -------------------------------------------------


@pytest.mark.server
def test_the_http_family_runs_the_sdk_flow_in_a_venv_directory(pristine_venv, mlflow_server, tmp_path):
    contracts = tmp_path / "contracts"
    (contracts / "http").mkdir(parents=True)
    shutil.copy(CONTRACTS / "http" / http_family.MLFLOW_CONTRACT, contracts / "http")
    context = VerifyContext(
        contracts_dir=contracts,
        python=str(pristine_venv),
        server=mlflow_server,
        options={http_family.OPTION_MAX_EXAMPLES: 1},
    )

    findings = http_family.run_http(context)

    assert not [f for f in findings if f.outcome is not Outcome.PASSED], [f.message for f in findings]
    recorded = [f for f in findings if f.message.endswith("recorded SDK exchange(s) conformed")]
    assert len(recorded) >= 10  # the SDK's calls ran in the venv and reached the server
