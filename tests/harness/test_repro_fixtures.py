"""Every bug-report fixture replays to the verdicts it was written for (slow: three MLflow servers, the
gateway and the 2.9.0 client; 60-110 s depending on the machine's load). The pre-fix report runs in the
normal suite (test_repro_replay.py); CI runs this module in scripts/ci-provisioning.sh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.cli.app import app
from hokusai_contracts.servers.cache import CACHE_ENV, cache_root

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bug_reports"
CACHE = cache_root()  # read before the autouse fixture moves HOME
NOT, REPRODUCED = "not reproduced", "reproduced"
EXPECTED = {
    "lead-scoring.yaml": {
        "tracking-module-empty": NOT,
        "registry-requires-tracking-uri": NOT,
        "tracking-token-403": REPRODUCED,
        "register-tokenized-model-missing": NOT,
    },
    "registration-mismatches.yaml": {
        "register-baseline-model-name": NOT,
        "get-latest-version-missing": NOT,
        "list-versions-missing": NOT,
        "predict-batch-missing": NOT,
        "track-inference-missing": NOT,
    },
    "experiment-manager.yaml": {"experiment-manager-takes-registry": NOT},
}


@pytest.fixture(autouse=True)
def warm_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay environments from the shared cache, not an empty one."""
    monkeypatch.setenv(CACHE_ENV, str(CACHE))


def _replay(name: str, tmp_path: Path) -> tuple[dict, str]:
    markdown, json_path = tmp_path / "report.md", tmp_path / "report.json"
    args = ["repro", str(FIXTURES / name), "--markdown", str(markdown), "--json", str(json_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(json_path.read_text()), markdown.read_text()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdicts(name: str, tmp_path: Path) -> None:
    data, markdown = _replay(name, tmp_path)
    verdicts = {claim["id"]: claim["verdict"] for claim in data["claims"]}
    evidence = {claim["id"]: claim["runs"]["reporter"]["evidence"] for claim in data["claims"]}
    assert verdicts == EXPECTED[name], evidence
    if name == "lead-scoring.yaml":
        _check_403_evidence(data, markdown)


def _check_403_evidence(data: dict, markdown: str) -> None:
    """The 403 reproduces with both clients, and the evidence is the SDK's actionable message."""
    token = next(claim for claim in data["claims"] if claim["id"] == "tracking-token-403")
    for role, client in (("reporter", "2.9.0"), ("current", "3.17.2")):
        run = token["runs"][role]
        assert run["outcome"]["exception"]["type"] == "hokusai.exceptions.AuthorizationError"
        assert "lacks the `mlflow:write` scope" in run["outcome"]["exception"]["message"]
        calls = run["outcome"]["http"]
        assert [(c["method"], c["status"]) for c in calls][-1] == ("POST", 403)
        assert calls[-1]["path"].endswith("/api/2.0/mlflow/experiments/create")
        assert calls[-1]["headers"]["User-Agent"] == f"mlflow-python-client/{client}"
        assert calls[-1]["headers"]["Authorization"].startswith("Bearer hk_test_...")
    assert "hk_test_" in markdown and not any(
        len(word) > 20 and word.startswith("hk_test_") and "..." not in word for word in markdown.split()
    )


BASIC_AUTH_REPORT = """\
report: basic-auth-credentials
title: MLflow basic auth refuses the SDK's credentials
reporter:
  python: "3.11"
  sdk:
    path: {repo}
  mlflow_client: 3.17.2
  server:
    mlflow: 3.17.2
    auth: basic
    basic_user: reader
  variables:
    MLFLOW_TRACKING_URI: ${{TRACKING_URI}}
    MLFLOW_TRACKING_USERNAME: ${{MLFLOW_USERNAME}}
    MLFLOW_TRACKING_PASSWORD: ${{MLFLOW_PASSWORD}}
claims:
  - id: search-answers-401
    title: Listing models answers 401 although the credentials are right
    code: |
      import os

      from hokusai.core import ModelRegistry

      print("password:", os.environ["MLFLOW_TRACKING_PASSWORD"])
      print("models:", ModelRegistry().list_models_by_type("lead_scoring"))
    observed:
      status: 401
"""


def test_basic_auth_replay_provisions_and_masks_the_password(tmp_path: Path) -> None:
    path = tmp_path / "basic.yaml"
    path.write_text(BASIC_AUTH_REPORT.format(repo=FIXTURES.parents[1]))
    result = CliRunner().invoke(
        app, ["repro", str(path), "--markdown", str(tmp_path / "r.md"), "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    claim = json.loads((tmp_path / "r.json").read_text())["claims"][0]
    assert claim["verdict"] == NOT, claim["runs"]["reporter"]["evidence"]
    outcome = claim["runs"]["reporter"]["outcome"]
    assert outcome["output"].startswith("password: ***\nmodels: []")
    assert {call["headers"]["Authorization"] for call in outcome["http"]} == {"Basic ***"}
    assert all(call["status"] == 200 for call in outcome["http"]) and outcome["http"]
