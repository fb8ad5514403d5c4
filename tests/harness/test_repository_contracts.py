"""The committed contracts of this repository match the SDK in this tree (the gate on main)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hokusai_contracts.cli.app import app

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
    from hokusai_contracts.contract.store import load_contracts

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


def _venv_with_sdk(root: Path, sdk_source: Path) -> Path:
    """A virtual environment (no pip, no harness) with ``sdk_source`` installed in its site-packages."""
    import shutil
    import subprocess
    import sys

    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    shutil.copytree(sdk_source, site_packages / "hokusai", ignore=shutil.ignore_patterns("__pycache__"))
    return venv


def test_an_older_release_in_its_own_venv_is_checked_through_python(tmp_path):
    from sdk_mutations import copy_sdk, module_file

    copy_root = copy_sdk(REPO / "hokusai", tmp_path / "release")
    tracking_init = module_file(copy_root, "hokusai.tracking")
    # The older release: hokusai.tracking looked empty (the third-party report).
    tracking_init.write_text('"""Experiment tracking."""\n__all__ = []\n')
    hokusai_init = module_file(copy_root, "hokusai")
    hokusai_init.write_text(
        hokusai_init.read_text().replace(
            "from hokusai.tracking import ExperimentManager, PerformanceTracker",
            "from hokusai.tracking.experiments import ExperimentManager\n"
            "from hokusai.tracking.performance import PerformanceTracker",
        )
    )
    venv = _venv_with_sdk(tmp_path, copy_root / "hokusai")
    json_report = tmp_path / "report.json"
    # Signatures only: this venv has the SDK but not MLflow, so its documentation pages could not run.
    arguments = [
        "verify",
        "--only",
        "signatures",
        "--contracts",
        str(REPO / "contracts"),
        "--python",
        str(venv),
    ]
    result = CliRunner().invoke(app, [*arguments, "--json", str(json_report)])
    assert result.exit_code == 1, result.output
    import json

    failing = [f for f in json.loads(json_report.read_text())["findings"] if f["outcome"] == "failed"]
    assert {(f["rule"], f["subject"]) for f in failing} >= {
        ("SIG002", "hokusai.tracking.experiments.ExperimentManager"),
        ("SIG002", "hokusai.tracking.performance.PerformanceTracker"),
    }
    assert all(f["location"]["file"].endswith(".yaml") and f["location"]["line"] for f in failing)
