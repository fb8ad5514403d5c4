"""The rule catalogue, one module per rule: static rules (BC0xx) with their detectors, behavioural (BC1xx).

Adding a rule: a new module ``bcNNN_<name>.py`` defining ``RULE`` (and ``detect`` for a static rule),
listed below. Ids are stable: never renumber, never reuse.
"""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Rule, StaticRule
from hokusai_contracts.diff.rules import (
    bc001_object_removed,
    bc002_export_path_removed,
    bc003_kind_changed,
    bc004_parameter_removed,
    bc005_parameter_renamed,
    bc006_positional_parameter_moved,
    bc007_parameter_kind_changed,
    bc008_parameter_now_required,
    bc009_required_parameter_added,
    bc010_default_changed,
    bc011_variadic_removed,
    bc012_return_annotation_changed,
    bc013_parameter_annotation_narrowed,
    bc014_attribute_value_changed,
    bc015_base_class_removed,
    bc016_documented_exception_changed,
    bc017_enum_member_removed,
    bc018_call_form_no_longer_binds,
    bc019_optional_parameter_added,
    bc020_object_added,
    bc021_deprecation_added,
    bc101_documented_example_regressed,
    bc102_auth_scenario_regressed,
)

STATIC_RULES: tuple[StaticRule, ...] = tuple(
    StaticRule(module.RULE, module.detect, getattr(module, "SHAPE", "both"))
    for module in (
        bc001_object_removed,
        bc002_export_path_removed,
        bc003_kind_changed,
        bc004_parameter_removed,
        bc005_parameter_renamed,
        bc006_positional_parameter_moved,
        bc007_parameter_kind_changed,
        bc008_parameter_now_required,
        bc009_required_parameter_added,
        bc010_default_changed,
        bc011_variadic_removed,
        bc012_return_annotation_changed,
        bc013_parameter_annotation_narrowed,
        bc014_attribute_value_changed,
        bc015_base_class_removed,
        bc016_documented_exception_changed,
        bc017_enum_member_removed,
        bc018_call_form_no_longer_binds,
        bc019_optional_parameter_added,
        bc020_object_added,
        bc021_deprecation_added,
    )
)

# Documented example regressed and auth scenario regressed: detected by diff/behaviour.py.
BC101: Rule = bc101_documented_example_regressed.RULE
BC102: Rule = bc102_auth_scenario_regressed.RULE
BEHAVIOUR_RULES: tuple[Rule, ...] = (BC101, BC102)

RULES: dict[str, Rule] = {r.id: r for r in (*(s.rule for s in STATIC_RULES), *BEHAVIOUR_RULES)}


def rule(rule_id: str) -> Rule:
    """The rule with id ``rule_id``."""
    return RULES[rule_id]


__all__ = ["BC101", "BC102", "BEHAVIOUR_RULES", "RULES", "STATIC_RULES", "Rule", "StaticRule", "rule"]
