"""Accepted breaks (``contracts/accepted-breaks.yaml``): breaking changes a release ships on purpose.

An entry names a rule id, an object and a version range of the NEW release; a matching change passes
and is listed. The rule is a diff id (BC005) or a signature id (SIG004), which covers the diff rules it
is the contract-side view of (BC004, BC005, BC011; the catalogue's ``Rule.views``). The file is read
through the contract schema loader, so mistakes are FILE:LINE errors.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.contract.schema import load_contract_file, schema_path
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.rules import RULES
from hokusai_contracts.diff.semver import parse_version
from hokusai_contracts.findings.catalogue import covered_ids, viewed_by

SCHEMA_NAME = "accepted-breaks.schema.json"
DEFAULT_FILE = Path("contracts") / "accepted-breaks.yaml"
_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
# Signature rule ids an entry may name instead of the diff rules they view.
_VIEWING = sorted({viewer for rule_id in RULES for viewer in viewed_by(rule_id)})
_OPERATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}


@dataclass(frozen=True)
class AcceptedBreak:
    """One entry of the accepted-breaks file, with the place it was written."""

    rule: str
    object: str
    versions: str
    justification: str
    file: str | None = None
    line: int | None = None

    def covers_version(self, version: str | None) -> bool:
        """True when ``version`` lies in the range (an unknown version matches: it cannot be checked)."""
        if self.versions.strip() == "*":
            return True
        parsed = parse_version(version)
        if parsed is None:
            return True
        for part in self.versions.split(","):
            match = _COMPARISON.match(part)
            assert match is not None  # checked when loaded
            bound = parse_version(match.group(2))
            if not _OPERATORS[match.group(1)](parsed, bound):
                return False
        return True

    def matches(self, change: Change, version: str | None) -> bool:
        """True when this entry accepts ``change`` in a NEW release of ``version``."""
        return (
            change.rule in covered_ids(self.rule)
            and self.object == change.subject
            and self.covers_version(version)
        )


def load_accepted(path: Path) -> list[AcceptedBreak]:
    """Read and check an accepted-breaks file; any problem is a :class:`ContractError` at FILE:LINE."""
    loaded = load_contract_file(path, schema_path(SCHEMA_NAME, Path(path).parent))
    entries = []
    for i, item in enumerate(loaded.data.get("accepted") or []):
        where = ["accepted", i]
        if not covered_ids(item["rule"]) & RULES.keys():
            raise ContractError(
                f"unknown rule {item['rule']!r}; expected a diff rule id of the catalogue "
                f"({', '.join(RULES)}) or a signature rule id that views them ({', '.join(_VIEWING)})",
                file=loaded.file,
                line=loaded.line([*where, "rule"]),
            )
        for part in item["versions"].split(","):
            match = _COMPARISON.match(part)
            if item["versions"].strip() != "*" and (match is None or parse_version(match.group(2)) is None):
                raise ContractError(
                    f"version range {item['versions']!r} is not understood; expected '*' or comparisons "
                    "like '>=1.2.0,<2.0.0'",
                    file=loaded.file,
                    line=loaded.line([*where, "versions"]),
                )
        entries.append(
            AcceptedBreak(
                rule=item["rule"],
                object=item["object"],
                versions=item["versions"],
                justification=item["justification"],
                file=loaded.file,
                line=loaded.line(where),
            )
        )
    return entries


def find_acceptance(
    change: Change, entries: list[AcceptedBreak], version: str | None
) -> AcceptedBreak | None:
    """The first entry accepting ``change``, if any."""
    return next((entry for entry in entries if entry.matches(change, version)), None)


def entry_yaml(change: Change, new_version: str | None) -> str:
    """A ready-to-paste accepted-breaks entry for ``change`` (the justification is left to write)."""
    versions = f"=={new_version}" if parse_version(new_version) else "*"
    return (
        f"  - rule: {change.rule}\n"
        f"    object: {change.subject}\n"
        f'    versions: "{versions}"\n'
        f'    justification: "TODO: why breaking callers of {change.subject} is acceptable"\n'
    )
