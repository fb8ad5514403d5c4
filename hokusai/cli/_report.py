"""The doctor's findings as data, and their text and JSON forms (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hokusai.cli._diagnosis import Diagnosis, Note

OK = "ok"
WARNING = "warning"
FAILED = "failed"
SKIPPED = "skipped"

_MARKS = {OK: "[ok]  ", WARNING: "[warn]", FAILED: "[FAIL]", SKIPPED: "[skip]"}


@dataclass(frozen=True)
class Check:
    """One check: ``status`` is ok / warning / failed / skipped; ``problem`` names the cause."""

    name: str
    status: str
    summary: str
    problem: str | None = None
    http_status: int | None = None
    fix: str | None = None
    details: tuple[str, ...] = ()

    @classmethod
    def failure(cls, name: str, diagnosis: Diagnosis, http_status: int | None = None, **extra: Any) -> Check:
        """A failed check from a :class:`Diagnosis`."""
        return cls(
            name,
            FAILED,
            diagnosis.summary,
            problem=diagnosis.problem,
            http_status=http_status,
            fix=diagnosis.fix,
            **extra,
        )

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        return {
            "status": self.status,
            "summary": self.summary,
            "problem": self.problem,
            "http_status": self.http_status,
            "fix": self.fix,
            "details": list(self.details),
        }


def access_word(check: Check | None) -> str:
    """How a read or write check ended, in one word or two: ok, forbidden, not authenticated, ..."""
    if check is None or check.status == SKIPPED:
        return "not checked"
    if check.status in (OK, WARNING):
        return "ok"
    return {"forbidden": "forbidden", "unauthenticated": "not authenticated"}.get(
        check.problem or "", "failed"
    )


@dataclass(frozen=True)
class DoctorReport:
    """Everything ``hokusai doctor`` found, in the order it was checked."""

    tracking_uri: str
    uri_source: str
    credential: str
    credential_kind: str
    credential_source: str
    versions: dict[str, str]
    checks: tuple[Check, ...] = ()
    notes: tuple[Note, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str) -> Check | None:
        """The check called ``name``, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(c.status != FAILED for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0 when everything is fine, 1 when something is wrong."""
        return 0 if self.ok else 1

    @property
    def access(self) -> str:
        """``read: ok, write: forbidden`` and the like."""
        return f"read: {access_word(self.check('read'))}, write: {access_word(self.check('write'))}"

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (secrets were never put in it)."""
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "tracking_uri": self.tracking_uri,
            "tracking_uri_source": self.uri_source,
            "credential": {
                "kind": self.credential_kind,
                "description": self.credential,
                "source": self.credential_source,
            },
            "access": {
                "read": access_word(self.check("read")),
                "write": access_word(self.check("write")),
            },
            "versions": dict(self.versions),
            "settings": dict(self.settings),
            "checks": {check.name: check.to_dict() for check in self.checks},
            "notes": [{"level": note.level, "text": note.text} for note in self.notes],
        }


def render_text(report: DoctorReport) -> str:
    """The report as the text ``hokusai doctor`` prints."""
    versions = ", ".join(f"{name} {value}" for name, value in report.versions.items())
    lines = [
        f"hokusai doctor ({versions})",
        "",
        f"Tracking URI:  {report.tracking_uri}",
        f"  from:        {report.uri_source}",
        f"Credential:    {report.credential}",
        f"  from:        {report.credential_source}",
    ]
    lines += [f"{key.capitalize() + ':':<15}{value}" for key, value in report.settings.items()]
    lines += ["", "Checks:"]
    width = max((len(c.name) for c in report.checks), default=0)
    for check in report.checks:
        lines.append(f"  {_MARKS[check.status]} {check.name:<{width}}  {check.summary}")
        indent = " " * (11 + width)
        lines += [f"{indent}{detail}" for detail in check.details]
        if check.fix and check.status in (FAILED, WARNING):
            lines += [f"{indent}fix: {fix}" for fix in check.fix.splitlines()]
    if report.notes:
        lines += ["", "Notes:"]
        lines += [f"  - {'warning: ' if n.level == WARNING else ''}{n.text}" for n in report.notes]
    failed = [c.name for c in report.checks if c.status == FAILED]
    lines.append("")
    if failed:
        lines.append(f"Result: {report.access} -> problem in: {', '.join(failed)} (exit code 1)")
    else:
        lines.append(f"Result: {report.access} -> everything is fine")
    return "\n".join(lines)
