"""The committed contracts of this repository match the SDK in this tree (the gate on main)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hokusai_contracts.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_committed_contracts_are_up_to_date():
    result = CliRunner().invoke(app, ["extract", "--check", "--contracts", str(REPO / "contracts")])
    assert result.exit_code == 0, result.output


def test_verify_passes_and_writes_every_report(tmp_path):
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in ("xml", "md", "json")}
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--contracts",
            str(REPO / "contracts"),
            "--junit",
            str(reports["xml"]),
            "--markdown",
            str(reports["md"]),
            "--json",
            str(reports["json"]),
        ],
    )
    assert result.exit_code == 0, result.output
    assert all(path.stat().st_size > 0 for path in reports.values())
    assert "PASSED" in reports["md"].read_text()


def test_every_documented_call_form_is_contracted():
    from hokusai_contracts.store import load_contracts

    objects = load_contracts(REPO / "contracts" / "api").objects()
    documented = {
        "hokusai.tracking.experiments.ExperimentManager": {"ExperimentManager(registry)"},
        "hokusai.core.registry.ModelRegistry": {"ModelRegistry()"},
        "hokusai.core.registry.ModelRegistry.register_baseline": {
            'register_baseline(model_name="lead_scoring", model=model)'
        },
    }
    for path, forms in documented.items():
        assert forms <= {form.text for form in objects[path].call_forms}, path
