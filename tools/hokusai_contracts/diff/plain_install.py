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
        # A name is provided when any distribution that may provide it is installed (``mlflow`` comes
        # from mlflow or mlflow-skinny): judged per imported name, not per distribution.
        old_names = [distributions(n) & old_declared for n in sorted(old_imports[module])]
        if any(dists and not dists & old.base for dists in old_names):
            continue  # a plain install of OLD could not import it either
        moved_set: set[str] = set()
        for name in sorted(new_imports[module]):
            dists = distributions(name) & new_declared
            if dists and not dists & new.base:
                moved_set |= {d for d in dists if d in old.base}
        moved = tuple((d, tuple(new.extras_with(d))) for d in sorted(moved_set))
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
