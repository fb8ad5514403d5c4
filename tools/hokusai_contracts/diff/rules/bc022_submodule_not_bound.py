"""BC022: ``import <package>`` no longer makes a submodule reachable as an attribute.

The structural probe (``diff/probe_worker.py``) reads, in each side's interpreter, which of OLD's
submodules are bound right after ``import <package>``. The change is reported once per module, at the
first of its public objects present on both sides. Only submodules OLD binds on purpose count
(listed in ``__all__`` or imported as a module by ``__init__``): one bound as a side effect of
``from pkg.sub import name`` is no promise, and a re-export moving elsewhere may drop it.
"""

from __future__ import annotations

import dataclasses

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair, is_public_path
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import SUBMODULE_NOT_BOUND

RULE = SUBMODULE_NOT_BOUND


def module_of(path: str, modules: list[str]) -> str | None:
    """The longest of ``modules`` that ``path`` lies in."""
    inside = [m for m in modules if path.startswith(m + ".")]
    return max(inside, key=len, default=None)


def _first_kept(context: DiffContext, module: str) -> str | None:
    contracted = context.old.module(module)
    if contracted is None:
        return None
    kept = [
        o.path for o in contracted.objects if is_public_path(o.path) and context.new_index.find(o) is not None
    ]
    return min(kept, default=None)


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """The module of a top-level object: bound after ``import <package>`` before, not any more."""
    old = pair.old
    if old is None or pair.new is None or pair.owner is not None:
        return []
    promised = [m for m, a in context.old_bound.items() if a.get("bound") and a.get("declared")]
    module = module_of(old.path, promised)
    if module is None or context.new_bound.get(module, {}).get("bound") is not False:
        return []
    if _first_kept(context, module) != old.path:
        return []
    package = module.split(".")[0]
    found = change(
        RULE,
        pair,
        f"`import {package}` no longer binds {module}: `{old.path}` as the old release allowed now "
        f"raises AttributeError unless the code first runs `import {module}`",
        details=f"OLD: after `import {package}`, {module} is an attribute\nNEW: it is not",
        before="bound",
        after="not bound",
    )
    return [dataclasses.replace(found, subject=module)]
