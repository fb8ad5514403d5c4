"""Report formats: each renders the same run faithfully, parses in its consumer, and leaks no secret."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hokusai_contracts.findings import Finding, Location, Outcome, RunResult, Severity
from hokusai_contracts.reports import (
    FORMATS,
    github,
    json_report,
    junit,
    markdown,
    render,
    terminal,
    write_report,
)

KEY = "hk_live_9fQx2LmZpR7tVbN3QtN"
PASSWORD = "s3cr3t-Passw0rd"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.payload9"
SECRETS = (KEY, PASSWORD, TOKEN)


def sample_result() -> RunResult:
    """A run with every outcome: passes, a failure, a warning, a skip and an infrastructure error."""
    api = Location("contracts/api/tracking.yaml", 12)
    return RunResult(
        findings=[
            Finding("signatures", "SIG000", "hokusai.ModelRegistry", "matches", outcome=Outcome.PASSED),
            Finding(
                "signatures",
                "SIG101",
                "hokusai.tracking.ExperimentManager.__init__",
                "parameter 'registry' is missing",
                location=api,
                fix="add the parameter or update the contract",
                details="contract: (self, registry)\nobserved: (self)",
            ),
            Finding(
                "signatures",
                "SIG101",
                "hokusai.tracking.ExperimentManager.__init__",
                "parameter 'name' was renamed",
                location=api,
            ),
            Finding(
                "signatures",
                "SIG205",
                "hokusai.tracking.log",
                "deprecated alias still exported",
                severity=Severity.WARNING,
                location=Location("contracts/api/tracking.yaml", 40),
            ),
            Finding("snippets", "DOC001", "README.md#quickstart", "needs a server", outcome=Outcome.SKIPPED),
            Finding(
                "auth",
                "infrastructure",
                "auth",
                f"server https://admin:{PASSWORD}@127.0.0.1:5001 did not answer (key {KEY})",
                outcome=Outcome.ERROR,
                fix=f"check Authorization: Bearer {TOKEN}",
            ),
        ],
        sdk_version="1.1.0",
        server="http://127.0.0.1:5000",
        duration_s=1.25,
    )


def passing_result() -> RunResult:
    """A run where everything passed."""
    return RunResult(
        findings=[
            Finding("signatures", "SIG000", f"hokusai.Thing{i}", "ok", outcome=Outcome.PASSED)
            for i in range(3)
        ],
        duration_s=0.5,
    )


# --- JUnit -----------------------------------------------------------------------------------------


def test_junit_counts_and_structure():
    root = ET.fromstring(junit.render(sample_result()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "1",
        "1",
        "1",
    )
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["auth", "signatures", "snippets"]
    signatures = suites["signatures"]
    assert (signatures.get("tests"), signatures.get("failures"), signatures.get("errors")) == ("3", "1", "0")
    cases = {case.get("name"): case for case in signatures.findall("testcase")}
    # Two findings about one subject make one testcase with one failure listing both.
    failing = cases["hokusai.tracking.ExperimentManager.__init__"]
    (failure,) = failing.findall("failure")
    assert failure.get("type") == "SIG101"
    assert failure.get("message") == "SIG101: parameter 'registry' is missing"
    assert "renamed" in failure.text and "at contracts/api/tracking.yaml:12" in failure.text
    assert "fix: add the parameter" in failure.text
    assert (failing.get("file"), failing.get("line")) == ("contracts/api/tracking.yaml", "12")
    assert failing.get("classname") == "hokusai-contracts.signatures"
    # A warning does not fail its testcase; it is kept in system-out.
    warned = cases["hokusai.tracking.log"]
    assert not warned.findall("failure") and "SIG205" in warned.find("system-out").text
    assert not cases["hokusai.ModelRegistry"].findall("*")
    assert suites["snippets"].find("testcase/skipped").get("message") == "needs a server"
    assert suites["auth"].find("testcase/error").get("type") == "infrastructure"


def test_junit_run_level_infrastructure_error_gets_its_own_suite():
    root = ET.fromstring(junit.render(RunResult(infrastructure_error="mlflow did not start")))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "harness" and root.get("errors") == "1"
    assert suite.find("testcase/error").get("message") == "mlflow did not start"


def test_junit_survives_control_characters_and_markup():
    finding = Finding("signatures", "SIG1", "a<b>&c", "bad \x00\x1b[31m byte ]]> <x/>")
    root = ET.fromstring(junit.render(RunResult(findings=[finding])))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "a<b>&c"
    assert "]]> <x/>" in case.find("failure").get("message")


def test_junit_passing_run():
    root = ET.fromstring(junit.render(passing_result()))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "0", "0")


# --- JSON ------------------------------------------------------------------------------------------


def test_json_round_trip_and_values():
    result = sample_result()
    result.findings[-1] = Finding("auth", "infrastructure", "auth", "down", outcome=Outcome.ERROR)
    data = json.loads(json_report.render(result))
    assert data["schema_version"] == 1
    assert data["run"] == {
        "status": "error",
        "exit_code": 2,
        "sdk_version": "1.1.0",
        "server": "http://127.0.0.1:5000",
        "infrastructure_error": None,
        "duration_s": 1.25,
    }
    assert data["counts"]["total"] == {
        "passed": 1,
        "failed": 2,
        "warnings": 1,
        "skipped": 1,
        "errors": 1,
        "total": 6,
    }
    assert data["counts"]["by_check"]["signatures"]["failed"] == 2
    warning = next(f for f in data["findings"] if f["rule"] == "SIG205")
    assert (warning["outcome"], warning["severity"]) == ("failed", "warning")
    assert warning["location"] == {"file": "contracts/api/tracking.yaml", "line": 40}
    back = json_report.from_dict(data)
    assert sorted(back.findings, key=repr) == sorted(result.findings, key=repr)
    assert (back.sdk_version, back.server, back.duration_s) == ("1.1.0", "http://127.0.0.1:5000", 1.25)


def test_json_is_stable_whatever_the_finding_order():
    result = sample_result()
    shuffled = RunResult(findings=list(reversed(result.findings)), sdk_version="1.1.0")
    shuffled.server, shuffled.duration_s = result.server, result.duration_s
    assert json_report.render(result) == json_report.render(shuffled)


def test_json_rejects_unknown_schema():
    with pytest.raises(ValueError, match="schema_version"):
        json_report.from_dict({"schema_version": 99})


# --- Markdown --------------------------------------------------------------------------------------


def test_markdown_summary():
    text = markdown.render(sample_result())
    lines = text.splitlines()
    assert lines[0].startswith("## ⚠️ Hokusai contracts: ERROR")
    assert "| check | passed | failed | warnings | skipped | errors |" in lines
    assert "| signatures | 1 | 2 | 1 | 0 | 0 |" in lines
    assert "| **total** | 1 | 2 | 1 | 1 | 1 |" in lines
    assert "### Failures (3)" in lines and "### Warnings (1)" in lines
    failure = next(line for line in lines if "parameter 'registry'" in line)
    assert failure.startswith("- **SIG101** (failed) `hokusai.tracking.ExperimentManager.__init__`")
    assert "`contracts/api/tracking.yaml:12`" in failure
    assert "  - fix: add the parameter or update the contract" in lines


def test_markdown_passing_headline_and_escaping():
    assert markdown.render(passing_result()).startswith("## ✅ Hokusai contracts: PASSED: 3 passed")
    finding = Finding("sig|x", "R|1", "a`b", "uses <script> | pipes\nand newlines")
    text = markdown.render(RunResult(findings=[finding]))
    assert "| sig\\|x | 0 | 1 |" in text
    assert "``a`b``" in text and "&lt;script&gt; \\| pipes and newlines" in text


def test_markdown_caps_long_failure_lists():
    findings = [Finding("signatures", "R", f"hokusai.f{i}", "broken") for i in range(markdown.MAX_LISTED + 5)]
    text = markdown.render(RunResult(findings=findings))
    assert "… and 5 more" in text
    assert text.count("- **R**") == markdown.MAX_LISTED


# --- GitHub annotations ----------------------------------------------------------------------------


def test_github_escaping():
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert github.command("error", "x", file="a,b.yaml", line=3, title="R:1") == (
        "::error file=a%2Cb.yaml,line=3,title=R%3A1::x"
    )
    assert github.command("notice", "plain") == "::notice::plain"


def test_github_annotations(tmp_path):
    result = sample_result()
    result.findings.append(
        Finding(
            "signatures", "SIG9", "hokusai.x", "moved", location=Location(str(tmp_path / "c/api/x.yaml"), 3)
        )
    )
    lines = github.render(result, root=tmp_path).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    # Passed and skipped findings are not annotated; failures, warnings and errors are.
    assert len(annotations) == 5
    assert annotations[0] == (
        "::error file=contracts/api/tracking.yaml,line=12,title=SIG101::"
        "hokusai.tracking.ExperimentManager.__init__: parameter 'registry' is missing"
        "%0Afix: add the parameter or update the contract"
    )
    assert annotations[2].startswith("::warning file=contracts/api/tracking.yaml,line=40,title=SIG205::")
    assert annotations[3].startswith("::error title=infrastructure::auth: server https://admin:***@")
    assert annotations[4].startswith("::error file=c/api/x.yaml,line=3,title=SIG9::")
    assert lines[-1] == "hokusai-contracts ERROR: 3 failed, 1 errors, 1 warnings, 1 passed, 1 skipped"


def test_github_message_cannot_inject_a_command():
    finding = Finding("signatures", "R", "s", "line one\n::set-env name=X::1")
    lines = github.render(RunResult(findings=[finding])).splitlines()
    assert sum(line.startswith("::") for line in lines) == 1


# --- terminal --------------------------------------------------------------------------------------


def test_terminal_report():
    text = terminal.render(sample_result(), width=120)
    assert "Contract checks" in text
    table_row = next(line for line in text.splitlines() if line.strip().startswith("signatures"))
    assert [cell for cell in table_row.split() if cell != "│"][1:] == ["1", "2", "1", "0", "0"]
    assert "Failures (3)" in text and "Warnings (1)" in text
    assert "FAIL SIG101  hokusai.tracking.ExperimentManager.__init__" in text
    assert "at contracts/api/tracking.yaml:12" in text
    assert "fix: add the parameter or update the contract" in text
    assert "observed: (self)" in text
    assert text.rstrip().splitlines()[-1].startswith("ERROR: 2 failed, 1 errors")


def test_terminal_shows_markup_literally_and_quiet_hides_table():
    finding = Finding("signatures", "R1", "[bold]x[/bold]", "see [link=http://x]here[/link]")
    text = terminal.render(RunResult(findings=[finding]))
    assert "[bold]x[/bold]" in text and "[link=http://x]here[/link]" in text
    buffer_console = terminal.Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    terminal.print_report(sample_result(), buffer_console, summary=False)
    quiet = buffer_console.export_text()
    assert "Contract checks" not in quiet and "Warnings" not in quiet and "SIG101" in quiet


def test_terminal_progress_prints_plain_lines_off_terminal():
    console = terminal.Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    with terminal.CheckProgress(console, ["signatures", "auth"]) as progress:
        progress.start("signatures")
        progress.finish("signatures", sample_result().findings[:3])
    text = console.export_text()
    assert "[1/2] signatures running" in text
    assert "✗ [1/2] signatures: 3 findings, 2 failing" in text
    silent = terminal.Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    with terminal.CheckProgress(silent, ["signatures"], enabled=False) as progress:
        progress.start("signatures")
        progress.finish("signatures", [])
    assert silent.export_text() == ""


# --- every format ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_secret_in_any_format(fmt, tmp_path):
    result = sample_result()
    result.server = f"https://admin:{PASSWORD}@mlflow.example.com"
    result.infrastructure_error = f"401 with token={TOKEN}"
    result.findings.append(
        Finding(
            "signatures",
            "R",
            f"subject {KEY}",
            f"sent Authorization: Bearer {TOKEN} and api_key={KEY}",
            location=Location(f"https://u:{PASSWORD}@host/x.yaml", 1),
            details=f"password={PASSWORD}",
        )
    )
    text = render(result, fmt, secrets=())
    written = tmp_path / f"report.{fmt}"
    write_report(result, fmt, written, secrets=())
    for output in (text, written.read_text()):
        for secret in SECRETS:
            assert secret not in output
        assert "hk_live_...QtN" in output


def test_secrets_from_the_environment_are_masked(monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "plainword77")
    result = RunResult(findings=[Finding("signatures", "R", "s", "the server said plainword77")])
    write_report(result, "json")
    write_report(result, "terminal")
    out = capsys.readouterr().out
    assert "plainword77" not in out and "the server said ***" in out


def test_write_report_dispatch(tmp_path, capsys):
    write_report(passing_result(), "junit")
    assert capsys.readouterr().out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    target = tmp_path / "nested" / "dir" / "summary.md"
    write_report(passing_result(), "markdown", target)
    assert target.read_text().startswith("## ✅")
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        write_report(passing_result(), "pdf", Path("x"))
