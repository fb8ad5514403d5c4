"""The harness's import layers hold: no cycle, no upward import, no private name imported across modules.

`lint-imports` reads the contracts in pyproject.toml ([tool.importlinter]); grimp (its graph library)
sees imports inside functions too, so a cycle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tools" / "hokusai_contracts"


def _lint_imports() -> str:
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which("lint-imports", path=beside_python) or shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed: it is in the dev extra (pip install -e '.[dev]')")
    return found


def test_import_contracts_are_kept():
    completed = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report[-4000:]
    assert "BROKEN" not in report
    assert "harness layers KEPT" in report


def _private_imports(root: Path, package: str) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package)):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.module}.{alias.name}")
    return found


def test_no_private_name_is_imported_across_harness_modules():
    assert _private_imports(HARNESS, "hokusai_contracts") == []


def test_the_private_import_scan_sees_a_private_import(tmp_path):
    # The scan itself must be able to fail.
    module = tmp_path / "pkg" / "a.py"
    module.parent.mkdir()
    module.write_text("from hokusai_contracts.cli.output import _hidden\n", encoding="utf-8")
    found = _private_imports(tmp_path, "hokusai_contracts")
    assert found == ["pkg/a.py:1 hokusai_contracts.cli.output._hidden"]
