"""The compatibility matrix: table writer (pure) and one real run over the harness's own version."""

from __future__ import annotations

import json

from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.findings import Finding, Outcome, RunResult
from hokusai_contracts.reports import write_report
from hokusai_contracts.reports.matrix import render_markdown
from hokusai_contracts.reports.matrix_model import Matrix, row_from_result
from hokusai_contracts.servers.providers import ServerRequest
from hokusai_contracts.servers.venvs import own_mlflow_version
from hokusai_contracts.verify.matrix import parse_versions
from hokusai_contracts.verify.server_run import run_matrix


def _result(*outcomes: tuple[str, Outcome]) -> RunResult:
    findings = [Finding(check, "R1", f"s{i}", "message", outcome=o) for i, (check, o) in enumerate(outcomes)]
    return RunResult(findings=findings, sdk_version="1.2.3", server="http://x (process provider)")


def test_rows_count_outcomes_per_family_and_list_failures():
    result = _result(
        ("signatures", Outcome.PASSED), ("snippets", Outcome.FAILED), ("snippets", Outcome.PASSED)
    )
    row = row_from_result(result, "2.9.0", ["signatures", "snippets"])
    snippets = row.cells[1]
    assert (snippets.passed, snippets.failed, snippets.status) == (1, 1, "failed")
    assert row.exit_code == 1 and row.failures == ("[snippets] R1 s1: message",)


def test_markdown_and_json_tables(tmp_path):
    matrix = Matrix(
        rows=[
            row_from_result(_result(("signatures", Outcome.PASSED)), "2.9.0", ["signatures"]),
            row_from_result(_result(("signatures", Outcome.ERROR)), "3.17.2", ["signatures"]),
        ]
    )
    text = render_markdown(matrix)
    assert "| SDK | MLflow server | signatures | exit |" in text
    assert (
        "| 1.2.3 | 2.9.0 | 1 passed | 0 |" in text
        and "| 1.2.3 | 3.17.2 | 0 passed, **1 error** | 2 |" in text
    )
    markdown_path, json_path = tmp_path / "matrix.md", tmp_path / "matrix.json"
    write_report(matrix, "matrix-markdown", markdown_path)
    write_report(matrix, "matrix-json", json_path)
    data = json.loads(json_path.read_text())
    assert data["exit_code"] == 2 and [c["status"] for c in data["cells"]] == ["passed", "error"]
    assert markdown_path.read_text() == text


def test_versions_are_parsed_in_order_without_duplicates():
    assert parse_versions(" 2.9.0, 3.17.2,2.9.0 ") == ["2.9.0", "3.17.2"]


def test_a_real_matrix_run_over_the_harness_version(tmp_path):
    version = own_mlflow_version()
    seen = []

    def live(context: VerifyContext):
        seen.append(context.server.version)
        return [Finding("live", "LIVE", context.server.url, "answers", outcome=Outcome.PASSED)]

    families = [CheckFamily("live", "needs a server", live, needs_server=True)]
    matrix = run_matrix(
        families, lambda: VerifyContext(contracts_dir=tmp_path), [version], ServerRequest("process")
    )
    assert seen == [version]
    assert matrix.exit_code == 0 and matrix.rows[0].cells[0].passed == 1
    assert "process provider" in matrix.rows[0].provider
