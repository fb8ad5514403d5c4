"""The consumer contract's positive check: run the SDK's real calls through a recording proxy, then check
every recorded exchange against the contract. This is what catches a server upgrade that drops or renames
a field the SDK reads.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.workers import run_worker
from hokusai_contracts.checks.http import sdk_flow
from hokusai_contracts.checks.http.consumer import check_exchanges
from hokusai_contracts.checks.http.document import load_document
from hokusai_contracts.checks.http.rules import CONSUMER_FIELD_MISSING, finding, malformed
from hokusai_contracts.findings import Finding, Location
from hokusai_contracts.servers.proxy import Exchange, recording_proxy

FLOW_TIMEOUT_S = 240.0
_OUTPUT_TAIL = 3000
# The flow must reach the proxy only: inherited MLflow settings would point it elsewhere.
_CLEARED_PREFIXES = ("MLFLOW_", "HOKUSAI_")


@dataclass(frozen=True)
class Recording:
    """What running the SDK flow produced: the exchanges and how the process ended."""

    exchanges: tuple[Exchange, ...]
    returncode: int
    output: str  # stdout and stderr tail (masked by whoever reports it)
    model_name: str

    @property
    def ok(self) -> bool:
        """True when every SDK call of the flow succeeded."""
        return self.returncode == 0


def flow_environment(workdir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The flow's environment: no inherited MLflow/Hokusai settings, a private HOKUSAI_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}
    env["HOKUSAI_HOME"] = str(workdir / "hokusai-home")
    env["HOME"] = str(workdir)  # MLflow and the SDK write caches under ~
    env["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class FlowRequest:
    """What :mod:`sdk_flow` needs: the tracking URI (the proxy), a unique model name, a directory."""

    tracking_uri: str
    name: str
    workdir: str


def record_sdk_flow(
    upstream: str,
    *,
    python: str | None = None,
    workdir: Path | None = None,
    environment: Mapping[str, str] | None = None,
    timeout: float = FLOW_TIMEOUT_S,
) -> Recording:
    """Run :mod:`sdk_flow` in ``python`` with its tracking URI on a recording proxy to ``upstream``."""
    name = f"hokusai-http-contract-{uuid.uuid4().hex[:10]}"
    with processes.temp_dir("http-flow") as scratch:
        directory = workdir or scratch
        directory.mkdir(parents=True, exist_ok=True)
        with recording_proxy(upstream) as proxy:
            done = run_worker(
                sdk_flow.__file__,
                FlowRequest(proxy.url, name, str(directory)),
                what="the SDK flow",
                python=python,
                timeout=timeout,
                env=flow_environment(directory, environment),
                cwd=directory,
                merge_output=True,
            )
            exchanges = tuple(proxy.recording.snapshot())
    if done.timed_out:
        returncode, output = -1, f"the SDK flow did not finish within {timeout:.0f}s"
    else:
        returncode, output = done.returncode, done.stdout[-_OUTPUT_TAIL:]
    return Recording(exchanges, returncode, output, name)


def recording_findings(
    contract_path: Path | str, recording: Recording, base_url: str, secrets: Iterable[str] = ()
) -> list[Finding]:
    """Check a recording against the consumer contract at ``contract_path``."""
    try:
        document = load_document(contract_path)
    except ContractError as exc:
        return [malformed(exc)]
    secrets = tuple(secrets)
    findings = check_exchanges(document, recording.exchanges, base_url, secrets)
    if not recording.ok:
        findings.append(
            finding(
                CONSUMER_FIELD_MISSING,
                "sdk-flow",
                f"the SDK's own calls failed against {base_url} (exit code {recording.returncode}); the "
                "findings above name the exchanges that departed from the contract, if any",
                Location(str(contract_path)),
                details=recording.output,
                secrets=secrets,
            )
        )
    return findings


def check_recorded(
    contract_path: Path | str,
    base_url: str,
    *,
    python: str | None = None,
    environment: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> list[Finding]:
    """Run the SDK against the server at ``base_url`` and check what went over the wire."""
    recording = record_sdk_flow(base_url, python=python, environment=environment)
    return recording_findings(contract_path, recording, base_url, secrets)
