"""Turn each side of a diff (contract directory, ``git:REF``, wheel, sdist, source tree, interpreter)
into the API model plus what the side offers for witnesses and behaviour checks.

Sides with code are introspected in an interpreter (extra_paths put an unpacked release first on
PYTHONPATH); when the side also has contracts, their hand-written parts (call forms, lifecycle) are
merged in. A contract directory alone gives the contracted API without versions or values.
"""

from __future__ import annotations

import contextlib
import subprocess
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.base.git_refs import commit_of
from hokusai_contracts.contract.model import Api
from hokusai_contracts.contract.store import load_contracts, merge_hand_written
from hokusai_contracts.diff.records import (
    LATEST,
    RELEASES_DIR,
    ReleaseRecord,
    find_record,
    git_archive,
    is_record,
    read_record,
)
from hokusai_contracts.diff.versions import side_version
from hokusai_contracts.introspection import introspect
from hokusai_contracts.introspection.runner import resolve_python

REPOSITORY = Path(__file__).resolve().parents[3]
RELEASE_PREFIX = "release:"
SPEC_HELP = (
    "release:VERSION (a release recorded under contracts/releases/; release:latest is the newest), "
    "a contracts directory (or its api/), git:REF of this repository, git:<repo-path>@<ref>[:<subdir>] of "
    "any git repository, a wheel (.whl) or sdist "
    "(.tar.gz/.zip), a source tree holding the package, or a Python interpreter / virtual environment"
)


@dataclass
class Side:
    """One side of a diff: its API and how to run code against it."""

    label: str
    api: Api
    python: str | None = None
    extra_paths: tuple[str, ...] = ()
    contracts_dir: Path | None = None
    importable: bool = False
    package: str = "hokusai"
    # A temporary copy (git export, unpacked wheel or sdist): reports name its files by ``label`` instead.
    scratch_root: Path | None = None
    # Why the side has no code to run (a recorded release whose commit is not in this clone).
    note: str | None = None

    @property
    def version(self) -> str | None:
        """The release version, when the side could be imported."""
        return self.api.version


def resolve_side(
    spec: str,
    stack: contextlib.ExitStack,
    *,
    package: str = "hokusai",
    python: str | None = None,
    repository: Path = REPOSITORY,
) -> Side:
    """The :class:`Side` named by ``spec``; temporary directories are removed when ``stack`` closes."""
    if spec.startswith(RELEASE_PREFIX):
        record = find_record(repository / RELEASES_DIR, spec[len(RELEASE_PREFIX) :] or LATEST)
        return _record_side(record, stack, python, repository)
    if spec.startswith("git:"):
        other = parse_git_spec(spec)
        if other is not None:
            target = _tempdir(stack, "git")
            root = export_git_tree(other, target)
            return replace(_source_side(spec, root, package, python), scratch_root=target)
        root = _git_export(spec[4:], package, repository, _tempdir(stack, "git"))
        return replace(_source_side(spec, root, package, python), scratch_root=root)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".whl":
        root = _tempdir(stack, "wheel")
        _unzip(path, root)
        side = _code_side(spec, root, package, python, contracts_root=None)
        return replace(_with_version(side, side_version(root, root, package)), scratch_root=root)
    if path.is_file() and (path.name.endswith((".tar.gz", ".tgz")) or path.suffix == ".zip"):
        root = _unpack_sdist(path, _tempdir(stack, "sdist"))
        return replace(_source_side(spec, root, package, python), scratch_root=root)
    if path.is_dir():
        if is_record(path):
            return _record_side(read_record(path), stack, python, repository, label=spec)
        if (path / "pyvenv.cfg").is_file():
            return _interpreter_side(spec, str(path), package)
        contracts_root = _contracts_root(path)
        if (_package_dir(path, package)) is not None:
            return _source_side(spec, path, package, python)
        if _has_api(contracts_root):
            api = load_contracts(contracts_root / "api")
            return Side(spec, api, contracts_dir=contracts_root, package=package)
        raise HarnessUsageError(
            f"{spec}: a directory with neither API contracts (api/*.yaml) nor a {package}/ package; "
            f"expected {SPEC_HELP}"
        )
    if path.exists():
        if path.is_file() and path.stat().st_mode & 0o111:
            return _interpreter_side(spec, str(path), package)
        raise HarnessUsageError(f"{spec}: not a wheel, sdist or interpreter; expected {SPEC_HELP}")
    try:
        return _interpreter_side(spec, resolve_python(spec), package)
    except HarnessUsageError:
        raise HarnessUsageError(
            f"{spec}: no such file, directory or interpreter; expected {SPEC_HELP}"
        ) from None


def resolve_sides(
    old_spec: str,
    new_spec: str,
    stack: contextlib.ExitStack,
    *,
    package: str = "hokusai",
    python: str | None = None,
) -> tuple[Side, Side]:
    """Both sides, resolved at the same time (each introspection runs in its own interpreter)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(resolve_side, spec, stack, package=package, python=python)
            for spec in (old_spec, new_spec)
        ]
        return futures[0].result(), futures[1].result()


def _tempdir(stack: contextlib.ExitStack, what: str) -> Path:
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"hokusai-diff-{what}-")))


_CONTRACT_FILES = (("api", "*.yaml"), ("docs", "*.md"), ("auth", "*.yaml"))


def _is_contracts_root(root: Path) -> bool:
    return any(any((root / sub).glob(pattern)) for sub, pattern in _CONTRACT_FILES)


def _contracts_root(path: Path) -> Path | None:
    """The contracts root for ``path``: itself (has api/, docs/ or auth/ contracts), its parent (``path``
    is api/), or ``path/contracts``."""
    for root in (path, path / "contracts"):
        if _is_contracts_root(root):
            return root
    if path.name == "api" and any(path.glob("*.yaml")):
        return path.parent
    return None


def _tree_contracts_root(root: Path) -> Path | None:
    """A source tree's contracts: ``root/contracts``, or ``root`` itself only when it has API contracts
    (any project's ``docs/*.md`` is not executable documentation to run as OLD's examples)."""
    if _is_contracts_root(root / "contracts"):
        return root / "contracts"
    return root if _has_api(root) else None


def _has_api(root: Path | None) -> bool:
    return root is not None and any((root / "api").glob("*.yaml"))


def _package_dir(root: Path, package: str) -> Path | None:
    """Where ``package`` is importable from under ``root``: root itself or a ``src/`` layout."""
    for base in (root, root / "src"):
        if (base / package / "__init__.py").is_file():
            return base
    return None


def _interpreter_side(label: str, python: str, package: str) -> Side:
    return Side(label, introspect(package, python), python=python, importable=True, package=package)


def _code_side(label: str, root: Path, package: str, python: str | None, contracts_root: Path | None) -> Side:
    api = introspect(package, python, extra_paths=[root])
    imported = Path(api.package_file).resolve() if api.package_file else None
    if imported is not None and not imported.is_relative_to(root.resolve()):
        # Another installation (the harness's venv, --python's site-packages) stood in for the side.
        raise InfrastructureError(
            f"{label}: importing {package!r} found {imported}, not the side's own copy under {root}; "
            "a package of that name installed in the interpreter shadows it (is a namespace or .pth "
            "hook in the way?)"
        )
    if _has_api(contracts_root):
        api = merge_hand_written(api, load_contracts(contracts_root / "api"))
    return Side(
        label,
        api,
        python=python,
        extra_paths=(str(root),),
        contracts_dir=contracts_root,
        importable=True,
        package=package,
    )


def _source_side(label: str, root: Path, package: str, python: str | None) -> Side:
    base = _package_dir(root, package)
    if base is None:
        raise HarnessUsageError(f"{label}: no {package}/__init__.py in it (nor under src/)")
    side = _code_side(label, base, package, python, _tree_contracts_root(root))
    return _with_version(side, side_version(root, base, package))


def _with_version(side: Side, version: str | None) -> Side:
    """``side`` with the version its own files declare (the import may have read an installed one)."""
    if version is None or version == side.api.version:
        return side
    return replace(side, api=replace(side.api, version=version))


def _record_side(
    record: ReleaseRecord,
    stack: contextlib.ExitStack,
    python: str | None,
    repository: Path,
    *,
    label: str | None = None,
) -> Side:
    """A recorded release: its code rebuilt from its commit when this clone has it, else its contracts."""
    label = label or f"{RELEASE_PREFIX}{record.version}"
    commit = commit_of(record.commit, repository) if record.commit else None
    if commit is not None:
        root = _tempdir(stack, "release")
        git_archive(repository, commit, [record.package], root)
        if _package_dir(root, record.package) is not None:
            side = _code_side(label, root, record.package, python, contracts_root=record.directory)
            return replace(_with_version(side, record.version), scratch_root=root)
    if record.commit is None:
        why = f"{record.label} names no commit, so its code cannot be rebuilt"
    else:
        why = (
            f"{record.label}: commit {record.commit} is not in this clone "
            f"(git fetch origin {record.commit}), so its code cannot be rebuilt"
        )
    api = replace(load_contracts(record.directory / "api"), version=record.version)
    return Side(label, api, contracts_dir=record.directory, package=record.package, note=why)


@dataclass(frozen=True)
class GitTree:
    """``git:<repo-path>@<ref>[:<subdir>]``: a reference of any git repository, optionally a subfolder."""

    repository: Path
    ref: str
    subdir: str = ""


def parse_git_spec(spec: str) -> GitTree | None:
    """The :class:`GitTree` of ``git:<repo-path>@<ref>[:<subdir>]``; None for ``git:REF`` of this one.

    The text before the first ``@`` must be a directory, so refs such as ``HEAD@{1}`` still name a
    reference of this repository.
    """
    body = spec.removeprefix("git:")
    repo, at, rest = body.partition("@")
    if not at or not repo or not Path(repo).expanduser().is_dir():
        return None
    ref, _, subdir = rest.partition(":")
    if not ref:
        raise HarnessUsageError(f"{spec}: no reference after '@' (git:<repo-path>@<ref>[:<subdir>])")
    repository = Path(repo).expanduser().resolve()
    if commit_of(ref, repository) is None:
        raise HarnessUsageError(f"{spec}: {ref!r} is not a commit, branch or tag of {repository}")
    return GitTree(repository, ref, subdir.strip("/"))


def export_git_tree(tree: GitTree, target: Path) -> Path:
    """Write ``tree``'s files (its subfolder only, when given) under ``target``; the root they are in."""
    git_archive(tree.repository, tree.ref, [tree.subdir or "."], target)
    root = target / tree.subdir if tree.subdir else target
    if not root.is_dir():
        raise HarnessUsageError(f"git:{tree.repository}@{tree.ref}: no folder {tree.subdir!r} at that ref")
    return root


def _git_export(ref: str, package: str, repository: Path, target: Path) -> Path:
    """``contracts/`` and ``<package>/`` of this repository at ``ref``, written under ``target``."""
    if not ref:
        raise HarnessUsageError("git: needs a reference, e.g. git:v1.0.0 or git:HEAD~1")
    paths = [p for p in ("contracts", package) if _git_has(repository, ref, p)]
    if package not in paths:
        raise HarnessUsageError(f"git:{ref}: no {package}/ directory at that reference of {repository}")
    git_archive(repository, ref, paths, target)
    return target


def _git_has(repository: Path, ref: str, path: str) -> bool:
    probe = subprocess.run(
        ["git", "-C", str(repository), "cat-file", "-e", f"{ref}:{path}"], capture_output=True, check=False
    )
    if probe.returncode != 0 and path != "contracts" and commit_of(ref, repository) is None:
        raise HarnessUsageError(f"git:{ref}: not a commit, branch or tag of {repository}")
    return probe.returncode == 0


def _unzip(path: Path, target: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(target)
    except zipfile.BadZipFile:
        raise HarnessUsageError(f"{path}: not a readable wheel or zip archive") from None


def _unpack_sdist(path: Path, target: Path) -> Path:
    """Unpack an sdist; the root is its single top-level directory (``name-version/``)."""
    if path.suffix == ".zip":
        _unzip(path, target)
    else:
        try:
            with tarfile.open(path) as archive:
                archive.extractall(target, filter="data")
        except tarfile.TarError:
            raise HarnessUsageError(f"{path}: not a readable sdist (.tar.gz)") from None
    entries = [p for p in target.iterdir() if p.is_dir()]
    return entries[0] if len(entries) == 1 else target
