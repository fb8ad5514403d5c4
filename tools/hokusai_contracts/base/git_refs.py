"""Reading the harness's own git repository: which commit a branch, tag or hash names."""

from __future__ import annotations

import subprocess
from pathlib import Path


def commit_of(ref: str, repository: Path) -> str | None:
    """The full hash of the commit ``ref`` names in ``repository``, None when it names none."""
    done = subprocess.run(
        ["git", "-C", str(repository), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return (done.stdout.strip() or None) if done.returncode == 0 else None
