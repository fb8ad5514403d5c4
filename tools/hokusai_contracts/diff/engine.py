"""Run every static rule against every object pair of two APIs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hokusai_contracts.diff.catalogue import Change, StaticRule
from hokusai_contracts.diff.pairs import DiffContext, object_pairs
from hokusai_contracts.diff.rules import STATIC_RULES
from hokusai_contracts.model import Api


def detect_changes(context: DiffContext, rules: Iterable[StaticRule] = STATIC_RULES) -> list[Change]:
    """Every change any rule finds in any pair, sorted by subject then rule id."""
    rules = tuple(rules)
    pairs = list(object_pairs(context))  # kept alive: parameter deltas are cached by pair id
    changes = [change for pair in pairs for rule in rules for change in rule.detect(pair, context)]
    return sorted(changes, key=lambda c: (c.subject, c.rule, c.message))


def diff_apis(
    old: Api,
    new: Api,
    old_values: Mapping[str, str] | None = None,
    new_values: Mapping[str, str] | None = None,
) -> list[Change]:
    """The changes from ``old`` to ``new`` (pure: no import, no I/O)."""
    return detect_changes(DiffContext(old, new, old_values or {}, new_values or {}))
