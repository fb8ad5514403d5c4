"""``hokusai-contracts repro`` end to end: the pre-fix report reproduces against the old SDK fixture and
``--against`` this repository's SDK fixes every claim (no server needed; about 10 s with a warm cache)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.cli.app import app
from hokusai_contracts.servers.cache import CACHE_ENV, cache_root

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "bug_reports"
# Read before the autouse fixture moves HOME: replays use the machine's warm cache of environments.
CACHE = cache_root()
PRE_FIX_CLAIMS = [
    "tracking-exports-nothing",
    "registry-requires-tracking-uri",
    "register-tokenized-model-missing",
    "version-queries-missing",
    "experiment-manager-takes-registry",
]


@pytest.fixture(autouse=True)
def warm_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay environments from the shared cache (~/.cache/hokusai-contracts), not an empty one."""
    monkeypatch.setenv(CACHE_ENV, str(CACHE))


def _repro(tmp_path: Path, *args: str):
    markdown, json_path = tmp_path / "report.md", tmp_path / "report.json"
    result = CliRunner().invoke(app, ["repro", *args, "--markdown", str(markdown), "--json", str(json_path)])
    return result, markdown, json_path


def test_pre_fix_report_reproduces_and_is_fixed_against_this_sdk(tmp_path: Path) -> None:
    result, markdown, json_path = _repro(tmp_path, str(FIXTURES / "pre-fix-sdk.yaml"), "--against", str(REPO))
    assert result.exit_code == 0, result.output
    data = json.loads(json_path.read_text())
    claims = {claim["id"]: claim for claim in data["claims"]}
    assert list(claims) == PRE_FIX_CLAIMS
    for claim in claims.values():
        assert claim["runs"]["reporter"]["verdict"] == "reproduced", claim["runs"]["reporter"]["evidence"]
        # reproduced with the reporter's SDK only: the current SDK (and --against, the same one) fixed it
        assert claim["verdict"] == "environment-specific"
        assert claim["runs"]["current"]["verdict"] == "not reproduced"
        assert claim["against"] == "fixed"
    assert data["environments"][0]["sdk"]["version"] == "0.9.0"
    assert data["environments"][2]["sdk"]["version"] == data["environments"][1]["sdk"]["version"]
    assert data["environments"][2]["reused_from"]  # --against is the current SDK here: run once
    assert (
        claims["version-queries-missing"]["runs"]["current"]["outcome"]["output"].strip().endswith("[] None")
    )
    text = markdown.read_text()
    assert "**Verdicts: 5 environment-specific; with --against: 5 fixed.**" in text
    assert "Raised TypeError, as reported: ModelRegistry.__init__() missing 1 required positional" in text
    assert "| --against |" in text


def test_against_that_does_not_fix_exits_1(tmp_path: Path) -> None:
    report = (FIXTURES / "pre-fix-sdk.yaml").read_text().split("\n  - id: registry-requires-tracking-uri")[0]
    path = tmp_path / "one-claim.yaml"
    path.write_text(report.replace("path: ../old_sdk", f"path: {REPO / 'fixtures' / 'old_sdk'}") + "\n")
    result, markdown, _ = _repro(tmp_path, str(path), "--against", f"path:{REPO / 'fixtures' / 'old_sdk'}")
    assert result.exit_code == 1, result.output
    assert "not fixed by --against" in result.output and "tracking-exports-nothing" in result.output
    row = next(line for line in markdown.read_text().splitlines() if line.startswith("| 1 |"))
    assert "| environment-specific |" in row and row.endswith("| still reproduced |")


def test_report_with_a_secret_is_refused_without_echo(tmp_path: Path) -> None:
    key = "hk_live_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
    text = (
        (FIXTURES / "lead-scoring.yaml")
        .read_text()
        .replace("HOKUSAI_API_KEY: ${API_KEY}", f"HOKUSAI_API_KEY: {key}")
    )
    path = tmp_path / "leaky.yaml"
    path.write_text(text)
    result, markdown, _ = _repro(tmp_path, str(path))
    assert result.exit_code == 1
    assert f"{path}:20: a literal Hokusai API key" in result.output and "${NAME}" in result.output
    assert key[8:] not in result.output and key[-3:] not in result.output
    assert "Traceback" not in result.output and not markdown.exists()
