"""The auth scenario runner: malformed files name FILE:LINE, the judge's rules, isolation, and deliberate
regressions (injected through the runner's call hook) failing exactly the scenario they touch."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from auth_regressions import HERE as REGRESSIONS
from typer.testing import CliRunner

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.memo import RunMemo
from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.auth import family as auth_family
from hokusai_contracts.checks.auth.execute import ScenarioRun
from hokusai_contracts.checks.auth.family import run_auth, run_scenarios
from hokusai_contracts.checks.auth.judge import judge
from hokusai_contracts.checks.auth.load import load_dir, load_file
from hokusai_contracts.checks.auth.model import (
    GATEWAY_KINDS,
    Expectation,
    Observation,
    RecordedRequest,
    Resilience,
    Scenario,
)
from hokusai_contracts.checks.auth.worker import Hook, captured, environment, sdk_state
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.cli.app import build_app
from hokusai_contracts.findings import Outcome, RunResult
from hokusai_contracts.reports import FORMATS, render

REPO = Path(__file__).resolve().parents[2]
AUTH_DIR = REPO / "contracts" / "auth"
SCHEMA_DIR = REPO / "contracts" / "schema"
SECRET = "hk_test_S3cretS3cretS3cretS3cretS3cretXyz"

VALID = """\
scenarios:
  - name: ok
    description: a read with a read-only key
    server: gateway
    credentials:
      env:
        HOKUSAI_API_KEY: "${KEY_READ}"
      args:
        tracking_uri: "${TRACKING_URI}"
    call: registry.list_models_by_token
    expect:
      success: true
"""


def write_contracts(root: Path, files: dict[str, str]) -> Path:
    """A contracts directory with the repository's schema and the given ``auth/`` files."""
    shutil.copytree(SCHEMA_DIR, root / "schema")
    (root / "auth").mkdir()
    for name, text in files.items():
        (root / "auth" / name).write_text(textwrap.dedent(text))
    return root


# -- loading ---------------------------------------------------------------------------------------------


def test_the_repository_scenarios_load_and_cover_every_server():
    loaded = load_dir(AUTH_DIR)
    assert loaded.errors == []
    assert {s.server for s in loaded.scenarios} == {"gateway", "basic-auth", *GATEWAY_KINDS}
    assert len({s.name for s in loaded.scenarios}) == len(loaded.scenarios) >= 14
    for scenario in loaded.scenarios:
        assert scenario.line and Path(scenario.file).is_file()


@pytest.mark.parametrize(
    ("edit", "line", "expected"),
    [
        (lambda t: t.replace("    call:", "    colour: red\n    call:"), 10, "unknown key 'colour'"),
        (lambda t: t.replace('"${KEY_READ}"', "hk_live_abcdefgh12345678"), 7, "literal secret"),
        (lambda t: t.replace("${KEY_READ}", "${KEY_NOPE}"), 7, "${KEY_NOPE} is not a variable"),
        (lambda t: t.replace("server: gateway", "server: kafka"), 4, "'kafka' is not allowed"),
        (lambda t: t.replace("success: true", "success: true\n      exception: AuthenticationError"), 12,
         "exactly one of"),
        (lambda t: t.replace("name: ok", "name: Not OK"), 2, "lower-case letters"),
        (lambda t: t.replace("      env:\n", "      env:\n    bad indent\n"), 8, "not valid YAML"),
    ],
)  # fmt: skip
def test_malformed_scenarios_name_file_and_line(tmp_path, edit, line, expected):
    root = write_contracts(tmp_path, {"broken.yaml": edit(VALID)})
    with pytest.raises(ContractError) as info:
        load_file(root / "auth" / "broken.yaml")
    assert (info.value.file, info.value.line) == (str(root / "auth" / "broken.yaml"), line)
    assert expected in str(info.value)
    assert f"broken.yaml:{line}: " in str(info.value)


def test_a_malformed_file_is_an_auth005_finding_and_the_others_still_load(tmp_path):
    root = write_contracts(
        tmp_path,
        {"good.yaml": VALID, "bad.yaml": VALID.replace("name: ok", "name: ok2").replace("call:", "cal:")},
    )
    loaded = load_dir(root / "auth")
    assert [s.name for s in loaded.scenarios] == ["ok"]
    # No scenario needs a server when every file is malformed: run_auth returns before starting any.
    (root / "auth" / "good.yaml").unlink()
    (finding,) = run_auth(VerifyContext(contracts_dir=root))
    assert (finding.rule, finding.outcome) == ("AUTH005", Outcome.FAILED)
    assert finding.location.file.endswith("bad.yaml") and finding.location.line == 2


def test_scenario_names_are_unique_across_files(tmp_path):
    root = write_contracts(tmp_path, {"a.yaml": VALID, "b.yaml": VALID})
    loaded = load_dir(root / "auth")
    assert len(loaded.scenarios) == 1
    (error,) = loaded.errors
    assert "already used" in str(error) and error.file.endswith("b.yaml") and error.line == 2


# -- judging ---------------------------------------------------------------------------------------------


def scenario(**expect) -> Scenario:
    return Scenario(
        "s", "what the user does", "gateway", "registry.list_models_by_token", Expectation(**expect),
        file="contracts/auth/x.yaml", line=3,
    )  # fmt: skip


def run(expect: dict, observation: Observation) -> ScenarioRun:
    return ScenarioRun(scenario(**expect), observation, {"KEY_READ": SECRET})


def forbidden(**extra) -> Observation:
    fields = {
        "succeeded": False,
        "exception_type": "AuthorizationError",
        "attributes": {"status_code": 403, "error_code": "insufficient_scope"},
        "text": "MLflow answered HTTP 403\nHow to fix: ask for a key with `mlflow:write`",
        "requests": [RecordedRequest("POST", "/api/mlflow/x", 403, 0.0)],
    }
    return Observation(**{**fields, **extra})


EXPECT_403 = {"exception": "AuthorizationError", "status_code": 403, "message_contains": ("mlflow:write",)}


@pytest.mark.parametrize(
    ("expect", "observation", "rule", "message"),
    [
        (EXPECT_403, forbidden(), None, "as expected: AuthorizationError (HTTP 403, insufficient_scope)"),
        ({"success": True}, forbidden(), "AUTH001", "expected success, the call raised AuthorizationError"),
        (EXPECT_403, Observation(succeeded=True), "AUTH001", "the call succeeded"),
        (EXPECT_403, forbidden(exception_type="RuntimeError"), "AUTH002", "got RuntimeError"),
        ({**EXPECT_403, "error_code": "invalid_api_key"}, forbidden(), "AUTH002", "expected error_code"),
        ({**EXPECT_403, "message_contains": ("EDIT",)}, forbidden(), "AUTH003", "lacks 'EDIT'"),
        ({**EXPECT_403, "retried": True}, forbidden(), "AUTH001", "reached the server 1 time(s)"),
        ({**EXPECT_403, "requests": 0}, forbidden(), "AUTH001", "expected 0 request(s)"),
        ({**EXPECT_403, "circuit": "open"}, forbidden(circuit="closed", followup_exception="none"), "AUTH001",
         "fail fast with CircuitOpenError"),
        (EXPECT_403, forbidden(logs=f"DEBUG x: {SECRET}"), "AUTH004", "KEY_READ appears unmasked in the log"),
        (EXPECT_403, forbidden(representation=f"Error('{SECRET}')"), "AUTH004", "exception repr"),
        (EXPECT_403, forbidden(output=f"token={SECRET}\n"), "AUTH004", "standard output"),
    ],
)  # fmt: skip
def test_the_judge_gives_one_finding_with_the_most_serious_rule(expect, observation, rule, message):
    finding = judge(run(expect, observation))
    assert finding.rule == (rule or "AUTH001")
    assert finding.outcome is (Outcome.PASSED if rule is None else Outcome.FAILED)
    assert message in finding.message
    for fmt in FORMATS:  # whatever went wrong, no report shows the secret
        assert SECRET not in render(RunResult(findings=[finding]), fmt, secrets=())


def test_a_leak_comes_first_and_the_other_problems_are_listed():
    finding = judge(run({"success": True}, forbidden(text=f"bad key {SECRET}")))
    assert finding.rule == "AUTH004"
    assert "also AUTH001: expected success" in finding.message
    assert SECRET not in finding.details and "hk_test_...Xyz" in finding.details


# -- isolation -------------------------------------------------------------------------------------------


def test_environment_and_sdk_state_are_restored(tmp_path, monkeypatch):
    from hokusai.resilience import get_resilience_config

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "outer-token-value")
    monkeypatch.setenv("UNRELATED", "kept")
    before_env, before_config = dict(os.environ), get_resilience_config()
    with environment(tmp_path, {"HOKUSAI_API_KEY": SECRET}), sdk_state(Resilience(max_attempts=7)):
        assert "MLFLOW_TRACKING_TOKEN" not in os.environ
        assert os.environ["HOKUSAI_API_KEY"] == SECRET and os.environ["UNRELATED"] == "kept"
        assert os.environ["HOME"] == str(tmp_path)
        assert get_resilience_config().retry.max_attempts == 7
    assert dict(os.environ) == before_env
    assert get_resilience_config() == before_config


def test_capture_sees_debug_logs_output_and_warnings():
    import warnings

    with captured() as capture:
        logging.getLogger("some.library").debug("debug line")
        print("printed line")
        warnings.warn("a warning", UserWarning, stacklevel=1)
    assert "debug line" in capture.logs
    assert "printed line" in capture.output
    assert "UserWarning: a warning" in capture.warnings


# -- deliberate regressions against the live gateway ---------------------------------------------------


def gateway_scenarios() -> list[Scenario]:
    return [s for s in load_dir(AUTH_DIR).scenarios if s.server == "gateway"]


def by_name(findings) -> dict:
    return {f.subject: f for f in findings}


@pytest.mark.server
def test_mapping_403_to_a_generic_error_fails_exactly_that_scenario(gateway):
    target = "gateway-read-key-cannot-register"
    # Made in the worker's process for the call: a hook from a file it loads there.
    generic_errors = Hook(str(REGRESSIONS), "generic_errors", {"target": target})

    findings = by_name(run_scenarios(gateway_scenarios(), lambda kind: gateway, hook=generic_errors))
    failed = {name: f.rule for name, f in findings.items() if f.outcome is not Outcome.PASSED}
    assert failed == {target: "AUTH002"}
    assert "expected AuthorizationError, got RuntimeError" in findings[target].message


@pytest.mark.server
def test_printing_the_key_fails_exactly_that_scenario_and_reports_stay_masked(gateway, tmp_path):
    target = "gateway-tracking-token-without-api-key"
    record = tmp_path / "printed"
    chatty = Hook(str(REGRESSIONS), "chatty", {"target": target, "printed": str(record)})

    findings = by_name(run_scenarios(gateway_scenarios(), lambda kind: gateway, hook=chatty))
    printed = record.read_text().splitlines()
    failed = {name: f.rule for name, f in findings.items() if f.outcome is not Outcome.PASSED}
    assert failed == {target: "AUTH004"}
    assert "KEY_WRITE appears unmasked in standard output/error" in findings[target].message
    (key,) = printed
    for fmt in FORMATS:
        assert key not in render(RunResult(findings=list(findings.values())), fmt, secrets=())


@pytest.mark.server
def test_verify_only_auth_reports_one_row_per_scenario(tmp_path, mlflow_server):
    root = write_contracts(tmp_path / "contracts", {})
    shutil.copy(AUTH_DIR / "api-keys.yaml", root / "auth")
    report = tmp_path / "report.json"
    app = build_app(CHECKS, server_factory=lambda: contextlib.nullcontext(mlflow_server))
    result = CliRunner().invoke(
        app, ["verify", "--contracts", str(root), "--only", "auth", "--json", str(report), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(report.read_text())["findings"]
    names = [s.name for s in load_file(root / "auth" / "api-keys.yaml")]
    assert sorted(f["subject"] for f in findings) == sorted(names)
    assert {f["outcome"] for f in findings} == {"passed"}


# -- pytest collection -----------------------------------------------------------------------------------


def test_pytest_collects_one_item_per_scenario_and_malformed_files_fail(pytester):
    write_contracts(
        pytester.path / "contracts", {"good.yaml": VALID, "bad.yaml": VALID.replace("call:", "cal:")}
    )
    result = pytester.runpytest("--hokusai-contracts", "contracts", "--collect-only", "-q", "contracts/auth")
    result.stdout.fnmatch_lines(
        ["contracts/auth/good.yaml::ok", "*AUTH005*bad.yaml:2*'call' is a required property*"]
    )


class SharedSource:
    """A server source with a pool's shared runs (``results``), as the run's ServerPool has."""

    def __init__(self, server) -> None:
        self.server = server
        self.results = RunMemo()

    def __call__(self, kind: str):
        return self.server


@pytest.mark.server
def test_a_scenario_another_caller_runs_word_for_word_with_the_same_sdk_runs_once(gateway, monkeypatch):
    # The release diff's behaviour check runs OLD's copy of a scenario beside the auth family's own.
    ran: list[str] = []
    real_batch = auth_family.run_batch

    def counted(scenarios, source, options):
        ran.extend(s.name for s in scenarios)
        return real_batch(scenarios, source, options)

    monkeypatch.setattr(auth_family, "run_batch", counted)
    ours = gateway_scenarios()[:3]
    theirs = [
        dataclasses.replace(s, file="releases/1.2.0/auth/gateway.yaml", line=s.line + 100) for s in ours
    ]
    source = SharedSource(gateway)
    with ThreadPoolExecutor(max_workers=2) as pool:
        mine, copies = pool.map(lambda scenarios: run_scenarios(scenarios, source, lanes=2), (ours, theirs))
    assert sorted(ran) == sorted(s.name for s in ours)  # each ran once, by one of the two callers
    assert [(f.subject, f.outcome) for f in mine] == [(f.subject, f.outcome) for f in copies]
    assert [f.location.file for f in copies] == [s.file for s in theirs]  # each copy's own place
    # Another SDK is another run.
    run_scenarios(ours[:1], source, extra_paths=["/nonexistent-old-sdk"])
    assert len(ran) == len(ours) + 1
