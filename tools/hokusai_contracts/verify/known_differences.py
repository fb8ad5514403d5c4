"""Version-aware contracts: where a contract item applies and which differences are known, as data.

Every contract format can say it, in its own syntax, with one meaning:

- an HTTP operation (``contracts/http/*.openapi.yaml``): ``x-hokusai-applies: {server: ">=3"}`` and
  ``x-hokusai-expected: [{server: "<3", reason: "..."}]``; at the document's root,
  ``x-hokusai-expected: [{operation: "POST /path", client: "<3", reason: "..."}]`` for a call the SDK
  makes that the document does not describe;
- a documentation block: the snippet attributes ``applies="server>=3"`` and
  ``xfail="server<3: reason"`` (several selectors separated by spaces: ``client<3 server>=3``; several
  ranges separated by ``;``);
- an auth scenario (``contracts/auth/*.yaml``): ``applies:`` and ``known_differences:`` keys;
- an API object (``contracts/api/*.yaml``): ``applies: {client: ">=2.22"}`` (the signature gate skips
  it in a cell outside the range).

A selector names an axis (``client``, ``server``, ``python``) and a PEP 440 specifier set. In a matrix
cell, a failure of an item the cell is outside ``applies`` of is skipped; a failure a known difference
of the cell covers is counted as known, not failed; a known difference of the cell that did not occur
(the item passed) fails, so the declaration is narrowed or removed, unless its family met an
infrastructure error in the cell (its items did not all run). Pure, except :func:`load`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.snippets.family import subject as snippet_subject
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.contract.model import VERSION_AXES, VersionRange
from hokusai_contracts.contract.model import version_in as version_in  # re-exported: one matcher
from hokusai_contracts.contract.store import load_contracts
from hokusai_contracts.contract.yaml_lines import read_yaml_file
from hokusai_contracts.findings import Finding, Location, Outcome, Severity

AXES = VERSION_AXES
# One version range type for every contract format (the API contract's ``applies:`` is read into it too).
Range = VersionRange
KNOWN_DIFFERENCE_GONE = "contract-invalid"
_SELECTOR = re.compile(r"^(client|server|python)\s*([<>=!~].*)$")
_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class KnownDifference:
    """A failure of ``subject`` (family ``family``) that is expected where ``when`` matches."""

    family: str
    subject: str
    when: Range
    reason: str
    where: Location | None = None


@dataclass(frozen=True)
class Applicability:
    """``subject`` of ``family`` is only checked where ``when`` matches."""

    family: str
    subject: str
    when: Range
    where: Location | None = None


@dataclass
class Declarations:
    """Every applicability and known difference of a contracts directory."""

    known: list[KnownDifference] = field(default_factory=list)
    applies: list[Applicability] = field(default_factory=list)


@dataclass(frozen=True)
class Judged:
    """A cell's findings after the declarations: what fails now, and how many differences were known."""

    findings: tuple[Finding, ...]
    known: int = 0
    not_applicable: int = 0


def _check_spec(axis: str, spec: Any, file: str, line: int | None) -> str:
    if not isinstance(spec, str):
        raise ContractError(f'{axis}: expected a version range such as "<3"', file=file, line=line)
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        raise ContractError(
            f'{axis}: {spec!r} is not a version range (PEP 440, e.g. "<3" or ">=2.9,<3")',
            file=file,
            line=line,
        ) from None
    return spec


def range_from_mapping(data: Any, file: str, line: int | None) -> Range:
    """``{"server": "<3"}`` (the ``reason`` key ignored) as a :class:`Range`; ContractError otherwise."""
    if not isinstance(data, dict):
        raise ContractError(
            "expected a mapping of client/server/python to a version range", file=file, line=line
        )
    unknown = [k for k in data if k not in (*AXES, "reason")]
    if unknown:
        raise ContractError(
            f"unknown key {unknown[0]!r}; expected {', '.join(AXES)} (and reason)", file=file, line=line
        )
    return Range(tuple((axis, _check_spec(axis, data[axis], file, line)) for axis in AXES if axis in data))


def range_from_text(text: str, file: str, line: int | None) -> Range:
    """``"client<3 server>=3"`` as a :class:`Range`; ContractError otherwise."""
    specifiers = []
    for word in text.split():
        match = _SELECTOR.match(word)
        if not match:
            raise ContractError(
                f"version selector {word!r}: expected client|server|python then a range, e.g. server<3",
                file=file,
                line=line,
            )
        specifiers.append((match.group(1), _check_spec(match.group(1), match.group(2), file, line)))
    if not specifiers:
        raise ContractError("a version selector is empty, e.g. server<3", file=file, line=line)
    return Range(tuple(specifiers))


def _reason(data: dict, file: str, line: int | None) -> str:
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ContractError(
            'a known difference needs a reason: reason: "why it differs"', file=file, line=line
        )
    return reason.strip()


def _known_list(family: str, subject: str, items: Any, file: str, line: int | None) -> list[KnownDifference]:
    if not isinstance(items, list):
        raise ContractError(
            "known differences: expected a list of {server/client/python, reason}", file=file, line=line
        )
    where = Location(file, line)
    return [
        KnownDifference(
            family, subject, range_from_mapping(item, file, line), _reason(item, file, line), where
        )
        for item in items
    ]


def from_openapi(path: Path) -> Declarations:
    """The ``x-hokusai-applies`` / ``x-hokusai-expected`` of each operation of an OpenAPI document."""
    loaded = read_yaml_file(path)
    declarations = Declarations()
    # At the root: calls the SDK makes that the document does not describe (HTTP006), by operation.
    root_items = loaded.data.get("x-hokusai-expected") or []
    root_line = loaded.line(["x-hokusai-expected"], key=True)
    if not isinstance(root_items, list):
        raise ContractError("x-hokusai-expected: expected a list", file=loaded.file, line=root_line)
    for index, item in enumerate(root_items):
        line = loaded.line(["x-hokusai-expected", index]) or root_line
        operation = item.get("operation") if isinstance(item, dict) else None
        if not isinstance(operation, str) or " " not in operation:
            raise ContractError(
                'a root x-hokusai-expected entry names its operation: operation: "POST /api/..."',
                file=loaded.file,
                line=line,
            )
        rest = {k: v for k, v in item.items() if k != "operation"}
        declarations.known += _known_list("http", operation, [rest], loaded.file, line)
    for route, item in (loaded.data.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if method not in _HTTP_METHODS or not isinstance(operation, dict):
                continue
            label, line = f"{method.upper()} {route}", loaded.line(["paths", route, method], key=True)
            if "x-hokusai-applies" in operation:
                when = range_from_mapping(operation["x-hokusai-applies"], loaded.file, line)
                declarations.applies.append(Applicability("http", label, when, Location(loaded.file, line)))
            if "x-hokusai-expected" in operation:
                declarations.known += _known_list(
                    "http", label, operation["x-hokusai-expected"], loaded.file, line
                )
    return declarations


def from_docs_page(path: Path) -> Declarations:
    """The ``applies=`` / ``xfail=`` attributes of a documentation page's blocks."""
    page = parse_page(path)
    declarations = Declarations()
    for block in page.blocks:
        subject, where = snippet_subject(page, block), Location(str(path), block.fence_line)
        if block.applies:
            when = range_from_text(block.applies, str(path), block.fence_line)
            declarations.applies.append(Applicability("snippets", subject, when, where))
        # Several ranges, each with its reason, are separated by ";".
        for entry in (block.xfail or "").split(";") if block.xfail else ():
            selectors, colon, reason = entry.partition(":")
            if not colon or not reason.strip():
                raise ContractError(
                    'xfail needs a reason: xfail="server<3: why it differs there"',
                    file=str(path),
                    line=block.fence_line,
                )
            when = range_from_text(selectors, str(path), block.fence_line)
            declarations.known.append(KnownDifference("snippets", subject, when, reason.strip(), where))
    return declarations


def from_auth_file(path: Path) -> Declarations:
    """The ``applies`` / ``known_differences`` keys of an auth scenario file's scenarios."""
    loaded = read_yaml_file(path)
    declarations = Declarations()
    for index, scenario in enumerate((loaded.data or {}).get("scenarios") or []):
        if not isinstance(scenario, dict) or "name" not in scenario:
            continue
        name, line = str(scenario["name"]), loaded.line(["scenarios", index], key=False)
        if "applies" in scenario:
            when = range_from_mapping(scenario["applies"], loaded.file, line)
            declarations.applies.append(Applicability("auth", name, when, Location(loaded.file, line)))
        if "known_differences" in scenario:
            declarations.known += _known_list("auth", name, scenario["known_differences"], loaded.file, line)
    return declarations


def from_api_dir(api_dir: Path) -> Declarations:
    """The ``applies`` ranges of the API objects contracted in ``api_dir`` (members included)."""
    declarations = Declarations()
    for module in load_contracts(api_dir).modules:
        for obj in module.walk():
            if obj.applies is not None:
                where = Location(obj.source_file, obj.source_line) if obj.source_file else None
                declarations.applies.append(Applicability("signatures", obj.path, obj.applies, where))
    return declarations


def load(contracts_dir: Path) -> Declarations:
    """Every declaration of ``contracts_dir`` (api/, http/, docs/, auth/); ContractError names file and
    line."""
    declarations = Declarations()
    if (contracts_dir / "api").is_dir():
        declarations.applies += from_api_dir(contracts_dir / "api").applies
    sources = [
        *((from_openapi, p) for p in sorted((contracts_dir / "http").glob("*.openapi.yaml"))),
        *(
            (from_docs_page, p)
            for p in sorted((contracts_dir / "docs").glob("*.md"))
            if p.name != "README.md"
        ),
        *((from_auth_file, p) for p in sorted((contracts_dir / "auth").glob("*.yaml"))),
    ]
    for reader, path in sources:
        found = reader(path)
        declarations.known += found.known
        declarations.applies += found.applies
    return declarations


def _covers(subject: str, finding: Finding) -> bool:
    # HTTP findings name the operation, sometimes with what was sent after it ("GET /x [status 500]").
    return finding.subject == subject or finding.subject.startswith(f"{subject} ")


def judge(findings: Sequence[Finding], declarations: Declarations, versions: dict[str, str]) -> Judged:
    """``findings`` of one cell (``versions``: client, server, python) after the declarations."""
    outside = [a for a in declarations.applies if not a.when.matches(versions)]
    known = [k for k in declarations.known if k.when.matches(versions)]
    result: list[Finding] = []
    occurred: set[int] = set()
    counted_known = skipped = 0
    for finding in findings:
        if not finding.failed:
            result.append(finding)
            continue
        rule = next((a for a in outside if a.family == finding.check and _covers(a.subject, finding)), None)
        if rule is not None:
            skipped += 1
            result.append(
                replace(
                    finding,
                    outcome=Outcome.SKIPPED,
                    message=f"not applicable ({rule.when}): {finding.message}",
                )
            )
            continue
        index = next(
            (i for i, k in enumerate(known) if k.family == finding.check and _covers(k.subject, finding)),
            None,
        )
        if index is None:
            result.append(finding)
            continue
        occurred.add(index)
        counted_known += 1
        result.append(
            replace(
                finding,
                outcome=Outcome.PASSED,
                severity=Severity.INFO,
                message=f"known difference ({known[index].when}: {known[index].reason}): {finding.message}",
            )
        )
    # A family with an infrastructure error (exit 2) did not run all its items: a known difference that
    # did not occur there says nothing, and reporting it as gone would bury the real problem.
    errored = {f.check for f in findings if f.outcome is Outcome.ERROR}
    families = {f.check for f in findings} - errored
    for index, difference in enumerate(known):
        if index not in occurred and difference.family in families:
            result.append(gone_finding(difference, versions))
    return Judged(tuple(result), counted_known, skipped)


def gone_finding(difference: KnownDifference, versions: dict[str, str]) -> Finding:
    """The failure of a known difference that did not occur in the cell ``versions``."""
    cell = ", ".join(f"{axis} {versions[axis]}" for axis in AXES if axis in versions)
    return Finding(
        check=difference.family,
        rule=KNOWN_DIFFERENCE_GONE,
        subject=difference.subject,
        message=(
            f"the known difference declared for {difference.when} ({difference.reason}) did not occur with "
            f"{cell}: the item passes there now"
        ),
        location=difference.where,
        fix="narrow the declaration's version range, or remove it if the difference is gone everywhere",
    )


def _where(location: Location | None, root: Path | None) -> str:
    if location is None:
        return ""
    if root is None:
        return str(location)
    # Named from ``root`` (the repository), wherever the contracts were read from.
    with contextlib.suppress(ValueError):
        location = Location(str(Path(location.file).resolve().relative_to(root.resolve())), location.line)
    return str(location)


def declared_rows(
    declarations: Declarations, root: Path | None = None
) -> list[tuple[str, str, str, str, str]]:
    """(family, subject, versions, reason, where) of every known difference and applicability, sorted;
    ``where`` relative to ``root`` when given."""
    rows = [(k.family, k.subject, str(k.when), k.reason, _where(k.where, root)) for k in declarations.known]
    rows += [
        (a.family, a.subject, str(a.when), "applies only there", _where(a.where, root))
        for a in declarations.applies
    ]
    return sorted(rows)
