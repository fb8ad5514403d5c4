"""The signature gate: every contracted name, export path and signature against the observed SDK.

Pure logic over two :class:`~hokusai_contracts.contract.model.Api` values (the committed contract and the
introspected SDK): nothing here imports the SDK. Call forms are bound to a signature synthesised from
the observed parameters.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hokusai_contracts.checks.signatures.rules import rule
from hokusai_contracts.contract.annotations import same_annotation
from hokusai_contracts.contract.callforms import bind_error
from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind, Parameter, ParameterKind
from hokusai_contracts.findings import Finding, Location, Outcome, Severity

CHECK = "signatures"
REEXTRACT = "If the change is intended, re-run the extract command, review the contract diff and commit it."

_POSITIONAL = frozenset({ParameterKind.POSITIONAL_ONLY, ParameterKind.POSITIONAL_OR_KEYWORD})
# How a caller can pass a value to a parameter of each kind.
_STYLES = {
    ParameterKind.POSITIONAL_ONLY: {"positional"},
    ParameterKind.POSITIONAL_OR_KEYWORD: {"positional", "keyword"},
    ParameterKind.VAR_POSITIONAL: {"extra positional"},
    ParameterKind.KEYWORD_ONLY: {"keyword"},
    ParameterKind.VAR_KEYWORD: {"extra keyword"},
}
_CLASS_KINDS = frozenset({ObjectKind.CLASS, ObjectKind.EXCEPTION})


@dataclass
class ObservedIndex:
    """Look-ups into the observed API: top-level objects by path and by export path."""

    api: Api
    by_path: dict[str, ApiObject] = field(default_factory=dict)
    by_export: dict[str, ApiObject] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, api: Api) -> ObservedIndex:
        """Index ``api``."""
        index = cls(api, modules={m.name for m in api.modules})
        for module in api.modules:
            for obj in module.objects:
                index.by_path[obj.path] = obj
                for path in obj.export_paths:
                    index.by_export.setdefault(path, obj)
        return index

    def find(self, contracted: ApiObject) -> ApiObject | None:
        """The observed object for a top-level contracted one: same path, else a shared export path."""
        found = self.by_path.get(contracted.path)
        if found is None:
            found = next(
                (
                    self.by_export[p]
                    for p in [contracted.path, *contracted.export_paths]
                    if p in self.by_export
                ),
                None,
            )
        return found

    def resolve(self, path: str) -> ApiObject | None:
        """The observed top-level object named ``path`` (contract path or export path)."""
        return self.by_path.get(path) or self.by_export.get(path)

    def ancestors(self, obj: ApiObject) -> set[str]:
        """Every name a class is known to derive from: package classes, builtins, named externals."""
        seen: set[str] = set()
        stack = list(obj.bases)
        while stack:
            base = stack.pop()
            if base in seen:
                continue
            seen.add(base)
            target = self.resolve(base)
            if target is not None:
                seen.update([target.path, *target.export_paths])
                stack.extend(target.bases)
            elif isinstance(getattr(builtins, base, None), type):
                seen.update(k.__name__ for k in getattr(builtins, base).__mro__)
        return seen

    def import_error_for(self, paths: Iterable[str]) -> str | None:
        """The import error of a module any of ``paths`` lives in, if one failed."""
        for path in paths:
            module = path
            while module:
                if module in self.api.import_errors:
                    return f"module {module} failed to import: {self.api.import_errors[module]}"
                module = module.rpartition(".")[0]
        return None


def check_signatures(contract: Api, observed: Api) -> list[Finding]:
    """One finding per contracted object that matches (SIG000) and one per incompatibility found."""
    index = ObservedIndex.of(observed)
    findings: list[Finding] = []
    for module in sorted(contract.modules, key=lambda m: m.name):
        if module.name not in index.modules:
            findings.append(_module_missing(module, index))
        for obj in sorted(module.objects, key=lambda o: o.path):
            findings.extend(check_object(obj, index.find(obj), index))
    return findings


def check_object(contracted: ApiObject, found: ApiObject | None, index: ObservedIndex) -> list[Finding]:
    """Findings for one contracted object (and its members) against its observed counterpart."""
    if found is None:
        return [_missing(contracted, index)]
    findings = list(_export_findings(contracted, found, index))
    if found.kind is not contracted.kind:
        findings.append(
            _finding(
                "SIG003",
                contracted,
                f"{contracted.path} was a {contracted.kind.value} and is now a {found.kind.value}",
                fix=f"Keep {contracted.name} a {contracted.kind.value}. {REEXTRACT}",
            )
        )
    else:
        findings.extend(_parameter_findings(contracted, found))
        findings.extend(_return_findings(contracted, found))
        findings.extend(_base_findings(contracted, found, index))
        findings.extend(_call_form_findings(contracted, found))
    if not any(f.failed for f in findings):
        findings.insert(0, _passed(contracted))
    if found.kind is contracted.kind or {found.kind, contracted.kind} <= _CLASS_KINDS:
        members = {m.name: m for m in found.members}
        for member in sorted(contracted.members, key=lambda m: m.path):
            findings.extend(check_object(member, members.get(member.name), index))
    return findings


# -- findings ----------------------------------------------------------------------------------------


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
    return Finding(
        check=CHECK,
        rule=rule_id,
        subject=subject or obj.path,
        message=message,
        outcome=Outcome.FAILED,
        severity=severity or rule(rule_id).severity,
        location=_location(obj, line),
        fix=fix,
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


def _module_missing(module: ApiModule, index: ObservedIndex) -> Finding:
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


def _missing(obj: ApiObject, index: ObservedIndex) -> Finding:
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


def _export_findings(contracted: ApiObject, found: ApiObject, index: ObservedIndex) -> Iterable[Finding]:
    for path in contracted.export_paths:
        if path in found.export_paths:
            continue
        module, _, name = path.rpartition(".")
        other = index.by_export.get(path)
        if other is not None:
            message = f"{path} now names a different object ({other.path}), not {contracted.path}"
        elif module not in index.modules:
            error = index.api.import_errors.get(module)
            message = f"{contracted.path} cannot be imported as {path}: module {module} " + (
                f"failed to import: {error}" if error else "is missing"
            )
        else:
            message = (
                f"{contracted.path} is no longer importable as {path} (`from {module} import {name}` fails)"
            )
        home = found.path.rpartition(".")[0]
        yield _finding(
            "SIG002",
            contracted,
            message,
            fix=(
                f"Re-export it: `from {home} import {found.name}` in {module} and {name!r} in its __all__. "
                f"{REEXTRACT}"
            ),
        )


def _strip_self(obj: ApiObject, parameters: Sequence[Parameter]) -> list[Parameter]:
    # Contracts written by hand may list self/cls; the introspected ones never do.
    if (
        obj.kind in (ObjectKind.METHOD, ObjectKind.CLASSMETHOD)
        and parameters
        and parameters[0].name in ("self", "cls")
        and parameters[0].kind in _POSITIONAL
    ):
        return list(parameters[1:])
    return list(parameters)


def render_signature(parameters: Sequence[Parameter]) -> str:
    """``(a, b=None, *, c)``: a readable signature for messages."""
    parts: list[str] = []
    star_written = False
    for i, p in enumerate(parameters):
        if p.kind is ParameterKind.KEYWORD_ONLY and not star_written:
            parts.append("*")
            star_written = True
        if p.kind is ParameterKind.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
            star_written = True
        elif p.kind is ParameterKind.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        else:
            parts.append(p.name if p.default is None else f"{p.name}={p.default}")
        following = parameters[i + 1].kind if i + 1 < len(parameters) else None
        if p.kind is ParameterKind.POSITIONAL_ONLY and following is not ParameterKind.POSITIONAL_ONLY:
            parts.append("/")
    return f"({', '.join(parts)})"


def _parameter_findings(contracted: ApiObject, found: ApiObject) -> list[Finding]:
    if contracted.parameters is None:
        return []  # the contract does not constrain this signature
    if found.parameters is None:
        return [
            _finding(
                "SIG014",
                contracted,
                f"the signature of {contracted.path} cannot be read, so its parameters are not checked",
                fix="Keep the object introspectable (functools.wraps on decorators, a real __init__).",
            )
        ]
    expected = _strip_self(contracted, contracted.parameters)
    actual = _strip_self(found, found.parameters)
    details = f"contract: {render_signature(expected)}\nSDK:      {render_signature(actual)}"
    by_name = {p.name: p for p in actual}
    contracted_names = {p.name for p in expected}
    renamed = _renames(expected, actual)
    findings: list[Finding] = []

    def add(rule_id: str, parameter: str, message: str, fix: str, severity: Severity | None = None) -> None:
        findings.append(
            _finding(
                rule_id,
                contracted,
                message,
                subject=f"{contracted.path}({parameter})",
                fix=fix,
                details=details,
                severity=severity,
            )
        )

    for old in expected:
        new = by_name.get(old.name)
        if new is None:
            add("SIG004", old.name, *_missing_parameter(contracted, old, renamed.get(old.name), actual))
            continue
        if old.kind is not new.kind:
            narrowing = not _STYLES[old.kind] <= _STYLES[new.kind]
            add(
                "SIG005",
                old.name,
                f"parameter `{old.name}` of {contracted.path} was {old.kind.value} and is now "
                f"{new.kind.value}"
                + (f": {_lost_style(old, new)}" if narrowing else " (accepts more calls)"),
                f"Make `{old.name}` {old.kind.value} again. {REEXTRACT}"
                if narrowing
                else f"Compatible change: {REEXTRACT}",
                None if narrowing else Severity.WARNING,
            )
        if not old.required and new.required:
            add(
                "SIG006",
                old.name,
                f"parameter `{old.name}` of {contracted.path} lost its default {old.default}: calls that "
                "leave it out now raise TypeError",
                f"Give `{old.name}` its default back (`{old.name}={old.default}`). {REEXTRACT}",
            )
        elif old.required and not new.required:
            add(
                "SIG007",
                old.name,
                f"parameter `{old.name}` of {contracted.path} is required in the contract and now has "
                f"the default {new.default}",
                f"Compatible change: {REEXTRACT}",
                Severity.WARNING,
            )
        elif not old.required and not new.required and old.default != new.default:
            add(
                "SIG007",
                old.name,
                f"the default of `{old.name}` of {contracted.path} changed from {old.default} to "
                f"{new.default}: calls relying on it behave differently",
                f"Restore `{old.name}={old.default}`, or record the behaviour change. {REEXTRACT}",
            )
        if old.annotation and not same_annotation(old.annotation, new.annotation):
            add(
                "SIG013",
                old.name,
                f"the annotation of `{old.name}` of {contracted.path} changed from {old.annotation} to "
                f"{new.annotation or 'nothing'}",
                f"Restore the annotation `{old.annotation}`. {REEXTRACT}",
            )

    replacements = set(renamed.values())
    for new in actual:
        if new.name not in contracted_names and new.name not in replacements and new.required:
            add(
                "SIG010",
                new.name,
                f"{contracted.path} has a new required parameter `{new.name}`: existing calls that do "
                "not pass it raise TypeError",
                f"Give `{new.name}` a default (keyword-only with a default is the safest). {REEXTRACT}",
            )
    findings.extend(_order_findings(contracted, expected, actual, renamed, details))
    return findings


def _renames(expected: Sequence[Parameter], actual: Sequence[Parameter]) -> dict[str, str]:
    """Contract name -> SDK name for parameters that look renamed (same position and kind, new name)."""
    expected_names = {p.name for p in expected}
    actual_names = {p.name for p in actual}
    renamed = {}
    for i, old in enumerate(expected):
        if old.name in actual_names or i >= len(actual):
            continue
        candidate = actual[i]
        if candidate.name not in expected_names and candidate.kind is old.kind:
            renamed[old.name] = candidate.name
    return renamed


def _missing_parameter(
    obj: ApiObject, old: Parameter, new_name: str | None, actual: Sequence[Parameter]
) -> tuple[str, str]:
    if new_name:
        message = f"parameter `{old.name}` of {obj.path} was renamed to `{new_name}`"
    else:
        message = f"parameter `{old.name}` of {obj.path} no longer exists"
    takes_kwargs = any(p.kind is ParameterKind.VAR_KEYWORD for p in actual)
    if takes_kwargs and old.kind is not ParameterKind.POSITIONAL_ONLY:
        message += " (only **kwargs would still accept it, with no guarantee it is used)"
    elif old.kind is not ParameterKind.POSITIONAL_ONLY:
        message += f": calls passing `{old.name}=` raise TypeError"
    fix = (
        f"Accept `{old.name}` again (a decorator that maps the old name onto "
        f"`{new_name or 'the new parameter'}` and warns keeps callers working). {REEXTRACT}"
    )
    return message, fix


def _lost_style(old: Parameter, new: Parameter) -> str:
    lost = sorted(_STYLES[old.kind] - _STYLES[new.kind])
    return f"{' and '.join(lost)} calls of `{old.name}` now raise TypeError"


def _order_findings(
    obj: ApiObject,
    expected: Sequence[Parameter],
    actual: Sequence[Parameter],
    renamed: dict[str, str],
    details: str,
) -> list[Finding]:
    back = {new: old for old, new in renamed.items()}
    contract_order = [p.name for p in expected if p.kind in _POSITIONAL]
    sdk_order = [back.get(p.name, p.name) for p in actual if p.kind in _POSITIONAL]
    common = [n for n in contract_order if n in sdk_order]
    subject = f"{obj.path}(order)"
    if [n for n in sdk_order if n in common] != common:
        return [
            _finding(
                "SIG011",
                obj,
                f"positional parameters of {obj.path} were reordered: contract "
                f"({', '.join(common)}), SDK ({', '.join(n for n in sdk_order if n in common)})",
                subject=subject,
                fix=f"Restore the contracted order. {REEXTRACT}",
                details=details,
            )
        ]
    if common:
        last = sdk_order.index(common[-1])
        inserted = [n for n in sdk_order[:last] if n not in contract_order]
        if inserted:
            return [
                _finding(
                    "SIG011",
                    obj,
                    f"new positional parameter(s) {', '.join(inserted)} inserted before contracted ones in "
                    f"{obj.path}: positional calls now bind values to the wrong parameters",
                    subject=subject,
                    fix=(
                        "Append new parameters after the contracted ones, or make them keyword-only. "
                        + REEXTRACT
                    ),
                    details=details,
                )
            ]
    return []


def _return_findings(contracted: ApiObject, found: ApiObject) -> list[Finding]:
    if contracted.returns is None or same_annotation(contracted.returns, found.returns):
        return []
    what = "type" if contracted.kind in (ObjectKind.PROPERTY, ObjectKind.ATTRIBUTE) else "return annotation"
    if found.returns is None:
        return [
            _finding(
                "SIG008",
                contracted,
                f"the {what} of {contracted.path} ({contracted.returns}) is no longer declared",
                fix=f"Restore the annotation `{contracted.returns}`. {REEXTRACT}",
                severity=Severity.WARNING,
            )
        ]
    return [
        _finding(
            "SIG008",
            contracted,
            f"the {what} of {contracted.path} changed from {contracted.returns} to {found.returns}",
            fix=f"Return `{contracted.returns}` again, or record the change. {REEXTRACT}",
        )
    ]


def _base_findings(contracted: ApiObject, found: ApiObject, index: ObservedIndex) -> list[Finding]:
    if contracted.kind not in _CLASS_KINDS or not contracted.bases:
        return []
    ancestors = index.ancestors(found)
    return [
        _finding(
            "SIG015",
            contracted,
            f"{contracted.path} no longer derives from {base}: isinstance() and "
            f"`except {base.rsplit('.', 1)[-1]}` stop matching it",
            fix=f"Keep {base} among the bases of {contracted.name}. {REEXTRACT}",
        )
        for base in contracted.bases
        if base not in ancestors
    ]


def _call_form_findings(contracted: ApiObject, found: ApiObject) -> list[Finding]:
    if not contracted.call_forms:
        return []
    if found.parameters is None:
        return [
            _finding(
                "SIG014",
                contracted,
                f"the call forms of {contracted.path} cannot be checked: its signature cannot be read",
                fix="Keep the object introspectable (functools.wraps on decorators, a real __init__).",
            )
        ]
    parameters = _strip_self(found, found.parameters)
    findings = []
    for form in contracted.call_forms:
        error = bind_error(form, parameters)
        if error is None:
            continue
        findings.append(
            _finding(
                "SIG009",
                contracted,
                f"the documented call `{form.text}` does not bind to {contracted.name}"
                f"{render_signature(parameters)}: {error}",
                subject=f"{contracted.path} [{form.text}]",
                fix=(
                    f"Make the SDK accept `{form.text}` again (keep the old parameter name or position), "
                    "or, if the documented call is wrong, correct call_forms in the contract and the docs."
                ),
                line=form.line,
            )
        )
    return findings
