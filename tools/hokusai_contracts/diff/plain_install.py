"""What a plain install (``pip install pkg``, no extras) can import, on each side (pure: no I/O).

A public module is importable by a plain install when every declared dependency it imports for sure
(``diff/static_imports.py``) is a base requirement. The change found here: a module that a plain
install of OLD could import, whose NEW version still imports a dependency that NEW moved from the base
requirements into an extra only. Dependencies nobody declares (the standard library, transitive ones)
are not judged: without the dependency graph their presence is unknown, and a guess would be noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from hokusai_contracts.diff.requirements import PackageMetadata


@dataclass(frozen=True)
class PlainInstallLoss:
    """A module a plain install of NEW can no longer import: the dependencies and the extras they moved to."""

    module: str
    # (canonical distribution, the extras of NEW that install it)
    moved: tuple[tuple[str, tuple[str, ...]], ...]


def _declared(metadata: PackageMetadata) -> set[str]:
    return set(metadata.base).union(*metadata.extras.values()) if metadata.extras else set(metadata.base)


def losses(
    modules: Iterable[str],
    old: PackageMetadata,
    new: PackageMetadata,
    old_imports: Mapping[str, set[str]],
    new_imports: Mapping[str, set[str]],
    distributions: Callable[[str], set[str]],
) -> list[PlainInstallLoss]:
    """The modules among ``modules`` (OLD's public ones) that a plain install of NEW loses.

    ``*_imports`` map a module to the top-level names it imports for sure; ``distributions`` maps such
    a name to the distributions that may provide it. A module whose loss its parent package already
    explains (the same dependencies) is left to the parent's report.
    """
    if not (old.requirements_known and new.requirements_known):
        return []
    old_declared, new_declared = _declared(old), _declared(new)
    found: dict[str, PlainInstallLoss] = {}
    for module in sorted(modules):
        if module not in old_imports or module not in new_imports:
            continue
        old_needs = {d for n in old_imports[module] for d in distributions(n)} & old_declared
        if not old_needs <= old.base:
            continue  # a plain install of OLD could not import it either
        new_needs = {d for n in new_imports[module] for d in distributions(n)} & new_declared
        moved = tuple(
            (d, tuple(new.extras_with(d))) for d in sorted(new_needs) if d in old.base and d not in new.base
        )
        if not moved:
            continue
        parent = next(
            (p for p in _ancestors(module) if p in found and set(found[p].moved) >= set(moved)), None
        )
        if parent is None:
            found[module] = PlainInstallLoss(module, moved)
    return list(found.values())


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def describe(loss: PlainInstallLoss, distribution: str, package: str, modules_below: int) -> tuple[str, str]:
    """(message, details) of a loss, naming the fix."""
    names = ", ".join(f"{d} (now only in [{', '.join(e)}])" for d, e in loss.moved)
    extras = sorted({e for _, es in loss.moved for e in es[:1]})
    install = f"pip install '{distribution}[{','.join(extras)}]'" if extras else f"pip install {distribution}"
    below = f" (and with it {modules_below} submodule(s))" if modules_below else ""
    message = (
        f"a plain `pip install {distribution}` no longer installs {names}, which `import {loss.module}` "
        f"needs{below}: it now raises ModuleNotFoundError unless the extra is installed; fix: "
        f"`{install}`, or keep the dependency in the base requirements"
    )
    details = (
        f"OLD: {', '.join(d for d, _ in loss.moved)} in the base requirements; `import {loss.module}` works "
        f"after `pip install {distribution}`\nNEW: only in extras; {loss.module} (package {package}) still "
        "imports it at module level, unguarded"
    )
    return message, details
