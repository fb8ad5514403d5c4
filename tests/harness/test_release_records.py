"""Recorded releases (contracts/releases/<version>/): written by `release`, read by diff sides and repro."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.base.errors import ContractError, HarnessUsageError
from hokusai_contracts.cli.app import app
from hokusai_contracts.diff.records import LATEST, RELEASES_DIR, find_record, list_records, read_record
from hokusai_contracts.diff.sides import REPOSITORY, resolve_side
from hokusai_contracts.diff.versions import side_version
from hokusai_contracts.release.record import WORKING_TREE, record_release
from hokusai_contracts.repro.sdk_env import release_commit

RECORDED = REPOSITORY / RELEASES_DIR


@pytest.fixture
def stack():
    with contextlib.ExitStack() as stack:
        yield stack


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def sdk_repo(tmp_path: Path) -> Path:
    """A git repository with a package ``corpkg`` 0.4.0 and an API contract copied from a record."""
    root = tmp_path / "repo"
    (root / "corpkg").mkdir(parents=True)
    (root / "corpkg" / "__init__.py").write_text('__version__ = "0.4.0"\n\n\ndef hello():\n    return 1\n')
    shutil.copytree(RECORDED / "1.2.0" / "api", root / "contracts" / "api")
    (root / "contracts" / "docs").mkdir()
    (root / "contracts" / "docs" / "page.md").write_text("# page\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "0.4.0")
    return root


def test_this_repository_records_both_releases():
    versions = [r.version for r in list_records(RECORDED)]
    assert versions[:2] == ["1.1.0", "1.2.0"]
    assert find_record(RECORDED, LATEST).version == versions[-1]
    assert find_record(RECORDED, "v1.1.0").commit.startswith("bc8869b")
    for record in list_records(RECORDED):
        assert any((record.directory / "api").glob("*.yaml"))
        assert any((record.directory / "docs").glob("*.md"))
        assert any((record.directory / "auth").glob("*.yaml"))


def test_record_from_a_commit_reads_the_version_and_keeps_the_commit(sdk_repo, tmp_path):
    releases = tmp_path / "releases"
    done = record_release("git:HEAD", releases, repository=sdk_repo, package="corpkg")
    record = read_record(releases / "0.4.0")
    assert record == done.record
    assert record.commit == _git(sdk_repo, "rev-parse", "HEAD")
    assert (releases / "0.4.0" / "docs" / "page.md").read_text() == "# page\n"
    assert done.files == len(list((sdk_repo / "contracts").rglob("*.*")))
    with pytest.raises(HarnessUsageError, match=r"already recorded.*--force"):
        record_release("git:HEAD", releases, repository=sdk_repo, package="corpkg")
    with pytest.raises(HarnessUsageError, match="not a commit"):
        record_release("git:nope", releases, repository=sdk_repo, package="corpkg")


def test_a_dirty_working_tree_records_no_commit(sdk_repo, tmp_path):
    (sdk_repo / "corpkg" / "__init__.py").write_text('__version__ = "0.5.0"\n')
    done = record_release(WORKING_TREE, tmp_path / "r", repository=sdk_repo, package="corpkg")
    assert done.record.version == "0.5.0" and done.record.commit is None
    assert "no commit recorded" in done.notes[0]


def test_malformed_record_names_file_and_line(tmp_path):
    (tmp_path / "9.9.9").mkdir()
    (tmp_path / "9.9.9" / "release.yaml").write_text("package: x\nversion: banana\n")
    with pytest.raises(ContractError) as caught:
        list_records(tmp_path)
    assert caught.value.line == 2 and "release.yaml" in str(caught.value.file)


def test_release_side_rebuilds_the_code_from_the_recorded_commit(stack):
    side = resolve_side("release:1.1.0", stack)
    assert side.label == "release:1.1.0" and side.version == "1.1.0"
    assert side.importable and side.contracts_dir == RECORDED / "1.1.0"
    exported = Path(side.extra_paths[0])
    assert (exported / "hokusai" / "__init__.py").is_file() and exported != REPOSITORY
    # hokusai.testing came after 1.2.0: the API read is the release's, not the working tree's.
    assert side.api.module("hokusai.testing") is None


def test_release_side_without_its_commit_is_the_recorded_contract(tmp_path, stack):
    record = tmp_path / "1.1.0"
    shutil.copytree(RECORDED / "1.1.0", record)
    text = (record / "release.yaml").read_text().replace("bc8869b6fb", "0000000000")
    (record / "release.yaml").write_text(text)
    side = resolve_side(str(record), stack)
    assert not side.importable and side.version == "1.1.0"
    assert "not in this clone" in side.note and "git fetch origin" in side.note
    assert side.api.module("hokusai") is not None


def test_repro_versions_resolve_through_records(sdk_repo, tmp_path):
    releases = sdk_repo / RELEASES_DIR
    record_release("git:HEAD", releases, repository=sdk_repo, package="corpkg")
    assert release_commit("0.4.0", sdk_repo) == _git(sdk_repo, "rev-parse", "HEAD")
    assert release_commit("7.0.0", sdk_repo) is None
    path = releases / "0.4.0" / "release.yaml"
    path.write_text(path.read_text().replace(_git(sdk_repo, "rev-parse", "HEAD"), "ab" * 20))
    with pytest.raises(HarnessUsageError, match=r"not in this clone.*git fetch origin abab"):
        release_commit("0.4.0", sdk_repo)


def test_sides_read_their_own_version(tmp_path):
    tree = tmp_path / "tree"
    (tree / "src" / "pkg").mkdir(parents=True)
    (tree / "src" / "pkg" / "__init__.py").write_text("")
    (tree / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\nversion = "3.0.0"\n\n[tool.x]\nversion = "9"\n'
    )
    assert side_version(tree, tree / "src", "pkg") == "3.0.0"
    wheel_root = tmp_path / "wheel"
    with zipfile.ZipFile(tmp_path / "pkg.whl", "w") as archive:
        archive.writestr("pkg/__init__.py", "")
        archive.writestr("pkg-2.1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: pkg\nVersion: 2.1.0\n")
    zipfile.ZipFile(tmp_path / "pkg.whl").extractall(wheel_root)
    assert side_version(wheel_root, wheel_root, "pkg") == "2.1.0"


def test_release_cli_lists_records():
    result = CliRunner().invoke(app, ["release", "--list"])
    assert result.exit_code == 0
    assert "1.1.0  commit bc8869b" in result.output and "1.2.0  commit c9c3eab" in result.output
