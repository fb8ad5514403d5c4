"""Runtime witnesses: check, in the new release's interpreter, whether a breaking change really breaks.

A change about a call is witnessed by binding old-style calls (the old contract's call form, or one
synthesised from the old signature) to what the new release really calls, decorators included; a
removal by importing the old path (module ``__getattr__`` lazy exports answer there). A witness that
sees every old use still working disproves the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.probe import BindRequest, ProbeAnswer, ProbeRequest, run_probe


@dataclass(frozen=True)
class Witness:
    """What the witness saw: ``disproved`` (old use still works), ``confirmed`` or ``inconclusive``."""

    verdict: str
    reason: str


def witness_requests(changes: Sequence[Change]) -> ProbeRequest:
    """The probe request checking every witnessable change (binds keyed ``<change>:<call>``)."""
    binds: list[BindRequest] = []
    imports: list[str] = []
    for index, change in enumerate(changes):
        if change.witness == "bind" and change.call_path:
            for number, call in enumerate(change.calls):
                binds.append(
                    BindRequest(
                        id=f"{index}:{number}",
                        path=change.call_path,
                        self=change.method,
                        args=tuple(call.args),
                        kwargs=tuple(call.kwargs),
                        text=call.text,
                    )
                )
        elif change.witness == "import":
            imports.extend(change.import_paths)
    return ProbeRequest(imports=tuple(sorted(set(imports))), binds=tuple(binds))


def judge_changes(changes: Sequence[Change], answer: ProbeAnswer) -> dict[int, Witness]:
    """Witness verdicts by change index, from the probe's ``answer`` to :func:`witness_requests`."""
    verdicts: dict[int, Witness] = {}
    for index, change in enumerate(changes):
        if change.witness == "bind" and change.calls and change.call_path:
            results = [answer.binds.get(f"{index}:{n}") for n in range(len(change.calls))]
            if any(r is None for r in results):
                continue
            failing = [(c, r) for c, r in zip(change.calls, results, strict=True) if r["verdict"] != "works"]
            if not failing:
                reasons = "; ".join(
                    f"{change.subject}{c.text} {r['reason']}"
                    for c, r in zip(change.calls, results, strict=True)
                )
                verdicts[index] = Witness("disproved", f"old call still works in the new release: {reasons}")
            else:
                call, result = failing[0]
                verdict = "inconclusive" if result["verdict"] == "inconclusive" else "confirmed"
                verdicts[index] = Witness(verdict, f"{change.subject}{call.text}: {result['reason']}")
        elif change.witness == "import" and change.import_paths:
            errors = [answer.imports.get(p, "not checked") for p in change.import_paths]
            if all(e is None for e in errors):
                paths = ", ".join(change.import_paths)
                verdicts[index] = Witness(
                    "disproved", f"{paths} still resolves in the new release (e.g. a lazy export)"
                )
            else:
                verdicts[index] = Witness("confirmed", f"{change.import_paths[0]}: {errors[0]}")
    return verdicts


def witness_changes(
    changes: Sequence[Change],
    python: str | None,
    extra_paths: Sequence[str],
    known_imports: Mapping[str, str | None] | None = None,
) -> dict[int, Witness]:
    """Witness every breaking change that can be witnessed, in the given interpreter.

    ``known_imports`` are import answers already read in that interpreter (path -> error or None).
    """
    known = dict(known_imports or {})
    request = witness_requests(changes)
    request = replace(request, imports=tuple(p for p in request.imports if p not in known))
    answer = run_probe(request, python, extra_paths)
    answer.imports = {**known, **answer.imports}
    return judge_changes(changes, answer)
