"""Every rule the tool can emit, in one catalogue: signatures, snippets, docs-check, auth, http, diff, repro,
harness.

Each family's rules are declared in a module of this package; the check families take their ids, titles
and fixes from here, and ``hokusai-contracts rules`` lists and explains them. The signature rules are
the contract-side view of diff rules (``Rule.views``): one comparison engine, two sets of ids.
"""

from __future__ import annotations

import difflib
import functools

from hokusai_contracts.findings.catalogue import (
    auth,
    diff,
    docs_check,
    harness,
    http,
    repro,
    signatures,
    snippets,
)
from hokusai_contracts.findings.rules import Rule

FAMILIES = ("signatures", "snippets", "docs-check", "auth", "http", "diff", "repro", "harness")
_MODULES = (signatures, snippets, docs_check, auth, http, diff, repro, harness)


def all_rules() -> tuple[Rule, ...]:
    """Every rule of every family, families in the order of :data:`FAMILIES`, ids in order within each."""
    return tuple(rule for module in _MODULES for rule in module.RULES)


RULES: dict[str, Rule] = {rule.id: rule for rule in all_rules()}


def rule(rule_id: str) -> Rule:
    """The rule with id ``rule_id`` (KeyError for an id the catalogue does not have)."""
    return RULES[rule_id]


@functools.cache
def _names() -> dict[str, Rule]:
    """Every spelling that selects a rule, folded to lower case: ids, slugs and aliases."""
    names: dict[str, Rule] = {}
    for entry in all_rules():
        for name in (entry.id, entry.name, *entry.aliases):
            if name:
                names.setdefault(name.casefold(), entry)
    return names


def lookup(name: str) -> Rule | None:
    """The rule ``name`` selects (an id, a slug such as ``parameter-renamed`` or an alias, any case)."""
    return _names().get(name.strip().casefold())


def closest(name: str, count: int = 3) -> list[str]:
    """The ids of the rules whose id, slug or alias is spelled most like ``name`` (for an unknown one)."""
    names = _names()
    matches = difflib.get_close_matches(name.strip().casefold(), list(names), n=count * 3, cutoff=0.5)
    return list(dict.fromkeys(names[match].id for match in matches))[:count]


def viewed_by(rule_id: str) -> tuple[str, ...]:
    """The rules whose contract-side view includes ``rule_id`` (for BC004: SIG004)."""
    return tuple(entry.id for entry in all_rules() if rule_id in entry.views)


@functools.cache
def covered_ids(rule_id: str) -> frozenset[str]:
    """The rule ids an accepted break naming ``rule_id`` covers: itself, plus the diff rules it views."""
    entry = lookup(rule_id)
    if entry is None:
        return frozenset({rule_id})
    return frozenset({entry.id, *entry.views})


__all__ = ["FAMILIES", "RULES", "Rule", "all_rules", "closest", "covered_ids", "lookup", "rule", "viewed_by"]
