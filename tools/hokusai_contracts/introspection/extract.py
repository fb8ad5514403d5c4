"""Extraction: read the installed SDK and (re)write the committed API contracts, or diff against them."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.contract.model import Api, ApiModule
from hokusai_contracts.contract.store import (
    load_contracts,
    merge_hand_written,
    read_committed,
    render_contracts,
    write_contracts,
)
from hokusai_contracts.introspection import introspect


@dataclass
class ExtractResult:
    """What an extraction changed (or, with ``check``, would change)."""

    changed: list[Path] = field(default_factory=list)
    diff: str = ""
    ok: bool = True
    api: Api | None = None
    # Modules of the SDK that did not import, with why; their committed contracts were kept as they are.
    not_imported: dict[str, str] = field(default_factory=dict)

    def not_imported_lines(self) -> list[str]:
        """One line per module that did not import, naming the missing dependency when there is one."""
        return [
            f"{name}: {describe_import_error(error)}" for name, error in sorted(self.not_imported.items())
        ]


_MISSING_MODULE = re.compile(r"No module named '([^']+)'")


def describe_import_error(error: str) -> str:
    """``missing dependency 'torch' (ModuleNotFoundError: ...)``, or the error's last line."""
    last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
    missing = _MISSING_MODULE.search(error)
    return f"missing dependency {missing.group(1)!r} ({last})" if missing else last


def not_imported(observed: Api) -> dict[str, str]:
    """The modules whose import failed (not those that imported with an ``__all__`` problem)."""
    imported = {module.name for module in observed.modules}
    return {name: error for name, error in observed.import_errors.items() if name not in imported}


def keep_committed(merged: Api, existing: Api, failed: Mapping[str, str]) -> Api:
    """``merged`` plus the committed contracts of the failed modules (and those under them), unchanged.

    A module that did not import is unknown, not removed: its contract must neither vanish nor change.
    """

    def under_failed(name: str) -> bool:
        return any(name == module or name.startswith(module + ".") for module in failed)

    kept: list[ApiModule] = [m for m in existing.modules if under_failed(m.name)]
    present = {m.name for m in merged.modules}
    merged.modules = sorted(
        [*merged.modules, *(m for m in kept if m.name not in present)], key=lambda m: m.name
    )
    return merged


def extract(
    contracts_dir: Path,
    python: str | None = None,
    package: str = "hokusai",
    check: bool = False,
    *,
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
) -> ExtractResult:
    """Write the contracts of the SDK installed for ``python``; with ``check`` only return the diff."""
    contracts_dir = Path(contracts_dir)
    observed = introspect(package, python, extra_paths=extra_paths, env=env)
    failed = not_imported(observed)
    committed = read_committed(contracts_dir)
    existing = load_contracts(contracts_dir) if committed else Api(package=package)
    merged = merge_hand_written(observed, existing)
    if failed:
        # The rest is extracted; what failed keeps its committed contract (deleting it would be a lie).
        merged = keep_committed(merged, existing, failed)
    rendered = render_contracts(merged)
    diff = contract_diff(committed, rendered, contracts_dir)
    would_change = sorted(
        contracts_dir / name
        for name in set(committed) | set(rendered)
        if committed.get(name) != rendered.get(name)
    )
    if check:
        return ExtractResult(
            changed=would_change, diff=diff, ok=not would_change, api=merged, not_imported=failed
        )
    changed = write_contracts(merged, contracts_dir)
    return ExtractResult(changed=changed, diff=diff, ok=True, api=merged, not_imported=failed)


def contract_diff(committed: Mapping[str, str], rendered: Mapping[str, str], directory: Path) -> str:
    """Unified diff, file by file, from the committed contract texts to freshly rendered ones."""
    chunks = []
    for name in sorted(set(committed) | set(rendered)):
        before, after = committed.get(name), rendered.get(name)
        if before == after:
            continue
        path = (directory / name).as_posix()
        chunks.extend(
            difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"a/{path}" if before is not None else "/dev/null",
                tofile=f"b/{path}" if after is not None else "/dev/null",
            )
        )
    return "".join(chunks)
