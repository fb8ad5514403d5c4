"""The breaking-change rule catalogue: what a rule is, and the changes rules report.

Every rule lives in its own module under ``diff/rules/`` with a stable id (``BC001``..): ids never
change meaning and are never reused. Static rules (BC0xx) compare two API models; behavioural rules
(BC1xx) run the old release's executable contracts against the new SDK (``diff/behaviour.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hokusai_contracts.contract.model import CallForm
    from hokusai_contracts.diff.pairs import DiffContext, ObjectPair


class Impact(str, enum.Enum):
    """How a change affects code written against the old release."""

    BREAKING = "breaking"
    POTENTIALLY_BREAKING = "potentially_breaking"
    COMPATIBLE = "compatible"


class Bump(str, enum.Enum):
    """The smallest semantic-version bump a change requires."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"


@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue: a stable id, what it detects and what it demands of the version."""

    id: str
    name: str
    title: str
    explanation: str
    severity: Impact
    bump: Bump


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


Detector = Callable[["ObjectPair", "DiffContext"], Iterable[Change]]


@dataclass(frozen=True)
class StaticRule:
    """A rule and the function that finds its changes in one pair of objects.

    ``shape`` says which pairs can hold such a change: ``both`` sides present, old only (``removed``)
    or new only (``added``); the engine skips the others.
    """

    rule: Rule
    detect: Detector = field(compare=False)
    shape: str = "both"
