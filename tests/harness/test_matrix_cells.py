"""The compatibility space without servers: axes, presets, shards, plans, the results store,
can-i-deploy verdicts, version ranges of contract data, release-date resolution."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.base.errors import ContractError, HarnessUsageError
from hokusai_contracts.checks.signatures.gate import check_signatures
from hokusai_contracts.cli.app import app
from hokusai_contracts.cli.matrix import compatibility_text
from hokusai_contracts.contract.store import dump_module, load_contracts
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.reports.matrix import from_json, render_markdown, to_json
from hokusai_contracts.reports.matrix_model import Matrix, MatrixCell, MatrixRow
from hokusai_contracts.servers.venvs import release_date, resolution_date
from hokusai_contracts.verify.cells import (
    CI_PRESET,
    Cell,
    cross_product,
    github_matrix,
    parse_axis,
    parse_shard,
    preset,
    resolve_plan,
    shard,
)
from hokusai_contracts.verify.known_differences import (
    Declarations,
    KnownDifference,
    Range,
    declared_rows,
    from_auth_file,
    from_docs_page,
    from_openapi,
    judge,
    load,
    range_from_text,
    version_in,
)
from hokusai_contracts.verify.matrix_run import stored_results
from hokusai_contracts.verify.results_store import StoredResult, append, can_i_deploy, merge, read_all

CURRENT = Cell("3.17.2", "3.17.2", "3.11")
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


# -- axes and presets ---------------------------------------------------------------------------------


def test_axes_parse_in_order_without_duplicates():
    assert parse_axis("2.9.0, 3.17.2,2.9.0", "--clients") == ["2.9.0", "3.17.2"]
    assert parse_axis("3.10,3.13", "--pythons") == ["3.10", "3.13"]
    with pytest.raises(HarnessUsageError, match="--pythons '3'"):
        parse_axis("3", "--pythons")
    with pytest.raises(HarnessUsageError, match="--clients 'latest'"):
        parse_axis("latest", "--clients")
    with pytest.raises(HarnessUsageError, match="at least one"):
        parse_axis(" , ", "--servers")


def test_an_axis_not_given_stays_at_the_current_value():
    plan = resolve_plan(None, "2.9.0,3.17.2", None, "3.10", CURRENT)
    assert plan.cells == (Cell("2.9.0", "3.17.2", "3.10"), Cell("3.17.2", "3.17.2", "3.10"))
    assert resolve_plan(None, None, None, None, CURRENT) is None


def test_the_old_matrix_option_means_servers():
    plan = resolve_plan("2.9.0,3.17.2", None, None, None, CURRENT)
    assert [c.server for c in plan.cells] == ["2.9.0", "3.17.2"]
    assert {(c.client, c.python) for c in plan.cells} == {("3.17.2", "3.11")}
    with pytest.raises(HarnessUsageError, match="same axis"):
        resolve_plan("2.9.0", None, "3.17.2", None, CURRENT)


def test_the_ci_preset_covers_every_axis_value_within_six_cells():
    plan = resolve_plan("ci", None, None, None, CURRENT)
    assert plan == preset("ci") and len(plan.cells) == len(CI_PRESET) == 6 and not plan.not_installable
    assert {c.client for c in plan.cells} == {"2.9.0", "2.22.0", "3.17.2"}
    assert {c.server for c in plan.cells} == {"2.9.0", "3.17.2"}
    assert {c.python for c in plan.cells} == {"3.10", "3.12", "3.13"} | {"3.10"}
    assert {c.server for c in plan.cells if c.client == "2.9.0"} == {"2.9.0", "3.17.2"}
    with pytest.raises(HarnessUsageError, match="preset"):
        resolve_plan("ci", "2.9.0", None, None, CURRENT)


def test_a_client_is_left_out_of_pythons_it_does_not_install_on():
    plan = cross_product(["2.9.0", "3.17.2"], ["2.9.0"], ["3.10", "3.13"])
    assert Cell("2.9.0", "2.9.0", "3.13") not in plan.cells
    assert [cell for cell, _ in plan.not_installable] == [Cell("2.9.0", "2.9.0", "3.13")]
    assert "numpy<2" in plan.not_installable[0][1]
    assert Cell("3.17.2", "2.9.0", "3.13") in plan.cells


# -- shards and plans -----------------------------------------------------------------------------------


def test_shards_are_disjoint_complete_and_independent_of_order():
    cells = list(cross_product(["2.9.0", "2.22.0", "3.17.2"], ["2.9.0", "3.17.2"], ["3.10", "3.12"]).cells)
    parts = [shard(cells, i, 3) for i in (1, 2, 3)]
    assert sorted(c for part in parts for c in part) == sorted(cells)
    assert all(len(part) == 4 for part in parts)
    assert shard(list(reversed(cells)), 2, 3) == parts[1]


def test_shard_text_is_checked():
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "a/b", "1", "1/0"):
        with pytest.raises(HarnessUsageError, match="--shard"):
            parse_shard(bad)


def test_github_matrix_lists_every_cell_with_a_name():
    data = github_matrix(preset("ci").cells)
    assert len(data["include"]) == 6
    assert data["include"][0] == {
        "client": "2.9.0",
        "server": "2.9.0",
        "python": "3.10",
        "name": "client 2.9.0 x server 2.9.0 x Python 3.10",
    }


def test_matrix_plan_command_prints_github_json_and_rejects_bad_shards():
    runner = CliRunner()
    result = runner.invoke(app, ["matrix", "plan", "--format", "github", "--shard", "1/2"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["include"]) == 3
    result = runner.invoke(app, ["matrix", "plan", "--shard", "5/2"])
    assert result.exit_code == 3 and "--shard" in result.output


# -- the matrix files and the results store ---------------------------------------------------------------


def _row(client: str, server: str, python: str, exit_code: int, failed: int = 0, known: int = 0) -> MatrixRow:
    cells = (
        MatrixCell("1.2.0", server, "snippets", 10, failed, 0, 1, client, python, known),
        MatrixCell("1.2.0", server, "http", 5, 0, 0, 0, client, python),
    )
    return MatrixRow(server, cells, exit_code=exit_code, client_version=client, python_version=python)


def test_a_cell_matrix_round_trips_through_json_and_renders_its_axes():
    matrix = Matrix(rows=[_row("2.9.0", "2.9.0", "3.10", 0, known=2), _row("3.17.2", "2.9.0", "3.13", 1, 1)])
    again = from_json(to_json(matrix))
    assert [r.key for r in again.rows] == [r.key for r in matrix.rows]
    assert again.rows[0].known == 2
    text = render_markdown(matrix)
    assert "| SDK | MLflow client | MLflow server | Python |" in text
    assert "| 1.2.0 | 2.9.0 | 2.9.0 | 3.10 | 10 passed, 1 skipped, 2 known |" in text
    assert "## client 3.17.2 x server 2.9.0 x Python 3.13" in text


def _results(run_id: str, when: str, matrix: Matrix) -> list[StoredResult]:
    return stored_results(matrix, run_id, "abc123", datetime.datetime.fromisoformat(when))


def test_the_store_appends_merges_without_duplicates(tmp_path):
    first = _results("r1", "2026-12-01T10:00:00+00:00", Matrix(rows=[_row("2.9.0", "2.9.0", "3.10", 0)]))
    second = _results("r2", "2026-12-02T10:00:00+00:00", Matrix(rows=[_row("2.9.0", "3.17.2", "3.10", 0)]))
    assert append(tmp_path / "a.sqlite", first) == 2
    assert append(tmp_path / "a.sqlite", first) == 0
    append(tmp_path / "b.sqlite", second)
    assert merge(tmp_path / "all.sqlite", [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]) == 4
    assert merge(tmp_path / "all.sqlite", [tmp_path / "b.sqlite"]) == 0
    rows = read_all(tmp_path / "all.sqlite")
    assert [r.run_id for r in rows] == ["r1", "r1", "r2", "r2"] and rows[0].commit_sha == "abc123"
    with pytest.raises(HarnessUsageError, match="no results store"):
        read_all(tmp_path / "missing.sqlite")


def test_can_i_deploy_judges_the_latest_run_of_each_matching_cell():
    green = _results("r1", "2026-12-01T10:00:00+00:00", Matrix(rows=[_row("2.9.0", "2.9.0", "3.10", 0)]))
    red_later = _results(
        "r2", "2026-12-02T10:00:00+00:00", Matrix(rows=[_row("2.9.0", "2.9.0", "3.10", 1, 1)])
    )
    other = _results("r3", "2026-12-03T10:00:00+00:00", Matrix(rows=[_row("3.17.2", "2.9.0", "3.13", 0)]))
    assert can_i_deploy(green, "1.2.0", "2.9.0").answer == "yes"
    verdict = can_i_deploy([*green, *red_later, *other], "1.2.0", "2.9.0")
    assert verdict.answer == "no" and verdict.exit_code == 1
    assert {r.run_id for r in verdict.evidence} == {"r2", "r3"}
    assert can_i_deploy([*green, *red_later, *other], "1.2.0", "2.9.0", client="3.17.2").answer == "yes"
    unknown = can_i_deploy([*green, *other], "1.2.0", "3.17.2")
    assert unknown.answer == "unknown" and unknown.exit_code == 2 and not unknown.evidence
    assert can_i_deploy(green, "1.1.0", "2.9.0").answer == "unknown"
    assert can_i_deploy(green, "1.2.0", "2.9.0", python="3.13").answer == "unknown"


def test_can_i_deploy_command_exit_codes(tmp_path):
    store = tmp_path / "results.sqlite"
    append(
        store, _results("r1", "2026-12-01T10:00:00+00:00", Matrix(rows=[_row("2.9.0", "2.9.0", "3.10", 0)]))
    )
    runner = CliRunner()
    yes = runner.invoke(app, ["can-i-deploy", "--sdk", "1.2.0", "--server", "2.9.0", "--results", str(store)])
    assert yes.exit_code == 0 and yes.output.startswith("yes") and "abc123" in yes.output
    unknown = runner.invoke(
        app, ["can-i-deploy", "--sdk", "1.2.0", "--server", "3.17.2", "--results", str(store)]
    )
    assert unknown.exit_code == 2 and unknown.output.startswith("unknown")
    missing = tmp_path / "none.sqlite"
    nothing = runner.invoke(
        app, ["can-i-deploy", "--sdk", "1.2.0", "--server", "2.9.0", "--results", str(missing)]
    )
    assert nothing.exit_code == 2


# -- version-aware contract data ---------------------------------------------------------------------------


def test_version_ranges_match_pep440():
    assert version_in("2.9.0", "<3") and not version_in("3.17.2", "<3")
    assert version_in("3.10", ">=3.10,<3.13") and not version_in("3.13", ">=3.10,<3.13")
    assert not version_in("", "<3")
    when = range_from_text("client<3 server>=3", "f.md", 4)
    assert when.matches({"client": "2.9.0", "server": "3.17.2"})
    assert not when.matches({"client": "2.9.0", "server": "2.9.0"})
    with pytest.raises(ContractError, match=r"f\.md:4"):
        range_from_text("server=<3", "f.md", 4)
    with pytest.raises(ContractError, match="selector"):
        range_from_text("mlflow<3", "f.md", 4)


def _failed(subject: str, check: str = "http") -> Finding:
    return Finding(check=check, rule="HTTP002", subject=subject, message="status 404")


def test_judge_turns_known_differences_into_counts_and_fails_new_and_vanished_ones():
    declarations = Declarations(
        known=[
            KnownDifference(
                "http", "POST /api/2.0/mlflow/logged-models", Range((("server", "<3"),)), "new in 3"
            ),
            KnownDifference(
                "http", "GET /api/3.0/mlflow/server-info", Range((("server", "<3"),)), "new in 3"
            ),
        ]
    )
    old = {"client": "3.17.2", "server": "2.9.0", "python": "3.11"}
    findings = [_failed("POST /api/2.0/mlflow/logged-models"), _failed("GET /api/2.0/mlflow/runs/get")]
    judged = judge(findings, declarations, old)
    outcomes = {(f.subject, f.rule): f for f in judged.findings}
    assert judged.known == 1
    assert outcomes[("POST /api/2.0/mlflow/logged-models", "HTTP002")].outcome is Outcome.PASSED
    assert outcomes[("GET /api/2.0/mlflow/runs/get", "HTTP002")].failed  # a new difference fails
    gone = outcomes[("GET /api/3.0/mlflow/server-info", "contract-invalid")]
    assert gone.failed and "did not occur" in gone.message  # a known one that disappeared fails
    new = judge(findings[:1], declarations, {**old, "server": "3.17.2"})
    assert new.known == 0 and new.findings[0].failed  # outside the range the difference is a failure
    error = Finding("http", "infrastructure", "http", "no server could start", outcome=Outcome.ERROR)
    broken = judge([error], declarations, old)
    assert [f.rule for f in broken.findings] == ["infrastructure"]  # no "did not occur": nothing ran


def _known_subjects(declarations: Declarations, client: str, server: str) -> set[str]:
    versions = {"client": client, "server": server, "python": "3.11"}
    return {k.subject for k in declarations.known if k.when.matches(versions)}


def test_the_committed_contracts_declare_the_measured_differences():
    declarations = load(CONTRACTS)
    assert all(k.reason and k.where and k.where.line for k in declarations.known)
    assert _known_subjects(declarations, "3.17.2", "3.17.2") == set()
    old_server = _known_subjects(declarations, "3.17.2", "2.9.0")
    assert {
        "POST /api/2.0/mlflow/logged-models",
        "GET /api/2.0/mlflow-artifacts/artifacts/{artifact_path}",
    } <= old_server
    assert "POST /api/2.0/mlflow/runs/log-model" in _known_subjects(declarations, "2.9.0", "3.17.2")
    assert "POST /api/2.0/mlflow/logged-models" not in _known_subjects(declarations, "2.9.0", "2.9.0")


def test_the_committed_compatibility_page_is_generated_from_the_data():
    assert (CONTRACTS / "COMPATIBILITY.md").read_text() == compatibility_text(CONTRACTS)


def test_malformed_declarations_name_file_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('# T\n\n```python xfail="server<3"\nprint(1)\n```\n')
    with pytest.raises(ContractError, match="reason") as caught:
        from_docs_page(page)
    assert "page.md:3" in str(caught.value)
    spec = tmp_path / "x.openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      x-hokusai-expected:\n        - server: '<<3'\n"
        "          reason: r\n"
    )
    with pytest.raises(ContractError, match="not a version range"):
        from_openapi(spec)
    auth = tmp_path / "a.yaml"
    auth.write_text("scenarios:\n  - name: s\n    known_differences:\n      - server: '<3'\n")
    with pytest.raises(ContractError, match="needs a reason"):
        from_auth_file(auth)


# -- environments as they were --------------------------------------------------------------------------


def test_environments_resolve_as_of_the_release_or_the_python():
    assert release_date("2.9.0") == datetime.date(2023, 12, 6)
    assert resolution_date("2.9.0", "3.10") == datetime.date(2023, 12, 7)
    assert resolution_date("2.9.0", "3.13") == datetime.date(2024, 10, 8)
    fetched = release_date(
        "9.9.9", fetch=lambda url: json.dumps({"urls": [{"upload_time_iso_8601": "2030-01-02T03:04:05Z"}]})
    )
    assert fetched == datetime.date(2030, 1, 2)


def test_a_later_partial_run_does_not_hide_another_familys_failure():
    http_red = MatrixRow(
        "2.9.0",
        (
            MatrixCell("1.2.0", "2.9.0", "snippets", 10, 0, 0, 0, "2.9.0", "3.10"),
            MatrixCell("1.2.0", "2.9.0", "http", 5, 2, 0, 0, "2.9.0", "3.10"),
        ),
        exit_code=1,
        client_version="2.9.0",
        python_version="3.10",
    )
    snippets_only = MatrixRow(
        "2.9.0",
        (MatrixCell("1.2.0", "2.9.0", "snippets", 10, 0, 0, 0, "2.9.0", "3.10"),),
        client_version="2.9.0",
        python_version="3.10",
    )
    rows = [
        *_results("r1", "2026-12-01T10:00:00+00:00", Matrix(rows=[http_red])),
        *_results("r2", "2026-12-02T10:00:00+00:00", Matrix(rows=[snippets_only])),
    ]
    verdict = can_i_deploy(rows, "1.2.0", "2.9.0")
    assert verdict.answer == "no"
    assert {(r.run_id, r.family) for r in verdict.evidence} == {("r1", "http"), ("r2", "snippets")}


# -- API objects with a version range -------------------------------------------------------------------

_LATE_OBJECT = """
  - name: only_with_late_clients
    kind: function
    parameters: []
    applies:
      client: ">=2.22"
"""


def test_an_api_object_outside_its_range_is_skipped_by_the_gate_and_listed(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS / "api", contracts / "api")
    shutil.copytree(CONTRACTS / "schema", contracts / "schema")
    observed = load_contracts(contracts / "api")  # the SDK as it is: it has no such function
    path = contracts / "api" / "hokusai.testing.yaml"
    path.write_text(path.read_text() + _LATE_OBJECT)
    contract = load_contracts(contracts / "api")
    late = contract.objects()["hokusai.testing.only_with_late_clients"]
    assert str(late.applies) == "client>=2.22" and late.source_line
    assert "applies:\n      client: '>=2.22'" in dump_module(contract.module("hokusai.testing"))

    def about_it(versions):
        found = check_signatures(contract, observed, versions)
        return [f for f in found if f.subject == late.path]

    [skipped] = about_it({"client": "2.9.0", "server": "3.17.2", "python": "3.12"})
    assert skipped.outcome is Outcome.SKIPPED and "client>=2.22" in skipped.message
    for versions in ({"client": "2.22.0", "server": "2.9.0", "python": "3.13"}, None):
        [missing] = about_it(versions)  # inside the range, or outside any matrix: checked
        assert missing.failed and missing.rule == "SIG001"
    rows = declared_rows(load(contracts), tmp_path)
    assert ("signatures", late.path, "client>=2.22", "applies only there") in [r[:4] for r in rows]

    path.write_text(path.read_text().replace('">=2.22"', '"=>2.22"'))
    line = path.read_text().splitlines().index('      client: "=>2.22"') + 1
    with pytest.raises(ContractError, match="not a version range") as caught:
        load_contracts(contracts / "api")
    assert f"hokusai.testing.yaml:{line}" in str(caught.value)
