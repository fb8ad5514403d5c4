"""BC024: a command line of the old release no longer parses (console script, command or option gone,
newly required)."""

from __future__ import annotations

import dataclasses

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.cli_surface import breaks, is_subcommand, script_breaks, script_subject
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import CLI_SURFACE_BROKEN

RULE = CLI_SURFACE_BROKEN


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """The old click command / typer app at this path, compared with what the path gives now."""
    if pair.old is None or pair.new is None:
        return []
    old, new = context.old_cli.get(pair.old.path), context.new_cli.get(pair.old.path)
    if old is None or new is None or is_subcommand(pair.old.path, context.old_cli):
        return []
    return [
        dataclasses.replace(change(RULE, pair, what), subject=f"{pair.old.path}::{where}")
        for where, what in breaks(old, new)
    ]


def detect_package(context: DiffContext) -> list[Change]:
    """The old release's console scripts: gone, or an old command line of one rejected now."""
    old, new = context.old_package, context.new_package
    if old is None or new is None or not old.scripts or new.metadata is None:
        return []
    return [
        Change(RULE.id, script_subject(where), what)
        for where, what in script_breaks(old.scripts, new.scripts, covered=context.old_cli)
    ]
