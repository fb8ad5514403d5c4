"""Pieces of bug-report replays that need no server: SDK sources and their cache keys, references,
the claim worker, HTTP transcripts and the Markdown report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.workers import run_worker
from hokusai_contracts.cli.repro import parse_sdk_source
from hokusai_contracts.reports import repro_json, repro_markdown
from hokusai_contracts.repro import references
from hokusai_contracts.repro.findings import report_model
from hokusai_contracts.repro.load import load_report
from hokusai_contracts.repro.outcome import HttpCall, Outcome, RaisedException
from hokusai_contracts.repro.replay import (
    CURRENT,
    REPORTER,
    ClaimResult,
    EnvironmentRun,
    ReplayResult,
    check_references,
)
from hokusai_contracts.repro.report import BugReport, Claim, Environment, Observed, SdkSource, ServerSpec
from hokusai_contracts.repro.run_claims import WORKER, ClaimRequest
from hokusai_contracts.repro.sdk_env import SdkEnvironment, git_commit, release_tag, source_key
from hokusai_contracts.repro.transcript import calls_of
from hokusai_contracts.repro.verdict import ENVIRONMENT_SPECIFIC, judge
from hokusai_contracts.servers.proxy import Exchange

REPO = Path(__file__).resolve().parents[2]
KEY = "hk_test_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"


# -- SDK sources --------------------------------------------------------------------------------


def test_sdk_sources_parse_with_or_without_a_kind(tmp_path: Path) -> None:
    wheel = tmp_path / "hokusai_ml_platform-1.0.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert parse_sdk_source(f"path:{tmp_path}") == SdkSource("path", str(tmp_path), "--against")
    assert parse_sdk_source(str(tmp_path)).kind == "path"
    assert parse_sdk_source(str(wheel)).kind == "wheel"
    assert parse_sdk_source("1.0.1") == SdkSource("version", "1.0.1", "--against")
    assert parse_sdk_source("main") == SdkSource("git", "main", "--against")
    assert parse_sdk_source("git:v1.0") == SdkSource("git", "v1.0", "--against")
    with pytest.raises(HarnessUsageError, match="no such directory"):
        parse_sdk_source(f"path:{tmp_path / 'missing'}")


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'pkg'\nversion = '1'\n")
    (root / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (root / "tests" / "test_pkg.py").write_text("")
    return root


def test_path_keys_follow_what_gets_installed(tmp_path: Path) -> None:
    source = SdkSource("path", str(_project(tmp_path)))
    key = source_key(source)
    assert key.startswith("path-")
    (tmp_path / "tests" / "test_pkg.py").write_text("assert True\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert source_key(source) == key  # tests and caches are not installed
    (tmp_path / "pkg" / "__init__.py").write_text("VALUE = 2\n")
    assert source_key(source) != key


def test_git_keys_are_commits_of_this_repository() -> None:
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout
    assert source_key(SdkSource("git", "HEAD")) == f"git-{head.strip()[:12]}"
    with pytest.raises(HarnessUsageError, match=r"b1698a58.*not a commit"):
        git_commit("b1698a58")


# -- references ---------------------------------------------------------------------------------


def test_released_versions_are_found_by_their_tag(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "README").write_text("release\n")
    git("add", "README")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "release")
    git("tag", "v1.4.0")
    git("tag", "2.0.0")
    assert release_tag("1.4.0", tmp_path) == "v1.4.0"
    assert release_tag("2.0.0", tmp_path) == "2.0.0"
    assert release_tag("1.5.0", tmp_path) is None


def test_references_prefer_what_the_harness_provisioned() -> None:
    variables = {"URI": "${TRACKING_URI}", "TOKEN": "${API_KEY}", "MIXED": "${USER}@${HOST}"}
    resolved, missing = references.resolve(
        variables,
        {"TRACKING_URI": "http://proxy/api/mlflow", "API_KEY": KEY},
        {"API_KEY": "other", "USER": "me"},
    )
    assert resolved == {"URI": "http://proxy/api/mlflow", "TOKEN": KEY, "MIXED": "me@"}
    assert missing == [references.Unresolved("HOST", "MIXED", None)]


def test_unresolved_references_fail_before_anything_starts(tmp_path: Path) -> None:
    report = load_report(REPO / "fixtures" / "bug_reports" / "lead-scoring.yaml")
    check_references(report, {})  # everything is provisioned by the harness
    text = (REPO / "fixtures" / "bug_reports" / "lead-scoring.yaml").read_text()
    path = tmp_path / "report.yaml"
    path.write_text(text.replace("path: ../..", f"path: {REPO}").replace("${API_KEY}\n", "${THEIR_KEY}\n", 1))
    with pytest.raises(HarnessUsageError) as caught:
        check_references(load_report(path), {})
    assert f"${{THEIR_KEY}} in HOKUSAI_API_KEY ({path}:20)" in str(caught.value)
    assert "${API_KEY}" in str(caught.value)  # what the harness could provide instead
    check_references(load_report(path), {"THEIR_KEY": "set"})


# -- the claim worker ---------------------------------------------------------------------------


def _work(tmp_path: Path, code: str) -> tuple[dict, str]:
    (tmp_path / "claim.py").write_text(code)
    request = ClaimRequest(str(tmp_path / "claim.py"))
    done = run_worker(WORKER, request, what="the claim", timeout=60, cwd=tmp_path, flags=("-s",))
    return done.answer(), done.stdout


def test_worker_describes_the_exception_and_its_classes(tmp_path: Path) -> None:
    code = (
        "class Forbidden(PermissionError):\n    status_code = 403\n\n"
        "print('calling')\nraise Forbidden('no write scope')\n"
    )
    result, output = _work(tmp_path, code)
    raised = result["exception"]
    assert raised["type"] == "Forbidden" and raised["status"] == 403
    assert raised["bases"] == ["Forbidden", "PermissionError", "OSError", "Exception", "BaseException"]
    assert raised["message"] == "no write scope" and "raise Forbidden" in raised["traceback"]
    assert output == "calling\n"


@pytest.mark.parametrize(
    ("code", "failed"), [("print(1)", False), ("raise SystemExit(0)", False), ("exit(3)", True)]
)
def test_worker_treats_only_failures_as_exceptions(tmp_path: Path, code: str, failed: bool) -> None:
    result, _ = _work(tmp_path, code)
    assert (result["exception"] is not None) == failed


# -- transcripts --------------------------------------------------------------------------------


def _exchange(headers: tuple[tuple[str, str], ...], status: int = 403) -> Exchange:
    return Exchange(
        "POST", "/api/2.0/mlflow/experiments/create", {}, b"{}", "application/json", status, b"", "", headers
    )


def test_transcript_keeps_who_called_with_credentials_masked() -> None:
    headers = (
        ("Content-Type", "application/json"),
        ("User-Agent", "mlflow-python-client/2.9.0"),
        ("authorization", f"Bearer {KEY}"),
    )
    basic = (("Authorization", "Basic cmVhZGVyOnMzY3IzdC1wYXNzd29yZA=="),)
    calls = calls_of([_exchange(headers), _exchange(basic, 200)], secrets=[KEY])
    assert calls[0] == HttpCall(
        "POST",
        "/api/2.0/mlflow/experiments/create",
        403,
        (("Authorization", "Bearer hk_test_...345"), ("User-Agent", "mlflow-python-client/2.9.0")),
    )
    assert calls[1].headers == (("Authorization", "Basic ***"),)


# -- the Markdown report ------------------------------------------------------------------------


def _replay_result() -> ReplayResult:
    claim = Claim(
        id="token-403",
        title="403 with MLFLOW_TRACKING_TOKEN",
        code='import os\nregistry = ModelRegistry(api_key=os.environ["HOKUSAI_API_KEY"])\n',
        observed=Observed(status=403),
        reported_as="the request to get-by-name returns 403",
    )
    server = ServerSpec("3.17.2", "gateway-api-key", ("mlflow:read",))
    reporter = Environment("3.11.8", SdkSource("path", str(REPO), "commit b1698a58"), "2.9.0", server)
    report = BugReport("lead-scoring", "LSCOR | registration", reporter, (claim,), "fixtures/x.yaml")
    forbidden = Outcome(
        exception=RaisedException(
            "hokusai.exceptions.AuthorizationError",
            ("hokusai.exceptions.AuthorizationError", "Exception"),
            "MLflow answered HTTP 403 (forbidden)",
            403,
        ),
        output=f"using {KEY}\n",
        transcript=(HttpCall("POST", "/api/mlflow/api/2.0/mlflow/experiments/create", 403),),
        traceback="Traceback (most recent call last):\n    ^^^^^^\nAuthorizationError: MLflow answered 403",
        seconds=2.5,
    )
    ran = Outcome(output="experiment started\n", seconds=3.0)

    def run(role: str, client: str, outcome: Outcome) -> EnvironmentRun:
        environment = SdkEnvironment("python", reporter.sdk, "path-x", client, "3.11.7", "1.1.0")
        return EnvironmentRun(
            role,
            environment,
            server,
            "3.17.2",
            {claim.id: outcome},
            {claim.id: judge(claim.observed, outcome)},
        )

    runs = (run(REPORTER, "2.9.0", forbidden), run(CURRENT, "3.17.2", ran))
    verdict = ClaimResult(
        claim, ENVIRONMENT_SPECIFIC, runs[0].judgements[claim.id], runs[1].judgements[claim.id]
    )
    return ReplayResult(report, runs, (verdict,), 12.0, "2026-01-01 00:00 UTC", ("Python differs",))


def test_markdown_reads_as_a_ticket_comment() -> None:
    markdown = repro_markdown.render(report_model(_replay_result()), [KEY])
    assert markdown.startswith("## Bug report replay: LSCOR | registration\n")
    assert "**Verdicts: 1 environment-specific.**" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| 1 |"))
    assert "environment-specific" in row and "experiment started" in row  # the current run's evidence
    assert "| Python | 3.11.7 (reported: 3.11.8) | 3.11.7 |" in markdown
    assert "1.1.0 from path" in markdown and "(reported as: commit b1698a58)" in markdown
    assert "POST /api/mlflow/api/2.0/mlflow/experiments/create  403" in markdown
    assert 'ModelRegistry(api_key=os.environ["HOKUSAI_API_KEY"])' in markdown  # code is not mangled
    assert KEY not in markdown and "hk_test_...345" in markdown
    assert "^^^" not in markdown and "LSCOR \\| registration" not in markdown.splitlines()[0]


def test_json_has_every_run_and_check() -> None:
    data = repro_json.to_dict(report_model(_replay_result()))
    claim = data["claims"][0]
    assert claim["verdict"] == "environment-specific" and claim["observed"] == {"status": 403}
    assert set(claim["runs"]) == {"reporter", "current"}
    assert claim["runs"]["reporter"]["outcome"]["http"][0]["status"] == 403
    assert [e["mlflow_client"] for e in data["environments"]] == ["2.9.0", "3.17.2"]
