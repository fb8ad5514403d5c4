"""The signature gate's rules by id, from the one rule catalogue (``findings/catalogue/signatures.py``)."""

from __future__ import annotations

from hokusai_contracts.findings.catalogue import signatures
from hokusai_contracts.findings.rules import Rule

RULES: dict[str, Rule] = {rule.id: rule for rule in signatures.RULES}


def rule(rule_id: str) -> Rule:
    """The signature rule with id ``rule_id``."""
    return RULES[rule_id]
