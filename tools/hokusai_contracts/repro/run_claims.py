"""Run a claim's code once, in a fresh interpreter of a replay environment, behind a recording proxy."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.checks.http.recorder import start_recording_proxy
from hokusai_contracts.repro import references
from hokusai_contracts.repro.literal_secrets import is_secret_name
from hokusai_contracts.repro.outcome import Outcome, RaisedException
from hokusai_contracts.repro.report import Claim, Environment
from hokusai_contracts.repro.sdk_env import SdkEnvironment
from hokusai_contracts.repro.servers import ProvisionedServer
from hokusai_contracts.repro.transcript import calls_of

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


def run_claim(given: ClaimInput) -> Outcome:
    """Run ``given.claim`` once and return what happened (texts masked)."""
    claim, server = given.claim, given.server
    home = given.workdir
    shutil.rmtree(home, ignore_errors=True)
    (home / "tmp").mkdir(parents=True)
    # The claim's directory is first on its sys.path: a name like claim_<id>.py shadows no real module.
    code_path = home / f"claim_{claim.id.replace('-', '_')}.py"
    result_path = home / "result.json"
    code_path.write_text(claim.code, encoding="utf-8")
    worker = home / "claim_worker.py"
    shutil.copy(WORKER, worker)
    proxy = start_recording_proxy(server.upstream_url) if server else None
    try:
        provided = dict(server.provided) if server else {}
        if proxy is not None:
            provided[references.TRACKING_URI] = proxy.url + server.path_prefix
        variables, missing = claim_variables(claim, given.reporter, provided, given.environ)
        if missing:
            raise references.unresolved_error("the report", missing, provided)
        secrets = secret_values(variables, {**given.reporter.variables, **claim.variables}, provided)
        secrets.update(server.secrets if server else ())
        # -s, not -I: the report's own PYTHON* variables apply; the harness passes none of its own.
        command = [given.environment.python, "-s", str(worker), str(code_path), str(result_path)]
        started = time.monotonic()
        output, timed_out = _execute(
            command, home, _child_environment(home, variables, given.environ), claim.timeout
        )
        seconds = time.monotonic() - started
    finally:
        if proxy is not None:
            proxy.stop()
    transcript = calls_of(proxy.recording.snapshot(), secrets) if proxy else ()
    return _outcome(result_path, output, transcript, seconds, timed_out, secrets)


def _execute(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[str, bool]:
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        out, _ = process.communicate(timeout=timeout)
        return out.decode(errors="replace"), False
    except subprocess.TimeoutExpired:
        # The claim may have started processes of its own: stop its whole group.
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        return out.decode(errors="replace"), True


def _outcome(
    result_path: Path, output: str, transcript: tuple, seconds: float, timed_out: bool, secrets: Iterable[str]
) -> Outcome:
    secrets = tuple(secrets)

    def masked(text: str) -> str:
        return mask_secrets(text, secrets)

    output = masked(_ANSI.sub("", output[-_OUTPUT_KEPT:]))
    if timed_out:
        return Outcome(output=output, transcript=transcript, seconds=seconds, timed_out=True)
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Outcome(
            output=output,
            transcript=transcript,
            seconds=seconds,
            problem="the interpreter ended without a result (it crashed or was killed); see its output",
        )
    raised = result.get("exception")
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
