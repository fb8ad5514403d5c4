"""Extraction: read the installed SDK and (re)write the committed API contracts, or diff against them."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.contract.model import Api
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
    if observed.import_errors:
        # Writing now would delete the contracts of every module that failed to import.
        problems = "\n".join(f"  {name}: {error}" for name, error in observed.import_errors.items())
        raise InfrastructureError(
            f"cannot extract the API of {package!r}: some modules did not import:\n{problems}"
        )
    committed = read_committed(contracts_dir)
    existing = load_contracts(contracts_dir) if committed else Api(package=package)
    merged = merge_hand_written(observed, existing)
    rendered = render_contracts(merged)
    diff = contract_diff(committed, rendered, contracts_dir)
    would_change = sorted(
        contracts_dir / name
        for name in set(committed) | set(rendered)
        if committed.get(name) != rendered.get(name)
    )
    if check:
        return ExtractResult(changed=would_change, diff=diff, ok=not would_change, api=merged)
    changed = write_contracts(merged, contracts_dir)
    return ExtractResult(changed=changed, diff=diff, ok=True, api=merged)


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
