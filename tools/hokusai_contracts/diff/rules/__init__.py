"""The diff rules, one module per rule: static rules (BC0xx) with their detectors, behavioural (BC1xx).

Adding a rule: its entry in the one rule catalogue (``findings/catalogue/diff.py``: id, title,
explanation, impact, bump) and a module ``bcNNN_<name>.py`` defining ``RULE`` (that entry) and, for a
static rule, ``detect`` (per object pair) and/or ``detect_package`` (the package as a whole: its
requirements, console scripts); the module is found by its file name. Ids are stable: never renumber,
never reuse.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from hokusai_contracts.diff.catalogue import Rule, StaticRule

# Every bcNNN_*.py module of this package, in id order: dropping a file in is all it takes.
_MODULES = tuple(
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    if re.fullmatch(r"bc\d{3}_\w+", info.name)
)


def _no_pairs(pair: object, context: object) -> tuple[()]:
    """The pair detector of a rule about the package as a whole: nothing to find in one pair."""
    return ()


STATIC_RULES: tuple[StaticRule, ...] = tuple(
    StaticRule(
        module.RULE,
        getattr(module, "detect", _no_pairs),
        getattr(module, "SHAPE", "both" if hasattr(module, "detect") else "package"),
        getattr(module, "detect_package", None),
    )
    for module in _MODULES
    if hasattr(module, "detect") or hasattr(module, "detect_package")
)
_STATIC_IDS = {s.rule.id for s in STATIC_RULES}
# Rules without a detector are behavioural: diff/behaviour.py finds them by running OLD's examples.
BEHAVIOUR_RULES: tuple[Rule, ...] = tuple(
    module.RULE for module in _MODULES if module.RULE.id not in _STATIC_IDS
)

RULES: dict[str, Rule] = {r.id: r for r in (*(s.rule for s in STATIC_RULES), *BEHAVIOUR_RULES)}
# Documented example regressed and auth scenario regressed: detected by diff/behaviour.py.
BC101: Rule = RULES["BC101"]
BC102: Rule = RULES["BC102"]


def rule(rule_id: str) -> Rule:
    """The rule with id ``rule_id``."""
    return RULES[rule_id]


__all__ = ["BC101", "BC102", "BEHAVIOUR_RULES", "RULES", "STATIC_RULES", "Rule", "StaticRule", "rule"]
