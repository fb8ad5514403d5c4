"""diff --history: every consecutive pair of commits that touched the package, in one table."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from hokusai_contracts.cli.app import app
from hokusai_contracts.release.history import package_commits, run_history


def _commit(root: Path, message: str) -> None:
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(
            ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            check=True,
            capture_output=True,
        )


def _module(version: str, signature: str) -> str:
    return f'"""corpkg."""\n__version__ = "{version}"\n\n\ndef f({signature}):\n    """F."""\n    return 1\n'


def _repo(tmp_path: Path) -> Path:
    """``vendor/corpkg`` in another project: a compatible change, an unrelated commit, a break, a
    commit whose package does not import, and its fix."""
    root = tmp_path / "project"
    package = root / "vendor" / "corpkg"
    package.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    steps = [
        ("1.0.0", "x", "one"),
        ("1.1.0", "x, y=1", "add an optional parameter"),
        (None, None, "docs only"),
        ("1.1.1", "x, z=1", "rename y to z"),
        ("1.1.2", "broken", "broken import"),
        ("2.0.0", "x, z=1", "fix the import"),
    ]
    for version, signature, message in steps:
        if version is None:
            (root / "README").write_text(message)
        elif signature == "broken":
            (package / "__init__.py").write_text("import corpkg.gone_xyz\n")
        else:
            (package / "__init__.py").write_text(_module(version, signature))
        _commit(root, message)
    return root


def test_history_of_a_package_in_a_subfolder_of_another_repository(tmp_path):
    root = _repo(tmp_path)
    commits = package_commits(root, "vendor", "corpkg")
    assert len(commits) == 5  # the docs-only commit did not touch the package
    history = run_history(f"{root}:vendor", package="corpkg")
    rows = [(p.title, len(p.breaking), p.passed, p.error is not None) for p in history.pairs]
    assert rows == [
        ("add an optional parameter", 0, True, False),
        ("rename y to z", 2, False, False),
        ("broken import", 0, True, True),
        ("fix the import", 0, True, True),
    ]
    assert "corpkg.gone_xyz" in history.pairs[2].error
    assert {f.rule for f in history.pairs[1].breaking} == {"BC005", "semver"}
    assert all(p.seconds >= 0 for p in history.pairs)


def test_history_cli_writes_markdown_and_json(tmp_path):
    root = _repo(tmp_path)
    since = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD~3"], capture_output=True, text=True, check=True
    ).stdout.strip()
    md, js = tmp_path / "h.md", tmp_path / "h.json"
    options = ["--since", since, "--package", "corpkg", "--markdown", str(md), "--json", str(js)]
    result = CliRunner().invoke(app, ["diff", "--history", f"{root}:vendor", *options])
    assert result.exit_code == 1, result.output  # the rename fails the gate
    data = json.loads(js.read_text())
    assert [p["status"] for p in data["pairs"]] == ["FAIL", "not compared", "not compared"]
    assert "| pair | commit | breaking | warnings | gate | version | seconds |" in md.read_text()
    usage = CliRunner().invoke(app, ["diff", "--history", str(root), "a", "b"])
    assert usage.exit_code == 3
