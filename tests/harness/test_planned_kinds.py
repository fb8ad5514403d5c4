"""A run starts ahead only the servers its units will ask for: a page or scenario whose results are
remembered runs nowhere, so its server kind is not planned."""

from __future__ import annotations

import shutil
from pathlib import Path

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.auth import family as auth_family
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.snippets import family as snippets_family

REPO = Path(__file__).resolve().parents[2]


class RememberedUnits:
    """The two questions a planner asks the result cache; ``remembered`` holds the units it knows."""

    def __init__(self, remembered: set[str]):
        self.known = remembered

    def key(self, family: str, unit: str, text: str | None = None) -> str:
        return f"{family}:{unit}"

    def remembered(self, key: str | None) -> bool:
        return key in self.known


def _contracts(tmp_path: Path) -> Path:
    docs = tmp_path / "contracts" / "docs"
    docs.mkdir(parents=True)
    (docs / "plain.md").write_text("```python server=mlflow\nprint(1)\n```\n")
    (docs / "secured.md").write_text("```python server=basic-auth role=admin\nprint(1)\n```\n")
    auth = tmp_path / "contracts" / "auth"
    auth.mkdir()
    shutil.copy(REPO / "contracts" / "auth" / "api-keys.yaml", auth)  # every scenario: server: gateway
    return tmp_path / "contracts"


def test_remembered_pages_and_scenarios_plan_no_server(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    context = VerifyContext(contracts_dir=_contracts(tmp_path))
    assert snippets_family.server_kinds(context) == {"mlflow", "basic-auth"}
    assert auth_family.server_kinds(context) == {"gateway"}

    page = str(Path("contracts") / "docs" / "secured.md")
    scenarios = load_dir(context.contracts_dir / "auth").scenarios
    remembered = {f"snippets:{page}", *(f"auth:{s.name}" for s in scenarios)}
    context.options[snippets_family.OPTION_RESULT_CACHE] = RememberedUnits(remembered)
    assert snippets_family.server_kinds(context) == {"mlflow"}
    assert auth_family.server_kinds(context) == set()
