"""Run every static rule against every object pair of two APIs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from hokusai_contracts.contract.model import Api
from hokusai_contracts.diff.catalogue import Change, StaticRule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair, object_pairs
from hokusai_contracts.diff.rules import STATIC_RULES


def pair_changes(
    context: DiffContext, pairs: Iterable[ObjectPair], rules: Iterable[StaticRule] = STATIC_RULES
) -> Iterator[tuple[ObjectPair, list[Change]]]:
    """Each pair with the changes the rules find in it, in rule order (a rule runs only on pairs of its
    shape)."""
    by_shape: dict[str, list[StaticRule]] = {"both": [], "removed": [], "added": []}
    for rule in rules:
        if rule.shape in by_shape:  # not "package": those rules look at the package once, below
            by_shape[rule.shape].append(rule)
    for pair in pairs:
        yield pair, [change for rule in by_shape[shape_of(pair)] for change in rule.detect(pair, context)]


def detect_changes(context: DiffContext, rules: Iterable[StaticRule] = STATIC_RULES) -> list[Change]:
    """Every change any rule finds in any pair, sorted by subject then rule id."""
    rules = tuple(rules)
    changes = [change for _, found in pair_changes(context, object_pairs(context), rules) for change in found]
    changes += [change for rule in rules if rule.detect_package for change in rule.detect_package(context)]
    return sorted(changes, key=lambda c: (c.subject, c.rule, c.message))


def shape_of(pair: ObjectPair) -> str:
    """``both``, ``removed`` (no new object) or ``added`` (no old object)."""
    if pair.new is None:
        return "removed"
    return "added" if pair.old is None else "both"


def diff_apis(
    old: Api,
    new: Api,
    old_values: Mapping[str, str] | None = None,
    new_values: Mapping[str, str] | None = None,
    **probes: Mapping,
) -> list[Change]:
    """The changes from ``old`` to ``new`` (pure: no import, no I/O); ``probes`` are the differential
    probes' answers (``old_bound``, ``new_bound``, ``old_calls``, ``new_calls`` of :class:`DiffContext`)."""
    return detect_changes(DiffContext(old, new, old_values or {}, new_values or {}, **probes))
