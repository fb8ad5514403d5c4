"""Turn each side of a diff (contract directory, ``git:REF``, wheel, sdist, source tree, interpreter)
into the API model plus what the side offers for witnesses and behaviour checks.

Sides with code are introspected in an interpreter (extra_paths put an unpacked release first on
PYTHONPATH); when the side also has contracts, their hand-written parts (call forms, lifecycle) are
merged in. A contract directory alone gives the contracted API without versions or values.

Each code side gets one persistent worker (a :class:`SideSession`, sandboxed like the probes: fresh HOME
and working directory, no HOKUSAI_*/MLFLOW_* variables) that answers, in order, the structure probe
(before anything but ``import <package>`` ran), the introspection, the probes and the witnesses: one
interpreter per side instead of one per question. With ``static`` nothing is imported at all: the API
is read from the source (``introspection/static.py``) and the side runs no code (no probes, witnesses or
behaviour checks).
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import tarfile
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.base.forkserver import routed_forkserver
from hokusai_contracts.base.git_refs import commit_of
from hokusai_contracts.base.workers import WorkerRun, WorkerSession, routed
from hokusai_contracts.contract.model import Api, ObjectKind
from hokusai_contracts.contract.store import load_contracts, merge_hand_written
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.probe import TIMEOUT_S as PROBE_TIMEOUT_S
from hokusai_contracts.diff.probe import WORKER as PROBE_WORKER
from hokusai_contracts.diff.probe import ProbeAnswer, ProbeRequest, Structure, sandbox_environment
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
from hokusai_contracts.diff.witness import Witness, judge_changes
from hokusai_contracts.introspection import introspect
from hokusai_contracts.introspection.build import build_api
from hokusai_contracts.introspection.runner import WORKER as INTROSPECTION_WORKER
from hokusai_contracts.introspection.runner import resolve_python
from hokusai_contracts.introspection.static import StaticReader, literal_values, resolves, static_api

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
    # Why the side has no code to run (a recorded release whose commit is not in this clone, --static).
    note: str | None = None
    # Read from source without importing anything (--static).
    static: bool = False
    # Constant values read from the source of a static side (path -> repr), compared like probed ones.
    static_values: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # The reader of a static side's source (answers import witnesses without importing).
    reader: StaticReader | None = field(default=None, repr=False, compare=False)
    # The side's persistent worker (None: static, contracts only, or not opened).
    worker: SideSession | None = field(default=None, repr=False, compare=False)

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
    static: bool = False,
) -> Side:
    """The :class:`Side` named by ``spec``; temporary directories (and the side's worker) end when
    ``stack`` closes. ``static``: read the API from source, import nothing."""
    how = _How(stack, static)
    if spec.startswith(RELEASE_PREFIX):
        record = find_record(repository / RELEASES_DIR, spec[len(RELEASE_PREFIX) :] or LATEST)
        return _record_side(record, how, python, repository)
    if spec.startswith("git:"):
        other = parse_git_spec(spec)
        if other is not None:
            target = _tempdir(stack, "git")
            root = export_git_tree(other, target)
            return replace(_source_side(spec, root, package, python, how), scratch_root=target)
        root = _git_export(spec[4:], package, repository, _tempdir(stack, "git"))
        return replace(_source_side(spec, root, package, python, how), scratch_root=root)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".whl":
        root = _tempdir(stack, "wheel")
        _unzip(path, root)
        side = _code_side(spec, root, package, python, None, how)
        return replace(_with_version(side, side_version(root, root, package)), scratch_root=root)
    if path.is_file() and (path.name.endswith((".tar.gz", ".tgz")) or path.suffix == ".zip"):
        root = _unpack_sdist(path, _tempdir(stack, "sdist"))
        return replace(_source_side(spec, root, package, python, how), scratch_root=root)
    if path.is_dir():
        if is_record(path):
            return _record_side(read_record(path), how, python, repository, label=spec)
        if (path / "pyvenv.cfg").is_file():
            return _interpreter_side(spec, str(path), package, how)
        contracts_root = _contracts_root(path)
        if (_package_dir(path, package)) is not None:
            return _source_side(spec, path, package, python, how)
        if _has_api(contracts_root):
            api = load_contracts(contracts_root / "api")
            return Side(spec, api, contracts_dir=contracts_root, package=package)
        raise HarnessUsageError(
            f"{spec}: a directory with neither API contracts (api/*.yaml) nor a {package}/ package; "
            f"expected {SPEC_HELP}"
        )
    if path.exists():
        if path.is_file() and path.stat().st_mode & 0o111:
            return _interpreter_side(spec, str(path), package, how)
        raise HarnessUsageError(f"{spec}: not a wheel, sdist or interpreter; expected {SPEC_HELP}")
    try:
        python_path = resolve_python(spec)
    except HarnessUsageError:
        raise HarnessUsageError(
            f"{spec}: no such file, directory or interpreter; expected {SPEC_HELP}"
        ) from None
    return _interpreter_side(spec, python_path, package, how)


def resolve_sides(
    old_spec: str,
    new_spec: str,
    stack: contextlib.ExitStack,
    *,
    package: str = "hokusai",
    python: str | None = None,
    static: bool = False,
) -> tuple[Side, Side]:
    """Both sides, resolved at the same time (each introspection runs in its own interpreter)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(resolve_side, spec, stack, package=package, python=python, static=static)
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


@dataclass(frozen=True)
class _How:
    """How code sides are read: the stack their temporary things live on, and whether statically."""

    stack: contextlib.ExitStack
    static: bool = False


STATIC_NOTE = "{label} was read statically (--static): none of its code runs"


def _static_side(
    label: str, package: str, api: Api, values: dict[str, str], reader: StaticReader, **where: Any
) -> Side:
    """A side read from source only (``where``: its interpreter or contracts directory)."""
    note = STATIC_NOTE.format(label=label)
    return Side(
        label, api, package=package, note=note, static=True, static_values=values, reader=reader, **where
    )


def _interpreter_side(label: str, python: str, package: str, how: _How) -> Side:
    if how.static:
        base = installed_package_base(resolve_python(python), package)
        return _static_side(label, package, *_read_statically(base, package), python=python)
    worker = _open_session(
        how.stack, python, (), package, _package_base_quietly(resolve_python(python), package)
    )
    api = introspect(package, python)
    if api.package_file and api.unimportable:
        api = fill_statically(api, Path(api.package_file).parent.parent)
    return Side(label, api, python=python, importable=True, package=package, worker=worker)


def _code_side(
    label: str, root: Path, package: str, python: str | None, contracts_root: Path | None, how: _How
) -> Side:
    if how.static:
        api, values, reader = _read_statically(root, package)
        if _has_api(contracts_root):
            api = merge_hand_written(api, load_contracts(contracts_root / "api"))
        return _static_side(label, package, api, values, reader, contracts_dir=contracts_root)
    worker = _open_session(how.stack, python, (str(root),), package, root)
    api = introspect(package, python, extra_paths=[root])
    imported = Path(api.package_file).resolve() if api.package_file else None
    if imported is not None and not imported.is_relative_to(root.resolve()):
        # Another installation (the harness's venv, --python's site-packages) stood in for the side.
        raise InfrastructureError(
            f"{label}: importing {package!r} found {imported}, not the side's own copy under {root}; "
            "a package of that name installed in the interpreter shadows it (is a namespace or .pth "
            "hook in the way?)"
        )
    api = fill_statically(api, root)
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
        worker=worker,
    )


def _read_statically(base: Path, package: str) -> tuple[Api, dict[str, str], StaticReader]:
    """The API read from source, the constant values of its attributes, and the reader."""
    reader = StaticReader(base, package)
    api = build_api(reader.payload())
    attributes = [o.path for o in api.objects().values() if o.kind is ObjectKind.ATTRIBUTE]
    return api, literal_values(reader, attributes), reader


def static_witnesses(side: Side, changes: list[Change]) -> dict[int, Witness]:
    """Import witnesses answered from a static side's source: an old path its source still serves
    (a module ``__getattr__`` lazy export, say) disproves the removal; call witnesses need a run."""
    if side.reader is None:
        return {}
    paths = sorted({p for c in changes if c.witness == "import" for p in c.import_paths})
    imports = {path: None if resolves(side.reader, path) else "not found in the source" for path in paths}
    found = judge_changes(
        [c if c.witness == "import" else replace(c, witness="") for c in changes],
        ProbeAnswer(imports=imports),
    )
    return {i: w for i, w in found.items() if w.verdict == "disproved"}


def _under(name: str, modules: set[str]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def fill_statically(api: Api, base: Path) -> Api:
    """``api`` with its submodules that did not import read from their source under ``base`` instead.

    They leave ``unimportable`` for ``read_statically`` (diff compares them, BC103 says they were read
    statically, and their findings are warnings unless unambiguous: ``diff/coverage.py``). A module whose
    source does not parse either stays unimportable.
    """
    failed = set(api.unimportable)
    if not failed:
        return api
    static = static_api(base, api.package)
    present = {m.name for m in api.modules}
    filled = [m for m in static.modules if _under(m.name, failed) and m.name not in present]
    read = {
        name: missing for name, missing in api.unimportable.items() if _under(name, {m.name for m in filled})
    }
    if not read:
        return api
    # An object of a module that imported, also exported from a filled one: the same object, one more path.
    known = {
        path: obj
        for module in api.modules
        for obj in module.objects
        for path in (obj.path, *obj.export_paths)
    }
    modules = list(api.modules)
    for module in filled:
        own = []
        for obj in module.objects:
            twin = next((known[p] for p in (obj.path, *obj.export_paths) if p in known), None)
            if twin is None:
                own.append(obj)
            else:
                extra = {p for p in obj.export_paths if _under(p.rpartition(".")[0], set(read))}
                twin.export_paths = sorted({*twin.export_paths, *extra})
        modules.append(replace(module, objects=own))
    return replace(
        api,
        modules=sorted(modules, key=lambda m: m.name),
        unimportable={k: v for k, v in api.unimportable.items() if k not in read},
        read_statically=read,
    )


def _source_side(label: str, root: Path, package: str, python: str | None, how: _How) -> Side:
    base = _package_dir(root, package)
    if base is None:
        raise HarnessUsageError(f"{label}: no {package}/__init__.py in it (nor under src/)")
    side = _code_side(label, base, package, python, _tree_contracts_root(root), how)
    return _with_version(side, side_version(root, base, package))


def _with_version(side: Side, version: str | None) -> Side:
    """``side`` with the version its own files declare (the import may have read an installed one)."""
    if version is None or version == side.api.version:
        return side
    return replace(side, api=replace(side.api, version=version))


def _record_side(
    record: ReleaseRecord,
    how: _How,
    python: str | None,
    repository: Path,
    *,
    label: str | None = None,
) -> Side:
    """A recorded release: its code rebuilt from its commit when this clone has it, else its contracts."""
    label = label or f"{RELEASE_PREFIX}{record.version}"
    commit = commit_of(record.commit, repository) if record.commit else None
    if commit is not None:
        root = _tempdir(how.stack, "release")
        git_archive(repository, commit, [record.package], root)
        if _package_dir(root, record.package) is not None:
            side = _code_side(label, root, record.package, python, record.directory, how)
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
    """``contracts/``, ``<package>/`` and the packaging metadata of this repository at ``ref``, written
    under ``target`` (the metadata: a plain install's requirements and console scripts are API too)."""
    if not ref:
        raise HarnessUsageError("git: needs a reference, e.g. git:v1.0.0 or git:HEAD~1")
    wanted = ("contracts", package, "pyproject.toml", "setup.cfg")
    paths = [p for p in wanted if _git_has(repository, ref, p)]
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


# -- one persistent worker per side ---------------------------------------------------------------------

# Live side workers at most (each holds the side's imports in memory): a diff needs two, two diffs at a
# time four; --history keeps every side it resolved, so the oldest workers end (later questions to them,
# if any, run one-shot).
MAX_LIVE_SESSIONS = 4
_live: collections.deque[WorkerSession] = collections.deque()
_live_lock = threading.Lock()


class SideSession(WorkerSession):
    """A side's worker. Its first question is the structure probe over every public submodule found in
    the side's files (which ones ``import <package>`` alone binds), asked before the introspection imports
    them all; later structure probes are answered from it (only submodules it did not cover are asked)."""

    early_bound: dict[str, Any] | None = None

    def ask_structure_first(self, package: str, submodules: list[str]) -> None:
        """Ask the structure probe now and keep its answer."""
        request = ProbeRequest(structure=Structure(package, tuple(submodules)))
        run = super().ask(PROBE_WORKER, request, what="the structure probe", timeout=PROBE_TIMEOUT_S)
        self.early_bound = run.records[-1].get("bound", {}) if run.answered else None

    def ask(self, script: Path | str, request: Any, *, what: str, timeout: float) -> WorkerRun:
        """As :meth:`WorkerSession.ask`; a structure probe is answered from the early answer."""
        structure = request.get("structure") if isinstance(request, dict) else None
        early = self.early_bound
        if early is None or not structure or Path(script).resolve() != PROBE_WORKER.resolve():
            return super().ask(script, request, what=what, timeout=timeout)
        wanted = list(structure.get("submodules") or [])
        late = [name for name in wanted if name not in early]
        asked = {**request, "structure": {**structure, "submodules": late} if late else None}
        run = super().ask(script, asked, what=what, timeout=timeout)
        if not run.answered:
            return run
        answer = dict(run.records[-1])
        answer["bound"] = {**{n: early[n] for n in wanted if n in early}, **(answer.get("bound") or {})}
        return replace(run, records=(*run.records[:-1], answer))


def _open_session(
    stack: contextlib.ExitStack,
    python: str | None,
    extra_paths: tuple[str, ...],
    package: str,
    source_base: Path | None,
) -> SideSession | None:
    """Start the side's worker (routed for the introspection and probe workers until ``stack`` closes);
    None when a routed fork server of the side's interpreter takes the probes (each a fresh fork; the
    one introspection, which imports only the side's code, then starts an interpreter of its own)."""
    # Absolute, not resolved (a venv's python is a symlink): the probes name it the same way.
    interpreter = os.path.abspath(resolve_python(python))
    if routed_forkserver(interpreter, extra_paths, PROBE_WORKER) is not None:
        return None
    home = stack.enter_context(processes.temp_dir("side-home"))
    session = SideSession(
        interpreter,
        what="the side's worker",
        env=sandbox_environment(home),
        extra_paths=extra_paths,
        cwd=home,
        scripts=(INTROSPECTION_WORKER, PROBE_WORKER),
    )
    stack.enter_context(routed(session))
    stack.callback(_forget, session)
    with _live_lock:
        _live.append(session)
        evicted = [_live.popleft() for _ in range(max(len(_live) - MAX_LIVE_SESSIONS, 0))]
    for old in evicted:
        old.close()  # its later questions (if any) run one-shot
    if source_base is not None:
        submodules = [m for m in StaticReader(source_base, package).walk_modules() if m != package]
        session.ask_structure_first(package, submodules)
    return session


def _forget(session: WorkerSession) -> None:
    with _live_lock, contextlib.suppress(ValueError):
        _live.remove(session)


_FIND_PACKAGE = (
    "import importlib.util, sys\n"
    "spec = importlib.util.find_spec(sys.argv[1])\n"
    "print(spec.origin if spec and spec.origin else '')\n"
)


def installed_package_base(python: str, package: str) -> Path:
    """The directory holding ``package`` as installed for ``python``, found without importing it."""
    done = processes.run([python, "-c", _FIND_PACKAGE, package], timeout=60)
    origin = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not origin.endswith("__init__.py"):
        raise HarnessUsageError(
            f"{package!r} is not installed as a package for {python} (find_spec found "
            f"{origin or 'nothing'}); install it there or pass its source tree"
        )
    return Path(origin).parent.parent


def _package_base_quietly(python: str, package: str) -> Path | None:
    try:
        return installed_package_base(python, package)
    except HarnessUsageError:
        return None  # introspection says what is wrong, in its own words
