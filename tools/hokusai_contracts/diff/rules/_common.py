"""What the rule modules share: building a change at the old object's place, and parameter deltas."""

from __future__ import annotations

from hokusai_contracts.contract.model import ApiObject, CallForm, ObjectKind
from hokusai_contracts.diff.catalogue import Change, Rule
from hokusai_contracts.diff.pairs import DiffContext, ObjectPair
from hokusai_contracts.diff.params import ParameterDelta, compare_parameters

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
    )


def parameter_delta(pair: ObjectPair, context: DiffContext) -> ParameterDelta | None:
    """The parameter changes of a callable present on both sides with known parameters, else None.

    Computed once per pair: a dozen rules ask for it.
    """
    key = id(pair)
    if key not in context.deltas:
        context.deltas[key] = _delta(pair)
    return context.deltas[key]


def _delta(pair: ObjectPair) -> ParameterDelta | None:
    old, new = pair.old, pair.new
    if old is None or new is None or old.parameters is None or new.parameters is None:
        return None
    if old.kind not in CALLED_KINDS or new.kind not in CALLED_KINDS:
        return None
    return compare_parameters(old.parameters, new.parameters)


def callable_name(pair: ObjectPair) -> str:
    """How messages name the callable: ``fetch()``, ``Client()``."""
    return f"{pair.subject}()"


_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})


def is_enum(obj: ApiObject | None) -> bool:
    """True for a class deriving directly from one of the standard enum bases."""
    return obj is not None and any(base.rsplit(".", 1)[-1] in _ENUM_BASES for base in obj.bases)
