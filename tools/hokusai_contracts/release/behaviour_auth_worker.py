"""Worker: run OLD's auth scenarios with the SDK this process imports, against servers another process runs.

``python -m hokusai_contracts.release.behaviour_auth_worker REQUEST.json RESULT.json``: the request names the
auth directory, the scenarios to run and the servers (see :mod:`behaviour_auth_servers`); the result holds
one judged verdict per scenario, already masked by the auth judge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.checks.auth.family import run_scenarios
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.findings import Outcome
from hokusai_contracts.release.behaviour_auth_servers import attach_server


def server_source(descriptions: dict[str, dict[str, Any]]):
    """A server source over the described servers (each attached once)."""
    attached: dict[str, Any] = {}

    def source(kind: str) -> Any:
        if kind not in descriptions:
            raise InfrastructureError(f"no {kind} server was handed to the worker")
        if kind not in attached:
            attached[kind] = attach_server(kind, descriptions[kind])
        return attached[kind]

    return source


def _problem(message: str, description: str) -> str:
    """What went wrong, without the scenario's description the auth judge puts first."""
    description = description.strip()
    return message[len(description) :].strip() if message.startswith(description) else message


def main(argv: list[str]) -> int:
    """Run the requested scenarios and write their verdicts."""
    request_path, result_path = argv
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    wanted = set(request["scenarios"])
    scenarios = [s for s in load_dir(Path(request["auth_dir"])).scenarios if s.name in wanted]
    findings = run_scenarios(scenarios, server_source(request["servers"]))
    verdicts = [
        {
            "name": scenario.name,
            "passed": finding.outcome is Outcome.PASSED,
            "message": _problem(finding.message, scenario.description),
            "details": finding.details or "",
        }
        for scenario, finding in zip(scenarios, findings, strict=True)
    ]
    Path(result_path).write_text(json.dumps(verdicts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
