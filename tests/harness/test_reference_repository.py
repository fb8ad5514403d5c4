"""The committed Markdown reference (docs/reference/) matches what the contracts of this tree generate."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hokusai_contracts.cli.app import app

REPO = Path(__file__).resolve().parents[2]


def test_committed_reference_is_up_to_date():
    # Built from the committed contracts only (no run results), so the check is the same on any machine.
    result = CliRunner().invoke(
        app, ["docs", "--contracts", str(REPO / "contracts"), "--check", str(REPO / "docs" / "reference")]
    )
    assert result.exit_code == 0, (
        f"{result.output}\nregenerate with: hokusai-contracts docs --out docs/reference --format md"
    )
