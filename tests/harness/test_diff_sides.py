"""Sides of a diff: contract directories, git refs of this repository, wheels, sdists, interpreters."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.diff.sides import REPOSITORY, resolve_side, resolve_sides
from hokusai_contracts.findings import Finding, Location
from hokusai_contracts.release.corpus import CORPUS
from hokusai_contracts.release.run import _named_by_label, compare_sides

PAIR = CORPUS / "bc005-parameter-renamed"


@pytest.fixture
def stack():
    with contextlib.ExitStack() as stack:
        yield stack


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_contract_directory_root_or_api(stack):
    root = resolve_side(str(REPOSITORY / "contracts"), stack)
    api_dir = resolve_side(str(REPOSITORY / "contracts" / "api"), stack)
    assert root.contracts_dir == api_dir.contracts_dir == REPOSITORY / "contracts"
    assert not root.importable and root.version is None
    assert root.api.module("hokusai") is not None
    assert any(o.call_forms for o in root.api.objects().values())


def test_git_ref_and_working_tree(stack):
    head, tree = resolve_sides("git:HEAD", str(REPOSITORY), stack)
    exported = Path(head.extra_paths[0])
    assert (exported / "hokusai" / "__init__.py").is_file() and exported != REPOSITORY
    assert head.contracts_dir == exported / "contracts"
    committed = subprocess.run(
        ["git", "-C", str(REPOSITORY), "show", "HEAD:hokusai/__init__.py"], capture_output=True, text=True
    ).stdout
    assert f'__version__ = "{head.version}"' in committed
    # Hand-written contract parts (call forms) are merged into the introspected API.
    assert any(o.call_forms for o in head.api.objects().values())
    assert tree.contracts_dir == REPOSITORY / "contracts" and tree.extra_paths == (str(REPOSITORY),)
    judged, verdict = compare_sides(head, head)
    assert judged == [] and verdict.ok


def test_wheel_built_by_zipping(tmp_path, stack):
    wheel = tmp_path / "corpkg-1.1.0-py3-none-any.whl"
    package = PAIR / "new"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path in _files(package):
            archive.write(path, path.relative_to(package).as_posix())
        archive.writestr(
            "corpkg-1.1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: corpkg\nVersion: 1.1.0\n"
        )
    side = resolve_side(str(wheel), stack, package="corpkg")
    assert side.version == "1.1.0" and side.importable
    assert [p.name for p in side.api.objects()["corpkg.fetch"].parameters] == ["name", "timeout_s"]


def test_sdist_and_old_source_tree_compare(tmp_path, stack):
    sdist = tmp_path / "corpkg-1.0.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for path in _files(PAIR / "old"):
            archive.add(path, f"corpkg-1.0.0/{path.relative_to(PAIR / 'old').as_posix()}")
    old = resolve_side(str(sdist), stack, package="corpkg")
    new = resolve_side(str(PAIR / "new"), stack, package="corpkg")
    judged, verdict = compare_sides(old, new)
    assert [(j.change.rule, j.status) for j in judged] == [("BC005", "breaking")]
    assert (verdict.old_version, verdict.new_version, verdict.ok) == ("1.0.0", "1.1.0", False)


def test_interpreter_and_virtual_environment(monkeypatch, stack):
    monkeypatch.setenv("PYTHONPATH", str(PAIR / "old"))
    by_interpreter = resolve_side(sys.executable, stack, package="corpkg")
    venv = Path(sys.prefix)
    assert by_interpreter.python == sys.executable and by_interpreter.version == "1.0.0"
    if (venv / "pyvenv.cfg").is_file():
        by_venv = resolve_side(str(venv), stack, package="corpkg")
        assert by_venv.python.startswith(str(venv)) and "corpkg.fetch" in by_venv.api.objects()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no/such/release", "no such file, directory or interpreter"),
        ("git:no-such-ref-anywhere", "not a commit, branch or tag"),
        ("git:", "needs a reference"),
    ],
)
def test_bad_sides_are_usage_errors(spec, message, stack):
    with pytest.raises(HarnessUsageError, match=message):
        resolve_side(spec, stack)


def test_empty_directory_and_broken_wheel(tmp_path, stack):
    with pytest.raises(HarnessUsageError, match="neither API contracts"):
        resolve_side(str(tmp_path), stack)
    broken = tmp_path / "x-1.0-py3-none-any.whl"
    broken.write_text("not a zip")
    with pytest.raises(HarnessUsageError, match="not a readable wheel"):
        resolve_side(str(broken), stack)


def test_findings_in_a_git_export_are_named_by_the_ref_not_the_temporary_copy():
    with contextlib.ExitStack() as stack:
        side = resolve_side("git:HEAD", stack)
        assert side.scratch_root is not None
        inside = Location(str(side.scratch_root / "contracts" / "docs" / "quickstart.md"), 12)
        finding = Finding("diff", "BC101", "quickstart.md::x::L12", "regressed", location=inside)
        named = _named_by_label(finding, (side,))
    assert named.location == Location("git:HEAD:contracts/docs/quickstart.md", 12)
    elsewhere = Finding("diff", "BC001", "x", "gone", location=Location("contracts/api/hokusai.yaml", 3))
    assert _named_by_label(elsewhere, (side,)) == elsewhere
