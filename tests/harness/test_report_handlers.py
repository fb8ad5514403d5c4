"""The report-handler registry: every handler renders its document from findings, selected by format name,
and no handler shows a secret that a finding carries."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from hokusai_contracts.findings import Finding, Location, Outcome, RunResult, Severity
from hokusai_contracts.reports import FORMATS, HANDLERS, render, repro_json, repro_markdown, write_report
from hokusai_contracts.reports import changelog as changelog_handler
from hokusai_contracts.reports import matrix as matrix_handler
from hokusai_contracts.reports.changelog import Changelog
from hokusai_contracts.reports.history import History, HistoryPair
from hokusai_contracts.reports.matrix_model import Matrix, row_from_result
from hokusai_contracts.reports.repro_model import (
    CallRecord,
    CheckRecord,
    ClaimFacts,
    ClaimRun,
    EnvironmentFacts,
    ReproReport,
    SdkFacts,
)

KEY = "hk_live_9fQx2LmZpR7tVbN3QtN"
PASSWORD = "s3cr3t-Passw0rd"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.payload9"


def leaky_finding(check: str = "signatures", rule: str = "SIG004") -> Finding:
    """A failing finding with a secret in every text field."""
    return Finding(
        check,
        rule,
        f"subject {KEY}",
        f"sent Authorization: Bearer {TOKEN} and api_key={KEY}",
        location=Location(f"https://u:{PASSWORD}@host/x.yaml", 3),
        fix=f"retry with password={PASSWORD}",
        details=f"password={PASSWORD}",
    )


def replay(*claims: ClaimFacts) -> ReproReport:
    """A replay in one environment (the reporter's) of ``claims``."""
    sdk = SdkFacts("path", "/src/sdk", "path /src/sdk", "1.1.0", cache_key="path-1")
    reporter = EnvironmentFacts(
        "reporter",
        "Reporter's environment",
        sdk,
        "2.9.0",
        "3.11.7",
        claims_run=tuple(claim.id for claim in claims),
    )
    return ReproReport(
        report="lead-scoring",
        title="LSCOR",
        file="bugs/lead.yaml",
        started_at="2026-01-01 00:00 UTC",
        seconds=4.0,
        reporter_python="3.11",
        reporter_mlflow_client="2.9.0",
        environments=(reporter,),
        claims=claims,
    )


def claim(finding: Finding, verdict: str, against: str | None = None) -> ClaimFacts:
    """A claim whose verdict is ``finding``, with one run in the reporter's environment."""
    run = ClaimRun(
        "reporter",
        "Reporter's environment",
        verdict,
        "the evidence of this run",
        checks=(CheckRecord("status", "403", "403", True),),
        calls=(CallRecord("POST", "/api/2.0/mlflow/experiments/create", 403, (("Authorization", "***"),)),),
        output="created\n",
        seconds=1.5,
    )
    return ClaimFacts(
        finding,
        verdict,
        title="A title",
        code="print('hi')\n",
        observed={"status": 403},
        observed_text="HTTP 403",
        against=against,
        runs=(run,),
    )


# Each kind of document a handler renders, made from findings.
DOCUMENTS = {
    RunResult: lambda findings: RunResult(findings=list(findings)),
    Matrix: lambda findings: Matrix(
        [row_from_result(RunResult(findings=list(findings)), "3.17.2", ["signatures"])]
    ),
    Changelog: lambda findings: Changelog(tuple(findings), "v1.0.0", "v2.0.0", "major"),
    ReproReport: lambda findings: replay(*(claim(f, "reproduced") for f in findings)),
    History: lambda findings: History(
        "repo", "hokusai", (HistoryPair("a", "b", "t", tuple(findings), "ok", 1.0, False),)
    ),
}


def test_the_registry_lists_every_handler_by_format_name():
    run_formats = {"terminal", "junit", "markdown", "json", "github", "sarif"}
    others = {"matrix-markdown", "matrix-json", "changelog", "repro-markdown", "repro-json"}
    others |= {"history-markdown", "history-json"}
    assert set(HANDLERS) == run_formats | others
    assert all(name == handler.name and handler.description for name, handler in HANDLERS.items())
    # The run formats are the handlers of a RunResult; `verify --format` and its report files use them.
    assert set(FORMATS) == {name for name, h in HANDLERS.items() if h.document is RunResult}


@pytest.mark.parametrize("fmt", sorted(HANDLERS))
def test_every_handler_masks_the_secrets_of_a_finding(fmt, tmp_path):
    handler = HANDLERS[fmt]
    assert handler.document in DOCUMENTS, f"add a document of {handler.document.__name__} to this test"
    document = DOCUMENTS[handler.document]([leaky_finding()])
    text = render(document, fmt, secrets=())
    written = tmp_path / f"report.{fmt}"
    write_report(document, fmt, written, secrets=())
    for output in (text, written.read_text()):
        assert "hk_live_...QtN" in output  # the finding is shown...
        for secret in (KEY, PASSWORD, TOKEN):
            assert secret not in output  # ...without its secrets


def test_a_handler_refuses_another_kind_of_document(tmp_path):
    with pytest.raises(TypeError, match="the matrix-json report renders a Matrix, not a RunResult"):
        write_report(RunResult(), "matrix-json", tmp_path / "m.json")
    with pytest.raises(ValueError, match="unknown report format 'pdf'; choose one of terminal, junit"):
        render(RunResult(), "pdf")


# --- the compatibility matrix ----------------------------------------------------------------------


def test_matrix_renders_the_failing_findings_of_each_row():
    failing = Finding(
        "signatures", "SIG001", "hokusai.Gone", "object missing\nmore", location=Location("a.yaml", 2)
    )
    passing = Finding("signatures", "SIG000", "hokusai.Here", "matches", outcome=Outcome.PASSED)
    warning = Finding("signatures", "SIG007", "hokusai.f", "default changed", severity=Severity.WARNING)
    result = RunResult(findings=[failing, passing, warning], sdk_version="1.2.0", server="http://x (process)")
    matrix = Matrix([row_from_result(result, "2.9.0", ["signatures"])])
    text = matrix_handler.render_markdown(matrix)
    assert "| 1.2.0 | 2.9.0 | 1 passed, **2 failed** | 1 |" in text
    assert "- 1 failure(s):\n  - [signatures] SIG001 hokusai.Gone: object missing\n" in text
    data = json.loads(matrix_handler.render_json(matrix))
    assert data["rows"][0]["failures"] == ["[signatures] SIG001 hokusai.Gone: object missing"]
    back = matrix_handler.from_json(data)
    assert back.rows[0].cells == matrix.rows[0].cells and back.exit_code == 1


# --- the changelog -----------------------------------------------------------------------------------


def test_changelog_sorts_findings_by_their_rules_impact_in_the_catalogue():
    breaking = Finding("diff", "BC005", "corpkg.fetch", "parameter renamed", location=Location("api.yaml", 9))
    allowed = Finding("diff", "BC001", "corpkg.old", "removed", severity=Severity.INFO)
    added = Finding("diff", "BC019", "corpkg.new", "optional parameter added", outcome=Outcome.PASSED)
    broken = Finding("diff", "infrastructure", "witness", "interpreter died", outcome=Outcome.ERROR)
    document = Changelog((breaking, allowed, added, broken), "v1 (1.0.0)", "v2 (1.1.0)", "minor")
    text = changelog_handler.render(document)
    assert text.startswith(
        "## Changes from v1 (1.0.0) to v2 (1.1.0)\n\n**Gate:** failed · **Version:** minor"
    )
    sections = text.split("\n### ")[1:]
    assert [s.split("\n")[0] for s in sections] == [
        "Breaking changes (1)",
        "Breaking changes allowed by the policy (1)",
        "Added and compatible (1)",
        "Checks that could not run (1)",
    ]
    assert "- **BC005** `corpkg.fetch`: parameter renamed (api.yaml:9)" in sections[0]


# --- bug-report replays ----------------------------------------------------------------------------


def test_repro_reports_render_each_claims_finding():
    reproduced = Finding(
        "repro", "REPRO001", "token-403", "Raised AuthorizationError (HTTP 403), as reported"
    )
    ran = Finding("repro", "REPRO002", "module-empty", "The code ran to its end", outcome=Outcome.PASSED)
    document = replay(
        claim(reproduced, "reproduced", "still reproduced"), claim(ran, "not reproduced", "fixed")
    )
    text = repro_markdown.render(document)
    assert (
        "**Verdicts: 1 reproduced, 1 not reproduced; with --against: 1 fixed, 1 still reproduced.**" in text
    )
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert row == (
        "| 1 | `token-403`: A title | **reproduced** | Raised AuthorizationError (HTTP 403), as reported "
        "| still reproduced |"
    )
    assert "POST /api/2.0/mlflow/experiments/create  403  Authorization: ***" in text
    data = json.loads(repro_json.render(document))
    assert [f["rule"] for f in data["findings"]] == ["REPRO002", "REPRO001"]  # the run report's order
    assert data["run"]["exit_code"] == 1 and data["counts"]["by_check"]["repro"]["failed"] == 1
    assert [c["id"] for c in data["claims"]] == ["token-403", "module-empty"]
    assert data["claims"][0]["runs"]["reporter"]["outcome"]["http"][0]["status"] == 403


def test_repro_reports_mask_known_secrets_beyond_the_findings(tmp_path: Path):
    found = Finding("repro", "REPRO001", "claim", "as reported")
    document = replay(claim(found, "reproduced"))
    leaky = dataclasses.replace(document.claims[0], code=f"key = {PASSWORD!r}\n")
    document = dataclasses.replace(document, claims=(leaky,))
    for fmt in ("repro-markdown", "repro-json"):
        text = render(document, fmt, secrets=[PASSWORD])
        assert PASSWORD not in text and "***" in text
