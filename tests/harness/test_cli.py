"""The hokusai-contracts CLI: exit codes 0/1/2/3, check-family selection, report files, no tracebacks.

The CLI is built over stand-in check families (``build_app(checks=...)``), so these tests say what the
CLI does with findings and errors, whatever the real checks find.
"""

from __future__ import annotations

import contextlib
import json
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.base.errors import ContractError, HarnessUsageError, InfrastructureError
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.cli.app import build_app, split_names
from hokusai_contracts.cli.output import EXIT_FAILED, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from hokusai_contracts.findings import Finding, Location, Outcome

KEY = "hk_live_9fQx2LmZpR7tVbN3QtN"


def _passing(context: VerifyContext) -> list[Finding]:
    return [Finding("ok", "SIG000", f"hokusai.f{i}", "matches", outcome=Outcome.PASSED) for i in range(2)]


def _failing(context: VerifyContext) -> list[Finding]:
    return [
        Finding("bad", "SIG000", "hokusai.g", "matches", outcome=Outcome.PASSED),
        Finding(
            "bad",
            "SIG101",
            "hokusai.f",
            f"parameter 'registry' is missing (sent api_key={KEY})",
            location=Location("contracts/api/hokusai.yaml", 7),
            fix="add the parameter",
        ),
    ]


def _infrastructure(context: VerifyContext) -> list[Finding]:
    raise InfrastructureError("the SDK did not import: No module named 'mlflow'")


def _malformed(context: VerifyContext) -> list[Finding]:
    raise ContractError("expected a list of parameters", file="contracts/api/hokusai.yaml", line=12)


def _crashing(context: VerifyContext) -> list[Finding]:
    raise RuntimeError("boom")


def _misused(context: VerifyContext) -> list[Finding]:
    raise HarnessUsageError("--python /nope: no such interpreter")


STAND_INS = {
    "ok": CheckFamily("ok", "always passes", _passing),
    "bad": CheckFamily("bad", "one failure", _failing),
    "infra": CheckFamily("infra", "environment broken", _infrastructure),
    "malformed": CheckFamily("malformed", "contract file broken", _malformed),
    "crash": CheckFamily("crash", "a bug in a check", _crashing),
    "misused": CheckFamily("misused", "usage error inside a check", _misused),
}


@pytest.fixture
def contracts(tmp_path) -> Path:
    directory = tmp_path / "contracts"
    (directory / "api").mkdir(parents=True)
    return directory


def invoke(*args: str, checks=None, **build) -> object:
    app = build_app(checks=STAND_INS if checks is None else checks, **build)
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# --- exit codes ------------------------------------------------------------------------------------


def test_pass_exits_0(contracts):
    result = invoke("verify", "--contracts", contracts, "--only", "ok")
    assert result.exit_code == EXIT_OK, result.output
    assert "PASSED: 2 passed" in result.stdout


def test_contract_failure_exits_1_and_explains(contracts):
    result = invoke("verify", "--contracts", contracts, "--only", "ok,bad")
    assert result.exit_code == EXIT_FAILED
    out = result.stdout
    assert "FAIL SIG101  hokusai.f" in out
    assert "at contracts/api/hokusai.yaml:7" in out
    assert "fix: add the parameter" in out
    assert KEY not in out and "hk_live_...QtN" in out
    assert_no_traceback(result)


def test_infrastructure_error_exits_2(contracts):
    result = invoke("verify", "--contracts", contracts, "--skip", "misused")  # infra among the rest
    assert result.exit_code == EXIT_INFRASTRUCTURE
    assert "No module named 'mlflow'" in result.stdout
    assert "ERROR infrastructure  infra" in result.stdout


def test_malformed_contract_exits_1_with_file_and_line(contracts):
    result = invoke("verify", "--contracts", contracts, "--only", "malformed")
    assert result.exit_code == EXIT_FAILED
    assert "contracts/api/hokusai.yaml:12: expected a list of parameters" in result.stdout
    assert_no_traceback(result)


def test_crashing_check_exits_2_and_keeps_the_other_families(contracts, tmp_path):
    report = tmp_path / "report.json"
    result = invoke("verify", "--contracts", contracts, "--only", "crash,ok", "--json", report)
    assert result.exit_code == EXIT_INFRASTRUCTURE
    data = json.loads(report.read_text())
    assert data["counts"]["by_check"]["ok"]["passed"] == 2
    crash = next(f for f in data["findings"] if f["check"] == "crash")
    assert crash["rule"] == "harness-internal-error" and "RuntimeError: boom" in crash["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "ok,nope"], "unknown check family 'nope'; valid names: ok, bad, infra"),
        (["--skip", "x,y"], "unknown check families 'x', 'y'"),
        (["--only", "ok", "--skip", "ok"], "leave no check family to run"),
        (["--only", "misused"], "--python /nope: no such interpreter"),
        (["--python", "/no/such/python3"], "--python '/no/such/python3': no such interpreter"),
        (["--bogus"], "No such option"),
        (["--format", "pdf"], "pdf"),
    ],
)
def test_usage_errors_exit_3(contracts, args, message):
    result = invoke("verify", "--contracts", contracts, *args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert message in result.output
    assert_no_traceback(result)


def test_missing_contracts_directory_exits_3(tmp_path):
    result = invoke("verify", "--contracts", tmp_path / "nowhere")
    assert result.exit_code == EXIT_USAGE
    assert "contracts directory" in result.stderr and "does not exist" in result.stderr
    assert "hokusai-contracts extract --contracts" in result.stderr


def test_unwritable_report_path_exits_3(contracts, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = invoke("verify", "--contracts", contracts, "--only", "ok", "--junit", blocker / "junit.xml")
    assert result.exit_code == EXIT_USAGE
    assert "cannot write the junit report" in result.stderr


# --- reports and output ----------------------------------------------------------------------------


def test_writes_every_report_file(contracts, tmp_path):
    junit, summary, report = tmp_path / "out/junit.xml", tmp_path / "out/summary.md", tmp_path / "out/r.json"
    result = invoke(
        "verify", "--contracts", contracts, "--only", "ok,bad", "--junit", junit, "--markdown", summary,
        "--json", report,
    )  # fmt: skip
    assert result.exit_code == EXIT_FAILED
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("4", "1")
    assert summary.read_text().startswith("## ❌ Hokusai contracts: FAILED")
    data = json.loads(report.read_text())
    assert data["run"]["exit_code"] == EXIT_FAILED
    for path in (junit, summary, report):
        assert KEY not in path.read_text()


def test_github_format_prints_annotations_and_appends_step_summary(contracts, tmp_path, monkeypatch):
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    result = invoke("verify", "--contracts", contracts, "--only", "bad", "--format", "github")
    assert result.exit_code == EXIT_FAILED
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::error file=contracts/api/hokusai.yaml,line=7,title=SIG101::hokusai.f: ")
    assert "Contract checks" not in result.stdout
    text = step_summary.read_text()
    assert text.startswith("earlier step\n## ❌ Hokusai contracts")


def test_quiet_prints_failures_only(contracts):
    result = invoke("verify", "--contracts", contracts, "--only", "ok,bad", "--quiet")
    assert result.exit_code == EXIT_FAILED
    assert "Contract checks" not in result.stdout
    assert "SIG101" in result.stdout
    assert "running" not in result.stderr


def test_progress_goes_to_stderr(contracts):
    result = invoke("verify", "--contracts", contracts, "--only", "ok,bad")
    assert "[1/2] ok running" in result.stderr
    assert "✗ [2/2] bad: 2 findings, 1 failing" in result.stderr


# --- servers ---------------------------------------------------------------------------------------


@dataclass
class FakeServer:
    url: str = "http://127.0.0.1:59999"
    stopped: list[bool] = field(default_factory=list)


def test_server_is_started_only_for_families_that_need_it(contracts):
    server = FakeServer()
    seen = []

    @contextlib.contextmanager
    def factory():
        yield server
        server.stopped.append(True)

    def needs(context: VerifyContext) -> list[Finding]:
        seen.append(context.server)
        return [Finding("live", "HTTP1", "GET /health", "ok", outcome=Outcome.PASSED)]

    checks = {**STAND_INS, "live": CheckFamily("live", "needs a server", needs, needs_server=True)}
    assert invoke("verify", "--contracts", contracts, "--only", "ok", checks=checks, server_factory=factory)
    assert server.stopped == [] and seen == []
    result = invoke(
        "verify", "--contracts", contracts, "--only", "live", checks=checks, server_factory=factory
    )
    assert result.exit_code == EXIT_OK, result.output
    assert seen == [server] and server.stopped == [True]


def test_server_that_does_not_start_exits_2_after_running_the_rest(contracts, tmp_path):
    @contextlib.contextmanager
    def factory():
        raise InfrastructureError("mlflow server did not become healthy in 60 s")
        yield

    def needs(context: VerifyContext) -> list[Finding]:
        raise AssertionError("must not run without its server")

    checks = {**STAND_INS, "live": CheckFamily("live", "needs a server", needs, needs_server=True)}
    report = tmp_path / "r.json"
    result = invoke(
        "verify", "--contracts", contracts, "--only", "ok,live", "--json", report, checks=checks,
        server_factory=factory,
    )  # fmt: skip
    assert result.exit_code == EXIT_INFRASTRUCTURE
    data = json.loads(report.read_text())
    assert data["run"]["infrastructure_error"] == "mlflow server did not become healthy in 60 s"
    assert data["counts"]["by_check"]["ok"]["passed"] == 2
    assert data["counts"]["by_check"]["live"]["errors"] == 1


# --- extract ---------------------------------------------------------------------------------------


@dataclass
class FakeExtract:
    """A stand-in for hokusai_contracts.introspection.extract.extract that records its calls."""

    ok: bool = True
    diff: str = ""
    changed: list[Path] = field(default_factory=list)
    error: Exception | None = None
    calls: list[tuple] = field(default_factory=list)
    not_imported: dict[str, str] = field(default_factory=dict)

    def not_imported_lines(self) -> list[str]:
        return [f"{name}: {error}" for name, error in self.not_imported.items()]

    def __call__(self, contracts_dir, python=None, package="hokusai", check=False):
        self.calls.append((Path(contracts_dir), python, package, check))
        if self.error:
            raise self.error
        return self


STALE_DIFF = "--- a/api/hokusai.yaml\n+++ b/api/hokusai.yaml\n@@ -1 +1 @@\n-  - name: old\n+  - name: new\n"


def test_extract_check_up_to_date_exits_0(contracts):
    fake = FakeExtract()
    result = invoke("extract", "--contracts", contracts, "--check", extract_fn=fake)
    assert result.exit_code == EXIT_OK
    assert "up to date" in result.stdout
    assert fake.calls == [(contracts / "api", None, "hokusai", True)]


def test_extract_check_stale_prints_diff_and_exits_1(contracts):
    fake = FakeExtract(ok=False, diff=STALE_DIFF, changed=[contracts / "api/hokusai.yaml"])
    result = invoke("extract", "--contracts", contracts, "--check", extract_fn=fake)
    assert result.exit_code == EXIT_FAILED
    assert "+  - name: new" in result.stdout and "-  - name: old" in result.stdout
    assert "stale contracts:" in result.stderr
    assert "run `hokusai-contracts extract`, review the diff" in result.stderr


def test_extract_writes_and_lists_changes(contracts):
    fake = FakeExtract(diff=STALE_DIFF, changed=[contracts / "api/hokusai.yaml"])
    result = invoke("extract", "--contracts", contracts, "--python", sys.executable, extract_fn=fake)
    assert result.exit_code == EXIT_OK
    assert "wrote 1 contract file(s)" in result.stdout and "hokusai.yaml" in result.stdout
    assert fake.calls[0][1] == sys.executable and fake.calls[0][3] is False
    unchanged = invoke("extract", "--contracts", contracts, extract_fn=FakeExtract())
    assert "nothing written" in unchanged.stdout


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (InfrastructureError("the SDK did not import"), EXIT_INFRASTRUCTURE, "infrastructure error: the SDK"),
        (
            ContractError("bad kind 'klass'", file="api/hokusai.yaml", line=4),
            EXIT_FAILED,
            "api/hokusai.yaml:4:",
        ),
        (HarnessUsageError("no such interpreter"), EXIT_USAGE, "usage error: no such interpreter"),
    ],
)
def test_extract_errors(contracts, error, code, message):
    result = invoke("extract", "--contracts", contracts, extract_fn=FakeExtract(error=error))
    assert result.exit_code == code
    assert message in result.stderr
    assert_no_traceback(result)


# --- help and parsing ------------------------------------------------------------------------------


def test_help_documents_exit_codes_and_families():
    result = invoke("verify", "--help", checks=CHECKS)
    assert result.exit_code == EXIT_OK
    assert "Exit codes: 0 pass; 1 contract failure" in " ".join(result.stdout.split())
    assert "signatures" in result.stdout


def test_split_names():
    assert split_names(" a, b,,c ") == ["a", "b", "c"]
    assert split_names(None) == []


def test_registry_has_signatures():
    family = CHECKS["signatures"]
    assert family.name == "signatures" and not family.needs_server


# --- end to end ------------------------------------------------------------------------------------


def test_extract_then_verify_signatures_end_to_end(tmp_path, monkeypatch):
    """The real extraction, store, introspection and signature check, on the SDK installed here."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    app = build_app()
    extracted = runner.invoke(app, ["extract", "--contracts", "contracts"])
    assert extracted.exit_code == EXIT_OK, extracted.output
    assert (tmp_path / "contracts/api/hokusai.yaml").is_file()
    assert runner.invoke(app, ["extract", "--contracts", "contracts", "--check"]).exit_code == EXIT_OK
    reports = tmp_path / "reports"
    verified = runner.invoke(
        app,
        ["verify", "--contracts", "contracts", "--only", "signatures", "--junit", f"{reports}/junit.xml",
         "--json", f"{reports}/report.json", "--markdown", f"{reports}/summary.md"],
    )  # fmt: skip
    assert verified.exit_code == EXIT_OK, verified.output
    data = json.loads((reports / "report.json").read_text())
    assert data["run"]["status"] == "passed" and data["run"]["sdk_version"]
    assert data["counts"]["by_check"]["signatures"]["passed"] > 50
    root = ET.parse(reports / "junit.xml").getroot()
    assert int(root.get("tests")) > 50 and root.get("failures") == "0"
    assert (reports / "summary.md").read_text().startswith("## ✅ Hokusai contracts: PASSED")
