"""The replay as Markdown a person pastes into the ticket: verdicts first, evidence after."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from hokusai_contracts.base.masking import MASK, mask_api_key
from hokusai_contracts.repro.outcome import Outcome
from hokusai_contracts.repro.replay import ROLE_TITLES, ClaimResult, EnvironmentRun, ReplayResult
from hokusai_contracts.repro.report import Claim
from hokusai_contracts.repro.verdict import ENVIRONMENT_SPECIFIC, FIXED, REPRODUCED, VERDICTS, Judgement

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
    return f"**{verdict}**" if verdict in (REPRODUCED, FIXED) else verdict


def summary_line(result: ReplayResult) -> str:
    """E.g. ``1 reproduced, 3 not reproduced`` (and the --against tally when there is one)."""
    counts = Counter(claim.verdict for claim in result.claims)
    text = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    against = Counter(claim.against_result for claim in result.claims if claim.against_result)
    if against:
        text += "; with --against: " + ", ".join(f"{n} {what}" for what, n in sorted(against.items()))
    return text


def render_markdown(result: ReplayResult, secrets: Iterable[str] = ()) -> str:
    """The whole report as Markdown, secrets masked."""
    report = result.report
    lines = [
        f"## Bug report replay: {report.title}",
        "",
        f"Report `{report.report}` ({report.file})" + (f", from: {report.source}" if report.source else ""),
        f"Replayed {result.started_at} with `hokusai-contracts repro` in {result.seconds:.1f} s.",
        "",
        f"**Verdicts: {summary_line(result)}.**",
        "",
        *_verdict_table(result),
        "",
        "### Environments",
        "",
        *_environment_table(result),
    ]
    for note in result.notes:
        lines += ["", f"Note: {note}"]
    for number, claim in enumerate(result.claims, start=1):
        lines += ["", *_claim_section(number, claim, result)]
    return mask_known(_display_paths("\n".join(lines) + "\n"), secrets)


def _display_paths(text: str) -> str:
    return _CLAIM_DIR.sub("", _SDK_SITE.sub("<sdk>/", text))


def claim_evidence(claim: ClaimResult) -> str:
    """The one sentence that explains a claim's verdict (both runs for an environment-specific one)."""
    if claim.verdict == ENVIRONMENT_SPECIFIC and claim.current is not None:
        reporter, current = claim.reporter.evidence, claim.current.evidence
        return f"Reporter's environment: {reporter}. Current SDK and server: {current}"
    return claim.reporter.evidence


def _verdict_table(result: ReplayResult) -> list[str]:
    against = any(claim.against_result for claim in result.claims)
    head = "| # | Claim | Verdict | Evidence |" + (" --against |" if against else "")
    rule = "|---|---|---|---|" + ("---|" if against else "")
    rows = [head, rule]
    for number, claim in enumerate(result.claims, start=1):
        evidence = claim_evidence(claim)
        cells = [str(number), f"`{claim.claim.id}`: {_cell(claim.claim.title)}", _verdict(claim.verdict)]
        cells.append(_cell(evidence))
        if against:
            cells.append(_verdict(claim.against_result or ""))
        rows.append(_row(*cells))
    return rows


def _environment_table(result: ReplayResult) -> list[str]:
    runs = list(result.runs)
    reporter = result.report.reporter
    rows = ["| | " + " | ".join(ROLE_TITLES[run.role] for run in runs) + " |", "|---|" + "---|" * len(runs)]

    def row(label: str, values: Iterable[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(_cell(v) for v in values) + " |")

    def sdk(run: EnvironmentRun) -> str:
        text = f"{run.environment.sdk_version or 'unknown version'} from {run.environment.sdk.label()}"
        described = run.environment.sdk.described_as
        if not described:
            return text
        return text + (f" (reported as: {described})" if run.role == "reporter" else f" ({described})")

    def python(run: EnvironmentRun) -> str:
        used = run.environment.python_version
        same = used == reporter.python or used.startswith(reporter.python + ".")
        return used if run.role != "reporter" or same else f"{used} (reported: {reporter.python})"

    def server(run: EnvironmentRun) -> str:
        return run.server.label() if run.server else "none (the claims need no server)"

    row("SDK", (sdk(run) for run in runs))
    row("MLflow client", (run.environment.mlflow_client for run in runs))
    row("Python", (python(run) for run in runs))
    row("Server", (server(run) for run in runs))
    row("Claims run", (_claims_run(run, result) for run in runs))
    return rows


def _claims_run(run: EnvironmentRun, result: ReplayResult) -> str:
    count = len(run.outcomes)
    text = "all" if count == len(result.claims) else f"{count} (the reproduced ones)"
    return text + (f"; results reused from {run.reused_from}" if run.reused_from else "")


def _claim_section(number: int, result: ClaimResult, replay: ReplayResult) -> list[str]:
    claim = result.claim
    lines = [f"### {number}. `{claim.id}`: {claim.title} ({_verdict(result.verdict)})", ""]
    if claim.reported_as:
        lines += [f"> {' '.join(claim.reported_as.split())}", ""]
    lines += [f"Reporter observed: {claim.observed.describe()}.", "", *_fence(claim.code, "python"), ""]
    lines += ["| Run | Result | Evidence | Time |", "|---|---|---|---|"]
    judged = _judged_runs(claim, replay)
    for run, judgement in judged:
        outcome = run.outcomes[claim.id]
        result_text = judgement.verdict
        if run.role == "against" and result.against_result:
            result_text = result.against_result
        lines.append(
            _row(
                ROLE_TITLES[run.role],
                _verdict(result_text),
                _cell(judgement.evidence),
                f"{outcome.seconds:.1f} s",
            )
        )
    for run, judgement in judged:
        lines += ["", *_run_evidence(run, judgement, run.outcomes[claim.id], len(judged) > 1)]
    return lines


def _judged_runs(claim: Claim, replay: ReplayResult) -> list[tuple[EnvironmentRun, Judgement]]:
    return [(run, run.judgements[claim.id]) for run in replay.runs if claim.id in run.judgements]


def _run_evidence(run: EnvironmentRun, judgement: Judgement, outcome: Outcome, named: bool) -> list[str]:
    where = f" ({ROLE_TITLES[run.role]})" if named else ""
    checks = "; ".join(
        f"{check.field} {check.expected!r}: {'matches' if check.matched else 'got ' + repr(check.actual)}"
        for check in judgement.checks
    )
    lines = [f"Checks{where}: {checks}."]
    if outcome.transcript:
        width = max(len(f"{call.method} {call.path}") for call in outcome.transcript)
        calls = []
        for call in outcome.transcript:
            headers = "  ".join(f"{name}: {value}" for name, value in call.headers)
            calls.append(f"{call.method} {call.path}".ljust(width) + f"  {call.status}  {headers}".rstrip())
        lines += ["", f"HTTP calls the SDK made{where}:", "", *_fence("\n".join(calls))]
    if outcome.exception is not None:
        frames = "\n".join(line for line in outcome.traceback.splitlines() if not _CARETS.match(line))
        traceback, _ = _tail(frames, _TRACEBACK_LINES)
        lines += [
            "",
            f"Exception{where}:",
            "",
            *_fence(traceback or f"{outcome.exception.type}: {outcome.exception.message}"),
        ]
    if outcome.output.strip():
        output, hidden = _tail(outcome.output, _OUTPUT_LINES)
        more = f" (last {_OUTPUT_LINES} lines; {hidden} more before)" if hidden else ""
        lines += ["", f"Output{where}{more}:", "", *_fence(output)]
    if outcome.problem:
        lines += ["", f"Problem{where}: {outcome.problem}"]
    return lines
