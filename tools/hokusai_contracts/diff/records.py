"""Recorded releases (``contracts/releases/<version>/``): baselines that travel with a clone.

Tags do not reach every clone, so a release is recorded as tracked files: its contracts (``api/``,
``docs/``, ``auth/``, as they stood at the release) and ``release.yaml`` naming its version, package
and commit. A diff side, the gate's default baseline and ``repro``'s ``version:`` sources read these
records; the commit lets them rebuild the release's code when the clone has that commit.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import ContractError, HarnessUsageError, InfrastructureError
from hokusai_contracts.contract.yaml_lines import dump_yaml, read_yaml_file
from hokusai_contracts.diff.semver import parse_version

RECORD_FILE = "release.yaml"
RELEASES_DIR = Path("contracts") / "releases"
LATEST = "latest"
# The contract folders a record keeps: the API, the executable docs and the auth scenarios.
CONTRACT_FOLDERS = ("api", "docs", "auth")
_REQUIRED = ("version", "package")
HEADER = (
    "# A recorded release (`hokusai-contracts release`): the baseline `diff release:VERSION`, the gate and\n"
    "# `repro --sdk version:VERSION` use. `commit` rebuilds the release's code when the clone has it.\n"
)


@dataclass(frozen=True)
class ReleaseRecord:
    """One recorded release: its version, package, commit and the directory holding its contracts."""

    version: str
    package: str
    directory: Path
    commit: str | None = None
    recorded_from: str | None = None

    @property
    def label(self) -> str:
        """How reports name it: ``release 1.2.0 (c9c3eab)``."""
        commit = f" ({self.commit[:7]})" if self.commit else ""
        return f"release {self.version}{commit}"


def is_record(directory: Path) -> bool:
    """True when ``directory`` holds a ``release.yaml``."""
    return (directory / RECORD_FILE).is_file()


def read_record(directory: Path) -> ReleaseRecord:
    """The record in ``directory``; ContractError (file and line) when ``release.yaml`` is malformed."""
    path = directory / RECORD_FILE
    loaded = read_yaml_file(path, expected="a release record (release.yaml)")
    data = loaded.data
    if not isinstance(data, dict):
        raise ContractError("expected a mapping with version, package and commit", file=str(path), line=1)
    for key in _REQUIRED:
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ContractError(
                f"`{key}` must be a non-empty string", file=str(path), line=loaded.line([key])
            )
    if parse_version(data["version"]) is None:
        raise ContractError(
            f"`version` {data['version']!r} is not a version number",
            file=str(path),
            line=loaded.line(["version"]),
        )
    commit = data.get("commit")
    if commit is not None and not isinstance(commit, str):
        raise ContractError("`commit` must be a string", file=str(path), line=loaded.line(["commit"]))
    return ReleaseRecord(
        version=data["version"],
        package=data["package"],
        directory=directory,
        commit=commit,
        recorded_from=data.get("recorded_from"),
    )


def list_records(releases_dir: Path) -> list[ReleaseRecord]:
    """Every record under ``releases_dir``, oldest version first."""
    if not releases_dir.is_dir():
        return []
    records = [read_record(d) for d in sorted(releases_dir.iterdir()) if d.is_dir() and is_record(d)]
    return sorted(records, key=lambda r: parse_version(r.version) or (0, 0, 0))


def find_record(releases_dir: Path, version: str) -> ReleaseRecord:
    """The record of ``version`` (``latest``: the newest); HarnessUsageError naming the known ones."""
    records = list_records(releases_dir)
    if not records:
        raise HarnessUsageError(
            f"no release is recorded under {releases_dir} (record one with `hokusai-contracts release`)"
        )
    if version == LATEST:
        return records[-1]
    wanted = version.removeprefix("v")
    for record in records:
        if record.version == wanted:
            return record
    known = ", ".join(r.version for r in records)
    raise HarnessUsageError(f"release {version} is not recorded under {releases_dir} (recorded: {known})")


def record_yaml(record: ReleaseRecord) -> str:
    """The text of ``release.yaml`` for ``record``."""
    data = {"version": record.version, "package": record.package}
    if record.commit:
        data["commit"] = record.commit
    if record.recorded_from:
        data["recorded_from"] = record.recorded_from
    return HEADER + dump_yaml(data)


def git_archive(repository: Path, ref: str, paths: list[str], target: Path) -> None:
    """Write ``paths`` of ``repository`` at ``ref`` under ``target`` (``.``: everything; paths missing
    there are skipped)."""
    present = [p for p in paths if p == "." or _exists_at(repository, ref, p)]
    if not present:
        return
    pathspec = [] if "." in present else ["--", *present]
    done = subprocess.run(
        ["git", "-C", str(repository), "archive", "--format=tar", ref, *pathspec],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise InfrastructureError(f"git archive {ref} failed: {done.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(target, filter="data")


def _exists_at(repository: Path, ref: str, path: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repository), "cat-file", "-e", f"{ref}:{path}"], capture_output=True, check=False
    )
    return done.returncode == 0
