"""Modules that do not import on a side: named with the missing dependency, left out of both sides."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.diff.accepted import AcceptedBreak
from hokusai_contracts.diff.sides import resolve_sides
from hokusai_contracts.introspection import introspect
from hokusai_contracts.release.run import diff_findings

MODULE = '"""{name}."""\n\n\ndef {name}(x):\n    """Return x."""\n    return x\n'


def _tree(root: Path, version: str, broken: dict[str, str] | None = None) -> Path:
    package = root / "corpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'"""corpkg."""\n__version__ = "{version}"\n')
    for name in ("core", "extra"):
        prefix = (broken or {}).get(name, "")
        (package / f"{name}.py").write_text(prefix + MODULE.format(name=name))
    return root


def _diff(old: Path, new: Path):
    with contextlib.ExitStack() as stack:
        old_side, new_side = resolve_sides(str(old), str(new), stack, package="corpkg")
        accepted: list[AcceptedBreak] = []
        return diff_findings(old_side, new_side, accepted)


def test_a_module_failing_on_old_is_excluded_not_added(tmp_path):
    old = _tree(tmp_path / "old", "1.0.0", {"extra": "import missing_dep_xyz.sub\n"})
    new = _tree(tmp_path / "new", "1.0.1")
    report = _diff(old, new)
    rules = [(f.rule, f.subject) for f in report.result.findings]
    assert ("BC020", "corpkg.extra.extra") not in rules  # not "added"
    (warning,) = [f for f in report.result.findings if f.rule == "BC103"]
    assert warning.subject == "corpkg.extra" and "missing dependency 'missing_dep_xyz'" in warning.message
    assert str(old) in warning.message and "excluded from both sides" in warning.message
    assert report.exit_code == 0 and report.verdict.ok


def test_a_module_failing_on_new_is_excluded_not_removed(tmp_path):
    old = _tree(tmp_path / "old", "1.0.0")
    new = _tree(tmp_path / "new", "1.0.1", {"extra": "raise RuntimeError('needs a key')\n"})
    report = _diff(old, new)
    assert not [f for f in report.result.findings if f.rule == "BC001"]
    (warning,) = [f for f in report.result.findings if f.rule == "BC103"]
    assert "raises on import" in warning.message and "RuntimeError: needs a key" in warning.details


def test_api_names_unimportable_modules_with_the_missing_dependency(tmp_path):
    root = _tree(tmp_path / "t", "1.0.0", {"extra": "from json import not_a_name_xyz\n"})
    api = introspect("corpkg", extra_paths=[root])
    assert api.unimportable == {"corpkg.extra": "json"}
    assert "not_a_name_xyz" in api.import_errors["corpkg.extra"]
    assert api.package_file == str(root / "corpkg" / "__init__.py")


def test_a_package_missing_a_dependency_names_it_not_the_sdk(tmp_path):
    root = _tree(tmp_path / "t", "1.0.0")
    (root / "corpkg" / "__init__.py").write_text("import pandas_missing_xyz\n")
    with pytest.raises(InfrastructureError) as caught:
        introspect("corpkg", extra_paths=[root])
    message = str(caught.value)
    assert "a dependency of it is missing: 'pandas_missing_xyz'" in message
    assert "pip install -e ." not in message
