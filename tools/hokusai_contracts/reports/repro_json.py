"""A bug-report replay as JSON, for tools: the run report of its findings (:mod:`.json_report`: one
finding per claim) plus every environment, run, check and HTTP call (secrets masked)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from hokusai_contracts.reports import json_report
from hokusai_contracts.reports.repro_markdown import mask_known
from hokusai_contracts.reports.repro_model import ClaimFacts, ClaimRun, EnvironmentFacts, ReproReport

FORMAT_VERSION = 1


def _run(run: ClaimRun) -> dict[str, Any]:
    return {
        "verdict": run.verdict,
        "evidence": run.evidence,
        "checks": [asdict(check) for check in run.checks],
        "outcome": {
            "exception": asdict(run.exception) if run.exception else None,
            "output": run.output,
            "traceback": run.traceback,
            "http": [
                {"method": c.method, "path": c.path, "status": c.status, "headers": dict(c.headers)}
                for c in run.calls
            ],
            "seconds": round(run.seconds, 3),
            "timed_out": run.timed_out,
            "problem": run.problem,
        },
    }


def _environment(run: EnvironmentFacts) -> dict[str, Any]:
    return {
        "role": run.role,
        "sdk": {
            "kind": run.sdk.kind,
            "source": run.sdk.source,
            "described_as": run.sdk.described_as,
            "version": run.sdk.version,
            "cache_key": run.sdk.cache_key,
        },
        "mlflow_client": run.mlflow_client,
        "python": run.python,
        "server": dict(run.server) if run.server is not None else None,
        "server_version": run.server_version,
        "server_seconds": round(run.server_seconds, 3),
        "environment_seconds": round(run.environment_seconds, 3),
        "claims_run": sorted(run.claims_run),
        "reused_from": run.reused_from,
    }


def _claim(claim: ClaimFacts) -> dict[str, Any]:
    return {
        "id": claim.id,
        "title": claim.title,
        "verdict": claim.verdict,
        "against": claim.against,
        "observed": dict(claim.observed),
        "runs": {run.role: _run(run) for run in claim.runs},
    }


def to_dict(report: ReproReport, known_secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The run report of the replay's findings (masked), with the replay's own fields after it."""
    known = tuple(known_secrets)
    report = report.masked(known)
    return {
        **json_report.to_dict(report.run_result(), known),
        "format_version": FORMAT_VERSION,
        "report": report.report,
        "title": report.title,
        "file": report.file,
        "source": report.source,
        "started_at": report.started_at,
        "seconds": round(report.seconds, 3),
        "summary": report.summary(),
        "reporter": {"python": report.reporter_python, "mlflow_client": report.reporter_mlflow_client},
        "environments": [_environment(run) for run in report.environments],
        "claims": [_claim(claim) for claim in report.claims],
        "notes": list(report.notes),
    }


def render(report: ReproReport, known_secrets: Iterable[str] = ()) -> str:
    """The replay as indented JSON; every known secret replaced wherever it appears."""
    secrets = tuple(known_secrets)
    return mask_known(json.dumps(to_dict(report, secrets), indent=2) + "\n", secrets)
