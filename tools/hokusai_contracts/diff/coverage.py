"""What a diff could not compare: modules that do not import on one side, left out of both explicitly.

A submodule that fails to import (a missing optional dependency, an import of a module the installed
MLflow no longer has) has unknown contents on that side. Comparing anyway would report its objects as
removed (or added); instead it is removed from both APIs and listed as a BC103 warning naming the
missing dependency. When its source could be read instead (``Api.read_statically``, filled by
``diff/sides.py``), it is compared after all and BC103 says so; its breaking findings stay breaking only
where the source is unambiguous evidence (:data:`UNAMBIGUOUS_STATIC`), warnings otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hokusai_contracts.contract.model import Api
from hokusai_contracts.diff.policy import Judged
from hokusai_contracts.findings import Finding, Outcome, Severity
from hokusai_contracts.findings.catalogue.diff import MODULE_NOT_COMPARED

CHECK = "diff"


@dataclass(frozen=True)
class NotCompared:
    """One module left out of the comparison, and why (per side that could not import it)."""

    module: str
    # side label -> (missing module or None, the import error's text)
    failures: tuple[tuple[str, str | None, str], ...]
    # Read from its source on the failing sides, and compared after all.
    read_statically: bool = False

    @property
    def missing(self) -> list[str]:
        """The missing modules named by the failures (``pandas``, ``mlflow.gone``)."""
        return sorted({m for _, m, _ in self.failures if m})


def not_compared(old: Api, new: Api, old_label: str = "OLD", new_label: str = "NEW") -> list[NotCompared]:
    """The modules either side failed to import (a failing package covers its submodules)."""
    names = sorted(set(old.unimportable) | set(new.unimportable))
    found = []
    for name in names:
        failures = tuple(
            (label, api.unimportable[name], api.import_errors.get(name, ""))
            for label, api in ((old_label, old), (new_label, new))
            if name in api.unimportable
        )
        found.append(NotCompared(name, failures))
    excluded = set(names)
    for name in sorted((set(old.read_statically) | set(new.read_statically)) - excluded):
        if _covered(name, excluded):
            continue  # left out with the module above it
        failures = tuple(
            (label, api.read_statically[name], api.import_errors.get(name, ""))
            for label, api in ((old_label, old), (new_label, new))
            if name in api.read_statically
        )
        found.append(NotCompared(name, failures, read_statically=True))
    return found


# Breaking changes the source alone shows beyond doubt: a public object, parameter, variadic or enum
# member gone from the code. Anything else seen in a module read statically (a kind, a base, a binding)
# may be an artefact of reading without running, so it is a warning.
UNAMBIGUOUS_STATIC = frozenset({"BC001", "BC004", "BC011", "BC017"})


def statically_read(subject: str, old: Api, new: Api) -> bool:
    """True when ``subject`` lies in a module either side read from source because it did not import."""
    return _covered(subject, set(old.read_statically) | set(new.read_statically))


def static_judgement(judged: Judged, old: Api, new: Api) -> Judged:
    """``judged``, as a ``static`` warning when it is breaking only by the static reading of a module
    that did not import and its rule is not unambiguous from source (:data:`UNAMBIGUOUS_STATIC`)."""
    if (
        judged.status not in ("breaking", "allowed")
        or judged.change.rule in UNAMBIGUOUS_STATIC
        or not statically_read(judged.change.subject, old, new)
    ):
        return judged
    return dataclasses.replace(judged, status="static")


def _covered(module: str, excluded: set[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in excluded)


def without_modules(api: Api, excluded: set[str]) -> Api:
    """``api`` without the modules named in ``excluded`` (and their submodules)."""
    if not excluded:
        return api
    return dataclasses.replace(api, modules=[m for m in api.modules if not _covered(m.name, excluded)])


def comparable(old: Api, new: Api) -> tuple[Api, Api]:
    """Both APIs without the modules that did not import on either side."""
    excluded = set(old.unimportable) | set(new.unimportable)
    return without_modules(old, excluded), without_modules(new, excluded)


def not_compared_finding(item: NotCompared) -> Finding:
    """The BC103 warning for one module left out."""
    sides = " and ".join(label for label, _, _ in item.failures)
    reason = (
        f"missing dependency {', '.join(repr(m) for m in item.missing)}"
        if item.missing
        else "it raises on import"
    )
    details = [MODULE_NOT_COMPARED.explanation, ""]
    details += [f"{label}: {error or '(no message)'}" for label, _, error in item.failures]
    handled = (
        "it was read statically from its source there instead of being excluded from both sides, and "
        "compared; its findings are warnings unless the source is unambiguous (a removed object, "
        "parameter or enum member)"
        if item.read_statically
        else "it is excluded from both sides, so its objects are neither reported as removed nor as added"
    )
    return Finding(
        check=CHECK,
        rule=MODULE_NOT_COMPARED.id,
        subject=item.module,
        message=f"{MODULE_NOT_COMPARED.title}: {item.module} does not import on {sides} ({reason}); "
        + handled,
        outcome=Outcome.FAILED,
        severity=Severity.WARNING,
        fix=MODULE_NOT_COMPARED.fix,
        details="\n".join(details),
    )
