"""What a rule is: the stable id a finding carries, and what the catalogue says about it.

Ids never change meaning and are never reused; a retired or merged id lives on as an alias of the rule
that took its place. Every rule the tool can emit is listed in :mod:`hokusai_contracts.findings.catalogue`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hokusai_contracts.findings import Severity


class Impact(str, enum.Enum):
    """How a change between two releases affects code written against the old one (diff rules)."""

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
    """One rule: a stable id, its family, what it detects, how bad it is and how to fix it.

    ``severity`` is how bad a failure is for the check families (error, warning, info) and, for the
    release diff, what the change does to callers (:class:`Impact`). ``bump`` is the version bump a
    change of an API rule requires. ``name`` is a readable slug that selects the rule too (``rules
    parameter-renamed``); ``aliases`` are other ids meaning this rule. ``views`` (signature rules) are
    the diff rules whose contract-side view the rule is: the signature gate reports their changes under
    this id, and an accepted-breaks entry naming this id accepts them.
    """

    id: str
    family: str
    title: str
    explanation: str
    severity: Severity | Impact = Severity.ERROR
    bump: Bump | None = None
    fix: str | None = None
    name: str = ""
    aliases: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
