"""BC026: a public module that a plain install (no extras) of OLD imports no longer imports after a
plain install of NEW: a dependency it imports for sure moved from the base requirements to an extra.

Facts from ``diff/package_probe.py`` (metadata of both sides, each module's unguarded imports read from
its source); the comparison is ``diff/plain_install.py``.
"""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.pairs import DiffContext, is_public_path
from hokusai_contracts.diff.plain_install import describe, losses
from hokusai_contracts.findings.catalogue.diff import PLAIN_INSTALL_LOST

RULE = PLAIN_INSTALL_LOST


def detect_package(context: DiffContext) -> list[Change]:
    """OLD's public modules a plain install of NEW loses, reported per module (a package's loss covers
    the submodules it explains)."""
    old, new = context.old_package, context.new_package
    if old is None or new is None or old.metadata is None or new.metadata is None:
        return []
    # OLD's public modules, including those left out of the comparison because they failed to import
    # on NEW's side: a plain install of NEW missing their dependency is exactly such a failure.
    names = {m.name for m in context.old.modules} | set(context.new.unimportable)
    candidates = sorted(
        n for n in names if n in old.imports and is_public_path(n) and n not in context.old.unimportable
    )
    found = losses(
        candidates,
        old.metadata,
        new.metadata,
        old.imports,
        new.imports,
        lambda name: new.distributions_of(name, old.distributions),
    )
    changes = []
    for loss in found:
        module = context.old.module(loss.module)
        below = sum(1 for n in candidates if n.startswith(loss.module + "."))
        message, details = describe(
            loss, new.metadata.name or context.new.package, context.new.package, below
        )
        changes.append(
            Change(
                RULE.id,
                loss.module,
                message,
                old_file=module.source_file if module else None,
                old_line=(module.source_line or 1) if module else None,
                details=details,
                before="base requirement",
                after="extra only",
            )
        )
    return changes
