"""Run a claim's code once, in a fresh interpreter of a replay environment, behind a recording proxy."""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.base.workers import WorkerRun, run_worker
from hokusai_contracts.repro import references
from hokusai_contracts.repro.literal_secrets import is_secret_name
from hokusai_contracts.repro.outcome import Outcome, RaisedException
from hokusai_contracts.repro.report import Claim, Environment
from hokusai_contracts.repro.sdk_env import SdkEnvironment
from hokusai_contracts.repro.servers import ProvisionedServer
from hokusai_contracts.repro.transcript import calls_of
from hokusai_contracts.servers.proxy import recording_proxy

WORKER = Path(__file__).with_name("claim_worker.py")
_OUTPUT_KEPT = 20_000
# Terminal colour codes (MLflow colours its warnings): noise in a ticket.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Passed through from the harness's environment: what any interpreter needs, nothing about MLflow.
_PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


@dataclass(frozen=True)
class ClaimInput:
    """Everything one run of a claim needs."""

    claim: Claim
    reporter: Environment
    environment: SdkEnvironment
    server: ProvisionedServer | None
    workdir: Path
    environ: Mapping[str, str]


def claim_variables(
    claim: Claim, reporter: Environment, provided: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[dict[str, str], list[references.Unresolved]]:
    """The report's and the claim's variables (the claim's win), references resolved."""
    variables = {**reporter.variables, **claim.variables}
    lines = {**reporter.variable_lines, **claim.variable_lines}
    return references.resolve(variables, provided, environ, lines)


def secret_values(
    variables: Mapping[str, str], raw: Mapping[str, str], provided: Mapping[str, str]
) -> set[str]:
    """The resolved values to mask: of secret-named variables, and of secret-named references."""
    found = {value for name, value in variables.items() if is_secret_name(name) and value}
    for name, template in raw.items():
        if any(is_secret_name(ref) for ref in references.names_in(template)):
            found.add(variables.get(name, ""))
    found.update(v for k, v in provided.items() if k in (references.API_KEY, references.MLFLOW_PASSWORD))
    return {value for value in found if value}


def _child_environment(
    home: Path, variables: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str]:
    env = {name: environ[name] for name in _PASSED_THROUGH if name in environ}
    # A fresh HOME keeps the machine's ~/.hokusai (stored keys, embedded store) out of the replay.
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", GIT_PYTHON_REFRESH="quiet", TMPDIR=str(home / "tmp"))
    env.update(variables)
    return env


@dataclass(frozen=True)
class ClaimRequest:
    """The claim worker's request: the file holding the claim's code."""

    code_path: str


def run_claim(given: ClaimInput) -> Outcome:
    """Run ``given.claim`` once and return what happened (texts masked)."""
    claim, server = given.claim, given.server
    home = given.workdir
    shutil.rmtree(home, ignore_errors=True)
    (home / "tmp").mkdir(parents=True)
    # The claim's directory is first on its sys.path: a name like claim_<id>.py shadows no real module.
    code_path = home / f"claim_{claim.id.replace('-', '_')}.py"
    code_path.write_text(claim.code, encoding="utf-8")
    with contextlib.ExitStack() as stack:
        proxy = stack.enter_context(recording_proxy(server.upstream_url)) if server else None
        provided = dict(server.provided) if server else {}
        if proxy is not None:
            provided[references.TRACKING_URI] = proxy.url + server.path_prefix
        variables, missing = claim_variables(claim, given.reporter, provided, given.environ)
        if missing:
            raise references.unresolved_error("the report", missing, provided)
        secrets = secret_values(variables, {**given.reporter.variables, **claim.variables}, provided)
        secrets.update(server.secrets if server else ())
        started = time.monotonic()
        # -s, not -I: the report's own PYTHON* variables apply; the harness passes none of its own.
        done = run_worker(
            WORKER,
            ClaimRequest(str(code_path)),
            what=f"claim {claim.id}",
            python=given.environment.python,
            timeout=claim.timeout,
            env=_child_environment(home, variables, given.environ),
            cwd=home,
            flags=("-s",),
            merge_output=True,
        )
        seconds = time.monotonic() - started
    transcript = calls_of(proxy.recording.snapshot(), secrets) if proxy else ()
    return _outcome(done, transcript, seconds, secrets)


def _outcome(done: WorkerRun, transcript: tuple, seconds: float, secrets: Iterable[str]) -> Outcome:
    secrets = tuple(secrets)

    def masked(text: str) -> str:
        return mask_secrets(text, secrets)

    output = masked(_ANSI.sub("", done.stdout[-_OUTPUT_KEPT:]))
    if done.timed_out:
        return Outcome(output=output, transcript=transcript, seconds=seconds, timed_out=True)
    if not done.answered:
        return Outcome(
            output=output,
            transcript=transcript,
            seconds=seconds,
            problem="the interpreter ended without a result (it crashed or was killed); see its output",
        )
    raised = done.records[-1].get("exception")
    if raised is None:
        return Outcome(output=output, transcript=transcript, seconds=seconds)
    exception = RaisedException(
        type=raised["type"],
        bases=tuple(raised["bases"]),
        message=masked(raised["message"]),
        status=raised.get("status"),
    )
    return Outcome(
        exception=exception,
        output=output,
        transcript=transcript,
        seconds=seconds,
        traceback=masked(raised.get("traceback", "")),
    )
