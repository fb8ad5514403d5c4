"""The replay as JSON, for tools: every run, check and HTTP call (secrets masked)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from hokusai_contracts.repro.outcome import Outcome
from hokusai_contracts.repro.render_markdown import mask_known, summary_line
from hokusai_contracts.repro.replay import EnvironmentRun, ReplayResult
from hokusai_contracts.repro.verdict import Judgement

FORMAT_VERSION = 1


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "exception": asdict(outcome.exception) if outcome.exception else None,
        "output": outcome.output,
        "traceback": outcome.traceback,
        "http": [
            {"method": c.method, "path": c.path, "status": c.status, "headers": dict(c.headers)}
            for c in outcome.transcript
        ],
        "seconds": round(outcome.seconds, 3),
        "timed_out": outcome.timed_out,
        "problem": outcome.problem,
    }


def _judgement(judgement: Judgement, outcome: Outcome) -> dict[str, Any]:
    return {
        "verdict": judgement.verdict,
        "evidence": judgement.evidence,
        "checks": [asdict(check) for check in judgement.checks],
        "outcome": _outcome(outcome),
    }


def _environment(run: EnvironmentRun) -> dict[str, Any]:
    environment = run.environment
    return {
        "role": run.role,
        "sdk": {
            "kind": environment.sdk.kind,
            "source": environment.sdk.value,
            "described_as": environment.sdk.described_as,
            "version": environment.sdk_version,
            "cache_key": environment.sdk_key,
        },
        "mlflow_client": environment.mlflow_client,
        "python": environment.python_version,
        "server": asdict(run.server) if run.server else None,
        "server_version": run.server_version,
        "server_seconds": round(run.server_seconds, 3),
        "environment_seconds": round(environment.seconds, 3),
        "claims_run": sorted(run.outcomes),
        "reused_from": run.reused_from,
    }


def replay_as_dict(result: ReplayResult) -> dict[str, Any]:
    """Plain data for :func:`render_json`."""
    report = result.report
    claims = []
    for claim_result in result.claims:
        claim = claim_result.claim
        runs = {
            run.role: _judgement(run.judgements[claim.id], run.outcomes[claim.id])
            for run in result.runs
            if claim.id in run.judgements
        }
        claims.append(
            {
                "id": claim.id,
                "title": claim.title,
                "verdict": claim_result.verdict,
                "against": claim_result.against_result,
                "observed": {k: v for k, v in asdict(claim.observed).items() if v is not None},
                "runs": runs,
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "report": report.report,
        "title": report.title,
        "file": report.file,
        "source": report.source,
        "started_at": result.started_at,
        "seconds": round(result.seconds, 3),
        "summary": summary_line(result),
        "reporter": {"python": report.reporter.python, "mlflow_client": report.reporter.mlflow_client},
        "environments": [_environment(run) for run in result.runs],
        "claims": claims,
        "notes": list(result.notes),
    }


def render_json(result: ReplayResult, secrets: Iterable[str] = ()) -> str:
    """The replay as indented JSON, secrets masked."""
    return mask_known(json.dumps(replay_as_dict(result), indent=2) + "\n", secrets)
