"""Package-level facts of one side: its requirements (base and extras), what each public module imports
for sure, and its console scripts as they run (``cli_worker.py`` in the side's sandboxed interpreter).

Read once per side and handed to the rules through ``DiffContext.old_package`` / ``new_package``:
BC026 (a plain install loses a module) and the console-script parts of BC024, BC025 and BC027.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import resolve_python, run_worker
from hokusai_contracts.contract.model import Api
from hokusai_contracts.diff.pairs import is_public_path
from hokusai_contracts.diff.probe import sandbox_environment
from hokusai_contracts.diff.requirements import (
    PackageMetadata,
    distributions_of,
    find_metadata,
    from_metadata_text,
)
from hokusai_contracts.diff.sides import Side
from hokusai_contracts.diff.static_imports import ImportReader
from hokusai_contracts.diff.synthesis import ACTING_PATTERN

WORKER = Path(__file__).with_name("cli_worker.py")
RUN_TIMEOUT_S = 10.0
BUDGET_S = 60.0


@dataclass
class PackageFacts:
    """What one side's package declares and does as a whole (no object of its API carries it)."""

    metadata: PackageMetadata | None = None
    # Public module -> top-level names of the third-party modules importing it imports for sure.
    imports: dict[str, set[str]] = field(default_factory=dict)
    # Top-level module name -> the distributions that provide it in the side's interpreter.
    distributions: dict[str, list[str]] = field(default_factory=dict)
    # Console script -> its entry point, command tree and exit statuses (``cli_worker.probe_script``).
    scripts: dict[str, dict] = field(default_factory=dict)

    def distributions_of(self, name: str, other: Mapping[str, Sequence[str]] | None = None) -> set[str]:
        """The distributions that may provide top-level module ``name`` (this side's view, then ``other``)."""
        return distributions_of(name, {**(other or {}), **self.distributions})


def module_imports(api: Api) -> dict[str, set[str]]:
    """Every module of ``api``'s package (those that failed to import too, as its files lay them out)
    -> the third-party top-level names it imports for sure (read statically)."""
    if not api.package_file:
        return {}
    reader = ImportReader(Path(api.package_file).parent, api.package)
    return {module: reader.external(module) for module in reader.modules()}


def read_package(side: Side, *, budget: float = BUDGET_S) -> PackageFacts:
    """The :class:`PackageFacts` of ``side`` (empty for a side without code or metadata)."""
    if not side.importable:
        return PackageFacts()
    interpreter_side = not side.extra_paths
    metadata = find_metadata(side.extra_paths, side.package) if side.extra_paths else None
    if metadata is None and not interpreter_side:
        return PackageFacts()  # a tree without pyproject/setup.cfg (a git export of the package alone)
    imports = module_imports(side.api)
    request = {
        "package": side.package,
        "metadata": interpreter_side,
        "names": sorted(set().union(*imports.values())) if imports else [],
        "scripts": dict(metadata.scripts) if metadata else {},
        # Packages run as ``python -m`` (a public ``__main__.py``): command lines too.
        "main_modules": sorted(
            m.removesuffix(".__main__") for m in imports if m.endswith(".__main__") and is_public_path(m)
        ),
        "acting": ACTING_PATTERN,
        "timeout": RUN_TIMEOUT_S,
        "budget": budget,
    }
    with tempfile.TemporaryDirectory(prefix="hokusai-cli-home-") as home:
        run = run_worker(
            WORKER,
            request,
            what="the console-script probe",
            python=os.path.abspath(resolve_python(side.python)),
            extra_paths=side.extra_paths,
            timeout=budget + 60.0,
            env=sandbox_environment(Path(home)),
            cwd=Path(home),
        )
    if run.timed_out:
        raise InfrastructureError(
            f"the console-script probe under {run.interpreter} did not finish within {budget + 60:.0f} s"
        )
    answer = run.answer()
    installed = answer.get("metadata")
    if metadata is None and installed:
        metadata = from_metadata_text(installed["text"], installed["entry_points"], source=installed["name"])
    return PackageFacts(metadata, imports, answer.get("distributions") or {}, answer.get("scripts") or {})


def read_packages(old: Side, new: Side) -> tuple[PackageFacts, PackageFacts]:
    """Both sides' facts, read at the same time."""
    if not (old.importable and new.importable):
        return PackageFacts(), PackageFacts()
    with ThreadPoolExecutor(max_workers=2) as pool:
        old_facts, new_facts = pool.map(read_package, (old, new))
    return old_facts, new_facts
