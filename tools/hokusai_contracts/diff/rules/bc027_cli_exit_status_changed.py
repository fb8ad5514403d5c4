"""BC027: a console script, its ``--help`` or a subcommand run without arguments exited 0 in the old
release and now fails, twice in a row (``diff/cli_worker.py`` runs each twice in the sandbox)."""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.cli_surface import exit_changes, script_subject
from hokusai_contracts.diff.pairs import DiffContext
from hokusai_contracts.findings.catalogue.diff import CLI_EXIT_STATUS_CHANGED

RULE = CLI_EXIT_STATUS_CHANGED


def detect_package(context: DiffContext) -> list[Change]:
    """Runs of OLD's console scripts that newly exit non-zero."""
    old, new = context.old_package, context.new_package
    if old is None or new is None:
        return []
    return [
        Change(RULE.id, script_subject(where), what, details=details, before="exit 0", after="non-zero")
        for where, what, details in exit_changes(old.scripts, new.scripts)
    ]
