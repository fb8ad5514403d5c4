"""git:<repo-path>@<ref>[:<subdir>] sides: any git repository, the package in a subfolder."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.diff.sides import GitTree, parse_git_spec, resolve_sides
from hokusai_contracts.release.run import diff_findings


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def outer(tmp_path: Path) -> Path:
    """A repository whose ``lib/`` holds ``corpkg``: 1.0.0 has ``f(x, y)``, 1.0.1 renames y to z."""
    root = tmp_path / "outer"
    package = root / "lib" / "src" / "corpkg"
    package.mkdir(parents=True)
    (root / "lib" / "docs").mkdir()
    (root / "lib" / "docs" / "notes.md").write_text("```python\nraise SystemExit(1)\n```\n")
    _git(root, "init", "-q")
    for version, name in (("1.0.0", "y"), ("1.0.1", "z")):
        (package / "__init__.py").write_text(
            f'"""corpkg."""\n__version__ = "{version}"\n\n\ndef f(x, {name}):\n    """F."""\n    return x\n'
        )
        _git(root, "add", ".")
        _git(root, "commit", "-q", "-m", version)
    return root


def test_parse_git_spec(outer):
    assert parse_git_spec(f"git:{outer}@HEAD~1:lib/") == GitTree(outer.resolve(), "HEAD~1", "lib")
    assert parse_git_spec("git:HEAD@{1}") is None and parse_git_spec("git:v1.0.0") is None
    with pytest.raises(HarnessUsageError, match="not a commit"):
        parse_git_spec(f"git:{outer}@nope")


def test_diff_of_two_commits_of_another_repository(outer):
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(f"git:{outer}@HEAD~1:lib", f"git:{outer}@HEAD:lib", stack, package="corpkg")
        assert (old.version, new.version) == ("1.0.0", "1.0.1")
        # A project's docs/ folder is not a contracts root (its pages are not OLD's examples).
        assert old.contracts_dir is None
        report = diff_findings(old, new, [])
    assert ("BC005", "corpkg.f") in {(f.rule, f.subject) for f in report.result.findings}
    assert report.exit_code == 1
