"""``hokusai-contracts release``: record a release's contracts and version under ``contracts/releases/``.

The record is made from a git commit (``git:REF``) or from the working tree; it copies the contract
folders (API, docs, auth scenarios) as they stand there, reads the version from the package's own
``__init__.py`` and keeps the commit, so a clone without tags can still diff against the release and
rebuild its code.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.git_refs import commit_of
from hokusai_contracts.diff.records import (
    CONTRACT_FOLDERS,
    RECORD_FILE,
    ReleaseRecord,
    git_archive,
    is_record,
    record_yaml,
)
from hokusai_contracts.diff.versions import source_version

WORKING_TREE = "."


@dataclass(frozen=True)
class Recorded:
    """What ``record_release`` wrote."""

    record: ReleaseRecord
    files: int
    notes: tuple[str, ...] = ()


def _dirty(repository: Path, paths: list[str]) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repository), "status", "--porcelain", "--", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode != 0 or bool(done.stdout.strip())


def record_release(
    source: str,
    releases_dir: Path,
    *,
    repository: Path,
    package: str = "hokusai",
    version: str | None = None,
    force: bool = False,
) -> Recorded:
    """Record the release at ``source`` (``git:REF`` or ``.``, the working tree) under ``releases_dir``."""
    contract_paths = [f"contracts/{folder}" for folder in CONTRACT_FOLDERS]
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hokusai-release-") as scratch:
        root = Path(scratch)
        if source == WORKING_TREE:
            root = repository
            commit = commit_of("HEAD", repository)
            if _dirty(repository, [package, *contract_paths]):
                notes.append(
                    f"the working tree's {package}/ or contracts differ from HEAD: no commit recorded, "
                    "so the release's code cannot be rebuilt from this record (commit first)"
                )
                commit = None
            recorded_from = "working tree" + (f" at {commit}" if commit else "")
        else:
            ref = source.removeprefix("git:")
            commit = commit_of(ref, repository)
            if commit is None:
                raise HarnessUsageError(f"{source}: not a commit, branch or tag of {repository}")
            git_archive(repository, commit, [package, *contract_paths], root)
            recorded_from = source if source.startswith("git:") else f"git:{source}"
        found = source_version(root / package)
        if found is None and version is None:
            raise HarnessUsageError(
                f"{source}: {package}/__init__.py assigns no __version__ string; pass --version"
            )
        if version is not None and found is not None and version != found:
            notes.append(f"--version {version} differs from the package's __version__ {found}")
        record = ReleaseRecord(
            version=version or found or "",
            package=package,
            directory=releases_dir / (version or found or ""),
            commit=commit,
            recorded_from=recorded_from,
        )
        if is_record(record.directory) and not force:
            raise HarnessUsageError(
                f"release {record.version} is already recorded in {record.directory} (--force replaces it)"
            )
        if not any((root / p).is_dir() for p in contract_paths):
            raise HarnessUsageError(f"{source}: no contracts/api, docs or auth folder to record")
        files = _write(record, root, contract_paths)
    return Recorded(record, files, tuple(notes))


def _write(record: ReleaseRecord, root: Path, contract_paths: list[str]) -> int:
    target = record.directory
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    count = 0
    for folder, path in zip(CONTRACT_FOLDERS, contract_paths, strict=True):
        source = root / path
        if not source.is_dir():
            continue
        for file in sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            destination = target / folder / file.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)
            count += 1
    (target / RECORD_FILE).write_text(record_yaml(record))
    return count
