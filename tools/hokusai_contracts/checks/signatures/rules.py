"""The catalogue of signature-gate rules: stable ids that findings, reports and docs refer to.

Ids never change meaning and are never reused; a retired rule keeps its number.
"""

from __future__ import annotations

from dataclasses import dataclass

from hokusai_contracts.findings import Severity


@dataclass(frozen=True)
class SignatureRule:
    """One rule of the signature gate."""

    id: str
    title: str
    explanation: str
    severity: Severity = Severity.ERROR


_RULES = [
    SignatureRule(
        "SIG000",
        "object matches its contract",
        "The contracted object exists, is importable from every contracted path and its signature "
        "is compatible with the contract. Reported as a pass.",
        Severity.INFO,
    ),
    SignatureRule(
        "SIG001",
        "object missing",
        "A contracted class, function, method, property or attribute no longer exists: every caller "
        "of it breaks with AttributeError or ImportError.",
    ),
    SignatureRule(
        "SIG002",
        "export path missing",
        "The object exists but is no longer importable from a contracted public path (e.g. it was "
        "dropped from hokusai.tracking's imports or __all__): `from <path> import <name>` breaks.",
    ),
    SignatureRule(
        "SIG003",
        "kind changed",
        "The object is now a different kind (a method became a property, a class a function, an "
        "exception a plain class): the way callers use it no longer works.",
    ),
    SignatureRule(
        "SIG004",
        "parameter missing or renamed",
        "A contracted parameter no longer exists under its name: calls passing it by keyword break "
        "with TypeError.",
    ),
    SignatureRule(
        "SIG005",
        "parameter kind changed",
        "A parameter binds differently (e.g. it became keyword-only or positional-only): calls that "
        "passed it the contracted way break. A widening change (keyword-only to positional-or-keyword) "
        "is reported as a warning.",
    ),
    SignatureRule(
        "SIG006",
        "parameter became required",
        "A parameter lost its default: calls that left it out break with TypeError.",
    ),
    SignatureRule(
        "SIG007",
        "default changed",
        "A parameter's default value changed: calls that rely on the default silently behave "
        "differently. A new default on a required parameter is reported as a warning.",
    ),
    SignatureRule(
        "SIG008",
        "return annotation changed",
        "The declared return type (for properties and attributes: the type) differs from the contract: "
        "code using the result may break. A removed annotation is reported as a warning.",
    ),
    SignatureRule(
        "SIG009",
        "call form does not bind",
        "A documented call form (call_forms in the contract) no longer binds to the signature: the "
        "documentation shows a call that raises TypeError.",
    ),
    SignatureRule(
        "SIG010",
        "new required parameter",
        "The SDK added a parameter without a default: every existing call that does not pass it breaks.",
    ),
    SignatureRule(
        "SIG011",
        "parameter order changed",
        "Positional parameters were reordered, or a new one was inserted before a contracted one: "
        "positional calls now bind values to the wrong parameters.",
    ),
    SignatureRule(
        "SIG012",
        "module missing",
        "A contracted public module does not import: everything imported from it breaks.",
    ),
    SignatureRule(
        "SIG013",
        "parameter annotation changed",
        "A parameter's declared type differs from the contract (a warning: calls still bind).",
        Severity.WARNING,
    ),
    SignatureRule(
        "SIG014",
        "signature not readable",
        "inspect.signature cannot read the object's signature, so parameters and call forms cannot "
        "be checked (a warning: help() and IDEs lose it too).",
        Severity.WARNING,
    ),
    SignatureRule(
        "SIG015",
        "base class removed",
        "A class no longer derives from a contracted base: isinstance checks and `except Base:` "
        "clauses stop matching it.",
    ),
]

RULES: dict[str, SignatureRule] = {rule.id: rule for rule in _RULES}


def rule(rule_id: str) -> SignatureRule:
    """The rule with id ``rule_id``."""
    return RULES[rule_id]
