"""The diff engine's vocabulary: the changes rules report, and a static rule with its detector.

Every rule lives in its own module under ``diff/rules/`` with a stable id (``BC001``..): ids never
change meaning and are never reused. The rules' metadata (:class:`Rule`) is in the one catalogue of the
findings layer (``findings/catalogue/diff.py``). Static rules (BC0xx) compare two API models; behavioural
rules (BC1xx) run the old release's executable contracts against the new SDK (``release/behaviour.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hokusai_contracts.findings.rules import Bump, Impact, Rule

if TYPE_CHECKING:
    from hokusai_contracts.contract.model import CallForm
    from hokusai_contracts.diff.pairs import DiffContext, ObjectPair

__all__ = ["Bump", "Change", "Detector", "Impact", "PackageDetector", "Rule", "StaticRule"]


@dataclass(frozen=True)
class Change:
    """One difference between the old and the new API that a rule detected.

    ``calls`` are old-style calls (``CallForm``) that a runtime witness binds against the new
    signature: if all of them still work, the change is disproved. ``witness`` names what to check:
    ``"bind"`` (calls), ``"import"`` (``import_paths`` still resolve) or ``""`` (no witness).
    """

    rule: str
    subject: str
    message: str
    old_file: str | None = None
    old_line: int | None = None
    details: str | None = None
    witness: str = ""
    calls: tuple[CallForm, ...] = ()
    import_paths: tuple[str, ...] = ()
    deprecated: bool = False
    # Where the witness finds the callable in the new release, and whether it is called on an instance.
    call_path: str | None = None
    method: bool = False
    # What changed, for consumers that word changes their own way (the signature gate): the parameter
    # (its old name; the new name for an added one) and the old and new values (a default, a kind, an
    # annotation, a position, a base class, an export path, a bind error).
    parameter: str | None = None
    before: str | None = None
    after: str | None = None
    # Found only because the context is a contract view: a release diff forgives it (see DiffContext).
    contract_only: bool = False


Detector = Callable[["ObjectPair", "DiffContext"], Iterable[Change]]
# Changes of the package as a whole (its requirements, its console scripts): found once per diff.
PackageDetector = Callable[["DiffContext"], Iterable[Change]]


@dataclass(frozen=True)
class StaticRule:
    """A rule and the function that finds its changes in one pair of objects.

    ``shape`` says which pairs can hold such a change: ``both`` sides present, old only (``removed``)
    or new only (``added``); the engine skips the others. ``detect_package`` (optional) finds the
    rule's changes of the package as a whole, once per diff; a rule with only that has the shape
    ``package`` (its ``detect`` finds nothing in pairs).
    """

    rule: Rule
    detect: Detector = field(compare=False)
    shape: str = "both"
    detect_package: PackageDetector | None = field(default=None, compare=False)
