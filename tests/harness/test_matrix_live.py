"""One live matrix cell through the CLI: the SDK of this tree in a cell venv (the harness's MLflow client
and Python), the signatures family, the results store and can-i-deploy; a difference no contract
declares turns the cell and the verdict red."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import hokusai
from hokusai_contracts.cli.app import app
from hokusai_contracts.servers.venvs import own_mlflow_version
from hokusai_contracts.verify.results_store import read_all

ROOT = Path(__file__).resolve().parents[2]
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _run(contracts: Path, out: Path) -> tuple[int, str]:
    client = own_mlflow_version()
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--contracts",
            str(contracts),
            "--only",
            "signatures",
            "--clients",
            client,
            "--pythons",
            PYTHON,
            "--matrix-out",
            str(out),
            "--quiet",
        ],
    )
    return result.exit_code, result.output


def _verdict(out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "can-i-deploy",
            "--sdk",
            hokusai.__version__,  # this tree's SDK, which the cell ran
            "--server",
            own_mlflow_version(),
            "--results",
            str(out / "compatibility-results.sqlite"),
        ],
    )
    return result.exit_code, result.output


def _break_a_parameter(contracts: Path) -> None:
    """Rename one documented parameter in the API contract: the SDK no longer matches it (SIG004)."""
    path = contracts / "api" / "hokusai.core.registry.yaml"
    data = yaml.safe_load(path.read_text())
    for obj in data["objects"]:
        for parameter in obj.get("parameters") or []:
            if parameter["name"] not in ("self", "cls", "args", "kwargs"):
                parameter["name"] += "_renamed"
                path.write_text(yaml.safe_dump(data, sort_keys=False))
                return
    raise AssertionError("no parameter to rename")


@pytest.mark.slow
def test_a_live_cell_records_its_result_and_a_new_difference_turns_it_red(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", contracts, ignore=shutil.ignore_patterns("releases"))
    green, red = tmp_path / "green", tmp_path / "red"
    code, output = _run(contracts, green)
    assert code == 0, output
    rows = read_all(green / "compatibility-results.sqlite")
    assert {(r.client, r.python, r.family) for r in rows} == {(own_mlflow_version(), PYTHON, "signatures")}
    assert rows[0].passed > 100 and rows[0].exit_code == 0 and len(rows[0].commit_sha) == 40
    assert _verdict(green)[0] == 0

    _break_a_parameter(contracts)
    code, output = _run(contracts, red)
    assert code == 1, output
    assert "SIG" in (red / "compatibility-matrix.md").read_text()
    verdict, text = _verdict(red)
    assert verdict == 1 and text.startswith("no")
