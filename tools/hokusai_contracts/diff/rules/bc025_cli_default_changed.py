"""BC025: a CLI option kept its name but changed its default (click/typer objects, console scripts)."""

from __future__ import annotations

import dataclasses

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.cli_surface import (
    default_changes,
    is_subcommand,
    script_default_changes,
    script_subject,
)
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.rules._common import change
from hokusai_contracts.findings.catalogue.diff import CLI_DEFAULT_CHANGED

RULE = CLI_DEFAULT_CHANGED


def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
    """Options of the old click command / typer app at this path whose default changed."""
    if pair.old is None or pair.new is None:
        return []
    old, new = context.old_cli.get(pair.old.path), context.new_cli.get(pair.old.path)
    if old is None or new is None or is_subcommand(pair.old.path, context.old_cli):
        return []
    return [
        dataclasses.replace(change(RULE, pair, what), subject=f"{pair.old.path}::{where}")
        for where, what in default_changes(old, new)
    ]


def detect_package(context: DiffContext) -> list[Change]:
    """Options of the old release's console scripts whose default changed."""
    old, new = context.old_package, context.new_package
    if old is None or new is None:
        return []
    return [
        Change(RULE.id, script_subject(where), what)
        for where, what in script_default_changes(old.scripts, new.scripts, covered=context.old_cli)
    ]
