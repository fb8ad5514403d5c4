"""Semantic versions (MAJOR.MINOR.PATCH[-PRERELEASE]) and an order over any model version label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from hokusai.exceptions import InvalidParameterError

__all__ = ["BUMP_PARTS", "Version", "version_sort_key"]

BumpPart = Literal["major", "minor", "patch"]
BUMP_PARTS: tuple[str, ...] = ("major", "minor", "patch")

_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENTIFIER = rf"(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_PRERELEASE = re.compile(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*")
_VERSION = re.compile(rf"({_NUMBER})\.({_NUMBER})\.({_NUMBER})(?:-({_PRERELEASE.pattern}))?")
_FIX = "use MAJOR.MINOR.PATCH with an optional -PRERELEASE, e.g. '1.2.3' or '2.0.0-rc.1'"


@dataclass(frozen=True)
class Version:
    """A semantic version; ordered by semver precedence (a prerelease sorts before its release)."""

    major: int
    minor: int
    patch: int
    prerelease: str | None = None

    def __post_init__(self) -> None:
        for part in ("major", "minor", "patch"):
            value = getattr(self, part)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidParameterError(part, f"Version {part} must be an integer >= 0, got {value!r}")
        if self.prerelease is not None and (
            not isinstance(self.prerelease, str) or not _PRERELEASE.fullmatch(self.prerelease)
        ):
            raise InvalidParameterError(
                "prerelease",
                f"Invalid prerelease {self.prerelease!r}",
                fix="use dot-separated identifiers of ASCII letters, digits and hyphens, e.g. 'rc.1'",
            )

    @classmethod
    def parse(cls, text: str | Version) -> Version:
        """Parse ``'1.2.3'`` or ``'1.2.3-rc.1'``; raise :class:`InvalidParameterError` otherwise."""
        if isinstance(text, Version):
            return text
        if not isinstance(text, str):
            raise InvalidParameterError(
                "version", f"A version must be a string, got {type(text).__name__}", fix=_FIX
            )
        match = _VERSION.fullmatch(text)
        if match is None:
            raise InvalidParameterError("version", f"{text!r} is not a semantic version", fix=_FIX)
        major, minor, patch, prerelease = match.groups()
        return cls(int(major), int(minor), int(patch), prerelease)

    @classmethod
    def is_valid(cls, text: object) -> bool:
        """True when ``text`` is a string :meth:`parse` accepts."""
        return isinstance(text, str) and _VERSION.fullmatch(text) is not None

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core

    def bump(self, part: str) -> Version:
        """The next release after bumping ``part`` ('major', 'minor' or 'patch').

        As in npm's ``semver.inc``, a prerelease bumps to the release it precedes when that release
        already is of the requested kind: ``2.0.0-rc.1`` bumps to ``2.0.0`` for any part.
        """
        pre = self.prerelease is not None
        if part == "major":
            if pre and self.minor == 0 and self.patch == 0:
                return Version(self.major, 0, 0)
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            if pre and self.patch == 0:
                return Version(self.major, self.minor, 0)
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            if pre:
                return Version(self.major, self.minor, self.patch)
            return Version(self.major, self.minor, self.patch + 1)
        raise InvalidParameterError(
            "auto_increment", f"Cannot bump {part!r}", fix="use 'major', 'minor' or 'patch'"
        )

    def sort_key(self) -> tuple:
        """A tuple that orders versions by semver precedence."""
        if self.prerelease is None:
            return (self.major, self.minor, self.patch, 1, ())
        # Numeric identifiers sort numerically and before alphanumeric ones (semver 2.0 rule 11).
        parts = tuple(
            (0, int(ident), "") if ident.isdigit() else (1, 0, ident) for ident in self.prerelease.split(".")
        )
        return (self.major, self.minor, self.patch, 0, parts)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_key() >= other.sort_key()


def version_sort_key(label: str) -> tuple:
    """Order model version labels: semantic versions and MLflow integers numerically, others last.

    An integer label ``n`` sorts like ``n.0.0``, so ``"2" < "10"`` and ``"1.2.3" < "1.10.0"``.
    """
    if Version.is_valid(label):
        return (0, Version.parse(label).sort_key())
    if isinstance(label, str) and label.isascii() and label.isdigit():
        return (0, Version(int(label), 0, 0).sort_key())
    return (1, str(label))
