"""The signature gate: the committed contract against the observed SDK, as a policy over the diff engine.

The diff engine compares the contract (old side) with the introspected SDK (new side) in a contract
view (``DiffContext.contract_view``); the gate reports each change under the signature rule whose
contract-side view it is (``Rule.views`` in the catalogue), worded for a contract, and adds what only
the gate checks: a pass per matching object (SIG000), contracted modules that do not import (SIG012)
and signatures that cannot be read (SIG014). In a compatibility-matrix cell (``versions`` given), an
object whose ``applies`` range leaves the cell out is skipped, with its members. Pure logic over two API
models: nothing here imports the SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hokusai_contracts.checks.signatures.rules import RULES
from hokusai_contracts.contract.callforms import render_signature
from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind, ParameterKind
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.engine import pair_changes
from hokusai_contracts.diff.index import ApiIndex
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair, module_pairs
from hokusai_contracts.diff.params import lost_styles, signature_of
from hokusai_contracts.diff.rules import STATIC_RULES
from hokusai_contracts.findings import Finding, Location, Outcome, Severity
from hokusai_contracts.findings.catalogue.signatures import REEXTRACT

CHECK = "signatures"
# Diff rule id -> the signature rule that reports its changes.
SIGNATURE_RULE = {view: rule.id for rule in RULES.values() for view in rule.views}
_GATE_RULES = tuple(rule for rule in STATIC_RULES if rule.rule.id in SIGNATURE_RULE)
_KIND_CHANGED, _MOVED = "BC003", "BC006"
_REMOVED = frozenset({"BC001", "BC017"})
# VerifyContext.options key: the versions of the matrix cell the check runs in ({"client": "2.9.0",
# "server": ..., "python": ...}); absent outside a matrix, where every contracted object is checked.
OPTION_CELL_VERSIONS = "cell_versions"


def check_signatures(
    contract: Api, observed: Api, versions: Mapping[str, str] | None = None
) -> list[Finding]:
    """One finding per contracted object that matches (SIG000) and one per incompatibility found;
    with ``versions`` (a matrix cell's), objects whose ``applies`` range excludes them are skipped."""
    context = DiffContext(contract, observed, contract_view=True)
    findings: list[Finding] = []
    for module in sorted(contract.modules, key=lambda m: m.name):
        if module.name not in context.new_index.modules:
            findings.append(_module_missing(module, context.new_index))
        contracted = []
        for pair in module_pairs(context, module):
            if pair.old is None:
                continue
            declaring = _outside_range(pair, versions)
            if declaring is None:
                contracted.append(pair)
            elif declaring is pair.old:  # one skip per declaring object; its members go with it
                findings.append(_not_applicable(pair.old, versions or {}))
        for pair, changes in pair_changes(context, contracted, _GATE_RULES):
            findings.extend(object_findings(pair, changes, context.new_index))
    return findings


def _outside_range(pair: ObjectPair, versions: Mapping[str, str] | None) -> ApiObject | None:
    """The contracted object (``pair``'s or an owner's) whose ``applies`` excludes ``versions``, if any."""
    if not versions:
        return None
    current: ObjectPair | None = pair
    while current is not None:
        obj = current.old
        if obj is not None and obj.applies is not None and not obj.applies.matches(versions):
            return obj
        current = current.owner
    return None


def _not_applicable(obj: ApiObject, versions: Mapping[str, str]) -> Finding:
    cell = ", ".join(f"{axis} {version}" for axis, version in versions.items())
    return Finding(
        check=CHECK,
        rule="SIG000",
        subject=obj.path,
        message=f"{obj.kind.value} {obj.path} not checked: its contract applies to {obj.applies} only "
        f"(this cell: {cell})",
        outcome=Outcome.SKIPPED,
        severity=Severity.INFO,
        location=_location(obj),
    )


def object_findings(pair: ObjectPair, changes: Sequence[Change], index: ApiIndex) -> list[Finding]:
    """The findings of one contracted object from the changes the diff rules found in its pair."""
    contracted, found = pair.old, pair.new
    assert contracted is not None  # the gate pairs contracted objects only
    if found is None or any(c.rule in _REMOVED for c in changes):
        return [_missing(contracted, index)]  # its members cannot be checked either
    if any(c.rule == _KIND_CHANGED for c in changes):
        # Parameters of a property, or of a function that became a class, say nothing more useful.
        changes = [c for c in changes if c.rule in (_KIND_CHANGED, "BC002")]
    findings: list[Finding] = []
    moved = [c for c in changes if c.rule == _MOVED]
    for change in changes:
        if change.rule != _MOVED:
            findings.append(_change_finding(contracted, found, change, index))
        elif change is moved[0]:
            findings.append(_order_finding(contracted, found, moved))
    if not any(c.rule == _KIND_CHANGED for c in changes):
        findings.extend(_unreadable(contracted, found))
    if not any(f.failed for f in findings):
        findings.insert(0, _passed(contracted))
    return findings


# -- findings of the gate alone ------------------------------------------------------------------------


def _location(obj: ApiObject, line: int | None = None) -> Location | None:
    if not obj.source_file:
        return None
    return Location(obj.source_file, line or obj.source_line)


def _finding(
    rule_id: str,
    obj: ApiObject,
    message: str,
    *,
    subject: str | None = None,
    fix: str | None = None,
    details: str | None = None,
    severity: Severity | None = None,
    line: int | None = None,
) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        check=CHECK,
        rule=rule_id,
        subject=subject or obj.path,
        message=message,
        outcome=Outcome.FAILED,
        severity=severity or rule.severity,
        location=_location(obj, line),
        fix=fix or rule.fix,
        details=details,
    )


def _passed(obj: ApiObject) -> Finding:
    return Finding(
        check=CHECK,
        rule="SIG000",
        subject=obj.path,
        message=f"{obj.kind.value} {obj.path} matches its contract",
        outcome=Outcome.PASSED,
        severity=Severity.INFO,
        location=_location(obj),
    )


def _module_missing(module: ApiModule, index: ApiIndex) -> Finding:
    error = index.api.import_errors.get(module.name)
    reason = f": {error}" if error else " (the SDK has no such module)"
    return Finding(
        check=CHECK,
        rule="SIG012",
        subject=module.name,
        message=f"module {module.name} is contracted but cannot be imported{reason}",
        location=Location(module.source_file, module.source_line) if module.source_file else None,
        fix=(
            f"Fix the import error of {module.name}."
            if error
            else f"Restore module {module.name} (a module that re-exports from its new place keeps imports "
            f"working). {REEXTRACT}"
        ),
    )


def _unreadable(contracted: ApiObject, found: ApiObject) -> list[Finding]:
    if found.parameters is not None:
        return []
    findings = []
    if contracted.parameters is not None:
        findings.append(
            _finding(
                "SIG014",
                contracted,
                f"the signature of {contracted.path} cannot be read, so its parameters are not checked",
            )
        )
    if contracted.call_forms:
        findings.append(
            _finding(
                "SIG014",
                contracted,
                f"the call forms of {contracted.path} cannot be checked: its signature cannot be read",
            )
        )
    return findings


# -- the diff rules' changes, worded for a contract ----------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """How one change reads in the gate's finding (its rule is the signature rule viewing the change's)."""

    message: str
    fix: str
    severity: Severity | None = None  # None: the signature rule's
    subject: str | None = None  # None: the object, or ``object(parameter)`` for a parameter change
    line: int | None = None


Worder = Callable[[ApiObject, ApiObject, Change, ApiIndex], Wording]


def _change_finding(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Finding:
    wording = _WORDING[change.rule](contracted, found, change, index)
    about_parameter = change.parameter is not None
    return _finding(
        SIGNATURE_RULE[change.rule],
        contracted,
        wording.message,
        subject=wording.subject or (f"{contracted.path}({change.parameter})" if about_parameter else None),
        fix=wording.fix,
        details=_signatures(contracted, found) if about_parameter else None,
        severity=wording.severity,
        line=wording.line,
    )


def _signatures(contracted: ApiObject, found: ApiObject) -> str:
    return (
        f"contract: {render_signature(signature_of(contracted))}\n"
        f"SDK:      {render_signature(signature_of(found))}"
    )


def _missing(obj: ApiObject, index: ApiIndex) -> Finding:
    context = index.import_error_for([obj.path, *obj.export_paths])
    elsewhere = sorted(p for p in index.by_path if p.rsplit(".", 1)[-1] == obj.name and p != obj.path)
    message = f"{obj.kind.value} {obj.path} is contracted but the SDK has no such {obj.kind.value}"
    if context:
        message += f" ({context})"
    elif elsewhere:
        message += f"; an object of that name exists at {', '.join(elsewhere)}"
    if obj.members:
        message += f"; its {len(obj.members)} contracted member(s) cannot be checked"
    return _finding(
        "SIG001",
        obj,
        message,
        fix=(
            f"Restore {obj.name} (a deprecated alias that forwards to its replacement keeps callers "
            "working). "
            "If the removal is intended, record it in the contract's lifecycle (removed_in, replacement) "
            "and re-extract."
        ),
    )


def _order_finding(contracted: ApiObject, found: ApiObject, moved: Sequence[Change]) -> Finding:
    """SIG011: every positional parameter that moved (BC006), in one finding per object."""
    moves = ", ".join(f"`{c.parameter}` from position {c.before} to {c.after}" for c in moved)
    return _finding(
        "SIG011",
        contracted,
        f"positional parameters of {contracted.path} moved ({moves}): positional calls now bind values "
        "to the wrong parameters",
        subject=f"{contracted.path}(order)",
        fix=f"Restore the contracted order; append new parameters, or make them keyword-only. {REEXTRACT}",
        details=_signatures(contracted, found),
    )


def _export(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    path = change.before or ""
    module, _, name = path.rpartition(".")
    if change.after is not None:
        message = f"{path} now names a different object ({change.after}), not {contracted.path}"
    elif module not in index.modules:
        error = index.api.import_errors.get(module)
        message = f"{contracted.path} cannot be imported as {path}: module {module} " + (
            f"failed to import: {error}" if error else "is missing"
        )
    else:
        message = f"{contracted.path} is no longer importable as {path} (`from {module} import {name}` fails)"
    home = found.path.rpartition(".")[0]
    return Wording(
        message,
        f"Re-export it: `from {home} import {found.name}` in {module} and {name!r} in its __all__. "
        + REEXTRACT,
    )


def _kind(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    return Wording(
        f"{contracted.path} was a {change.before} and is now a {change.after}",
        f"Keep {contracted.name} a {change.before}. {REEXTRACT}",
    )


def _gone(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    """A removed (BC004) or renamed (BC005) parameter."""
    name, new_name = change.parameter, change.after if change.rule == "BC005" else None
    kind = ParameterKind(change.before) if change.rule == "BC004" else None
    if new_name:
        message = f"parameter `{name}` of {contracted.path} was renamed to `{new_name}`"
    else:
        message = f"parameter `{name}` of {contracted.path} no longer exists"
    takes_kwargs = any(p.kind is ParameterKind.VAR_KEYWORD for p in found.parameters or ())
    if change.contract_only or (takes_kwargs and kind is not ParameterKind.POSITIONAL_ONLY):
        absorber = "*args" if kind is ParameterKind.POSITIONAL_ONLY else "**kwargs"
        message += f" (only {absorber} would still accept it, with no guarantee it is used)"
    elif kind is not ParameterKind.POSITIONAL_ONLY:
        message += f": calls passing `{name}=` raise TypeError"
    return Wording(
        message,
        f"Accept `{name}` again (a decorator that maps the old name onto "
        f"`{new_name or 'the new parameter'}` and warns keeps callers working). {REEXTRACT}",
    )


def _variadic(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    positional = change.before == ParameterKind.VAR_POSITIONAL.value
    spelled = f"{'*' if positional else '**'}{change.parameter}"
    return Wording(
        f"{contracted.path} no longer accepts {spelled}: calls passing extra "
        f"{'positional' if positional else 'keyword'} arguments raise TypeError",
        f"Accept {spelled} again. {REEXTRACT}",
    )


def _binding(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    name, before, after = change.parameter, change.before, change.after
    was = f"parameter `{name}` of {contracted.path} was {before} and is now {after}"
    if change.contract_only:
        return Wording(f"{was} (accepts more calls)", f"Compatible change: {REEXTRACT}", Severity.WARNING)
    lost = " and ".join(lost_styles(ParameterKind(before), ParameterKind(after)))
    return Wording(
        f"{was}: {lost} calls of `{name}` now raise TypeError", f"Make `{name}` {before} again. {REEXTRACT}"
    )


def _required(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    name, default = change.parameter, change.before
    return Wording(
        f"parameter `{name}` of {contracted.path} lost its default {default}: calls that leave it out now "
        "raise TypeError",
        f"Give `{name}` its default back (`{name}={default}`). {REEXTRACT}",
    )


def _default(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    name = change.parameter
    if change.contract_only:
        return Wording(
            f"parameter `{name}` of {contracted.path} is required in the contract and now has the default "
            f"{change.after}",
            f"Compatible change: {REEXTRACT}",
            Severity.WARNING,
        )
    return Wording(
        f"the default of `{name}` of {contracted.path} changed from {change.before} to {change.after}: "
        "calls relying on it behave differently",
        f"Restore `{name}={change.before}`, or record the behaviour change. {REEXTRACT}",
    )


def _new_required(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    name = change.parameter
    return Wording(
        f"{contracted.path} has a new required parameter `{name}`: existing calls that do not pass it "
        "raise TypeError",
        f"Give `{name}` a default (keyword-only with a default is the safest). {REEXTRACT}",
    )


def _annotation(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    return Wording(
        f"the annotation of `{change.parameter}` of {contracted.path} changed from {change.before} to "
        f"{change.after or 'nothing'}",
        f"Restore the annotation `{change.before}`. {REEXTRACT}",
    )


def _returns(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    what = "type" if contracted.kind in (ObjectKind.PROPERTY, ObjectKind.ATTRIBUTE) else "return annotation"
    if change.after is None:
        return Wording(
            f"the {what} of {contracted.path} ({change.before}) is no longer declared",
            f"Restore the annotation `{change.before}`. {REEXTRACT}",
            Severity.WARNING,
        )
    return Wording(
        f"the {what} of {contracted.path} changed from {change.before} to {change.after}",
        f"Return `{change.before}` again, or record the change. {REEXTRACT}",
    )


def _base(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    base = change.before or ""
    return Wording(
        f"{contracted.path} no longer derives from {base}: isinstance() and "
        f"`except {base.rsplit('.', 1)[-1]}` stop matching it",
        f"Keep {base} among the bases of {contracted.name}. {REEXTRACT}",
    )


def _call_form(contracted: ApiObject, found: ApiObject, change: Change, index: ApiIndex) -> Wording:
    form = change.calls[0]
    return Wording(
        f"the documented call `{form.text}` does not bind to {contracted.name}"
        f"{render_signature(signature_of(found))}: {change.after}",
        f"Make the SDK accept `{form.text}` again (keep the old parameter name or position), "
        "or, if the documented call is wrong, correct call_forms in the contract and the docs.",
        subject=f"{contracted.path} [{form.text}]",
        line=form.line,
    )


# Diff rule id -> how its change reads in the gate (BC001 / BC017 and BC006 are gathered per object: a
# missing object is one finding, the moved parameters of a signature are one finding).
_WORDING: dict[str, Worder] = {
    "BC002": _export,
    "BC003": _kind,
    "BC004": _gone,
    "BC005": _gone,
    "BC007": _binding,
    "BC008": _required,
    "BC009": _new_required,
    "BC010": _default,
    "BC011": _variadic,
    "BC012": _returns,
    "BC013": _annotation,
    "BC015": _base,
    "BC018": _call_form,
}
