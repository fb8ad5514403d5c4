"""JUnit XML report: one testsuite per check family, one testcase per finding subject.

The layout is the common denominator that Jenkins, GitLab, GitHub test reporters and Azure parse:
``testsuites > testsuite > testcase`` with at most one ``failure``, ``error`` or ``skipped`` child.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from hokusai_contracts.findings import Finding, Outcome, RunResult
from hokusai_contracts.reports.common import is_warning, masked
from hokusai_contracts.reports.text import finding_text

SUITES_NAME = "hokusai-contracts"

# Characters XML 1.0 forbids even when escaped; a stray control character must not break CI parsing.
_INVALID_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str | None) -> str:
    return _INVALID_XML.sub("\ufffd", text or "")


def _group_by_subject(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.subject, []).append(finding)
    return groups


def _testcase(check: str, subject: str, findings: list[Finding]) -> tuple[ET.Element, str | None]:
    """The testcase element for one subject, and which counter it adds to (None when it passed)."""
    case = ET.Element("testcase", classname=f"{SUITES_NAME}.{check}", name=_clean(subject), time="0")
    located = next((f.location for f in findings if f.location), None)
    if located:
        case.set("file", _clean(located.file))
        if located.line:
            case.set("line", str(located.line))
    errors = [f for f in findings if f.outcome is Outcome.ERROR]
    failures = [f for f in findings if f.failed and f.outcome is Outcome.FAILED]
    counter = None
    for tag, group in (("error", errors), ("failure", failures)):
        if group:
            first = group[0]
            element = ET.SubElement(
                case, tag, message=_clean(f"{first.rule}: {first.message}"), type=first.rule
            )
            element.text = _clean("\n\n".join(finding_text(f, secrets=()) for f in group))
            counter = "errors" if tag == "error" else "failures"
            break
    if counter is None and all(f.outcome is Outcome.SKIPPED for f in findings):
        ET.SubElement(case, "skipped", message=_clean(findings[0].message))
        counter = "skipped"
    notes = [f for f in findings if is_warning(f)]
    if notes:
        notes_text = "\n\n".join(finding_text(f, secrets=()) for f in notes)
        ET.SubElement(case, "system-out").text = _clean(notes_text)
    return case, counter


def _suite(name: str, cases: list[tuple[ET.Element, str | None]], properties: dict[str, str]) -> ET.Element:
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for _, counter in cases:
        if counter:
            counts[counter] += 1
    suite = ET.Element("testsuite", name=name, tests=str(len(cases)), time="0")
    suite.attrib.update({key: str(value) for key, value in counts.items()})
    if properties:
        props = ET.SubElement(suite, "properties")
        for key, value in properties.items():
            ET.SubElement(props, "property", name=key, value=_clean(value))
    suite.extend(case for case, _ in cases)
    return suite


def build(result: RunResult, known_secrets: Iterable[str] = ()) -> ET.Element:
    """The ``testsuites`` element of ``result`` (masked)."""
    result = masked(result, known_secrets)
    properties = {k: v for k, v in (("sdk_version", result.sdk_version), ("server", result.server)) if v}
    by_check: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_check.setdefault(finding.check, []).append(finding)
    suites = [
        _suite(check, [_testcase(check, s, fs) for s, fs in _group_by_subject(findings).items()], properties)
        for check, findings in sorted(by_check.items())
    ]
    if result.infrastructure_error:
        case = ET.Element("testcase", classname=f"{SUITES_NAME}.harness", name="infrastructure", time="0")
        error = ET.SubElement(
            case, "error", message=_clean(result.infrastructure_error), type="infrastructure"
        )
        error.text = _clean(result.infrastructure_error)
        suites.append(_suite("harness", [(case, "errors")], properties))
    if result.server_events:
        # A run that passed after a restart must say so: a passing harness testcase whose output lists them.
        case = ET.Element("testcase", classname=f"{SUITES_NAME}.harness", name="server events", time="0")
        ET.SubElement(case, "system-out").text = _clean("\n".join(e.line() for e in result.server_events))
        events = {"server_events": "; ".join(e.line() for e in result.server_events)}
        suites.append(_suite("harness", [(case, None)], {**properties, **events}))
    root = ET.Element("testsuites", name=SUITES_NAME, time=f"{result.duration_s:.3f}")
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in suites)))
    if suites:
        # The run's duration belongs to no single family; CI tools add suite times up, so put it once.
        suites[0].set("time", f"{result.duration_s:.3f}")
    root.extend(suites)
    return root


def render(result: RunResult, known_secrets: Iterable[str] = ()) -> str:
    """The JUnit XML document of ``result``."""
    root = build(result, known_secrets)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
