"""``hokusai-contracts diff`` and ``verify --baseline``: exit codes, outputs, accepted breaks."""

from __future__ import annotations

import contextlib
import json

import pytest
from typer.testing import CliRunner

from hokusai_contracts.checks import CheckFamily
from hokusai_contracts.cli.app import app, build_app
from hokusai_contracts.release.corpus import CORPUS

BREAKING = CORPUS / "bc005-parameter-renamed"
COMPATIBLE = CORPUS / "bc019-optional-parameter-added"


def diff(*args: str):
    return CliRunner().invoke(app, ["diff", *args, "--package", "corpkg"])


def test_breaking_change_fails_with_ready_to_paste_entry(tmp_path):
    result = diff(str(BREAKING / "old"), str(BREAKING / "new"), "--accepted", str(tmp_path / "none.yaml"))
    assert result.exit_code == 3 and "no such file" in result.output  # a missing --accepted file is usage
    result = diff(str(BREAKING / "old"), str(BREAKING / "new"))
    assert result.exit_code == 1, result.output
    assert "BC005" in result.output and "corpkg.fetch" in result.output
    assert "1.0.0 -> 1.1.0 is a minor bump" in result.output
    assert "  - rule: BC005\n    object: corpkg.fetch\n" in result.output


def test_compatible_change_passes():
    result = diff(str(COMPATIBLE / "old"), str(COMPATIBLE / "new"))
    assert result.exit_code == 0, result.output
    assert "rule: " not in result.output


def test_reports_and_changelog(tmp_path):
    files = {name: tmp_path / name for name in ("changes.md", "report.json", "report.xml")}
    result = diff(
        str(BREAKING / "old"),
        str(BREAKING / "new"),
        "--markdown",
        str(files["changes.md"]),
        "--json",
        str(files["report.json"]),
        "--junit",
        str(files["report.xml"]),
        "--format",
        "github",
    )
    assert result.exit_code == 1
    assert "::error" in result.output and "BC005" in result.output
    changelog = files["changes.md"].read_text()
    assert changelog.startswith("## Changes from ") and "### Breaking changes (1)" in changelog
    assert "**BC005** `corpkg.fetch`" in changelog
    report = json.loads(files["report.json"].read_text())
    assert "BC005" in json.dumps(report)
    assert "BC005" in files["report.xml"].read_text()


def test_accepted_break_passes_and_is_listed(tmp_path):
    accepted = tmp_path / "accepted-breaks.yaml"
    accepted.write_text(
        "accepted:\n  - rule: BC005\n    object: corpkg.fetch\n    versions: '>=1.1.0,<2.0.0'\n"
        "    justification: timeout_s is the documented name since 0.9\n"
    )
    result = diff(str(BREAKING / "old"), str(BREAKING / "new"), "--accepted", str(accepted))
    assert result.exit_code == 0, result.output
    assert "accepted" in result.output and "timeout_s is the documented name" in result.output


def test_bad_accepted_file_is_a_contract_error_at_file_and_line(tmp_path):
    accepted = tmp_path / "accepted-breaks.yaml"
    accepted.write_text("accepted:\n  - rule: BC005\n    object: corpkg.fetch\n")
    result = diff(str(BREAKING / "old"), str(BREAKING / "new"), "--accepted", str(accepted))
    assert result.exit_code == 1
    assert f"{accepted}:2:" in result.output and "Traceback" not in result.output


def test_bad_side_is_a_usage_error():
    result = diff("no/such/release", str(BREAKING / "new"))
    assert result.exit_code == 3 and "no such file, directory or interpreter" in result.output


@pytest.mark.parametrize(("pair", "code"), [(BREAKING, 1), (COMPATIBLE, 0)])
def test_verify_baseline_adds_the_diff_to_the_gate(pair, code, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(pair / "new"))  # the SDK under test
    (tmp_path / "api").mkdir()
    noop = CheckFamily("noop", "nothing", lambda context: [])
    gate = build_app(checks={"noop": noop}, server_factory=contextlib.nullcontext)
    args = ["verify", "--contracts", str(tmp_path), "--package", "corpkg", "--baseline", str(pair / "old")]
    result = CliRunner().invoke(gate, args)
    assert result.exit_code == code, result.output
    assert "diff" in result.output
    if code:
        assert "BC005" in result.output


def test_behaviour_flag_runs_old_examples_on_new():
    pair = CORPUS / "behaviour-default-remote-server"
    static = diff(str(pair / "old"), str(pair / "new"))
    # Without --behaviour: the changed default alone is only a warning, but the differential probe sees
    # Tracker().log(...) newly reach the network (BC023); the documented example's regression is BC101's.
    assert static.exit_code == 1 and "BC023" in static.output, static.output
    assert "BC101" not in static.output
    result = diff(str(pair / "old"), str(pair / "new"), "--behaviour")
    assert result.exit_code == 1, result.output
    assert "BC101" in result.output and "the changes require a major bump" in result.output
