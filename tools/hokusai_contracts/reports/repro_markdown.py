"""A bug-report replay as Markdown a person pastes into the ticket: verdicts first, evidence after."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hokusai_contracts.base.masking import MASK, mask_api_key
from hokusai_contracts.reports.repro_model import ClaimFacts, ClaimRun, EnvironmentFacts, ReproReport

# Verdicts (and --against results) that mean the reported problem showed: shown in bold.
SHOWN_IN_BOLD = ("reproduced", "fixed")
AGAINST = "against"
REPORTER = "reporter"
_OUTPUT_LINES = 12
_TRACEBACK_LINES = 10
# Where replay environments keep an installed SDK: shortened to <sdk>/ in tracebacks.
_SDK_SITE = re.compile(r"/[^\s\"']*/repro/sdk/[^/\s]+/site/")
# The scratch directory a claim ran in: its code file reads better by its name alone.
_CLAIM_DIR = re.compile(r"/[^\s\"']*/hokusai-repro-[^/\s]+/[^/\s]+/[^/\s]+/")
# Python's error-location markers under a traceback line carry nothing a reader of a ticket needs.
_CARETS = re.compile(r"^\s*[\^~]+\s*$")


def mask_known(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each known secret value replaced (captured texts were pattern-masked already;
    patterns would mangle the reporter's code, which holds no literal secret by construction)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        masked = mask_api_key(secret)
        text = text.replace(secret, masked if masked != MASK else MASK)
    return text


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _fence(text: str, language: str = "") -> list[str]:
    fence = "````" if "```" in text else "```"
    return [f"{fence}{language}", text.rstrip("\n"), fence]


def _tail(text: str, lines: int) -> tuple[str, int]:
    kept = text.rstrip().splitlines()
    return "\n".join(kept[-lines:]), max(0, len(kept) - lines)


def _verdict(verdict: str) -> str:
    return f"**{verdict}**" if verdict in SHOWN_IN_BOLD else verdict


def _display_paths(text: str) -> str:
    return _CLAIM_DIR.sub("", _SDK_SITE.sub("<sdk>/", text))


def render(report: ReproReport, known_secrets: Iterable[str] = ()) -> str:
    """The whole replay as Markdown; the findings' texts pattern-masked, every known secret replaced."""
    secrets = tuple(known_secrets)
    report = report.masked(secrets)
    lines = [
        f"## Bug report replay: {report.title}",
        "",
        f"Report `{report.report}` ({report.file})" + (f", from: {report.source}" if report.source else ""),
        f"Replayed {report.started_at} with `hokusai-contracts repro` in {report.seconds:.1f} s.",
        "",
        f"**Verdicts: {report.summary()}.**",
        "",
        *_verdict_table(report.claims),
        "",
        "### Environments",
        "",
        *_environment_table(report),
    ]
    for note in report.notes:
        lines += ["", f"Note: {note}"]
    for number, claim in enumerate(report.claims, start=1):
        lines += ["", *_claim_section(number, claim)]
    return mask_known(_display_paths("\n".join(lines) + "\n"), secrets)


def _verdict_table(claims: tuple[ClaimFacts, ...]) -> list[str]:
    against = any(claim.against for claim in claims)
    head = "| # | Claim | Verdict | Evidence |" + (" --against |" if against else "")
    rule = "|---|---|---|---|" + ("---|" if against else "")
    rows = [head, rule]
    for number, claim in enumerate(claims, start=1):
        cells = [str(number), f"`{claim.id}`: {_cell(claim.title)}", _verdict(claim.verdict)]
        cells.append(_cell(claim.finding.message))
        if against:
            cells.append(_verdict(claim.against or ""))
        rows.append(_row(*cells))
    return rows


def _environment_table(report: ReproReport) -> list[str]:
    runs = list(report.environments)
    rows = ["| | " + " | ".join(run.title for run in runs) + " |", "|---|" + "---|" * len(runs)]

    def row(label: str, values: Iterable[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(_cell(v) for v in values) + " |")

    def sdk(run: EnvironmentFacts) -> str:
        text = f"{run.sdk.version or 'unknown version'} from {run.sdk.label}"
        described = run.sdk.described_as
        if not described:
            return text
        return text + (f" (reported as: {described})" if run.role == REPORTER else f" ({described})")

    def python(run: EnvironmentFacts) -> str:
        wanted = report.reporter_python
        same = run.python == wanted or run.python.startswith(wanted + ".")
        return run.python if run.role != REPORTER or same else f"{run.python} (reported: {wanted})"

    def claims_run(run: EnvironmentFacts) -> str:
        count = len(run.claims_run)
        text = "all" if count == len(report.claims) else f"{count} (the reproduced ones)"
        return text + (f"; results reused from {run.reused_from}" if run.reused_from else "")

    row("SDK", (sdk(run) for run in runs))
    row("MLflow client", (run.mlflow_client for run in runs))
    row("Python", (python(run) for run in runs))
    row("Server", (run.server_label or "none (the claims need no server)" for run in runs))
    row("Claims run", (claims_run(run) for run in runs))
    return rows


def _claim_section(number: int, claim: ClaimFacts) -> list[str]:
    lines = [f"### {number}. `{claim.id}`: {claim.title} ({_verdict(claim.verdict)})", ""]
    if claim.reported_as:
        lines += [f"> {' '.join(claim.reported_as.split())}", ""]
    lines += [f"Reporter observed: {claim.observed_text}.", "", *_fence(claim.code, "python"), ""]
    lines += ["| Run | Result | Evidence | Time |", "|---|---|---|---|"]
    for run in claim.runs:
        result = claim.against if run.role == AGAINST and claim.against else run.verdict
        lines.append(_row(run.title, _verdict(result), _cell(run.evidence), f"{run.seconds:.1f} s"))
    for run in claim.runs:
        lines += ["", *_run_evidence(run, len(claim.runs) > 1)]
    return lines


def _run_evidence(run: ClaimRun, named: bool) -> list[str]:
    where = f" ({run.title})" if named else ""
    checks = "; ".join(
        f"{check.field} {check.expected!r}: {'matches' if check.matched else 'got ' + repr(check.actual)}"
        for check in run.checks
    )
    lines = [f"Checks{where}: {checks}."]
    if run.calls:
        width = max(len(f"{call.method} {call.path}") for call in run.calls)
        calls = []
        for call in run.calls:
            headers = "  ".join(f"{name}: {value}" for name, value in call.headers)
            calls.append(f"{call.method} {call.path}".ljust(width) + f"  {call.status}  {headers}".rstrip())
        lines += ["", f"HTTP calls the SDK made{where}:", "", *_fence("\n".join(calls))]
    if run.exception is not None:
        frames = "\n".join(line for line in run.traceback.splitlines() if not _CARETS.match(line))
        traceback, _ = _tail(frames, _TRACEBACK_LINES)
        lines += [
            "",
            f"Exception{where}:",
            "",
            *_fence(traceback or f"{run.exception.type}: {run.exception.message}"),
        ]
    if run.output.strip():
        output, hidden = _tail(run.output, _OUTPUT_LINES)
        more = f" (last {_OUTPUT_LINES} lines; {hidden} more before)" if hidden else ""
        lines += ["", f"Output{where}{more}:", "", *_fence(output)]
    if run.problem:
        lines += ["", f"Problem{where}: {run.problem}"]
    return lines
