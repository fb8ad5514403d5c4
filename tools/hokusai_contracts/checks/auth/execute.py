"""Run scenarios, the harness's side: variables, files and setup here; the SDK call in the target interpreter.

For each scenario the harness resolves its variables, writes its files and config profiles, runs its
setup steps and starts a recording proxy in front of its server; the calls of a batch then go to one
:mod:`worker` process in the interpreter under test, which makes each in a fresh process and answers
what the user would have seen. The proxy's log says what reached the server.

``RunOptions.hook`` (a :class:`~worker.Hook`) is the seam for deliberate regressions in the harness's own
tests: the worker loads it in the call's process, where it may wrap, alter or replace the call.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.base.workers import WorkerRun, run_worker, tail
from hokusai_contracts.checks.auth import worker
from hokusai_contracts.checks.auth.model import Observation, RecordedRequest, Resilience, Scenario
from hokusai_contracts.checks.auth.servers import (
    ServerHandle,
    ServerSource,
    requests_seen,
    unknown_key,
    wrong_password,
)
from hokusai_contracts.checks.auth.setup_steps import run_setup
from hokusai_contracts.checks.auth.variables import is_secret, references, substitute
from hokusai_contracts.checks.auth.worker import FORK, Call, Hook, Request
from hokusai_contracts.servers.proxy import RecordingProxy, recording_proxy

WORKER = Path(worker.__file__)
WHAT = "the auth scenario worker"
STARTUP_S = 120.0  # the worker's own start (importing MLflow) on a busy machine
# Variables that would point the worker's own start somewhere: each call sets its own.
_DROPPED_PREFIXES = ("MLFLOW_", "HOKUSAI_")
_KEPT_PREFIX = "HOKUSAI_CONTRACTS_"


@dataclass(frozen=True)
class RunOptions:
    """Where the SDK under test is and how calls are made.

    ``python``: an interpreter or venv (None: this one); ``extra_paths``: put first on its PYTHONPATH;
    ``isolation``: ``fork`` (default where it exists) or ``spawn`` a fresh process per call.
    """

    python: str | None = None
    extra_paths: tuple[str, ...] = ()
    hook: Hook | None = None
    isolation: str = FORK


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario, what running it observed, and its secrets by variable name (for the leak check)."""

    scenario: Scenario
    observation: Observation
    secrets: Mapping[str, str]


@dataclass(frozen=True)
class NotSupported:
    """The SDK under test lacks something the scenario needs (``reason`` says what)."""

    scenario: Scenario
    reason: str


@dataclass(frozen=True)
class RunError:
    """The scenario could not run: a server, a setup step, the worker or the harness failed."""

    scenario: Scenario
    message: str
    fix: str = "fix the environment named in the message, then run again"
    details: str | None = None


Result = ScenarioRun | NotSupported | RunError


@dataclass
class Prepared:
    """A scenario ready for its call: its server, its running proxy, its variables and the call."""

    scenario: Scenario
    handle: ServerHandle
    proxy: RecordingProxy
    values: dict[str, str]
    call: Call


def referenced(scenario: Scenario) -> set[str]:
    """Every variable the scenario uses (setup steps name key variables bare)."""
    names = set(references([scenario.env, scenario.args, scenario.config_file, scenario.files]))
    names |= set(references(scenario.call_args))
    for step in scenario.setup:
        names |= {step.argument} if step.action == "exhaust_rate_limit" else set(references(step.argument))
    return names


def scenario_values(
    scenario: Scenario, handle: ServerHandle, proxy_url: str, workdir: Path
) -> dict[str, str]:
    """The value of every variable the scenario may use (server secrets only when referenced)."""
    values = {
        "UNIQUE": f"auth-{scenario.name}-{uuid.uuid4().hex[:8]}",
        "TMP": str(workdir),
        "TRACKING_URI": proxy_url + handle.tracking_path,
        "KEY_UNKNOWN": unknown_key(),
        "WRONG_PASSWORD": wrong_password(),
    }
    if handle.is_gateway:
        values["API_URL"] = proxy_url
    values.update(handle.variables(sorted(referenced(scenario) - set(values))))
    return values


def write_config_file(home: Path, profiles: Mapping[str, Mapping[str, str]]) -> None:
    """``~/.hokusai/config`` with the scenario's profiles (mode 0600, as the SDK writes it)."""
    if not profiles:
        return
    parser = configparser.ConfigParser(interpolation=None)
    for profile, entries in profiles.items():
        parser[profile] = {key: value for key, value in entries.items() if value}
    path = home / ".hokusai" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        parser.write(handle)
    path.chmod(0o600)


def write_model_folder(folder: Path) -> Path:
    """The smallest MLflow model folder the registry accepts (an ``MLmodel`` file)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLmodel").write_text("flavors: {}\n", encoding="utf-8")
    return folder


def scenario_secrets(values: Mapping[str, str], handle: ServerHandle) -> dict[str, str]:
    """The secrets to look for, by the name a finding may print: the scenario's, then the server's."""
    secrets = {name: value for name, value in values.items() if is_secret(name)}
    others = [value for value in handle.secrets() if value not in secrets.values()]
    secrets.update({f"a server secret (#{number})": value for number, value in enumerate(others, 1)})
    return secrets


def prepare(
    scenario: Scenario, handle: ServerHandle, proxy: RecordingProxy, values: Mapping[str, str]
) -> None:
    """Write the scenario's files and config profiles, and run (or schedule) its setup steps."""
    workdir = Path(values["TMP"])
    (workdir / "home").mkdir()
    for name, content in scenario.files.items():
        (workdir / name).write_text(substitute(content, values), encoding="utf-8")
    write_config_file(workdir / "home", substitute(scenario.config_file, values))
    # A rate limit is spent when the call's first request arrives: the SDK's first imports can take
    # longer than the gateway needs to refill a token.
    deferred = [step for step in scenario.setup if step.action == "exhaust_rate_limit"]
    run_setup(handle, tuple(step for step in scenario.setup if step not in deferred), values)
    for step in deferred:
        proxy.before_first_request(functools.partial(run_setup, handle, (step,), values))


def call_of(scenario: Scenario, values: Mapping[str, str], hook: Hook | None) -> Call:
    """What the worker needs to make the scenario's call as the user would."""
    workdir = Path(values["TMP"])
    env, args = substitute(scenario.env, values), substitute(scenario.args, values)
    return Call(
        name=scenario.name,
        operation=scenario.operation,
        workdir=str(workdir),
        home=str(workdir / "home"),
        env=env,
        args=args,
        call_args=substitute(scenario.call_args, values),
        unique=values["UNIQUE"],
        model_dir=str(write_model_folder(workdir / "model")),
        resilience=dataclasses.asdict(scenario.resilience),
        resilience_required=scenario.resilience != Resilience(),
        tracking_uri=str(env.get("MLFLOW_TRACKING_URI") or args.get("tracking_uri") or ""),
        circuit=scenario.expect.circuit,
        hook=hook,
    )


def start(
    scenario: Scenario, source: ServerSource, stack: contextlib.ExitStack, hook: Hook | None
) -> Prepared:
    """The scenario's server, a proxy in front of it, its files and setup done: ready for the call."""
    handle = ServerHandle(scenario.server, source(scenario.server))
    workdir = Path(tempfile.mkdtemp(prefix=f"hokusai-auth-{scenario.name[:40]}-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    proxy = stack.enter_context(recording_proxy(handle.url))
    values = scenario_values(scenario, handle, proxy.url, workdir)
    prepare(scenario, handle, proxy, values)
    return Prepared(scenario, handle, proxy, values, call_of(scenario, values, hook))


def crashed(scenario: Scenario, exc: BaseException) -> RunError:
    """A harness bug met while running ``scenario``, with its traceback."""
    return RunError(
        scenario,
        f"the harness crashed running the scenario: {type(exc).__name__}: {exc}",
        "this is a bug in the harness; report it with the details below",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    )


def worker_environment() -> dict[str, str]:
    """The worker's environment: ours without the SDK's and MLflow's settings (each call sets its own)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_DROPPED_PREFIXES) or name.startswith(_KEPT_PREFIX)
    }


def ask(calls: Sequence[Call], options: RunOptions, scratch: Path) -> WorkerRun:
    """Run the worker on ``calls`` in the target interpreter (a fresh process per call)."""
    return run_worker(
        WORKER,
        Request(list(calls), options.isolation),
        what=WHAT,
        python=options.python,
        timeout=STARTUP_S + sum(call.timeout_s for call in calls),
        env=worker_environment(),
        extra_paths=options.extra_paths,
        cwd=scratch,
    )


def requests_before(requests: list[RecordedRequest], wall_time: float | None) -> int:
    """How many of ``requests`` (monotonic times) arrived before ``wall_time`` (None: all of them)."""
    if wall_time is None:
        return len(requests)
    # The worker stamps with the wall clock; the proxy with this process's monotonic clock.
    boundary = wall_time - (time.time() - time.monotonic())
    return sum(1 for request in requests if request.at < boundary)


def observation_of(seen: Mapping[str, Any], requests: list[RecordedRequest]) -> Observation:
    """The judge's view of what the worker saw and what reached the server."""
    first = requests_before(requests, seen.get("followup_started"))
    return Observation(
        succeeded=seen["succeeded"],
        exception_type=seen.get("exception_type"),
        attributes=dict(seen.get("attributes") or {}),
        text=seen.get("text", ""),
        representation=seen.get("representation", ""),
        traceback=seen.get("traceback", ""),
        result=seen.get("result"),
        result_repr=seen.get("result_repr", ""),
        requests=requests[:first],
        circuit=seen.get("circuit"),
        followup_exception=seen.get("followup_exception"),
        followup_requests=len(requests) - first,
        logs=seen.get("logs", ""),
        output=seen.get("output", ""),
        warnings=seen.get("warnings", ""),
        duration_s=seen.get("duration_s", 0.0),
    )


def result_of(item: Prepared, reply: Mapping[str, Any] | None, run: WorkerRun) -> Result:
    """What the worker's ``reply`` (None: it gave none) says about ``item``'s scenario."""
    scenario, secrets = item.scenario, scenario_secrets(item.values, item.handle)
    if reply is None:
        if run.timed_out:
            message = f"{WHAT} under {run.interpreter} did not finish within {run.timeout:.0f} s"
        else:
            message = (
                f"{WHAT} under {run.interpreter} ended (exit status {run.returncode}) before answering for "
                f"this scenario; its output ends with:\n{tail(run.stderr + run.stdout)}"
            )
        return RunError(scenario, mask_secrets(message, tuple(secrets.values())))
    if item.proxy.setup_error is not None:
        return RunError(scenario, f"a setup step failed: {item.proxy.setup_error}")
    if reply["status"] == worker.UNSUPPORTED:
        return NotSupported(scenario, reply["reason"])
    if reply["status"] != worker.OBSERVED:
        return RunError(
            scenario,
            mask_secrets(f"{WHAT} could not make the call: {reply['reason']}", tuple(secrets.values())),
        )
    observation = observation_of(reply["seen"], requests_seen(item.proxy.recording))
    return ScenarioRun(scenario, observation, secrets)


def run_batch(scenarios: Sequence[Scenario], source: ServerSource, options: RunOptions) -> list[Result]:
    """Every scenario of ``scenarios`` run (calls in one worker), one result each, in order."""
    results: dict[str, Result] = {}
    with contextlib.ExitStack() as stack:
        ready: list[Prepared] = []
        for scenario in scenarios:
            try:
                ready.append(start(scenario, source, stack, options.hook))
            except InfrastructureError as exc:
                results[scenario.name] = RunError(scenario, str(exc))
            except Exception as exc:
                results[scenario.name] = crashed(scenario, exc)
        if ready:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hokusai-auth-worker-")))
            try:
                run = ask([item.call for item in ready], options, scratch)
            except InfrastructureError as exc:
                results.update({item.scenario.name: RunError(item.scenario, str(exc)) for item in ready})
            else:
                replies = {r.get("name"): r for r in run.records if isinstance(r, dict)}
                for item in ready:
                    try:
                        results[item.scenario.name] = result_of(item, replies.get(item.scenario.name), run)
                    except Exception as exc:
                        results[item.scenario.name] = crashed(item.scenario, exc)
    return [results[scenario.name] for scenario in scenarios]
