"""The signature gate's rules (``signatures``): the committed API contract against the installed SDK.

The gate is the diff engine run from the contract to the SDK; ``views`` names the diff rules whose
changes each rule reports. SIG000, SIG012 and SIG014 are the gate's own (passes, modules, signatures
that cannot be read).
"""

from __future__ import annotations

from hokusai_contracts.findings import Severity
from hokusai_contracts.findings.rules import Bump, Rule

FAMILY = "signatures"
REEXTRACT = "If the change is intended, re-run the extract command, review the contract diff and commit it."

MATCHES = Rule(
    "SIG000",
    FAMILY,
    "object matches its contract",
    "The contracted object exists, is importable from every contracted path and its signature "
    "is compatible with the contract. Reported as a pass.",
    Severity.INFO,
)
OBJECT_MISSING = Rule(
    "SIG001",
    FAMILY,
    "object missing",
    "A contracted class, function, method, property or attribute no longer exists: every caller "
    "of it breaks with AttributeError or ImportError.",
    bump=Bump.MAJOR,
    fix="Restore the object (a deprecated alias that forwards to its replacement keeps callers working); "
    "if the removal is intended, record it in the contract's lifecycle (removed_in, replacement) and "
    "re-extract.",
    views=("BC001", "BC017"),
)
EXPORT_MISSING = Rule(
    "SIG002",
    FAMILY,
    "export path missing",
    "The object exists but is no longer importable from a contracted public path (e.g. it was "
    "dropped from hokusai.tracking's imports or __all__), or that path now names another object: "
    "`from <path> import <name>` breaks.",
    bump=Bump.MAJOR,
    fix=f"Re-export it from the contracted module and list it in that module's __all__. {REEXTRACT}",
    views=("BC002",),
)
KIND_CHANGED = Rule(
    "SIG003",
    FAMILY,
    "kind changed",
    "The object is now a different kind (a method became a property, a class a function, an "
    "exception a plain class): the way callers use it no longer works.",
    bump=Bump.MAJOR,
    fix=f"Keep the contracted kind. {REEXTRACT}",
    views=("BC003",),
)
PARAMETER_MISSING = Rule(
    "SIG004",
    FAMILY,
    "parameter missing or renamed",
    "A contracted parameter no longer exists under its name (or a contracted *args / **kwargs is "
    "gone): calls passing it break with TypeError.",
    bump=Bump.MAJOR,
    fix="Accept the contracted name again (a decorator that maps the old name onto the new parameter and "
    f"warns keeps callers working). {REEXTRACT}",
    views=("BC004", "BC005", "BC011"),
)
PARAMETER_KIND_CHANGED = Rule(
    "SIG005",
    FAMILY,
    "parameter kind changed",
    "A parameter binds differently (e.g. it became keyword-only or positional-only): calls that "
    "passed it the contracted way break. A widening change (keyword-only to positional-or-keyword) "
    "is reported as a warning.",
    bump=Bump.MAJOR,
    fix=f"Give the parameter its contracted kind again. {REEXTRACT}",
    views=("BC007",),
)
BECAME_REQUIRED = Rule(
    "SIG006",
    FAMILY,
    "parameter became required",
    "A parameter lost its default: calls that left it out break with TypeError.",
    bump=Bump.MAJOR,
    fix=f"Give the parameter its contracted default back. {REEXTRACT}",
    views=("BC008",),
)
DEFAULT_CHANGED = Rule(
    "SIG007",
    FAMILY,
    "default changed",
    "A parameter's default value changed: calls that rely on the default silently behave "
    "differently. A new default on a required parameter is reported as a warning.",
    bump=Bump.MINOR,
    fix=f"Restore the contracted default, or record the behaviour change. {REEXTRACT}",
    views=("BC010",),
)
RETURN_CHANGED = Rule(
    "SIG008",
    FAMILY,
    "return annotation changed",
    "The declared return type (for properties and attributes: the type) differs from the contract: "
    "code using the result may break. A removed annotation is reported as a warning.",
    bump=Bump.MINOR,
    fix=f"Return the contracted type again, or record the change. {REEXTRACT}",
    views=("BC012",),
)
CALL_FORM_UNBOUND = Rule(
    "SIG009",
    FAMILY,
    "call form does not bind",
    "A documented call form (call_forms in the contract) no longer binds to the signature: the "
    "documentation shows a call that raises TypeError.",
    bump=Bump.MAJOR,
    fix="Make the SDK accept the documented call again (keep the old parameter name or position), or, if "
    "the documented call is wrong, correct call_forms in the contract and the docs.",
    views=("BC018",),
)
REQUIRED_ADDED = Rule(
    "SIG010",
    FAMILY,
    "new required parameter",
    "The SDK added a parameter without a default: every existing call that does not pass it breaks.",
    bump=Bump.MAJOR,
    fix=f"Give the new parameter a default (keyword-only with a default is the safest). {REEXTRACT}",
    views=("BC009",),
)
ORDER_CHANGED = Rule(
    "SIG011",
    FAMILY,
    "parameter order changed",
    "Positional parameters were reordered, or one was inserted, removed or made keyword-only before a "
    "contracted one: positional calls now bind values to the wrong parameters.",
    bump=Bump.MAJOR,
    fix=f"Restore the contracted order; append new parameters or make them keyword-only. {REEXTRACT}",
    views=("BC006",),
)
MODULE_MISSING = Rule(
    "SIG012",
    FAMILY,
    "module missing",
    "A contracted public module does not import: everything imported from it breaks.",
    bump=Bump.MAJOR,
    fix="Fix the module's import error, or restore the module (one that re-exports from the new place "
    f"keeps imports working). {REEXTRACT}",
)
ANNOTATION_CHANGED = Rule(
    "SIG013",
    FAMILY,
    "parameter annotation changed",
    "A parameter's declared type differs from the contract (a warning: calls still bind).",
    Severity.WARNING,
    bump=Bump.MINOR,
    fix=f"Restore the contracted annotation. {REEXTRACT}",
    views=("BC013",),
)
SIGNATURE_UNREADABLE = Rule(
    "SIG014",
    FAMILY,
    "signature not readable",
    "inspect.signature cannot read the object's signature, so parameters and call forms cannot "
    "be checked (a warning: help() and IDEs lose it too).",
    Severity.WARNING,
    fix="Keep the object introspectable (functools.wraps on decorators, a real __init__).",
)
BASE_REMOVED = Rule(
    "SIG015",
    FAMILY,
    "base class removed",
    "A class no longer derives from a contracted base: isinstance checks and `except Base:` "
    "clauses stop matching it.",
    bump=Bump.MAJOR,
    fix=f"Keep the contracted base among the class's bases. {REEXTRACT}",
    views=("BC015",),
)

RULES = (
    MATCHES,
    OBJECT_MISSING,
    EXPORT_MISSING,
    KIND_CHANGED,
    PARAMETER_MISSING,
    PARAMETER_KIND_CHANGED,
    BECAME_REQUIRED,
    DEFAULT_CHANGED,
    RETURN_CHANGED,
    CALL_FORM_UNBOUND,
    REQUIRED_ADDED,
    ORDER_CHANGED,
    MODULE_MISSING,
    ANNOTATION_CHANGED,
    SIGNATURE_UNREADABLE,
    BASE_REMOVED,
)
