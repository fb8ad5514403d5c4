"""The pytest plugin's contract tests: one test per contracted object, readable failures, opt-in only.

Each test runs pytest inside pytest (``pytester``). The inner conftest injects a stand-in contract loader,
introspector and check through the plugin's hooks, so these tests pin down collection, attribution and
reporting whatever the real signature check finds.
"""

from __future__ import annotations

import textwrap

import pytest

CONFTEST = """
from pathlib import Path

from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.base.errors import ContractError, InfrastructureError
from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind

HERE = Path(__file__).parent
MODE = (HERE / "mode.txt").read_text().strip() if (HERE / "mode.txt").exists() else "normal"


def load(api_dir):
    top, tracking = str(api_dir / "hokusai.yaml"), str(api_dir / "hokusai.tracking.yaml")
    if MODE == "malformed":
        raise ContractError("expected a mapping of objects", file=top, line=3)
    register = ApiObject("hokusai.ModelRegistry.register", ObjectKind.METHOD, source_file=top, source_line=9)
    return Api("hokusai", modules=[
        ApiModule("hokusai", source_file=top, objects=[
            ApiObject("hokusai.ModelRegistry", ObjectKind.CLASS, source_file=top, source_line=5,
                      members=[register]),
            ApiObject("hokusai.login", ObjectKind.FUNCTION, source_file=top, source_line=14),
        ]),
        ApiModule("hokusai.tracking", source_file=tracking, objects=[
            ApiObject("hokusai.tracking.ExperimentManager", ObjectKind.CLASS, source_file=tracking,
                      source_line=4),
        ]),
    ])


def introspect(package, python):
    with open(HERE / "introspections.log", "a") as log:
        log.write(package + "\\n")
    if MODE == "infra":
        raise InfrastructureError("hokusai did not import: No module named 'mlflow'")
    return Api(package, version="9.9.9")


def check(context):
    context.contract_api()
    context.observed_api()
    top = str(context.api_dir / "hokusai.yaml")
    return [
        Finding("signatures", "SIG000", "hokusai.ModelRegistry", "matches", outcome=Outcome.PASSED),
        Finding("signatures", "SIG101", "hokusai.ModelRegistry.register",
                "parameter 'token' is missing (called with api_key=hk_live_9fQx2LmZpR7tVbN3QtN)",
                location=Location(top, 9), fix="add the parameter or update the contract"),
        Finding("signatures", "SIG205", "hokusai.login", "deprecated alias", severity=Severity.WARNING),
        Finding("signatures", "SIG300", "hokusai.tracking.NewThing", "public but not in the contract"),
    ]


def pytest_hokusai_contracts_context(config, contracts_dir):
    return VerifyContext(contracts_dir=contracts_dir, contract_loader=load, introspector=introspect)


def pytest_hokusai_contracts_check(config):
    return CheckFamily("signatures", "stand-in", check)
"""

HOKUSAI_YAML = """\
# API contract of module hokusai
module: hokusai
objects:
  - name: ModelRegistry
    kind: class
"""

NODE_IDS = [
    "contracts/api/hokusai.tracking.yaml::hokusai.tracking",
    "contracts/api/hokusai.tracking.yaml::hokusai.tracking.ExperimentManager",
    "contracts/api/hokusai.yaml::hokusai",
    "contracts/api/hokusai.yaml::hokusai.ModelRegistry",
    "contracts/api/hokusai.yaml::hokusai.ModelRegistry.register",
    "contracts/api/hokusai.yaml::hokusai.login",
]


@pytest.fixture
def pytester_or_skip(request):
    """``pytester``, or a skip saying how to enable it."""
    if not request.config.pluginmanager.hasplugin("pytester"):
        pytest.skip("needs pytester: `pytest_plugins = ['pytester']` in tests/conftest.py, or -p pytester")
    return request.getfixturevalue("pytester")


@pytest.fixture
def project(pytester_or_skip):
    """A pytester directory with two contract files, a non-contract YAML file and one ordinary test."""
    pytester = pytester_or_skip
    pytester.makeconftest(CONFTEST)
    api = pytester.mkdir("contracts") / "api"
    api.mkdir()
    (api / "hokusai.yaml").write_text(HOKUSAI_YAML)
    (api / "hokusai.tracking.yaml").write_text("module: hokusai.tracking\n")
    (pytester.path / "contracts" / "notes.yaml").write_text("not: a contract\n")
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    return pytester


# Plugins the inner runs do not need; loading them makes each inner run several times slower.
QUIET = ("-p", "no:hypothesispytest", "-p", "no:xdist", "-p", "no:anyio", "-p", "no:cacheprovider")


def run(project, *args):
    """Run pytest in-process inside ``project``."""
    return project.runpytest(*QUIET, *args)


def collected(result) -> list[str]:
    return sorted(line for line in result.outlines if "::" in line and line.startswith("contracts/"))


def test_one_item_per_contracted_object(project):
    result = run(project, "--hokusai-contracts", "contracts", "--collect-only", "-q", "contracts")
    assert collected(result) == NODE_IDS


def test_failures_are_readable_and_warnings_do_not_fail(project):
    result = run(project, "--hokusai-contracts", "contracts", "contracts", "-rA")
    result.assert_outcomes(passed=4, failed=2, warnings=1)
    output = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*_ contract hokusai.ModelRegistry.register _*",
            "SIG101 hokusai.ModelRegistry.register",
            "  at contracts/api/hokusai.yaml:9",
            "  parameter 'token' is missing (called with api_key=hk_live_...QtN)",
            "  fix: add the parameter or update the contract",
        ]
    )
    # A finding about an uncontracted name lands on the object (here: module) whose path it extends.
    result.stdout.fnmatch_lines(["*_ contract hokusai.tracking _*", "SIG300 hokusai.tracking.NewThing"])
    result.stdout.fnmatch_lines(
        ["*contracts/api/hokusai.yaml:14: HokusaiContractWarning: SIG205 hokusai.login"]
    )
    assert "hk_live_9fQx2LmZpR7tVbN3QtN" not in output
    assert "Traceback" not in output and "pytest_plugin.py" not in output and "raise " not in output


def test_introspects_once_per_session(project):
    run(project, "--hokusai-contracts", "contracts", "contracts")
    assert (project.path / "introspections.log").read_text().splitlines() == ["hokusai"]


def test_report_location_is_the_contract_file_and_line(project):
    reprec = project.inline_run(*QUIET, "--hokusai-contracts", "contracts", "contracts")
    reports = {r.nodeid: r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}
    report = reports["contracts/api/hokusai.yaml::hokusai.ModelRegistry.register"]
    assert report.location == (
        "contracts/api/hokusai.yaml",
        8,  # pytest locations are 0-based: line 9 of the file
        "contract hokusai.ModelRegistry.register",
    )
    assert reports["contracts/api/hokusai.yaml::hokusai"].location[1] is None


def test_off_unless_asked(project):
    result = run(project, "contracts")
    assert collected(result) == []
    result.assert_outcomes()
    assert not (project.path / "introspections.log").exists()


def test_command_line_option_adds_the_contracts_to_explicit_paths(project):
    result = run(project, "--hokusai-contracts", "contracts", "test_other.py")
    result.assert_outcomes(passed=5, failed=2, warnings=1)


def test_ini_option_collects_on_a_plain_run_only(project):
    project.makeini(
        textwrap.dedent(
            """\
            [pytest]
            hokusai_contracts_dir = contracts
            """
        )
    )
    run(project).assert_outcomes(passed=5, failed=2, warnings=1)
    # Naming a test file means "just this file": the contracts are not dragged in.
    run(project, "test_other.py").assert_outcomes(passed=1)


def test_keyword_selection(project):
    result = run(project, "--hokusai-contracts", "contracts", "contracts", "-k", "register")
    result.assert_outcomes(failed=1, deselected=5)


def test_malformed_contract_is_a_collection_error_with_file_and_line(project):
    (project.path / "mode.txt").write_text("malformed")
    result = run(project, "--hokusai-contracts", "contracts", "contracts")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*/contracts/api/hokusai.yaml:3: expected a mapping of objects"])
    assert "Traceback" not in result.stdout.str()


def test_infrastructure_error_fails_every_object(project):
    (project.path / "mode.txt").write_text("infra")
    result = run(project, "--hokusai-contracts", "contracts", "contracts")
    result.assert_outcomes(failed=6)
    result.stdout.fnmatch_lines(
        ["infrastructure signatures", "  hokusai did not import: No module named 'mlflow'"]
    )
    assert "Traceback" not in result.stdout.str()


def test_server_fixtures_are_still_provided(project):
    result = run(project, "--fixtures")
    result.stdout.fnmatch_lines(["mlflow_server*", "*basic_auth_server*"])
    assert "unique_name" in result.stdout.str()


def test_real_contracts_of_the_installed_sdk_pass(pytester_or_skip):
    """End to end: contracts extracted from the SDK installed here, checked by the real signature check."""
    from hokusai_contracts.introspection.extract import extract

    pytester = pytester_or_skip
    extract(pytester.path / "contracts" / "api")
    result = run(pytester, "--hokusai-contracts", "contracts")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 50 and "failed" not in outcomes and "errors" not in outcomes
