"""The semantic-version verdict: does the version bump from OLD to NEW cover the changes found?

Before 1.0 (``0.x.y``) the minor number is the major one: ``0.3 -> 0.4`` may break, and a patch
bump counts as a minor one (the usual reading of SemVer item 4, as Cargo does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hokusai_contracts.diff.catalogue import Bump

_NUMBERS = re.compile(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_ORDER = {Bump.PATCH: 0, Bump.MINOR: 1, Bump.MAJOR: 2}


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a version string, None when unknown or unreadable."""
    match = _NUMBERS.match(text or "")
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())  # type: ignore[return-value]


def version_bump(old: str | None, new: str | None) -> Bump | None:
    """The bump from ``old`` to ``new`` as SemVer reads it; None when either is unknown or not higher."""
    before, after = parse_version(old), parse_version(new)
    if before is None or after is None or after <= before:
        return None
    if before[0] == 0 and after[0] == 0:
        if after[1] != before[1]:
            return Bump.MAJOR
        return Bump.MINOR
    if after[0] != before[0]:
        return Bump.MAJOR
    if after[1] != before[1]:
        return Bump.MINOR
    return Bump.PATCH


def covers(bump: Bump | None, required: Bump) -> bool:
    """True when a release with ``bump`` may contain a change requiring ``required``."""
    return bump is not None and _ORDER[bump] >= _ORDER[required]


@dataclass(frozen=True)
class Verdict:
    """The versions of both sides, the bump between them and the bump the changes require."""

    old_version: str | None
    new_version: str | None
    bump: Bump | None
    required: Bump | None

    @property
    def known(self) -> bool:
        """True when both versions are known (a contract directory carries none)."""
        return parse_version(self.old_version) is not None and parse_version(self.new_version) is not None

    @property
    def allows_breaking(self) -> bool:
        """True when the version bump is a major one, so breaking changes are announced."""
        return self.bump is Bump.MAJOR

    @property
    def ok(self) -> bool:
        """True when the bump covers what the changes require (unknown versions: decided by findings)."""
        if self.required is None or not self.known:
            return True
        return covers(self.bump, self.required)

    def describe(self) -> str:
        """One sentence for reports."""
        if not self.known:
            return (
                f"versions unknown ({self.old_version or '?'} -> {self.new_version or '?'}): the gate "
                "decides on the findings alone"
            )
        step = f"a {self.bump.value} bump" if self.bump else "no version increase"
        need = f"a {self.required.value} bump" if self.required else "no bump"
        verdict = "covers" if self.ok else "does NOT cover"
        pre = " (before 1.0 a minor bump counts as major)" if parse_version(self.old_version)[0] == 0 else ""
        return (
            f"{self.old_version} -> {self.new_version} is {step}{pre}; the changes require {need}: "
            f"the version {verdict} them"
        )


def required_bump(bumps: list[Bump]) -> Bump | None:
    """The largest of ``bumps`` (None when there is none)."""
    return max(bumps, key=_ORDER.__getitem__, default=None)
