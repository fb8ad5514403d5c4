"""What the rule modules share: building a change at the old object's place, and parameter deltas.

Parameter rules (BC004-BC011, BC013, BC019) differ only in what they look for in a parameter delta:
each defines a finder yielding :class:`Found` items, and :func:`parameter_detector` turns it into a
detector (delta computed once per pair, no delta no change, each item placed at the pair).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hokusai_contracts.contract.model import ApiObject, CallForm, ObjectKind
from hokusai_contracts.diff.catalogue import Change, Detector, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import ParameterDelta, compare_parameters, signature_of

# Kinds whose "signature" a caller relies on through calls.
CALLED_KINDS = frozenset(
    {
        ObjectKind.FUNCTION,
        ObjectKind.METHOD,
        ObjectKind.CLASSMETHOD,
        ObjectKind.STATICMETHOD,
        ObjectKind.CLASS,
        ObjectKind.EXCEPTION,
    }
)


def change(
    rule: Rule,
    pair: ObjectPair,
    message: str,
    *,
    details: str | None = None,
    witness: str = "",
    calls: tuple[CallForm, ...] = (),
    import_paths: tuple[str, ...] = (),
    parameter: str | None = None,
    before: str | None = None,
    after: str | None = None,
    contract_only: bool = False,
) -> Change:
    """A change of ``rule`` reported under the pair's subject, placed where the old object stands."""
    located = pair.old or pair.new
    return Change(
        rule=rule.id,
        subject=pair.subject,
        message=message,
        old_file=located.source_file if located else None,
        old_line=located.source_line if located else None,
        details=details,
        witness=witness,
        calls=calls,
        import_paths=import_paths,
        deprecated=bool(pair.old and pair.old.lifecycle.deprecated_since),
        call_path=(pair.new or pair.old).path if located else None,
        method=bool(pair.old and pair.old.kind is ObjectKind.METHOD),
        parameter=parameter,
        before=before,
        after=after,
        contract_only=contract_only,
    )


def parameter_delta(pair: ObjectPair, context: DiffContext) -> ParameterDelta | None:
    """The parameter changes of a callable present on both sides with known parameters, else None.

    Computed once per pair: a dozen rules ask for it.
    """
    key = id(pair)
    if key not in context.deltas:
        context.deltas[key] = (pair, _delta(pair))
    return context.deltas[key][1]


def _delta(pair: ObjectPair) -> ParameterDelta | None:
    old, new = pair.old, pair.new
    if old is None or new is None or old.parameters is None or new.parameters is None:
        return None
    if old.kind not in CALLED_KINDS or new.kind not in CALLED_KINDS:
        return None
    return compare_parameters(signature_of(old), signature_of(new))


@dataclass(frozen=True)
class Found:
    """One parameter-level change a finder saw: the message, the facts, and an old call to witness it.

    ``call`` is a call valid against the old signature that the change should break (the witness binds
    it against the new one); without it the change has no witness.
    """

    parameter: str
    message: str
    before: str | None = None
    after: str | None = None
    call: CallForm | None = None
    contract_only: bool = False


# (delta, how messages name the callable, context) -> what the rule finds in the delta.
Finder = Callable[[ParameterDelta, str, DiffContext], Iterable[Found]]


def parameter_detector(rule: Rule, finder: Finder) -> Detector:
    """The detector of a parameter rule: ``finder`` run on each pair's delta, its items as changes."""

    def detect(pair: ObjectPair, context: DiffContext) -> list[Change]:
        delta = parameter_delta(pair, context)
        if delta is None:
            return []
        return [
            change(
                rule,
                pair,
                found.message,
                witness="bind" if found.call else "",
                calls=(found.call,) if found.call else (),
                parameter=found.parameter,
                before=found.before,
                after=found.after,
                contract_only=found.contract_only,
            )
            for found in finder(delta, callable_name(pair), context)
        ]

    detect.__doc__ = finder.__doc__
    return detect


def callable_name(pair: ObjectPair) -> str:
    """How messages name the callable: ``fetch()``, ``Client()``."""
    return f"{pair.subject}()"


_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})


def is_enum(obj: ApiObject | None) -> bool:
    """True for a class deriving directly from one of the standard enum bases."""
    return obj is not None and any(base.rsplit(".", 1)[-1] in _ENUM_BASES for base in obj.bases)
